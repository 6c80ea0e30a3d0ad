//! What the engine needs from the replicated key store, as a trait so the engine can be
//! driven by a real node (`raftkeep-node`) or by an in-process store in tests.
//!
//! Reads are served from the node's own copy; writes are committed through the leader and
//! are visible in that copy when [`KeyStore::write`] returns.

use std::future::Future;
use std::pin::Pin;

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
