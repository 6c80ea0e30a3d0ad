//! Register (KMIP 1.4 §4.3, KMIP 2.1 §6.1.42): store an object the client supplies.

use kmip_ttlv::enums::ObjectType;
use kmip_ttlv::{Tag, Ttlv};

use crate::attribute::TemplateAttribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::{MessageError, MessageErrorKind};
use crate::object::ManagedObject;

/// Register request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    /// What is registered.
    pub object_type: ObjectType,
    /// The attributes to give it.
    pub template: TemplateAttribute,
    /// The object.
    pub object: ManagedObject,
    /// Where it may be stored (KMIP 2.x), kept as sent.
    pub protection_storage_masks: Option<Ttlv>,
}

impl Body for RegisterRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let object_type = r.required(Tag::OBJECT_TYPE, ctx)?;
        let template = TemplateAttribute::read_required(r, ctx)?;
        let object = ManagedObject::read_from(r, ctx)?
            .ok_or_else(|| r.error(MessageErrorKind::MissingField(Tag::SYMMETRIC_KEY)))?;
        let protection_storage_masks = r.optional(Tag::PROTECTION_STORAGE_MASKS, ctx)?;
        Ok(Self {
            object_type,
            template,
            object,
            protection_storage_masks,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::OBJECT_TYPE, &self.object_type, ctx);
        self.template.write_to(w, ctx);
        w.item(self.object.write(ctx));
        w.optional(
            Tag::PROTECTION_STORAGE_MASKS,
            &self.protection_storage_masks,
            ctx,
        );
    }
}

/// Register response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterResponse {
    /// The new object's identifier.
    pub unique_identifier: UniqueIdentifier,
    /// Attributes the server set implicitly (KMIP 1.x).
    pub template: Option<TemplateAttribute>,
}

impl Body for RegisterResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.required(Tag::UNIQUE_IDENTIFIER, ctx)?,
            template: r.optional(Tag::TEMPLATE_ATTRIBUTE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.optional(Tag::TEMPLATE_ATTRIBUTE, &self.template, ctx);
    }
}
