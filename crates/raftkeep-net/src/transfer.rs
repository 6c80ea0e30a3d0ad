//! Leadership transfer on openraft 0.9, which has no transfer call: the leader stops its
//! heartbeats (followers' leader leases then run out) and every voter but the target pauses
//! its elections, so the target is the one that stands and wins. Every pause is bounded and
//! lifted at the end, so a transfer that dies half-way leaves a cluster that still elects.

use std::time::Duration;

use raftkeep_store::{NodeId, RaftNode};
use tonic::Status;

use crate::ReadIndex;
use crate::admin::members;

/// How long a transfer may take before it gives up and lifts every pause.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a peer may take to acknowledge a pause.
const PAUSE_CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Pauses this node's elections for `duration` (zero: resume now), lifted by a timer. A node
/// unfit to lead stays out of elections after the pause ([`RaftNode::set_fit_to_lead`]).
pub(crate) fn pause_elections(node: &RaftNode, duration: Duration) {
    if duration.is_zero() {
        node.pause_elections(None);
        return;
    }
    node.pause_elections(Some(std::time::Instant::now() + duration));
    let node = node.clone();
    tokio::spawn(async move {
        tokio::time::sleep(duration).await;
        node.stand();
    });
}

/// Moves leadership from this node (the leader) to `target`. Reads served meanwhile take no
/// heartbeat round (which would renew the followers' leases and keep the target waiting).
pub(crate) async fn transfer(reads: &ReadIndex, target: NodeId) -> Result<(), Status> {
    reads.handing_over(true);
    let moved = hand_over(reads.forwarder(), target).await;
    reads.handing_over(false);
    moved
}

async fn hand_over(forwarder: &crate::Forwarder, target: NodeId) -> Result<(), Status> {
    let node = forwarder.node();
    let m = node.raft().metrics().borrow().clone();
    if target == m.id {
        return Ok(());
    }
    let all = members(&m);
    let Some(to) = all.iter().find(|v| v.id == target && v.voter) else {
        return Err(Status::failed_precondition(format!(
            "node {target} is not a voter"
        )));
    };
    let head = m.last_log_index.unwrap_or(0);
    let matched = m
        .replication
        .as_ref()
        .and_then(|r| r.get(&target).copied().flatten())
        .map_or(0, |l| l.index);
    if matched < head {
        return Err(Status::failed_precondition(format!(
            "node {target} at {} is {} entries behind; retry when it has caught up",
            to.addr,
            head - matched
        )));
    }
    let others: Vec<_> = all
        .iter()
        .filter(|v| v.voter && v.id != target && v.id != m.id)
        .collect();
    for v in &others {
        let peer = forwarder
            .peer(&v.addr)
            .map_err(|e| Status::unavailable(e.to_string()))?;
        // A voter that cannot be paused may win instead of the target; go on regardless.
        if let Err(e) = peer
            .pause_elections(TRANSFER_TIMEOUT, PAUSE_CALL_TIMEOUT)
            .await
        {
            tracing::warn!(node = v.id, error = %e, "could not pause elections for the transfer");
        }
    }
    tracing::info!(target, "transferring leadership");
    pause_elections(node, TRANSFER_TIMEOUT);
    node.raft().runtime_config().heartbeat(false);
    let moved = node
        .raft()
        .wait(Some(TRANSFER_TIMEOUT))
        .metrics(|m| m.current_leader == Some(target), "the target leads")
        .await;
    node.raft().runtime_config().heartbeat(true);
    pause_elections(node, Duration::ZERO);
    for v in &others {
        if let Ok(peer) = forwarder.peer(&v.addr) {
            let _ = peer
                .pause_elections(Duration::ZERO, PAUSE_CALL_TIMEOUT)
                .await;
        }
    }
    moved.map(|_| ()).map_err(|_| {
        Status::deadline_exceeded(format!(
            "node {target} did not take over within {TRANSFER_TIMEOUT:?} (steady writes keep \
             followers' leases alive); elections are enabled again everywhere"
        ))
    })
}
