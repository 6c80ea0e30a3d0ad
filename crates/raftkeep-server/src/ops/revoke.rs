//! Revoke (KMIP 1.4 §4.20, 2.1 §6.1.46): a compromise moves the object to Compromised from
//! any live state (Compromise Date now, the occurrence date as given); any other reason
//! deactivates a Pre-Active or Active object (Deactivation Date now).

use kmip_messages::payload::revoke::{RevokeRequest, RevokeResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{Operation, RevocationReasonCode, State};
use kmip_ttlv::{Tag, Ttlv, Value};
use raftkeep_store::Command;

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;

/// Answers one Revoke.
pub async fn run(ctx: &mut OpCtx<'_>, req: &RevokeRequest) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::REVOKE)
        .await?;
    let compromise = matches!(
        req.reason.code,
        RevocationReasonCode::KEY_COMPROMISE | RevocationReasonCode::CA_COMPROMISE
    );
    let mut reason = vec![Ttlv::enumeration(
        Tag::REVOCATION_REASON_CODE,
        req.reason.code.0,
    )];
    if let Some(m) = &req.reason.message {
        reason.push(Ttlv::text(Tag::REVOCATION_MESSAGE, m.clone()));
    }
    let mut set = vec![
        attrs::stored(names::REVOCATION_REASON, &Value::Structure(reason))?,
        attrs::date(names::LAST_CHANGE_DATE, ctx.now)?,
    ];
    let (from, to) = if compromise {
        set.push(attrs::date(names::COMPROMISE_DATE, ctx.now)?);
        let occurred = req.compromise_occurrence_date.map_or(ctx.now, |d| d.0);
        set.push(attrs::date(names::COMPROMISE_OCCURRENCE_DATE, occurred)?);
        (
            vec![State::PRE_ACTIVE.0, State::ACTIVE.0, State::DEACTIVATED.0],
            State::COMPROMISED.0,
        )
    } else {
        set.push(attrs::date(names::DEACTIVATION_DATE, ctx.now)?);
        (
            vec![State::PRE_ACTIVE.0, State::ACTIVE.0],
            State::DEACTIVATED.0,
        )
    };
    if !from.contains(&object.state) {
        return Err(OpError::WrongState(format!(
            "object {uid} is {} and cannot be revoked for {}",
            attrs::state_name(object.state),
            req.reason.code
        )));
    }
    ctx.commit(Command::ChangeState {
        uid: uid.clone(),
        from,
        to,
        set,
    })
    .await?;
    tracing::info!(client = %ctx.client.fingerprint, %uid, reason = %req.reason.code, "object revoked");
    Ok(ResponsePayload::Revoke(RevokeResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
    }))
}
