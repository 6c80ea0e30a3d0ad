//! PKCS#11 (KMIP 2.1 §6.1.37): a PKCS#11 function call carried through KMIP, its parameters
//! and results encoded as the KMIP PKCS#11 profile describes.

use kmip_ttlv::enums::{Pkcs11Function, Pkcs11ReturnCode};
use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::error::MessageError;

/// PKCS#11 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs11Request {
    /// The PKCS#11 interface (profile) name.
    pub interface: Option<String>,
    /// The function called.
    pub function: Pkcs11Function,
    /// The session the call belongs to.
    pub correlation_value: Option<ByteString>,
    /// The function's input parameters.
    pub input_parameters: Option<ByteString>,
}

/// PKCS#11 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs11Response {
    /// The PKCS#11 interface (profile) name.
    pub interface: Option<String>,
    /// The function called.
    pub function: Pkcs11Function,
    /// The function's output parameters.
    pub output_parameters: Option<ByteString>,
    /// The session the call belongs to.
    pub correlation_value: Option<ByteString>,
    /// The function's return value (CKR_...).
    pub return_code: Pkcs11ReturnCode,
}

impl Body for Pkcs11Request {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            interface: r.optional(Tag::PKCS_11_INTERFACE, ctx)?,
            function: r.required(Tag::PKCS_11_FUNCTION, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
            input_parameters: r.optional(Tag::PKCS_11_INPUT_PARAMETERS, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::PKCS_11_INTERFACE, &self.interface, ctx);
        w.field(Tag::PKCS_11_FUNCTION, &self.function, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
        w.optional(Tag::PKCS_11_INPUT_PARAMETERS, &self.input_parameters, ctx);
    }
}

impl Body for Pkcs11Response {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            interface: r.optional(Tag::PKCS_11_INTERFACE, ctx)?,
            function: r.required(Tag::PKCS_11_FUNCTION, ctx)?,
            output_parameters: r.optional(Tag::PKCS_11_OUTPUT_PARAMETERS, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
            return_code: r.required(Tag::PKCS_11_RETURN_CODE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::PKCS_11_INTERFACE, &self.interface, ctx);
        w.field(Tag::PKCS_11_FUNCTION, &self.function, ctx);
        w.optional(Tag::PKCS_11_OUTPUT_PARAMETERS, &self.output_parameters, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
        w.field(Tag::PKCS_11_RETURN_CODE, &self.return_code, ctx);
    }
}
