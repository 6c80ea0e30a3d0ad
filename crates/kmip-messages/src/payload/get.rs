//! Get (KMIP 1.4 §4.11, KMIP 2.1 §6.1.25): return an object. vCenter sends only the
//! identifier and expects the key in Raw format.

use kmip_ttlv::Tag;
use kmip_ttlv::enums::{KeyCompressionType, KeyFormatType, KeyWrapType, ObjectType};

use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::{MessageError, MessageErrorKind};
use crate::object::ManagedObject;

/// Get request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetRequest {
    /// The object; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// The format the client wants the key in.
    pub key_format_type: Option<KeyFormatType>,
    /// Whether the key should come back wrapped as stored or not wrapped.
    pub key_wrap_type: Option<KeyWrapType>,
    /// How to compress an elliptic-curve public key.
    pub key_compression_type: Option<KeyCompressionType>,
    /// How to wrap the key for the client.
    pub key_wrapping_specification: Option<crate::wrapping::KeyWrappingSpecification>,
}

impl Body for GetRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            key_format_type: r.optional(Tag::KEY_FORMAT_TYPE, ctx)?,
            key_wrap_type: r.optional(Tag::KEY_WRAP_TYPE, ctx)?,
            key_compression_type: r.optional(Tag::KEY_COMPRESSION_TYPE, ctx)?,
            key_wrapping_specification: r.optional(Tag::KEY_WRAPPING_SPECIFICATION, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::KEY_FORMAT_TYPE, &self.key_format_type, ctx);
        w.optional(Tag::KEY_WRAP_TYPE, &self.key_wrap_type, ctx);
        w.optional(Tag::KEY_COMPRESSION_TYPE, &self.key_compression_type, ctx);
        w.optional(
            Tag::KEY_WRAPPING_SPECIFICATION,
            &self.key_wrapping_specification,
            ctx,
        );
    }
}

/// Get response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetResponse {
    /// The object's type.
    pub object_type: ObjectType,
    /// The object's identifier.
    pub unique_identifier: UniqueIdentifier,
    /// The object.
    pub object: ManagedObject,
}

impl Body for GetResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let object_type = r.required(Tag::OBJECT_TYPE, ctx)?;
        let unique_identifier = r.required(Tag::UNIQUE_IDENTIFIER, ctx)?;
        let object = ManagedObject::read_from(r, ctx)?
            .ok_or_else(|| r.error(MessageErrorKind::MissingField(Tag::SYMMETRIC_KEY)))?;
        Ok(Self {
            object_type,
            unique_identifier,
            object,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::OBJECT_TYPE, &self.object_type, ctx);
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.item(self.object.write(ctx));
    }
}
