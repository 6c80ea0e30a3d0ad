//! Re-key Key Pair (KMIP 1.4 §4.5, 2.1 §6.1.46): a new key pair replacing an existing one.

use kmip_ttlv::{Tag, Ttlv};

use crate::attribute::TemplateAttribute;
use crate::codec::{Body, Ctx, Interval, Reader, Writer};
use crate::common::UniqueIdentifier;
use crate::error::MessageError;

pub use super::create_key_pair::CreateKeyPairResponse as ReKeyKeyPairResponse;

/// Re-key Key Pair request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReKeyKeyPairRequest {
    /// The private key of the pair to replace; absent means the ID Placeholder.
    pub private_key_unique_identifier: Option<UniqueIdentifier>,
    /// How long after now the new pair becomes Active.
    pub offset: Option<Interval>,
    /// Attributes for both new keys, over the old ones'.
    pub common: Option<TemplateAttribute>,
    /// Attributes for the new private key.
    pub private_key: Option<TemplateAttribute>,
    /// Attributes for the new public key.
    pub public_key: Option<TemplateAttribute>,
    /// KMIP 2.x protection storage masks, kept as sent.
    pub protection_storage_masks: Vec<Ttlv>,
}

impl Body for ReKeyKeyPairRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        let private_key_unique_identifier = r.optional(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, ctx)?;
        let offset = r.optional(Tag::OFFSET, ctx)?;
        let pair = super::create_key_pair::CreateKeyPairRequest::read(r, ctx)?;
        Ok(Self {
            private_key_unique_identifier,
            offset,
            common: pair.common,
            private_key: pair.private_key,
            public_key: pair.public_key,
            protection_storage_masks: pair.protection_storage_masks,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(
            Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
            &self.private_key_unique_identifier,
            ctx,
        );
        w.optional(Tag::OFFSET, &self.offset, ctx);
        super::create_key_pair::CreateKeyPairRequest {
            common: self.common.clone(),
            private_key: self.private_key.clone(),
            public_key: self.public_key.clone(),
            protection_storage_masks: self.protection_storage_masks.clone(),
        }
        .write(w, ctx);
    }
}
