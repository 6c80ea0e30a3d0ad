//! Re-key (KMIP 1.4 §4.4, KMIP 2.1 §6.1.43): a new key replacing an old one, linked to it.

use kmip_ttlv::{Tag, Ttlv};

use crate::attribute::TemplateAttribute;
use crate::codec::{Body, Ctx, Interval, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Re-key request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReKeyRequest {
    /// The key to replace; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// Shift of the new key's dates relative to the old key's.
    pub offset: Option<Interval>,
    /// Attributes for the new key.
    pub template: Option<TemplateAttribute>,
    /// Where the new key may be stored (KMIP 2.x), kept as sent.
    pub protection_storage_masks: Option<Ttlv>,
}

impl Body for ReKeyRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            offset: r.optional(Tag::OFFSET, ctx)?,
            template: TemplateAttribute::read_optional(r, ctx)?,
            protection_storage_masks: r.optional(Tag::PROTECTION_STORAGE_MASKS, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::OFFSET, &self.offset, ctx);
        if let Some(t) = &self.template {
            t.write_to(w, ctx);
        }
        w.optional(
            Tag::PROTECTION_STORAGE_MASKS,
            &self.protection_storage_masks,
            ctx,
        );
    }
}

/// Re-key response: the new key, and attributes the server set implicitly (KMIP 1.x).
pub type ReKeyResponse = super::register::RegisterResponse;
