//! Cryptographic Parameters (KMIP 1.4 §3.6, 2.1 §2.1.4): how a cryptographic operation is
//! to be done. Sent with Encrypt, Decrypt, MAC, Sign and Hash requests, and stored as an
//! attribute of a key to give its defaults.

use kmip_ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, DigitalSignatureAlgorithm, HashingAlgorithm,
    KeyRoleType, MaskGenerator, PaddingMethod,
};
use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::body_field;
use crate::error::MessageError;

/// Cryptographic Parameters; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CryptographicParameters {
    /// Block Cipher Mode (ECB, CBC, GCM, ...).
    pub block_cipher_mode: Option<BlockCipherMode>,
    /// Padding Method.
    pub padding_method: Option<PaddingMethod>,
    /// Hashing Algorithm.
    pub hashing_algorithm: Option<HashingAlgorithm>,
    /// Key Role Type.
    pub key_role_type: Option<KeyRoleType>,
    /// Digital Signature Algorithm.
    pub digital_signature_algorithm: Option<DigitalSignatureAlgorithm>,
    /// Cryptographic Algorithm.
    pub cryptographic_algorithm: Option<CryptographicAlgorithm>,
    /// Random IV: the server picks the IV.
    pub random_iv: Option<bool>,
    /// IV Length in bits.
    pub iv_length: Option<i32>,
    /// Tag Length in bytes.
    pub tag_length: Option<i32>,
    /// Fixed Field Length in bits (deterministic IV construction).
    pub fixed_field_length: Option<i32>,
    /// Invocation Field Length in bits.
    pub invocation_field_length: Option<i32>,
    /// Counter Length in bits.
    pub counter_length: Option<i32>,
    /// Initial Counter Value.
    pub initial_counter_value: Option<i32>,
    /// Salt Length (RSA PSS).
    pub salt_length: Option<i32>,
    /// Mask Generator (RSA OAEP, PSS).
    pub mask_generator: Option<MaskGenerator>,
    /// Mask Generator Hashing Algorithm.
    pub mask_generator_hashing_algorithm: Option<HashingAlgorithm>,
    /// P Source (RSA OAEP label).
    pub p_source: Option<ByteString>,
    /// Trailer Field (RSA PSS).
    pub trailer_field: Option<i32>,
}

impl CryptographicParameters {
    /// Each field of `self`, or of `defaults` where `self` leaves it out: a request's
    /// parameters over the key's attribute.
    pub fn or(&self, defaults: &CryptographicParameters) -> CryptographicParameters {
        let d = defaults.clone();
        CryptographicParameters {
            block_cipher_mode: self.block_cipher_mode.or(d.block_cipher_mode),
            padding_method: self.padding_method.or(d.padding_method),
            hashing_algorithm: self.hashing_algorithm.or(d.hashing_algorithm),
            key_role_type: self.key_role_type.or(d.key_role_type),
            digital_signature_algorithm: self
                .digital_signature_algorithm
                .or(d.digital_signature_algorithm),
            cryptographic_algorithm: self.cryptographic_algorithm.or(d.cryptographic_algorithm),
            random_iv: self.random_iv.or(d.random_iv),
            iv_length: self.iv_length.or(d.iv_length),
            tag_length: self.tag_length.or(d.tag_length),
            fixed_field_length: self.fixed_field_length.or(d.fixed_field_length),
            invocation_field_length: self.invocation_field_length.or(d.invocation_field_length),
            counter_length: self.counter_length.or(d.counter_length),
            initial_counter_value: self.initial_counter_value.or(d.initial_counter_value),
            salt_length: self.salt_length.or(d.salt_length),
            mask_generator: self.mask_generator.or(d.mask_generator),
            mask_generator_hashing_algorithm: self
                .mask_generator_hashing_algorithm
                .or(d.mask_generator_hashing_algorithm),
            p_source: self.p_source.clone().or(d.p_source),
            trailer_field: self.trailer_field.or(d.trailer_field),
        }
    }
}

