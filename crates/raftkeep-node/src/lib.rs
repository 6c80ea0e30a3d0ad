//! A running Raftkeep node, as `raftkeep server` starts it: the configuration file, the
//! start-up checks (a root key that does not open the cluster's key check value stops the
//! node before it serves anything), Raft on the RocksDB store, and the gRPC server carrying
//! Raft, cluster management and forwarded requests over mutual TLS, and the KMIP listener on
//! the replicated store, reading through the read index and closed while the node can serve
//! nothing. The node's own certificates are checked before anything listens.
//!
//! # Layout
//!
//! - [`config`] — [`NodeConfig`], the TOML file.
//! - [`start`] — [`start`] and [`RunningNode`].
//! - [`key_command`] — a root key fetched by a command (secret manager, HSM).
//! - [`offline`] — on a stopped node: restore a backup, recover after a lost majority.
//! - [`monitoring`] — `/healthz`, `/readyz`, `/metrics`; Raft's state as gauges.
//! - `reads` — the read policy: what a request gets when no leader confirms the node's copy
//!   (wait, a bounded-stale read, or a refusal), and what the KMIP listener's gate and
//!   `/readyz` say.
//! - [`certs`] — start-up checks of the node's own certificates (validity, key match, role).
//! - `cluster_tls` — the cluster port's TLS, accepted by the node so that a renewed
//!   certificate is presented without a restart.
//! - `disk` — the disk reserve: free space sampled, leadership given up while it is low.
//! - [`shred`] — destroyed material removed from the node's log, snapshot and store files.
//! - [`error`] — [`NodeStartError`].

pub mod certs;
mod cluster_tls;
pub mod config;
#[cfg(test)]
mod config_reference;
mod disk;
pub mod error;
pub mod key_command;
pub mod monitoring;
pub mod offline;
mod reads;
pub mod shred;
pub mod start;

pub use config::NodeConfig;
pub use error::NodeStartError;
pub use start::{RunningNode, start};
