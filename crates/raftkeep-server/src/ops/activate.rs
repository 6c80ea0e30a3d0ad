//! Activate (KMIP 1.4 §4.19, 2.1 §6.1.1): Pre-Active → Active, Activation Date now.

use kmip_messages::payload::activate::{ActivateRequest, ActivateResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{Operation, State};
use raftkeep_store::Command;

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;

/// Answers one Activate.
pub async fn run(ctx: &mut OpCtx<'_>, req: &ActivateRequest) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::ACTIVATE)
        .await?;
    if object.state != State::PRE_ACTIVE.0 {
        return Err(OpError::WrongState(format!(
            "object {uid} is {}; only a Pre-Active object can be activated",
            attrs::state_name(object.state)
        )));
    }
    ctx.commit(Command::ChangeState {
        uid: uid.clone(),
        from: vec![State::PRE_ACTIVE.0],
        to: State::ACTIVE.0,
        set: vec![
            attrs::date(names::ACTIVATION_DATE, ctx.now)?,
            attrs::date(names::LAST_CHANGE_DATE, ctx.now)?,
        ],
    })
    .await?;
    tracing::info!(client = %ctx.client.fingerprint, %uid, "object activated");
    Ok(ResponsePayload::Activate(ActivateResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
    }))
}
