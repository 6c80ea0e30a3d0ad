//! Hash (KMIP 1.4 §4.34a, 2.1 §6.1.26): a digest computed by the server, no key involved.

use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::crypto::{CryptographicParameters, Streaming};
use crate::error::MessageError;

/// Hash request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HashRequest {
    /// The Hashing Algorithm to use.
    pub cryptographic_parameters: CryptographicParameters,
    /// The data to hash.
    pub data: Option<ByteString>,
    /// Streaming over several requests.
    pub streaming: Streaming,
}

/// Hash response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashResponse {
    /// The digest.
    pub data: Option<ByteString>,
    /// The stream's handle, for the next request.
    pub correlation_value: Option<ByteString>,
}

impl Body for HashRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            cryptographic_parameters: r.required(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            streaming: Streaming::read(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            &self.cryptographic_parameters,
            ctx,
        );
        w.optional(Tag::DATA, &self.data, ctx);
        self.streaming.write(w, ctx);
    }
}

impl Body for HashResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            data: r.optional(Tag::DATA, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::DATA, &self.data, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
    }
}
