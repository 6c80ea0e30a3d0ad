//! Generated gRPC client and server code for Raftkeep's node-to-node protocol; the `.proto`
//! files live in `proto/` at the repository root.
//!
//! # Layout
//!
//! - [`raft`] — the Raft transport service (`proto/raftkeep/raft.proto`).
//! - [`cluster`] — cluster management and forwarding (`proto/raftkeep/cluster.proto`).

/// The Raft transport: `Raft` service, `RaftMessage`.
#[allow(
    unreachable_pub,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "generated code"
)]
pub mod raft {
    tonic::include_proto!("raftkeep.raft.v1");
}

/// Cluster management and forwarding: `Cluster` service.
#[allow(
    unreachable_pub,
    missing_debug_implementations,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "generated code"
)]
pub mod cluster {
    tonic::include_proto!("raftkeep.cluster.v1");
}
