//! Get (KMIP 1.4 §4.11, 2.1 §6.1.25): the object with its material, unsealed for this answer
//! only, in the stored format or the one asked for, wrapped under another key when the client
//! asks ([`super::key_wrap`]). Destroyed objects are never served.

use kmip_messages::payload::get::{GetRequest, GetResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::Value;
use kmip_ttlv::enums::{KeyWrapType, ObjectType, Operation};
use raftkeep_store::{AttributeChange, Command, Material};

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;
use crate::material;

/// How long a Get waits for the cluster to record that its key is no longer Fresh.
const FRESH_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Answers one Get.
pub async fn run(ctx: &mut OpCtx<'_>, req: &GetRequest) -> Result<ResponsePayload, OpError> {
    let (uid, stored) = ctx
        .target(req.unique_identifier.as_ref(), Operation::GET)
        .await?;
    let sealed = match &stored.material {
        Material::Sealed(s) => s,
        Material::Destroyed => return Err(OpError::Destroyed(uid)),
        Material::None => {
            return Err(OpError::MissingData(format!(
                "object {uid} has no material"
            )));
        }
    };
    // A Sensitive key never leaves in clear; wrapped under another key it may (KMIP 1.4 §3.41).
    let wrapped = req.key_wrapping_specification.is_some();
    if !wrapped && attrs::value(&stored, names::SENSITIVE)? == Some(Value::Boolean(true)) {
        return Err(OpError::Sensitive(uid));
    }
    let mut object = material::unseal(ctx.keyring, &uid, sealed)?;
    // Registered wrapped: served as registered unless the client asks for it in clear.
    if req.key_wrap_type == Some(KeyWrapType::NOT_WRAPPED) && super::key_wrap::is_wrapped(&object) {
        object = super::key_wrap::unwrapped(ctx, &uid, object).await?;
    }
    let object = material::in_format(object, req.key_format_type)?;
    let object = match &req.key_wrapping_specification {
        Some(spec) => super::key_wrap::wrapped(ctx, &uid, object, spec).await?,
        None => object,
    };
    // Without quorum the write would only wait out its bound.
    if ctx.stale.is_none() && attrs::value(&stored, names::FRESH)? == Some(Value::Boolean(true)) {
        // Served once: no longer Fresh (KMIP 1.4 §3.46) — one write per object, ever. Best
        // effort: a node without quorum still serves keys from its own copy, and while the
        // cluster elects a leader the key is served after at most FRESH_WAIT, the write
        // finishing (or failing) on its own.
        let store = std::sync::Arc::clone(ctx.store);
        let cmd = Command::ChangeAttributes {
            uid: uid.clone(),
            changes: vec![AttributeChange::Set {
                name: names::FRESH.to_owned(),
                value: attrs::encode(&Value::Boolean(false))?,
            }],
        };
        let task_uid = uid.clone();
        let write = tokio::spawn(async move {
            if let Err(e) = store.write(cmd).await {
                tracing::warn!(uid = %task_uid, error = %e, "served while the cluster could not record it (Fresh stays true)");
            }
        });
        if tokio::time::timeout(FRESH_WAIT, write).await.is_err() {
            tracing::info!(%uid, "serving before the cluster recorded that the key is no longer Fresh");
        }
    }
    // Debug: the audit log records every Get; a line per Get at info would cost a write each.
    tracing::debug!(client = %ctx.client.fingerprint, %uid, "object served");
    Ok(ResponsePayload::Get(GetResponse {
        object_type: ObjectType(stored.object_type),
        unique_identifier: UniqueIdentifier::Text(uid),
        object,
    }))
}