impl Body for CryptographicParameters {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            block_cipher_mode: r.optional(Tag::BLOCK_CIPHER_MODE, ctx)?,
            padding_method: r.optional(Tag::PADDING_METHOD, ctx)?,
            hashing_algorithm: r.optional(Tag::HASHING_ALGORITHM, ctx)?,
            key_role_type: r.optional(Tag::KEY_ROLE_TYPE, ctx)?,
            digital_signature_algorithm: r.optional(Tag::DIGITAL_SIGNATURE_ALGORITHM, ctx)?,
            cryptographic_algorithm: r.optional(Tag::CRYPTOGRAPHIC_ALGORITHM, ctx)?,
            random_iv: r.optional(Tag::RANDOM_IV, ctx)?,
            iv_length: r.optional(Tag::IV_LENGTH, ctx)?,
            tag_length: r.optional(Tag::TAG_LENGTH, ctx)?,
            fixed_field_length: r.optional(Tag::FIXED_FIELD_LENGTH, ctx)?,
            invocation_field_length: r.optional(Tag::INVOCATION_FIELD_LENGTH, ctx)?,
            counter_length: r.optional(Tag::COUNTER_LENGTH, ctx)?,
            initial_counter_value: r.optional(Tag::INITIAL_COUNTER_VALUE, ctx)?,
            salt_length: r.optional(Tag::SALT_LENGTH, ctx)?,
            mask_generator: r.optional(Tag::MASK_GENERATOR, ctx)?,
            mask_generator_hashing_algorithm: r
                .optional(Tag::MASK_GENERATOR_HASHING_ALGORITHM, ctx)?,
            p_source: r.optional(Tag::P_SOURCE, ctx)?,
            trailer_field: r.optional(Tag::TRAILER_FIELD, ctx)?,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::BLOCK_CIPHER_MODE, &self.block_cipher_mode, ctx);
        w.optional(Tag::PADDING_METHOD, &self.padding_method, ctx);
        w.optional(Tag::HASHING_ALGORITHM, &self.hashing_algorithm, ctx);
        w.optional(Tag::KEY_ROLE_TYPE, &self.key_role_type, ctx);
        w.optional(
            Tag::DIGITAL_SIGNATURE_ALGORITHM,
            &self.digital_signature_algorithm,
            ctx,
        );
        w.optional(
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            &self.cryptographic_algorithm,
            ctx,
        );
        w.optional(Tag::RANDOM_IV, &self.random_iv, ctx);
        w.optional(Tag::IV_LENGTH, &self.iv_length, ctx);
        w.optional(Tag::TAG_LENGTH, &self.tag_length, ctx);
        w.optional(Tag::FIXED_FIELD_LENGTH, &self.fixed_field_length, ctx);
        w.optional(
            Tag::INVOCATION_FIELD_LENGTH,
            &self.invocation_field_length,
            ctx,
        );
        w.optional(Tag::COUNTER_LENGTH, &self.counter_length, ctx);
        w.optional(Tag::INITIAL_COUNTER_VALUE, &self.initial_counter_value, ctx);
        w.optional(Tag::SALT_LENGTH, &self.salt_length, ctx);
        w.optional(Tag::MASK_GENERATOR, &self.mask_generator, ctx);
        w.optional(
            Tag::MASK_GENERATOR_HASHING_ALGORITHM,
            &self.mask_generator_hashing_algorithm,
            ctx,
        );
        w.optional(Tag::P_SOURCE, &self.p_source, ctx);
        w.optional(Tag::TRAILER_FIELD, &self.trailer_field, ctx);
    }
}

body_field!(CryptographicParameters);

/// The fields of a request that streams its data over several requests (KMIP 1.4 §4.29):
/// the Correlation Value of the stream, and whether this request starts or ends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Streaming {
    /// The server's handle on a stream begun earlier.
    pub correlation_value: Option<ByteString>,
    /// This request begins a stream.
    pub init_indicator: Option<bool>,
    /// This request ends a stream.
    pub final_indicator: Option<bool>,
}

impl Streaming {
    /// True when the request is part of a stream rather than a single request.
    pub fn is_stream(&self) -> bool {
        self.correlation_value.is_some()
            || self.init_indicator == Some(true)
            || self.final_indicator == Some(true)
    }

    pub(crate) fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            correlation_value: r.optional(Tag::CORRELATION_VALUE, ctx)?,
            init_indicator: r.optional(Tag::INIT_INDICATOR, ctx)?,
            final_indicator: r.optional(Tag::FINAL_INDICATOR, ctx)?,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::CORRELATION_VALUE, &self.correlation_value, ctx);
        w.optional(Tag::INIT_INDICATOR, &self.init_indicator, ctx);
        w.optional(Tag::FINAL_INDICATOR, &self.final_indicator, ctx);
    }
}
