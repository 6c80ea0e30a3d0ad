//! Sign (KMIP 1.4 §4.31, 2.1 §6.1.55) and Signature Verify (KMIP 1.4 §4.32, 2.1 §6.1.56).

use kmip_ttlv::enums::ValidityIndicator;
use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::crypto::{CryptographicParameters, Streaming};
use crate::error::MessageError;

/// Sign request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignRequest {
    /// The private key; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// Which scheme; the key's Cryptographic Parameters attribute fills what is left out.
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// The data to sign (the server hashes it).
    pub data: Option<ByteString>,
    /// The digest of the data, hashed by the client.
    pub digested_data: Option<ByteString>,
    /// Streaming over several requests.
    pub streaming: Streaming,
}

/// Sign response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignResponse {
    /// The key used.
    pub unique_identifier: UniqueIdentifier,
    /// The signature.
    pub signature_data: Option<ByteString>,
    /// The stream's handle, for the next request.
    pub correlation_value: Option<ByteString>,
}

/// Signature Verify request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignatureVerifyRequest {
    /// The public key; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// Which scheme; the key's Cryptographic Parameters attribute fills what is left out.
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// The signed data.
    pub data: Option<ByteString>,
    /// The digest of the signed data, hashed by the client.
    pub digested_data: Option<ByteString>,
    /// The signature to check.
    pub signature_data: Option<ByteString>,
    /// Streaming over several requests.
    pub streaming: Streaming,
}

/// Signature Verify response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureVerifyResponse {
    /// The key used.
    pub unique_identifier: UniqueIdentifier,
    /// Valid or Invalid.
    pub validity_indicator: ValidityIndicator,
    /// Data recovered from the signature (schemes with message recovery).
    pub data: Option<ByteString>,
    /// The stream's handle, for the next request.
    pub correlation_value: Option<ByteString>,
}

impl Body for SignRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            digested_data: r.optional(Tag::DIGESTED_DATA, ctx)?,
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
        w.optional(Tag::DIGESTED_DATA, &self.digested_data, ctx);
        self.streaming.write(w, ctx);
    }
}

impl Body for SignResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            signature_data: r.optional(Tag::SIGNATURE_DATA, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::SIGNATURE_DATA, &self.signature_data, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
    }
}

impl Body for SignatureVerifyRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            digested_data: r.optional(Tag::DIGESTED_DATA, ctx)?,
            signature_data: r.optional(Tag::SIGNATURE_DATA, ctx)?,
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
        w.optional(Tag::DIGESTED_DATA, &self.digested_data, ctx);
        w.optional(Tag::SIGNATURE_DATA, &self.signature_data, ctx);
        self.streaming.write(w, ctx);
    }
}

impl Body for SignatureVerifyResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            validity_indicator: r.required(Tag::VALIDITY_INDICATOR, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.field(Tag::VALIDITY_INDICATOR, &self.validity_indicator, ctx);
        w.optional(Tag::DATA, &self.data, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
    }
}
