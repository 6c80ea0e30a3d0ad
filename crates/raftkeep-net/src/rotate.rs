//! Root-key rotation, run by the leader: check that every member holds the new key, record
//! the new key's check value — from then on every node seals new material with it — and
//! re-seal every object's material with it in batches through Raft, pass after pass until a
//! pass finds nothing sealed with an older key. Old blobs stay readable throughout: every
//! member also holds the old key. Until the check value changes, every node seals with the
//! old key, however many were restarted with the new one: no key is sealed with a version a
//! member lacks.

use std::time::Duration;

use raftkeep_proto::cluster::{Member, RotateRootKeyReply};
use raftkeep_seal::{Keyring, SealedBlob};
use raftkeep_store::{Command, Material, NodeError, StateMachine};
use tonic::Status;

use crate::Forwarder;

/// Objects read and re-sealed per Raft entry.
const BATCH: usize = 100;
/// How long a member may take to answer the pre-check.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);
/// Passes over the store before the rotation gives up: a Create sealed on a node that had
/// not yet seen the new check value lands after the pass that would have re-sealed it.
const MAX_PASSES: usize = 5;
/// Time for every node to notice the new check value before the next pass.
const SETTLE: Duration = Duration::from_millis(500);

/// Re-seals everything with `keyring`'s current key; this node must be the leader.
pub(crate) async fn rotate(
    forwarder: &Forwarder,
    keyring: &Keyring,
    members: &[Member],
) -> Result<RotateRootKeyReply, Status> {
    let version = keyring.current();
    check_members(forwarder, version.0, members).await?;
    let blob = keyring
        .key_check()
        .map_err(|e| Status::internal(e.to_string()))?;
    forwarder
        .node()
        .write(Command::SetKeyCheck {
            blob: blob.as_bytes().to_vec(),
        })
        .await
        .map_err(|e| node_status(&e))?;
    tracing::info!(
        key_version = version.0,
        "root-key rotation: the cluster seals with the new key"
    );
    let sm = forwarder.node().state_machine().clone();
    let (mut resealed, mut already_current) = (0_u64, 0_u64);
    for pass in 1..=MAX_PASSES {
        tokio::time::sleep(SETTLE).await;
        let (n, current) = reseal_pass(forwarder, keyring, &sm).await?;
        resealed += n;
        if pass == 1 {
            already_current = current;
        }
        if n == 0 {
            tracing::info!(
                resealed,
                already_current,
                key_version = version.0,
                "root-key rotation done: every object is sealed with the new key"
            );
            return Ok(RotateRootKeyReply {
                root_key_version: version.0,
                resealed,
                already_current,
            });
        }
    }
    Err(Status::aborted(format!(
        "objects sealed with an older root key kept appearing after {MAX_PASSES} passes ({resealed} re-sealed): run rotate-root-key again; keep the old key until it completes"
    )))
}

/// One pass over the store: every blob sealed with another version than the current one is
/// re-sealed. How many were, and how many were current already.
async fn reseal_pass(
    forwarder: &Forwarder,
    keyring: &Keyring,
    sm: &StateMachine,
) -> Result<(u64, u64), Status> {
    let version = keyring.current();
    let (mut resealed, mut already_current) = (0_u64, 0_u64);
    let mut after: Option<String> = None;
    loop {
        let page = sm
            .objects_after(after.as_deref(), BATCH)
            .map_err(|e| Status::internal(e.to_string()))?;
        let Some(last) = page.last() else { break };
        after = Some(last.uid.clone());
        let mut batch = Vec::new();
        for object in &page {
            let Material::Sealed(bytes) = &object.material else {
                continue;
            };
            let blob = SealedBlob::from_bytes(bytes.clone());
            if blob
                .version()
                .map_err(|e| Status::data_loss(e.to_string()))?
                == version
            {
                already_current += 1;
                continue;
            }
            let new = keyring
                .reseal(&object.uid, &blob)
                .map_err(|e| Status::failed_precondition(format!("object {}: {e}", object.uid)))?;
            batch.push((object.uid.clone(), new.as_bytes().to_vec()));
        }
        if !batch.is_empty() {
            let n = batch.len() as u64;
            forwarder
                .node()
                .write(Command::Reseal { objects: batch })
                .await
                .map_err(|e| node_status(&e))?;
            resealed += n;
            tracing::info!(
                resealed,
                key_version = version.0,
                "root-key rotation progress"
            );
        }
    }
    Ok((resealed, already_current))
}

/// Every member must seal with `version` already: otherwise it would seal new keys with the
/// old root key, or fail to open re-sealed ones.
async fn check_members(
    forwarder: &Forwarder,
    version: u32,
    members: &[Member],
) -> Result<(), Status> {
    for m in members {
        let peer = forwarder
            .peer(&m.addr)
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let status = peer.status(STATUS_TIMEOUT, false).await.map_err(|e| {
            Status::unavailable(format!(
                "every member must answer before a rotation; node {}: {e}",
                m.id
            ))
        })?;
        if status.root_key_version != version {
            return Err(Status::failed_precondition(format!(
                "node {} seals with root key version {}, the leader with {version}: restart every node with the new key as `root_key` (and the old one under `[[root_key.held]]`) first",
                m.id, status.root_key_version
            )));
        }
    }
    Ok(())
}

fn node_status(e: &NodeError) -> Status {
    Status::unavailable(e.to_string())
}
