//! The Raft log, vote and committed log id in RocksDB (openraft `RaftLogStorage`).

use std::fmt::Debug;
use std::ops::RangeBounds;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Weak};

use openraft::storage::{LogFlushed, RaftLogStorage};
use openraft::{
    Entry, ErrorVerb, LogId, LogState, OptionalSend, RaftLogReader, StorageError, Vote,
};
use rocksdb::{DB, Direction, IteratorMode, WriteBatch, WriteOptions};

use crate::db::{CF_LOG, CF_META, cf, decode, encode, get_decoded};
use crate::error::log_err;
use crate::{NodeId, StoreError, TypeConfig};

pub(crate) const KEY_VOTE: &[u8] = b"vote";
pub(crate) const KEY_COMMITTED: &[u8] = b"committed";
pub(crate) const KEY_LAST_PURGED: &[u8] = b"last_purged";

/// The Raft log of one node. Cheap to clone: clones share the database and the WAL syncer.
#[derive(Debug, Clone)]
pub struct LogStore {
    db: Arc<DB>,
    /// Group commit: appended entries are written at once (so they are readable) and reported
    /// durable by the syncer thread after one WAL sync that covers every append queued
    /// meanwhile. `None` if the thread could not be started: each append then syncs itself.
    syncer: Option<Sender<LogFlushed<TypeConfig>>>,
    /// Raised with every committed log id saved (see [`crate::CommitWatermark`]).
    committed: crate::CommitWatermark,
}

/// Writes that must reach the disk before they are acknowledged.
fn synced() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(true);
    w
}

fn index_key(index: u64) -> [u8; 8] {
    index.to_be_bytes()
}

/// The highest log index this node knows to be committed (as last saved by openraft; it may
/// trail the in-memory value by an entry or two). For status reports: openraft 0.9's metrics
/// do not carry it.
pub fn committed_index(db: &DB) -> Result<Option<u64>, StoreError> {
    let v: Option<Option<LogId<NodeId>>> =
        get_decoded(db, CF_META, KEY_COMMITTED, "committed log id")?;
    Ok(v.flatten().map(|l| l.index))
}

impl LogStore {
    /// The log store over an open database (see [`crate::db::open`]).
    pub fn new(db: Arc<DB>) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let weak = Arc::downgrade(&db);
        let syncer = std::thread::Builder::new()
            .name("raft-log-sync".into())
            .spawn(move || sync_loop(&weak, &rx))
            .map_err(
                |e| tracing::warn!(error = %e, "no WAL sync thread; every append syncs itself"),
            )
            .ok()
            .map(|_| tx);
        LogStore {
            db,
            syncer,
            committed: crate::CommitWatermark::default(),
        }
    }

    /// The same store, raising `committed` with every commit it saves.
    pub fn with_watermark(mut self, committed: crate::CommitWatermark) -> Self {
        self.committed = committed;
        self
    }

    fn entries(&self, start: u64, end: Option<u64>) -> Result<Vec<Entry<TypeConfig>>, StoreError> {
        let cf = cf(&self.db, CF_LOG)?;
        let from = index_key(start);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(cf, IteratorMode::From(&from, Direction::Forward))
        {
            let (key, value) = item?;
            let index = key
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or(u64::MAX);
            if end.is_some_and(|e| index >= e) {
                break;
            }
            out.push(decode(&value, "log entry")?);
        }
        Ok(out)
    }

    fn last_entry(&self) -> Result<Option<Entry<TypeConfig>>, StoreError> {
        let cf = cf(&self.db, CF_LOG)?;
        match self.db.iterator_cf(cf, IteratorMode::End).next() {
            Some(item) => {
                let (_, value) = item?;
                decode(&value, "log entry").map(Some)
            }
            None => Ok(None),
        }
    }

    fn put_meta<T: serde::Serialize>(
        &self,
        key: &[u8],
        value: &T,
        opts: &WriteOptions,
    ) -> Result<(), StoreError> {
        let bytes = encode(value, "log metadata")?;
        self.db
            .put_cf_opt(cf(&self.db, CF_META)?, key, bytes, opts)?;
        Ok(())
    }

    fn append_entries(
        &self,
        entries: impl IntoIterator<Item = Entry<TypeConfig>>,
        opts: &WriteOptions,
    ) -> Result<(), StoreError> {
        let cf = cf(&self.db, CF_LOG)?;
        let mut batch = WriteBatch::default();
        for entry in entries {
            batch.put_cf(
                cf,
                index_key(entry.log_id.index),
                encode(&entry, "log entry")?,
            );
        }
        self.db.write_opt(batch, opts)?;
        Ok(())
    }

    fn truncate_sync(&self, from: u64) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        delete_entries_from(&self.db, &mut batch, from)?;
        // Raft safety: conflicting entries removed here must not come back after a restart
        // behind entries appended in their place.
        self.db.write_opt(batch, &synced())?;
        Ok(())
    }

    fn purge_upto(&self, log_id: &LogId<NodeId>) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        batch.put_cf(
            cf(&self.db, CF_META)?,
            KEY_LAST_PURGED,
            encode(log_id, "log metadata")?,
        );
        batch.delete_range_cf(
            cf(&self.db, CF_LOG)?,
            index_key(0),
            index_key(log_id.index.saturating_add(1)),
        );
        // Not synced: purged entries are already covered by a snapshot; if the purge is lost in
        // a crash, the entries are simply purged again.
        self.db.write(batch)?;
        Ok(())
    }
}

