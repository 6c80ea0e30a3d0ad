//! Which cluster a node belongs to, carried on every Raft RPC: a node refuses Raft traffic
//! from a node of another cluster. After a restore or a recovery (a new cluster id), nodes of
//! the old cluster that come back with their data cannot pull the new cluster's nodes back:
//! a higher term from them would otherwise make a new node step down and take the old log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use raftkeep_store::StateMachine;
use tonic::Status;

/// The metadata key of the sender's cluster id.
const HEADER: &str = "raftkeep-cluster-id";

/// This node's cluster id, read from its store until there is one (a new node has none until
/// it is initialized or receives a snapshot), then kept: it changes only offline.
#[derive(Debug, Clone, Default)]
pub struct ClusterIdentity {
    sm: Option<StateMachine>,
    known: Arc<OnceLock<String>>,
    refused: Arc<AtomicU64>,
}

impl ClusterIdentity {
    /// The identity recorded in this store.
    pub fn of(sm: StateMachine) -> Self {
        ClusterIdentity {
            sm: Some(sm),
            ..Default::default()
        }
    }

    /// The cluster id, once the store has one.
    pub fn get(&self) -> Option<&str> {
        if let Some(id) = self.known.get() {
            return Some(id);
        }
        let id = self.sm.as_ref()?.cluster_id().ok().flatten()?;
        Some(self.known.get_or_init(|| id))
    }

    /// Marks an outgoing request with this node's cluster id.
    pub(crate) fn stamp<T>(&self, request: &mut tonic::Request<T>) {
        if let Some(value) = self.get().and_then(|id| id.parse().ok()) {
            request.metadata_mut().insert(HEADER, value);
        }
    }

    /// Refuses a request from a node of another cluster (both must have an id: nodes of
    /// clusters made before cluster ids, and new nodes, are not checked).
    pub(crate) fn check<T>(&self, request: &tonic::Request<T>) -> Result<(), Status> {
        let theirs = request.metadata().get(HEADER).and_then(|v| v.to_str().ok());
        let (Some(theirs), Some(ours)) = (theirs, self.get()) else {
            return Ok(());
        };
        if theirs == ours {
            return Ok(());
        }
        let n = self.refused.fetch_add(1, Ordering::Relaxed);
        // Heartbeats repeat many times a second: log the first and then ever more rarely.
        if n.is_power_of_two() || n == 0 {
            tracing::warn!(
                ours,
                theirs,
                refused = n + 1,
                "refusing Raft traffic from a node of another cluster (an old node back after a restore or recovery? stop it and empty its data directory)"
            );
        }
        Err(Status::failed_precondition(format!(
            "this node belongs to cluster {ours}, the sender to cluster {theirs}"
        )))
    }
}
