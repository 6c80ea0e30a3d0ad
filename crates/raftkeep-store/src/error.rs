//! Store errors and their conversion into openraft's storage errors.

use openraft::{ErrorSubject, ErrorVerb, StorageError, StorageIOError};

use crate::NodeId;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("RocksDB: {0}")]
    Db(#[from] rocksdb::Error),
    /// A stored value does not decode: the data directory is damaged or from another version.
    #[error("stored {what} does not decode: {source}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Why.
        #[source]
        source: crate::codec::CodecError,
    },
    /// A column family is missing: the data directory was not created by this version.
    #[error("column family {0} is missing")]
    MissingColumnFamily(&'static str),
    /// File I/O (snapshots).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// This node's root key does not open the cluster's key-check value: it must not serve.
    #[error(
        "this node's root key is not the cluster's: {0}; refusing to start (check the root key file or variable)"
    )]
    WrongRootKey(#[source] raftkeep_seal::SealError),
    /// A snapshot file (received or on disk) is damaged or cut short.
    #[error("snapshot file is damaged: {0}")]
    BadSnapshot(&'static str),
    /// A backup file is damaged, cut short, changed, or not a backup.
    #[error("backup file: {0}")]
    BadBackup(String),
    /// A backup chunk does not seal or open with the root key.
    #[error("backup file: {what}: {source}")]
    BackupSeal {
        /// What was being sealed or opened.
        what: String,
        /// Why.
        #[source]
        source: raftkeep_seal::SealError,
    },
    /// A blocking task did not finish.
    #[error("background storage task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The openraft form, naming what was being done to what.
    pub fn into_storage(
        self,
        subject: ErrorSubject<NodeId>,
        verb: ErrorVerb,
    ) -> StorageError<NodeId> {
        StorageIOError::new(subject, verb, openraft::AnyError::new(&self)).into()
    }
}

/// Shorthand for converting errors while reading or writing the log.
pub(crate) fn log_err(verb: ErrorVerb) -> impl FnOnce(StoreError) -> StorageError<NodeId> {
    move |e| e.into_storage(ErrorSubject::Logs, verb)
}

/// Shorthand for converting errors while reading or writing the state machine.
pub(crate) fn sm_err(verb: ErrorVerb) -> impl FnOnce(StoreError) -> StorageError<NodeId> {
    move |e| e.into_storage(ErrorSubject::StateMachine, verb)
}