/// Adds to `batch` the deletion of every log entry from index `from` on.
pub(crate) fn delete_entries_from(
    db: &DB,
    batch: &mut WriteBatch,
    from: u64,
) -> Result<(), StoreError> {
    let cf = cf(db, CF_LOG)?;
    batch.delete_range_cf(cf, index_key(from), index_key(u64::MAX));
    batch.delete_cf(cf, index_key(u64::MAX));
    Ok(())
}

/// The syncer thread: waits for an append, takes every other one queued meanwhile, syncs the
/// WAL once (which covers all writes made before the sync) and reports them flushed, in order.
/// Holds the database only during a sync, so a closed node's database is not kept open.
fn sync_loop(db: &Weak<DB>, rx: &Receiver<LogFlushed<TypeConfig>>) {
    while let Ok(first) = rx.recv() {
        let group: Vec<_> = std::iter::once(first).chain(rx.try_iter()).collect();
        let result = match db.upgrade() {
            Some(db) => db.flush_wal(true).map_err(|e| e.to_string()),
            None => Err("the database is closed".to_owned()),
        };
        for callback in group {
            callback.log_io_completed(result.clone().map_err(std::io::Error::other));
        }
    }
}

fn bounds(range: &impl RangeBounds<u64>) -> (u64, Option<u64>) {
    use std::ops::Bound;
    let start = match range.start_bound() {
        Bound::Included(s) => *s,
        Bound::Excluded(s) => s.saturating_add(1),
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(e) => Some(e.saturating_add(1)),
        Bound::Excluded(e) => Some(*e),
        Bound::Unbounded => None,
    };
    (start, end)
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<TypeConfig>>, StorageError<NodeId>> {
        let (start, end) = bounds(&range);
        self.entries(start, end).map_err(log_err(ErrorVerb::Read))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError<NodeId>> {
        let last_purged: Option<LogId<NodeId>> =
            get_decoded(&self.db, CF_META, KEY_LAST_PURGED, "last purged log id")
                .map_err(log_err(ErrorVerb::Read))?;
        let last = self
            .last_entry()
            .map_err(log_err(ErrorVerb::Read))?
            .map(|e| e.log_id);
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last.or(last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> Result<(), StorageError<NodeId>> {
        // Raft safety: a node must never grant two votes in one term, so the vote is on disk
        // before it is answered.
        self.put_meta(KEY_VOTE, vote, &synced())
            .map_err(|e| e.into_storage(openraft::ErrorSubject::Vote, ErrorVerb::Write))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<NodeId>>, StorageError<NodeId>> {
        get_decoded(&self.db, CF_META, KEY_VOTE, "vote")
            .map_err(|e| e.into_storage(openraft::ErrorSubject::Vote, ErrorVerb::Read))
    }

    async fn save_committed(
        &mut self,
        committed: Option<LogId<NodeId>>,
    ) -> Result<(), StorageError<NodeId>> {
        // Before anything can yield: from here on the commit may be applied and acknowledged.
        self.committed.raise(committed.as_ref());
        // Not synced: the committed index only saves re-applying entries after a restart.
        self.put_meta(KEY_COMMITTED, &committed, &WriteOptions::default())
            .map_err(log_err(ErrorVerb::Write))
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<NodeId>>, StorageError<NodeId>> {
        let v: Option<Option<LogId<NodeId>>> =
            get_decoded(&self.db, CF_META, KEY_COMMITTED, "committed log id")
                .map_err(log_err(ErrorVerb::Read))?;
        Ok(v.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        // Raft safety: an entry the leader counts toward a majority must survive a crash of
        // this node, so it is reported flushed only once the WAL holding it is synced — by the
        // syncer, for this append and every other one waiting (group commit).
        let opts = match self.syncer {
            Some(_) => WriteOptions::default(),
            None => synced(),
        };
        match self.append_entries(entries, &opts) {
            Ok(()) => {
                match &self.syncer {
                    Some(tx) => {
                        if let Err(unsent) = tx.send(callback) {
                            unsent.0.log_io_completed(Err(std::io::Error::other(
                                "the WAL sync thread has stopped",
                            )));
                        }
                    }
                    None => callback.log_io_completed(Ok(())),
                }
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(e.into_storage(openraft::ErrorSubject::Logs, ErrorVerb::Write))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.truncate_sync(log_id.index)
            .map_err(log_err(ErrorVerb::Delete))
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> Result<(), StorageError<NodeId>> {
        self.purge_upto(&log_id).map_err(log_err(ErrorVerb::Delete))
    }
}
