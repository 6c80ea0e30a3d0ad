//! Key wrapping (KMIP 1.4 §2.1.5–§2.1.7): how a client asks for a key wrapped under another
//! (Key Wrapping Specification, on Get) and how a wrapped key block says how it was wrapped
//! (Key Wrapping Data).

use kmip_ttlv::enums::{EncodingOption, WrappingMethod};
use kmip_ttlv::{ByteString, Tag};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::{UniqueIdentifier, body_field};
use crate::crypto::CryptographicParameters;
use crate::error::MessageError;

/// Encryption Key Information or MAC/Signature Key Information: which key, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInformation {
    /// The wrapping (or MAC / signing) key.
    pub unique_identifier: UniqueIdentifier,
    /// How to use it.
    pub cryptographic_parameters: Option<CryptographicParameters>,
}

impl Body for KeyInformation {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            &self.cryptographic_parameters,
            ctx,
        );
    }
}

/// Key Wrapping Specification (KMIP 1.4 §2.1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWrappingSpecification {
    /// Encrypt, MAC/sign, or both.
    pub wrapping_method: WrappingMethod,
    /// The key to encrypt with.
    pub encryption_key_information: Option<KeyInformation>,
    /// The key to MAC or sign with.
    pub mac_signature_key_information: Option<KeyInformation>,
    /// Attributes to wrap with the key (KMIP 1.x names).
    pub attribute_names: Vec<String>,
    /// What is wrapped: the TTLV-encoded Key Value (the default) or the key material alone.
    pub encoding_option: Option<EncodingOption>,
}

impl Body for KeyWrappingSpecification {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            wrapping_method: r.required(Tag::WRAPPING_METHOD, ctx)?,
            encryption_key_information: r.optional(Tag::ENCRYPTION_KEY_INFORMATION, ctx)?,
            mac_signature_key_information: r.optional(Tag::MAC_SIGNATURE_KEY_INFORMATION, ctx)?,
            attribute_names: r.repeated(Tag::ATTRIBUTE_NAME, ctx)?,
            encoding_option: r.optional(Tag::ENCODING_OPTION, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::WRAPPING_METHOD, &self.wrapping_method, ctx);
        w.optional(
            Tag::ENCRYPTION_KEY_INFORMATION,
            &self.encryption_key_information,
            ctx,
        );
        w.optional(
            Tag::MAC_SIGNATURE_KEY_INFORMATION,
            &self.mac_signature_key_information,
            ctx,
        );
        w.repeated(Tag::ATTRIBUTE_NAME, &self.attribute_names, ctx);
        w.optional(Tag::ENCODING_OPTION, &self.encoding_option, ctx);
    }
}

/// Key Wrapping Data (KMIP 1.4 §2.1.5): how a key block's value was wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyWrappingData {
    /// Encrypt, MAC/sign, or both.
    pub wrapping_method: WrappingMethod,
    /// The key it was encrypted with.
    pub encryption_key_information: Option<KeyInformation>,
    /// The key it was MACed or signed with.
    pub mac_signature_key_information: Option<KeyInformation>,
    /// The MAC or signature.
    pub mac_signature: Option<ByteString>,
    /// The IV used to encrypt.
    pub iv_counter_nonce: Option<ByteString>,
    /// What was wrapped.
    pub encoding_option: Option<EncodingOption>,
}

impl Body for KeyWrappingData {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            wrapping_method: r.required(Tag::WRAPPING_METHOD, ctx)?,
            encryption_key_information: r.optional(Tag::ENCRYPTION_KEY_INFORMATION, ctx)?,
            mac_signature_key_information: r.optional(Tag::MAC_SIGNATURE_KEY_INFORMATION, ctx)?,
            mac_signature: r.optional(Tag::MAC_SIGNATURE, ctx)?,
            iv_counter_nonce: r.optional(Tag::IV_COUNTER_NONCE, ctx)?,
            encoding_option: r.optional(Tag::ENCODING_OPTION, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::WRAPPING_METHOD, &self.wrapping_method, ctx);
        w.optional(
            Tag::ENCRYPTION_KEY_INFORMATION,
            &self.encryption_key_information,
            ctx,
        );
        w.optional(
            Tag::MAC_SIGNATURE_KEY_INFORMATION,
            &self.mac_signature_key_information,
            ctx,
        );
        w.optional(Tag::MAC_SIGNATURE, &self.mac_signature, ctx);
        w.optional(Tag::IV_COUNTER_NONCE, &self.iv_counter_nonce, ctx);
        w.optional(Tag::ENCODING_OPTION, &self.encoding_option, ctx);
    }
}

body_field!(KeyInformation, KeyWrappingSpecification, KeyWrappingData);
