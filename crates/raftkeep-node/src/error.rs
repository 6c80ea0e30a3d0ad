//! Why a node could not start, or stopped.

use std::path::PathBuf;

/// A start-up or run-time failure of a node; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum NodeStartError {
    /// The configuration file could not be read.
    #[error("cannot read the configuration {}: {source}", path.display())]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The configuration is invalid.
    #[error("invalid configuration {}: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The command that fetches the root key failed.
    #[error("root key command `{command}`: {reason}")]
    RootKeyCommand {
        /// The command as configured.
        command: String,
        /// What went wrong (never the command's output).
        reason: String,
    },
    /// The root key could not be loaded.
    #[error("cannot load the root key: {0}")]
    RootKey(#[source] raftkeep_seal::SealError),
    /// A data directory that does not suit an offline operation (restore, recover).
    #[error("data directory {}: {reason}", path.display())]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The store could not be opened or read (or a backup file, named by `path`).
    #[error("store in {}: {source}", path.display())]
    Store {
        /// The data directory.
        path: PathBuf,
        /// The store's error.
        source: raftkeep_store::StoreError,
    },
    /// The root key does not open the cluster's key check value: this node would serve keys it
    /// cannot decrypt, so it refuses to run.
    #[error(
        "the root key of this node is not the cluster's root key (it does not open the cluster's key check value); refusing to serve. Give this node the same root key as the other nodes"
    )]
    WrongRootKey,
    /// One of the node's own certificates is unusable: unreadable, expired, not yet valid,
    /// or not matching its private key. Checked at start-up, before anything listens.
    #[error("{role} certificate {}: {reason}", path.display())]
    Certificate {
        /// Which identity: "cluster" (node-to-node) or "KMIP" (towards clients).
        role: &'static str,
        /// The certificate file.
        path: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// The cluster identity could not be loaded.
    #[error(transparent)]
    Tls(#[from] raftkeep_net::NetError),
    /// The gRPC listener could not be opened or failed.
    #[error("cluster endpoint {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The KMIP listener could not start.
    #[error(transparent)]
    Kmip(#[from] raftkeep_server::ServerError),
    /// The audit log cannot be opened, or its chain is broken (the node does not append to
    /// a log that was tampered with; move it aside after investigating).
    #[error(transparent)]
    Audit(#[from] raftkeep_server::audit::AuditError),
    /// Raft could not start or stopped with an error.
    #[error("raft: {0}")]
    Raft(String),
}
