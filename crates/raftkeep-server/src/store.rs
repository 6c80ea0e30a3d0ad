//! What the engine needs from the replicated key store, as a trait so the engine can be
//! driven by a real node (`raftkeep-node`) or by an in-process store in tests.
//!
//! Reads are served from the node's own copy; writes are committed through the leader and
//! are visible in that copy when [`KeyStore::write`] returns.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use raftkeep_store::{Command, CommandResult, StoredObject};

/// A future a [`KeyStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreFailure>> + Send + 'a>>;

/// The replicated key store, as one node sees it.
pub trait KeyStore: Send + Sync + 'static {
    /// The object with this UID, from this node's copy.
    fn object(&self, uid: &str) -> Result<Option<StoredObject>, StoreFailure>;

    /// The UIDs a secondary index lists (see `raftkeep_store::command::index_keys`).
    fn lookup(&self, kind: &str, value: &[u8]) -> Result<Vec<String>, StoreFailure>;

    /// Up to `limit` objects with UIDs after `after`, in UID order (a scan in pages).
    fn objects_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreFailure>;

    /// The object as the leader has it, asked when this node's copy lacks it: a client that
    /// wrote through another node finds its object here at once. `Ok(None)`: absent
    /// everywhere; an error when the leader cannot be asked.
    fn object_from_leader(&self, uid: &str) -> StoreFuture<'_, Option<StoredObject>>;

    /// The names of the client groups this certificate fingerprint belongs to.
    fn groups_of(&self, fingerprint: &str) -> Result<Vec<String>, StoreFailure>;

    /// Commits a command through the leader; when it returns, this node's copy has it.
    fn write(&self, cmd: Command) -> StoreFuture<'_, CommandResult>;

    /// How this node may serve reads now. A store that is always current (tests, a single
    /// process) need not say.
    fn read_mode(&self) -> ReadMode {
        ReadMode::Current
    }

    /// Waits, at most the node's write bound, until this node hears from a leader (asked when
    /// [`KeyStore::read_mode`] is [`ReadMode::NoLeaderYet`]).
    fn wait_for_leader(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// How a node may serve reads now (DESIGN.md §2 invariant 6: reads survive a lost quorum
/// only where the operator allows it, with bounded staleness, counted and audited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// In touch with a leader: reads come from this node's copy.
    Current,
    /// Cut off from the leader for `stale_by`, and bounded-staleness reads are allowed: Get,
    /// Get Attributes, Get Attribute List and Locate of Active keys only.
    Stale {
        /// Time since this node last heard from a leader.
        stale_by: Duration,
    },
    /// No leader heard since this node started (the cluster is starting, or an election is
    /// under way): worth waiting for one, as a write would, before deciding.
    NoLeaderYet,
    /// Cut off, and reads are not allowed (or the copy is staler than allowed): every
    /// operation on stored objects is answered "unavailable", so the client tries another
    /// server. Says why.
    Refuse(String),
}

/// Why the store could not serve a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreFailure {
    /// The cluster cannot commit now (no quorum, no leader, leader unreachable); another
    /// server may be able to. Answered as General Failure with Raftkeep's "unavailable"
    /// Message Extension, which tells a client to try the next server.
    #[error("the cluster cannot serve this request now: {0}")]
    Unavailable(String),
    /// The node's own storage failed.
    #[error("storage failure on this node: {0}")]
    Internal(String),
}
