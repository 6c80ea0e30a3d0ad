//! Decrypt (KMIP 1.4 §4.30, 2.1 §6.1.12): data decrypted with a stored key.

use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::crypto::{CryptographicParameters, Streaming};
use crate::error::MessageError;

/// Decrypt request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecryptRequest {
    /// The key; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// How to decrypt; the key's Cryptographic Parameters attribute fills what is left out.
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// The ciphertext.
    pub data: Option<ByteString>,
    /// The IV, counter or nonce used to encrypt.
    pub iv_counter_nonce: Option<ByteString>,
    /// Streaming over several requests.
    pub streaming: Streaming,
    /// Additional data that was authenticated (AEAD modes).
    pub authenticated_encryption_additional_data: Option<ByteString>,
    /// The authentication tag (AEAD modes).
    pub authenticated_encryption_tag: Option<ByteString>,
}

/// Decrypt response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptResponse {
    /// The key used.
    pub unique_identifier: UniqueIdentifier,
    /// The plaintext.
    pub data: Option<ByteString>,
    /// The stream's handle, for the next request.
    pub correlation_value: Option<ByteString>,
}

impl Body for DecryptRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            iv_counter_nonce: r.optional(Tag::IV_COUNTER_NONCE, ctx)?,
            streaming: Streaming::read(r, ctx)?,
            authenticated_encryption_additional_data: r
                .optional(Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, ctx)?,
            authenticated_encryption_tag: r.optional(Tag::AUTHENTICATED_ENCRYPTION_TAG, ctx)?,
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
        w.optional(Tag::IV_COUNTER_NONCE, &self.iv_counter_nonce, ctx);
        self.streaming.write(w, ctx);
        w.optional(
            Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
            &self.authenticated_encryption_additional_data,
            ctx,
        );
        w.optional(
            Tag::AUTHENTICATED_ENCRYPTION_TAG,
            &self.authenticated_encryption_tag,
            ctx,
        );
    }
}

impl Body for DecryptResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            data: r.optional(Tag::DATA, ctx)?,
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::DATA, &self.data, ctx);
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
    }
}
