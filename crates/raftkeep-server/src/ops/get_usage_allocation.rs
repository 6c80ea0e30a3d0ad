//! Get Usage Allocation (KMIP 1.4 §4.13, 2.1 §6.1.27): a client reserves part of a key's
//! Usage Limits for protection it will apply itself. The units are taken from the Usage
//! Limits Count through the cluster, with the same compare-and-set as a use on the server
//! ([`super::usage`]), so allocations and server-side uses never spend the same units twice.
//! The key must be usable for protection now (Active, before its Protect Stop Date) and
//! have Usage Limits.

use kmip_messages::ResponsePayload;
use kmip_ttlv::enums::Operation;
use kmip_ttlv::{Tag, Ttlv, Value};

use super::archive::uid_payload;
use super::context::{OpCtx, uid_in};
use super::key_use::{self, Use};
use crate::error::OpError;

/// Answers one Get Usage Allocation; its payload has no typed form, so it is read here.
pub async fn run(ctx: &mut OpCtx<'_>, payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let count = match payload.child(Tag::USAGE_LIMITS_COUNT).map(|t| &t.value) {
        Some(Value::LongInteger(n)) => *n,
        Some(Value::Integer(n)) => i64::from(*n),
        Some(_) => {
            return Err(OpError::InvalidField(
                "Usage Limits Count must be a Long Integer".to_owned(),
            ));
        }
        None => {
            return Err(OpError::MissingData(
                "Get Usage Allocation needs a Usage Limits Count".to_owned(),
            ));
        }
    };
    let (uid, object) = ctx
        .target(uid_in(payload).as_ref(), Operation::GET_USAGE_ALLOCATION)
        .await?;
    key_use::usable(&uid, &object, Use::Protect, ctx.now)?;
    let stored = super::usage::stored(&object).ok_or_else(|| {
        OpError::InvalidField(format!(
            "object {uid} has no Usage Limits: there is nothing to allocate from"
        ))
    })?;
    super::usage::allocate(ctx, &uid, stored, count).await?;
    tracing::info!(client = %ctx.client.fingerprint, %uid, count, "usage allocated");
    Ok(uid_payload(uid))
}
