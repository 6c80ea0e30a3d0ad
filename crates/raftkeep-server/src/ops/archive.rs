//! Archive (KMIP 1.4 §4.21, 2.1 §6.1.4): the client says an object may go to archive.
//! Raftkeep keeps every object in its replicated store, so archiving takes an object
//! off-line in the protocol only: the server sets its Archive Date, and until Recover its
//! content and every use are refused with Object Archived (see [`refused_while_archived`]).
//! Its attributes stay readable, and it can still be revoked and destroyed.

use kmip_messages::ResponsePayload;
use kmip_ttlv::enums::Operation;
use kmip_ttlv::{Tag, Ttlv};
use raftkeep_store::{AttributeChange, Command, StoredObject};

use super::context::{OpCtx, uid_in};
use crate::attrs::{self, names};
use crate::error::OpError;

/// Whether `object` is archived.
pub fn archived(object: &StoredObject) -> bool {
    object
        .attributes
        .iter()
        .any(|a| a.name == names::ARCHIVE_DATE)
}

/// Whether `op` is refused on an archived object: all but reading its attributes, finding
/// it, revoking, destroying, archiving and recovering it.
pub fn refused_while_archived(op: Operation) -> bool {
    ![
        Operation::ARCHIVE,
        Operation::RECOVER,
        Operation::GET_ATTRIBUTES,
        Operation::GET_ATTRIBUTE_LIST,
        Operation::LOCATE,
        Operation::REVOKE,
        Operation::DESTROY,
    ]
    .contains(&op)
}

/// Answers one Archive; its payload has no typed form, so it is read here. Archiving an
/// archived object keeps its first Archive Date.
pub async fn run(ctx: &mut OpCtx<'_>, payload: &Ttlv) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(uid_in(payload).as_ref(), Operation::ARCHIVE)
        .await?;
    if !archived(&object) {
        let set = |a: raftkeep_store::StoredAttribute| AttributeChange::Set {
            name: a.name,
            value: a.value,
        };
        ctx.commit(Command::ChangeAttributes {
            uid: uid.clone(),
            changes: vec![
                set(attrs::date(names::ARCHIVE_DATE, ctx.now)?),
                set(attrs::date(names::LAST_CHANGE_DATE, ctx.now)?),
            ],
        })
        .await?;
        tracing::info!(client = %ctx.client.fingerprint, %uid, "object archived");
    }
    Ok(uid_payload(uid))
}

/// The answer of Archive and Recover: the object's Unique Identifier.
pub fn uid_payload(uid: String) -> ResponsePayload {
    ResponsePayload::Other(Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)],
    ))
}
