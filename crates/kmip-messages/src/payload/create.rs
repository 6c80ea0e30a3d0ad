//! Create (KMIP 1.4 §4.1, KMIP 2.1 §6.1.9): generate a new symmetric key or secret. vCenter
//! asks for AES-256 with usage mask Encrypt|Decrypt and nothing else.

use kmip_ttlv::enums::ObjectType;
use kmip_ttlv::{Tag, Ttlv};

use crate::attribute::TemplateAttribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// Create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest {
    /// What to create.
    pub object_type: ObjectType,
    /// The attributes to give it.
    pub template: TemplateAttribute,
    /// Where it may be stored (KMIP 2.x), kept as sent.
    pub protection_storage_masks: Option<Ttlv>,
}

impl Body for CreateRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            object_type: r.required(Tag::OBJECT_TYPE, ctx)?,
            template: TemplateAttribute::read_required(r, ctx)?,
            protection_storage_masks: r.optional(Tag::PROTECTION_STORAGE_MASKS, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::OBJECT_TYPE, &self.object_type, ctx);
        self.template.write_to(w, ctx);
        w.optional(
            Tag::PROTECTION_STORAGE_MASKS,
            &self.protection_storage_masks,
            ctx,
        );
    }
}

/// Create response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateResponse {
    /// What was created.
    pub object_type: ObjectType,
    /// Its identifier.
    pub unique_identifier: UniqueIdentifier,
    /// Attributes the server set implicitly (KMIP 1.x).
    pub template: Option<TemplateAttribute>,
}

impl Body for CreateResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            object_type: r.required(Tag::OBJECT_TYPE, ctx)?,
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            template: r.optional(Tag::TEMPLATE_ATTRIBUTE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::OBJECT_TYPE, &self.object_type, ctx);
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::TEMPLATE_ATTRIBUTE, &self.template, ctx);
    }
}
