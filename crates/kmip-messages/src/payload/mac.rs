//! MAC (KMIP 1.4 §4.33, 2.1 §6.1.31) and MAC Verify (KMIP 1.4 §4.34, 2.1 §6.1.32).

use kmip_ttlv::enums::ValidityIndicator;
use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::crypto::{CryptographicParameters, Streaming};
use crate::error::MessageError;

/// MAC request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacRequest {
    /// The key; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// Which MAC; the key's Cryptographic Parameters attribute fills what is left out.
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// The data to MAC.
    pub data: Option<ByteString>,
    /// Streaming over several requests.
    pub streaming: Streaming,
}

/// MAC response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacResponse {
    /// The key used.
    pub unique_identifier: UniqueIdentifier,
    /// The MAC.
    pub mac_data: Option<ByteString>,
    /// The stream's handle, for the next request.
    pub correlation_value: Option<ByteString>,
}

/// MAC Verify request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacVerifyRequest {
    /// The key; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// Which MAC; the key's Cryptographic Parameters attribute fills what is left out.
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// The data the MAC is over.
    pub data: Option<ByteString>,
    /// The MAC to check.
    pub mac_data: Option<ByteString>,
    /// Streaming over several requests.
    pub streaming: Streaming,
}

/// MAC Verify response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacVerifyResponse {
    /// The key used.
    pub unique_identifier: UniqueIdentifier,
    /// Valid or Invalid.
    pub validity_indicator: Option<ValidityIndicator>,
    /// The stream's handle, for the next request.
    pub correlation_value: Option<ByteString>,
}

impl Body for MacRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            streaming: Streaming::read(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            &self.cryptographic_parameters,
            ctx,
        );
        w.optional(Tag::DATA, &self.data, ctx);
        self.streaming.write(w, ctx);
    }
}

impl Body for MacResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            mac_data: r.optional(Tag::MAC_DATA, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::MAC_DATA, &self.mac_data, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
    }
}

impl Body for MacVerifyRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            mac_data: r.optional(Tag::MAC_DATA, ctx)?,
            streaming: Streaming::read(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            &self.cryptographic_parameters,
            ctx,
        );
        w.optional(Tag::DATA, &self.data, ctx);
        w.optional(Tag::MAC_DATA, &self.mac_data, ctx);
        self.streaming.write(w, ctx);
    }
}

impl Body for MacVerifyResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            validity_indicator: r.optional(Tag::VALIDITY_INDICATOR, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::VALIDITY_INDICATOR, &self.validity_indicator, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
    }
}
