//! Check (KMIP 1.4 §4.10, 2.1 §6.1.6): may the object be used as the client intends? This
//! server checks the Cryptographic Usage Mask; it grants no leases and counts no usage, so
//! Lease Time and Usage Limits Count never fail a check.

use kmip_messages::ResponsePayload;
use kmip_ttlv::enums::{CryptographicUsageMask, Operation};
use kmip_ttlv::{Tag, Ttlv, Value};

use super::context::{OpCtx, uid_in};
use crate::attrs::{self, names};
use crate::error::OpError;

/// Answers one Check; its payload has no typed form, so it is read here.
pub async fn run(ctx: &mut OpCtx<'_>, payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(uid_in(payload).as_ref(), Operation::CHECK)
        .await?;
    if let Some(Value::Integer(wanted)) = payload
        .child(Tag::CRYPTOGRAPHIC_USAGE_MASK)
        .map(|t| &t.value)
    {
        let has = match attrs::value(&object, names::USAGE_MASK)? {
            Some(Value::Integer(m)) => m,
            _ => 0,
        };
        if has & wanted != *wanted {
            return Err(OpError::IncompatibleMask(format!(
                "object {uid} allows {} but the check asks for {}",
                CryptographicUsageMask::from_i32(has).describe(),
                CryptographicUsageMask::from_i32(*wanted).describe()
            )));
        }
    }
    Ok(ResponsePayload::Other(Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)],
    )))
}
