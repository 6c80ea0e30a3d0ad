//! Revoke (KMIP 1.4 §4.20, KMIP 2.1 §6.1.46): deactivate or mark compromised.

use kmip_ttlv::Tag;

use crate::codec::{Body, Ctx, DateTime, Reader, Writer};
use crate::common::{RevocationReason, UniqueIdentifier};
use crate::error::MessageError;

/// Revoke request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeRequest {
    /// The object; absent means the ID Placeholder.
    pub unique_identifier: Option<UniqueIdentifier>,
    /// Why.
    pub reason: RevocationReason,
    /// When the compromise happened, for Key Compromise and CA Compromise.
    pub compromise_occurrence_date: Option<DateTime>,
}

impl Body for RevokeRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            unique_identifier: r.optional(Tag::UNIQUE_IDENTIFIER, ctx)?,
            reason: r.required(Tag::REVOCATION_REASON, ctx)?,
            compromise_occurrence_date: r.optional(Tag::COMPROMISE_OCCURRENCE_DATE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.optional(Tag::UNIQUE_IDENTIFIER, &self.unique_identifier, ctx);
        w.field(Tag::REVOCATION_REASON, &self.reason, ctx);
        w.optional(
            Tag::COMPROMISE_OCCURRENCE_DATE,
            &self.compromise_occurrence_date,
            ctx,
        );
    }
}

/// Revoke response: the object.
pub type RevokeResponse = super::id::IdResponse;
