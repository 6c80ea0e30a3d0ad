//! Locate (KMIP 1.4 §4.9, KMIP 2.1 §6.1.31): find objects whose attributes match.

use kmip_ttlv::Tag;
use kmip_ttlv::enums::{ObjectGroupMember, StorageStatusMask};

use crate::attribute::Attributes;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Locate request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocateRequest {
    /// Most identifiers to return.
    pub maximum_items: Option<i32>,
    /// Matches to skip first.
    pub offset_items: Option<i32>,
    /// On-line, archived, or both.
    pub storage_status_mask: Option<StorageStatusMask>,
    /// Fresh or default group members.
    pub object_group_member: Option<ObjectGroupMember>,
    /// The attributes to match; every one must match.
    pub attributes: Attributes,
}

impl Body for LocateRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            maximum_items: r.optional(Tag::MAXIMUM_ITEMS, ctx)?,
            offset_items: r.optional(Tag::OFFSET_ITEMS, ctx)?,
            storage_status_mask: r.optional(Tag::STORAGE_STATUS_MASK, ctx)?,
            object_group_member: r.optional(Tag::OBJECT_GROUP_MEMBER, ctx)?,
            attributes: Attributes::read_list(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::MAXIMUM_ITEMS, &self.maximum_items, ctx);
        w.optional(Tag::OFFSET_ITEMS, &self.offset_items, ctx);
        w.optional(Tag::STORAGE_STATUS_MASK, &self.storage_status_mask, ctx);
        w.optional(Tag::OBJECT_GROUP_MEMBER, &self.object_group_member, ctx);
        self.attributes.write_list(w, ctx);
    }
}

/// Locate response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocateResponse {
    /// How many objects matched in all (KMIP 1.3+).
    pub located_items: Option<i32>,
    /// The matches returned.
    pub unique_identifiers: Vec<UniqueIdentifier>,
}

impl Body for LocateResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            located_items: r.optional(Tag::LOCATED_ITEMS, ctx)?,
            unique_identifiers: r.repeated(Tag::UNIQUE_IDENTIFIER, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::LOCATED_ITEMS, &self.located_items, ctx);
        w.repeated(Tag::UNIQUE_IDENTIFIER, &self.unique_identifiers, ctx);
    }
}
