//! Get Attribute List (KMIP 1.4 §4.13, KMIP 2.1 §6.1.27): the names of an object's attributes.

use kmip_ttlv::Tag;

use crate::attribute::{AttributeName, read_attribute_names, write_attribute_names};
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Get Attribute List request: the object.
pub type GetAttributeListRequest = super::id::IdRequest;

/// Get Attribute List response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAttributeListResponse {
    /// The object.
    pub unique_identifier: UniqueIdentifier,
    /// Its attributes' names.
    pub names: Vec<AttributeName>,
}

impl Body for GetAttributeListResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            names: read_attribute_names(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        write_attribute_names(w, &self.names, ctx);
    }
}
