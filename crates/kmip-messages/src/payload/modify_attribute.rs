//! Modify Attribute (KMIP 1.4 §4.15, KMIP 2.1 §6.1.32).

use kmip_ttlv::Tag;

use super::{read_new_attribute, write_new_attribute};
use crate::attribute::Attribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Modify Attribute request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModifyAttributeRequest {
    /// The object; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// The instance to change (KMIP 2.x Current Attribute; KMIP 1.x uses the index instead).
    pub current: Option<Attribute>,
    /// The new value (KMIP 2.x: New Attribute).
    pub attribute: Attribute,
}

impl Body for ModifyAttributeRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let unique_identifier = r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?;
        let current = match ctx.v2() {
            true => super::read_wrapped_attribute(r, Tag::CURRENT_ATTRIBUTE, ctx)?,
            false => None,
        };
        Ok(Self {
            unique_identifier,
            current,
            attribute: read_new_attribute(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        if let (true, Some(c)) = (ctx.v2(), &self.current) {
            w.item(super::wrap_attribute(c, Tag::CURRENT_ATTRIBUTE, ctx));
        }
        write_new_attribute(w, &self.attribute, ctx);
    }
}

/// Modify Attribute response: the object and, in KMIP 1.x, the attribute as modified.
pub type ModifyAttributeResponse = super::id::AttributeChangeResponse;
