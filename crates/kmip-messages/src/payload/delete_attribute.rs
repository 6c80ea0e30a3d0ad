//! Delete Attribute (KMIP 1.4 §4.16, KMIP 2.1 §6.1.15).

use kmip_ttlv::Tag;

use crate::attribute::{Attribute, AttributeName, read_reference, write_reference};
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Delete Attribute request. KMIP 1.x names the attribute and an index; KMIP 2.x gives the
/// instance to delete (Current Attribute) or a reference to all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAttributeRequest {
    /// The object; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// The instance to delete (KMIP 2.x).
    pub current: Option<Attribute>,
    /// The attribute to delete (KMIP 1.x Attribute Name, KMIP 2.x Attribute Reference).
    pub name: Option<AttributeName>,
    /// Which instance (KMIP 1.x).
    pub index: Option<i32>,
}

impl Body for DeleteAttributeRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let unique_identifier = r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?;
        if !ctx.v2() {
            let name: String = r.required(Tag::ATTRIBUTE_NAME, ctx)?;
            let index = r.optional(Tag::ATTRIBUTE_INDEX, ctx)?;
            return Ok(Self {
                unique_identifier,
                current: None,
                name: Some(AttributeName::new(name)),
                index,
            });
        }
        let current = super::read_wrapped_attribute(r, Tag::CURRENT_ATTRIBUTE, ctx)?;
        let name = match r.optional_item(Tag::ATTRIBUTE_REFERENCE) {
            Some(item) => Some(read_reference(item, r.path(), ctx)?),
            None => None,
        };
        Ok(Self {
            unique_identifier,
            current,
            name,
            index: None,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        if !ctx.v2() {
            let name = self
                .name
                .as_ref()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default();
            w.field(Tag::ATTRIBUTE_NAME, &name, ctx);
            w.optional(Tag::ATTRIBUTE_INDEX, &self.index, ctx);
            return;
        }
        if let Some(c) = &self.current {
            w.item(super::wrap_attribute(c, Tag::CURRENT_ATTRIBUTE, ctx));
        }
        if let Some(n) = &self.name {
            w.item(write_reference(n, Tag::ATTRIBUTE_REFERENCE, ctx));
        }
    }
}

/// Delete Attribute response: the object and, in KMIP 1.x, the attribute deleted.
pub type DeleteAttributeResponse = super::id::AttributeChangeResponse;
