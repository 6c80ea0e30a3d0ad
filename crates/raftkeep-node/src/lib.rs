//! A running Raftkeep node, as `raftkeep server` starts it: the configuration file, the
//! start-up checks (a root key that does not open the cluster's key check value stops the
//! node before it serves anything), Raft on the RocksDB store, and the gRPC server carrying
//! Raft, cluster management and forwarded requests over mutual TLS. The KMIP listener joins it
//! with the server issue.
//!
//! # Layout
//!
//! - [`config`] — [`NodeConfig`], the TOML file.
//! - [`start`] — [`start`] and [`RunningNode`].
//! - [`error`] — [`NodeStartError`].

pub mod config;
pub mod error;
pub mod start;

pub use config::NodeConfig;
pub use error::NodeStartError;
pub use start::{RunningNode, start};
