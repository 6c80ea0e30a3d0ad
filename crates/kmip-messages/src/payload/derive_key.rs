//! Derive Key (KMIP 1.4 §4.6, 2.1 §6.1.13): a new symmetric key or secret derived from stored
//! ones.

use kmip_ttlv::enums::{DerivationMethod, ObjectType};
use kmip_ttlv::{ByteString, Tag};

use crate::attribute::TemplateAttribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::{UniqueIdentifier, body_field};
use crate::crypto::CryptographicParameters;
use crate::error::MessageError;

/// Derivation Parameters (KMIP 1.4 §2.1.12).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DerivationParameters {
    /// The hash, cipher and mode the method uses.
    pub cryptographic_parameters: Option<CryptographicParameters>,
    /// The IV for derivation by encryption.
    pub initialization_vector: Option<ByteString>,
    /// The data the method works on.
    pub derivation_data: Option<ByteString>,
    /// The salt (PBKDF2, HMAC).
    pub salt: Option<ByteString>,
    /// PBKDF2's iteration count.
    pub iteration_count: Option<i32>,
}

impl Body for DerivationParameters {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            cryptographic_parameters: r.optional(Tag::CRYPTOGRAPHIC_PARAMETERS, ctx)?,
            initialization_vector: r.optional(Tag::INITIALIZATION_VECTOR, ctx)?,
            derivation_data: r.optional(Tag::DERIVATION_DATA, ctx)?,
            salt: r.optional(Tag::SALT, ctx)?,
            iteration_count: r.optional(Tag::ITERATION_COUNT, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(
            Tag::CRYPTOGRAPHIC_PARAMETERS,
            &self.cryptographic_parameters,
            ctx,
        );
        w.optional(Tag::INITIALIZATION_VECTOR, &self.initialization_vector, ctx);
        w.optional(Tag::DERIVATION_DATA, &self.derivation_data, ctx);
        w.optional(Tag::SALT, &self.salt, ctx);
        w.optional(Tag::ITERATION_COUNT, &self.iteration_count, ctx);
    }
}

body_field!(DerivationParameters);

/// Derive Key request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveKeyRequest {
    /// Symmetric Key or Secret Data.
    pub object_type: ObjectType,
    /// The base object first; a second one may hold the derivation data.
    pub unique_identifiers: Vec<UniqueIdentifier>,
    /// How to derive.
    pub derivation_method: DerivationMethod,
    /// What the method needs.
    pub derivation_parameters: DerivationParameters,
    /// The new object's attributes (its Cryptographic Length sets how much is derived).
    pub template: TemplateAttribute,
}

/// Derive Key response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeriveKeyResponse {
    /// The new object.
    pub unique_identifier: UniqueIdentifier,
}

impl Body for DeriveKeyRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            object_type: r.required(Tag::OBJECT_TYPE, ctx)?,
            unique_identifiers: r.repeated(Tag::UNIQUE_IDENTIFIER, ctx)?,
            derivation_method: r.required(Tag::DERIVATION_METHOD, ctx)?,
            derivation_parameters: r.required(Tag::DERIVATION_PARAMETERS, ctx)?,
            template: TemplateAttribute::read_optional(r, ctx)?.unwrap_or_default(),
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::OBJECT_TYPE, &self.object_type, ctx);
        w.repeated(Tag::UNIQUE_IDENTIFIER, &self.unique_identifiers, ctx);
        w.field(Tag::DERIVATION_METHOD, &self.derivation_method, ctx);
        w.field(Tag::DERIVATION_PARAMETERS, &self.derivation_parameters, ctx);
        self.template.write_to(w, ctx);
    }
}

impl Body for DeriveKeyResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let unique_identifier = r.required(Tag::UNIQUE_IDENTIFIER, ctx)?;
        // KMIP 1.x servers may echo the attributes they set; not kept.
        let _ = TemplateAttribute::read_optional(r, ctx)?;
        Ok(Self { unique_identifier })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
    }
}
