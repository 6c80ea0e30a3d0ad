//! Get Attributes (KMIP 1.4 §4.12, KMIP 2.1 §6.1.26). vCenter asks for one attribute at a time
//! (State, x-Vendor, ...) and expects Success with only the identifier when it is absent.

use kmip_ttlv::Tag;

use crate::attribute::{AttributeName, Attributes, read_attribute_names, write_attribute_names};
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Get Attributes request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetAttributesRequest {
    /// The object; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// The attributes wanted; none means all.
    pub names: Vec<AttributeName>,
}

impl Body for GetAttributesRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            names: read_attribute_names(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        write_attribute_names(w, &self.names, ctx);
    }
}

/// Get Attributes response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAttributesResponse {
    /// The object.
    pub unique_identifier: UniqueIdentifier,
    /// The attributes found.
    pub attributes: Attributes,
}

impl Body for GetAttributesResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            attributes: Attributes::read_list(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        self.attributes.write_list(w, ctx);
    }
}
