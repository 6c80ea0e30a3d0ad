//! Raftkeep's replicated key store: the managed-object model, the commands that change it, and
//! the Raft log and state machine kept in RocksDB (openraft's storage v2 traits).
//!
//! Invariants this crate upholds (DESIGN.md §3):
//! - Key material enters a [`Command`] already sealed ([`raftkeep_seal`]); neither the log, the
//!   state machine nor a snapshot holds it in clear.
//! - Apply is deterministic: identifiers, timestamps and key material are chosen before a
//!   command is proposed; apply only checks preconditions and writes.
//! - A log entry is reported durable only after RocksDB has synced it, and a vote before it is
//!   answered (see the comments at each `sync`).
//!
//! The network around it (Raft over gRPC, forwarding, cluster management) is `raftkeep-net`;
//! the running node is `raftkeep-node`.
//!
//! # Layout
//!
//! - [`model`] — [`StoredObject`], its attributes and sealed material.
//! - [`command`] — [`Command`] and [`CommandResult`], the replicated mutations.
//! - [`codec`] — the binary encoding of stored values and Raft messages.
//! - [`db`] — opening RocksDB with one column family per concern, LZ4-compressed.
//! - [`disk`] — [`DiskSpace`]: free space against the reserve below which a node takes no
//!   writes.
//! - [`log_store`] — [`LogStore`]: the Raft log, vote and committed index.
//! - [`state_machine`] — [`StateMachine`]: objects, secondary indexes, client allow-list.
//! - [`node`] — [`RaftNode`]: writes that fail fast, linearizable reads, local reads that
//!   report their staleness, [`NodeError`].
//! - [`snapshot`] — streaming snapshot files.
//! - [`backup`] — backup files: a consistent copy of the state, sealed with the root key.
//! - [`new_cluster`] — a new one-node cluster from a restored backup or a survivor's store.
//! - [`watermark`] — [`CommitWatermark`]: the highest commit a node has let out, for read
//!   indexes taken without a call into the Raft core.
//! - [`error`] — [`StoreError`].

pub mod backup;
pub mod codec;
pub mod command;
pub mod db;
pub mod disk;
pub mod error;
pub mod log_store;
pub mod model;
pub mod new_cluster;
pub mod node;
pub mod snapshot;
pub mod state_machine;
pub mod watermark;

pub use command::{AttributeChange, Command, CommandResult, NameScope, OwnershipMove};
pub use disk::DiskSpace;
pub use error::StoreError;
pub use log_store::LogStore;
pub use model::{
    ClientGroup, ClientIdentity, Material, StoredAttribute, StoredObject, TrustedIssuer,
};
pub use node::{LocalReadInfo, NodeError, RaftNode};
pub use state_machine::StateMachine;
pub use watermark::CommitWatermark;

/// A Raft node's identifier.
pub type NodeId = u64;

openraft::declare_raft_types!(
    /// The openraft type configuration of a Raftkeep cluster.
    pub TypeConfig:
        D = Command,
        R = CommandResult,
        NodeId = NodeId,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = tokio::fs::File,
        AsyncRuntime = openraft::TokioRuntime,
);
