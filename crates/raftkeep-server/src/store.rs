//! What the engine needs from the replicated key store, as a trait so the engine can be
//! driven by a real node (`raftkeep-node`) or by an in-process store in tests.
//!
//! One rule (docs/architecture.md, "Consistency"): a request that touches stored objects first
//! asks the store for a [`View`]. The store returns once this node's copy holds every write
//! acknowledged before the request arrived (a read index), or, where no leader can confirm
//! that, says how stale the copy may be — or refuses. Then the operation reads the copy,
//! decides, and commits; whatever depends on the current state is decided again when the
//! command is applied, in log order.

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

    /// The names of the client groups this client identity belongs to.
    fn groups_of(&self, identity: &str) -> Result<Vec<String>, StoreFailure>;

    /// How far a Name must be unique (the cluster's setting; KMIP's domain by default).
    fn name_scope(&self) -> Result<raftkeep_store::NameScope, StoreFailure> {
        Ok(raftkeep_store::NameScope::Domain)
    }

    /// Commits a command through the leader; when it returns, this node's copy has it.
    fn write(&self, cmd: Command) -> StoreFuture<'_, CommandResult>;

    /// Waits until this node's copy may answer a request that reads stored objects (and, for
    /// [`Purpose::Write`], changes them). A store that is always current (tests, a single
    /// process) need not say.
    fn view(&self, purpose: Purpose) -> StoreFuture<'_, View> {
        let _ = purpose;
        Box::pin(std::future::ready(Ok(View::Current)))
    }
}

/// What a request will do with stored objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Read them only (Get, Get Attributes, Locate, the cryptographic operations).
    Read,
    /// Change them: it needs a current copy and a leader to commit through.
    Write,
}

/// How current this node's copy is for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// It holds every write acknowledged before the request arrived (linearizable).
    Current,
    /// No leader could confirm it (an election, or this node cut off); it last heard from a
    /// leader `stale_by` ago. Reads of Active objects only, each counted and audited (DESIGN.md
    /// invariant 6).
    Stale {
        /// Time since this node last heard from a leader.
        stale_by: Duration,
    },
}

/// Why the store could not serve a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreFailure {
    /// The cluster cannot serve this request through this node now (no quorum, no leader,
    /// leader unreachable, copy too stale); another server may. A client that declared it
    /// understands Raftkeep's "unavailable" mark gets General Failure with it; any other
    /// client sees the connection closed, as from a server that is down.
    #[error("the cluster cannot serve this request now: {0}")]
    Unavailable(String),
    /// The node's own storage failed.
    #[error("storage failure on this node: {0}")]
    Internal(String),
}
