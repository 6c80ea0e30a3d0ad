//! Create Key Pair (KMIP 1.4 §4.2, 2.1 §6.1.10): a new public and private key, linked.

use kmip_ttlv::{Tag, Ttlv};

use crate::attribute::TemplateAttribute;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

/// The three templates' tags in the layout of `ctx`: common, private key, public key.
fn tags(ctx: Ctx) -> [Tag; 3] {
    if ctx.v2() {
        [
            Tag::COMMON_ATTRIBUTES,
            Tag::PRIVATE_KEY_ATTRIBUTES,
            Tag::PUBLIC_KEY_ATTRIBUTES,
        ]
    } else {
        [
            Tag::COMMON_TEMPLATE_ATTRIBUTE,
            Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
            Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
        ]
    }
}

/// Create Key Pair request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateKeyPairRequest {
    /// Attributes for both keys.
    pub common: Option<TemplateAttribute>,
    /// Attributes for the private key (over the common ones).
    pub private_key: Option<TemplateAttribute>,
    /// Attributes for the public key (over the common ones).
    pub public_key: Option<TemplateAttribute>,
    /// KMIP 2.x protection storage masks, kept as sent.
    pub protection_storage_masks: Vec<Ttlv>,
}

/// Create Key Pair response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateKeyPairResponse {
    /// The private key.
    pub private_key_unique_identifier: UniqueIdentifier,
    /// The public key.
    pub public_key_unique_identifier: UniqueIdentifier,
}

const MASKS: [Tag; 3] = [
    Tag::COMMON_PROTECTION_STORAGE_MASKS,
    Tag::PRIVATE_PROTECTION_STORAGE_MASKS,
    Tag::PUBLIC_PROTECTION_STORAGE_MASKS,
];

impl Body for CreateKeyPairRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let [common, private, public] = tags(ctx);
        let common = r.optional(common, ctx)?;
        let private_key = r.optional(private, ctx)?;
        let public_key = r.optional(public, ctx)?;
        let mut protection_storage_masks = Vec::new();
        for tag in MASKS {
            if let Some(m) = r.optional::<Ttlv>(tag, ctx)? {
                protection_storage_masks.push(m);
            }
        }
        Ok(Self {
            common,
            private_key,
            public_key,
            protection_storage_masks,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        let [common, private, public] = tags(ctx);
        w.optional(common, &self.common, ctx);
        w.optional(private, &self.private_key, ctx);
        w.optional(public, &self.public_key, ctx);
        for m in &self.protection_storage_masks {
            w.item(m.clone());
        }
    }
}

impl Body for CreateKeyPairResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            private_key_unique_identifier: r.required(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, ctx)?,
            public_key_unique_identifier: r.required(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(
            Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
            &self.private_key_unique_identifier,
            ctx,
        );
        w.field(
            Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER,
            &self.public_key_unique_identifier,
            ctx,
        );
    }
}
