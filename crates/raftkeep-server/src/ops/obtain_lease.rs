//! Obtain Lease (KMIP 1.4 §4.17, 2.1 §6.1.35): a client asks for the right to keep using an
//! object for the Lease Time. This server grants every lease it is asked for, of
//! [`LEASE_SECS`]; it does not count leases, so a client that never asks loses nothing.

use kmip_messages::ResponsePayload;
use kmip_ttlv::enums::Operation;
use kmip_ttlv::{Tag, Ttlv, Value};
use raftkeep_store::Material;

use super::context::{OpCtx, uid_in};
use crate::attrs::{self, names};
use crate::error::OpError;

/// The Lease Time of every object, in seconds.
pub const LEASE_SECS: u32 = 3600;

/// Answers one Obtain Lease; its payload has no typed form, so it is read here.
pub async fn run(ctx: &mut OpCtx<'_>, payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(uid_in(payload).as_ref(), Operation::OBTAIN_LEASE)
        .await?;
    if object.material == Material::Destroyed {
        return Err(OpError::Destroyed(uid));
    }
    let mut items = vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
        Ttlv::interval(Tag::LEASE_TIME, LEASE_SECS),
    ];
    if let Some(Value::DateTime(changed)) = attrs::value(&object, names::LAST_CHANGE_DATE)? {
        items.push(Ttlv::date_time(Tag::LAST_CHANGE_DATE, changed));
    }
    Ok(ResponsePayload::Other(Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        items,
    )))
}
