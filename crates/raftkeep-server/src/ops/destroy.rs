//! Destroy (KMIP 1.4 §4.21, 2.1 §6.1.18): crypto-shred the material — the sealed bytes are
//! dropped from the store on every node — and keep the metadata. An Active object must be
//! revoked first.

use kmip_messages::payload::destroy::{DestroyRequest, DestroyResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{Operation, State};
use raftkeep_store::{Command, Material};

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;

/// The states an object can be destroyed from.
const DESTROYABLE: [State; 3] = [State::PRE_ACTIVE, State::DEACTIVATED, State::COMPROMISED];

/// Answers one Destroy.
pub async fn run(ctx: &mut OpCtx<'_>, req: &DestroyRequest) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::DESTROY)
        .await?;
    if object.material == Material::Destroyed {
        return Err(OpError::Destroyed(uid));
    }
    if !DESTROYABLE.iter().any(|s| s.0 == object.state) {
        return Err(OpError::WrongState(format!(
            "object {uid} is {}; revoke it before destroying it",
            attrs::state_name(object.state)
        )));
    }
    let to = if object.state == State::COMPROMISED.0 {
        State::DESTROYED_COMPROMISED
    } else {
        State::DESTROYED
    };
    ctx.commit(Command::DestroyMaterial {
        uid: uid.clone(),
        from: DESTROYABLE.iter().map(|s| s.0).collect(),
        state: to.0,
        set: vec![
            attrs::date(names::DESTROY_DATE, ctx.now)?,
            attrs::date(names::LAST_CHANGE_DATE, ctx.now)?,
        ],
    })
    .await?;
    tracing::info!(client = %ctx.client.fingerprint, %uid, "object destroyed");
    Ok(ResponsePayload::Destroy(DestroyResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
    }))
}
