//! Root-key rotation, run by the leader: check that every member holds the new key, re-seal
//! every object's material with it in batches through Raft, then record the new key's check
//! value. Old blobs stay readable throughout: every member also holds the old key.

use std::time::Duration;

use raftkeep_proto::cluster::{Member, RotateRootKeyReply};
use raftkeep_seal::{Keyring, SealedBlob};
use raftkeep_store::{Command, Material, NodeError};
use tonic::Status;

use crate::Forwarder;

/// Objects read and re-sealed per Raft entry.
const BATCH: usize = 100;
/// How long a member may take to answer the pre-check.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

/// Re-seals everything with `keyring`'s current key; this node must be the leader.
pub(crate) async fn rotate(
    forwarder: &Forwarder,
    keyring: &Keyring,
    members: &[Member],
) -> Result<RotateRootKeyReply, Status> {
    let version = keyring.current();
    check_members(forwarder, version.0, members).await?;
    let sm = forwarder.node().state_machine().clone();
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
        resealed,
        already_current,
        key_version = version.0,
        "root-key rotation done"
    );
    Ok(RotateRootKeyReply {
        root_key_version: version.0,
        resealed,
        already_current,
    })
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
