//! openraft's own storage test suite against the RocksDB log store and state machine.

#![allow(clippy::unwrap_used, reason = "test")]

use openraft::StorageError;
use openraft::testing::{StoreBuilder, Suite};
use raftkeep_store::{LogStore, NodeId, StateMachine, TypeConfig, db};

/// Builds a fresh store in a temporary directory, removed when the test is done.
struct TempStore;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for TempStore {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<NodeId>> {
        let dir = tempfile::tempdir().unwrap();
        let db = db::open(&dir.path().join("db")).unwrap();
        let sm = StateMachine::new(db.clone(), dir.path().join("snapshots")).unwrap();
        Ok((dir, LogStore::new(db), sm))
    }
}

#[test]
fn openraft_storage_suite_passes_on_rocksdb() {
    Suite::test_all(TempStore).unwrap();
}
