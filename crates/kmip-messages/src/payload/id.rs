//! Payload shapes shared by several operations: a bare Unique Identifier (Activate, Destroy,
//! Get Attribute List, Revoke's response, ...), one new attribute (Add and Set Attribute), and
//! the response to an attribute change (Add, Modify, Delete Attribute).

use kmip_ttlv::Tag;

use crate::attribute::Attribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// A request naming at most one object; absent means the ID Placeholder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdRequest {
    /// The object.
    pub unique_identifier: Option<UniqueIdentifier>,
}

/// A response naming the object acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdResponse {
    /// The object.
    pub unique_identifier: UniqueIdentifier,
}

impl Body for IdRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
    }
}

impl Body for IdResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
    }
}

/// A request carrying one new attribute for one object: Add Attribute and Set Attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttributeRequest {
    /// The object; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// The attribute (KMIP 1.x Attribute, KMIP 2.x New Attribute).
    pub attribute: Attribute,
}

impl Body for NewAttributeRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            attribute: super::read_new_attribute(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        super::write_new_attribute(w, &self.attribute, ctx);
    }
}

/// The response to an attribute change: the object and, in KMIP 1.x, the attribute as it now
/// is (Add, Modify) or was (Delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeChangeResponse {
    /// The object.
    pub unique_identifier: UniqueIdentifier,
    /// The attribute (KMIP 1.x only).
    pub attribute: Option<Attribute>,
}

impl Body for AttributeChangeResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let unique_identifier = r.required(Tag::UNIQUE_IDENTIFIER, ctx)?;
        let attribute = match r.optional_item(Tag::ATTRIBUTE) {
            Some(item) if !ctx.v2() => Some(Attribute::read(item, r.path(), ctx)?),
            Some(item) => return Err(r.error(crate::MessageErrorKind::UnexpectedField(item.tag))),
            None => None,
        };
        Ok(Self {
            unique_identifier,
            attribute,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        if let (false, Some(a)) = (ctx.v2(), &self.attribute) {
            w.item(a.write(ctx));
        }
    }
}
