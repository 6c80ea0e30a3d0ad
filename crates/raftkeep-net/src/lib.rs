//! Raft over gRPC between Raftkeep nodes (tonic): the client side openraft uses to reach its
//! peers ([`GrpcNetwork`]) and the service that hands incoming RPCs to the local node's Raft
//! ([`RaftService`]). Messages travel as openraft's own serde types in JSON
//! (`proto/raftkeep/raft.proto`), and remote Raft errors come back typed.
//!
//! Not yet here (issue #3 continues): mutual TLS with the cluster CA, forwarding of client
//! writes to the leader, the admin API.
//!
//! # Layout
//!
//! - [`client`] — [`GrpcNetwork`], the openraft `RaftNetworkFactory`.
//! - [`server`] — [`RaftService`], the tonic service.

pub mod client;
pub mod server;

pub use client::GrpcNetwork;
pub use server::RaftService;
