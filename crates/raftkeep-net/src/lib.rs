//! The network of a Raftkeep cluster, all gRPC (tonic) over mutual TLS with the cluster CA:
//! Raft between nodes ([`GrpcNetwork`] and [`RaftService`]), the cluster management API behind
//! `raftkeep cluster` ([`ClusterService`], [`Peer`]), the forwarding of writes from a follower
//! to the leader ([`Forwarder`]), and the read index that lets every node serve linearizable
//! reads from its own copy ([`ReadIndex`]). openraft's messages and
//! the store's commands travel as their own serde types, encoded by `raftkeep_store::codec`
//! (`proto/raftkeep/`); remote errors come back typed.
//!
//! # Layout
//!
//! - [`tls`] — [`ClusterTls`]: the cluster identity, server and client TLS settings.
//! - [`channel`] — lazily connected channels to peers.
//! - [`client`] — [`GrpcNetwork`], the openraft `RaftNetworkFactory`.
//! - [`clock`] — clock skew between nodes: measured, exported, warned about.
//! - [`server`] — [`RaftService`], the Raft RPCs into the local node.
//! - [`identity`] — [`ClusterIdentity`]: Raft traffic stays within one cluster.
//! - [`roles`] — [`Role`], [`RoleCheck`]: the cluster endpoint serves nodes and operators,
//!   never KMIP clients.
//! - [`admin`] — [`ClusterService`]: init, status, membership, forwarded writes and reads.
//! - [`peer`] — [`Peer`]: a typed client of another node's `Cluster` service.
//! - [`forward`] — [`Forwarder`]: writes served here or forwarded to the leader.
//! - [`read_index`] — [`ReadIndex`]: linearizable reads from a node's own copy, batched, with
//!   a leader lease.
//! - [`read`] — the read request and reply.
//! - [`backup`] — online backups streamed from any node.
//! - `rotate` — root-key rotation, run by the leader.
//! - `transfer` — leadership transfer (openraft 0.9 has none).
//! - [`placement`] — the leader hands over to a preferred voter, or away from a full disk.
//! - [`error`] — [`NetError`].

pub mod admin;
pub mod backup;
pub mod channel;
pub mod client;
pub mod clock;
pub mod error;
pub mod forward;
pub mod identity;
pub mod peer;
pub mod placement;
pub mod read;
pub mod read_index;
pub mod roles;
mod rotate;
pub mod server;
pub mod tls;
mod transfer;

pub use admin::ClusterService;
pub use channel::Dial;
pub use client::GrpcNetwork;
pub use error::NetError;
pub use forward::Forwarder;
pub use identity::ClusterIdentity;
pub use peer::Peer;
pub use read::{AllowListEntries, Consistency, ReadReply, ReadRequest};
pub use read_index::{BarrierError, ReadIndex, ReadSettings};
pub use roles::{Role, RoleCheck};
pub use server::RaftService;
pub use tls::{ClusterTls, TlsFiles};
