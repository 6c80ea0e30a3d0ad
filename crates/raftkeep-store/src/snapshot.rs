//! Snapshots as files, built and installed as streams: one JSON header line with the snapshot
//! meta, then one line per key of the state machine's column families. Building iterates a
//! RocksDB snapshot into the file, installing reads the file line by line into write batches,
//! so neither holds the whole store in memory.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use openraft::storage::RaftSnapshotBuilder;
use openraft::{
    BasicNode, ErrorVerb, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership,
};
use rocksdb::{IteratorMode, WriteBatch, WriteOptions};
use serde::{Deserialize, Serialize};

use crate::db::{CF_SM_META, SNAPSHOT_CFS, cf, to_json};
use crate::error::sm_err;
use crate::state_machine::{KEY_LAST_APPLIED, KEY_MEMBERSHIP, StateMachine};
use crate::{NodeId, StoreError, TypeConfig};

const CURRENT: &str = "current.snap";
const INCOMING: &str = "incoming.snap";
const BUILDING: &str = "building.snap";
/// Keys written per batch while installing.
const BATCH: usize = 1000;

type Meta = SnapshotMeta<NodeId, BasicNode>;

#[derive(Serialize, Deserialize)]
struct Header {
    meta: Meta,
}

/// One key of a snapshot: column family (index into [`SNAPSHOT_CFS`]), key, value.
#[derive(Serialize, Deserialize)]
struct Line(
    usize,
    #[serde(with = "hex::serde")] Vec<u8>,
    #[serde(with = "hex::serde")] Vec<u8>,
);

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

/// The snapshot directory of a node.
#[derive(Debug, Clone)]
pub struct SnapshotFiles {
    dir: PathBuf,
}

impl SnapshotFiles {
    pub(crate) fn new(dir: PathBuf) -> Result<Self, StoreError> {
        std::fs::create_dir_all(&dir).map_err(io(format!("cannot create {}", dir.display())))?;
        Ok(SnapshotFiles { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A fresh file for a snapshot being received from the leader.
    pub(crate) async fn incoming(&self) -> Result<tokio::fs::File, StoreError> {
        let path = self.path(INCOMING);
        // Read as well as write: the file is read back when the snapshot is installed.
        tokio::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .map_err(io(format!("cannot create {}", path.display())))
    }

    /// The latest snapshot, built here or installed from the leader.
    pub(crate) async fn current(&self) -> Result<Option<Snapshot<TypeConfig>>, StoreError> {
        let path = self.path(CURRENT);
        if !tokio::fs::try_exists(&path)
            .await
            .map_err(io(format!("cannot stat {}", path.display())))?
        {
            return Ok(None);
        }
        let meta = read_header(&path)?;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(io(format!("cannot open {}", path.display())))?;
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(file),
        }))
    }
}

fn read_header(path: &Path) -> Result<Meta, StoreError> {
    let file = File::open(path).map_err(io(format!("cannot open {}", path.display())))?;
    let mut line = String::new();
    BufReader::new(file)
        .read_line(&mut line)
        .map_err(io(format!("cannot read {}", path.display())))?;
    let header: Header = serde_json::from_str(&line).map_err(|source| StoreError::Corrupt {
        what: "snapshot header",
        source,
    })?;
    Ok(header.meta)
}

/// Builds snapshots of a state machine.
#[derive(Debug)]
pub struct SnapshotBuilder {
    sm: StateMachine,
}

impl SnapshotBuilder {
    pub(crate) fn new(sm: StateMachine) -> Self {
        SnapshotBuilder { sm }
    }
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, StorageError<NodeId>> {
        let sm = self.sm.clone();
        tokio::task::spawn_blocking(move || build(&sm))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))
            .and_then(|r| r)
            .map_err(sm_err(ErrorVerb::Write))?;
        self.sm
            .snapshots
            .current()
            .await
            .map_err(sm_err(ErrorVerb::Read))?
            .ok_or_else(|| {
                StoreError::Task("snapshot vanished after it was built".into())
                    .into_storage(openraft::ErrorSubject::StateMachine, ErrorVerb::Read)
            })
    }
}

fn build(sm: &StateMachine) -> Result<(), StoreError> {
    let db = &sm.db;
    // Durability: applied entries are written without sync; once a snapshot exists the log
    // before it may be purged, so the state it describes must be on disk first.
    db.flush_wal(true)?;
    let snap = db.snapshot();
    let meta_cf = cf(db, CF_SM_META)?;
    let last_log_id: Option<LogId<NodeId>> = match snap.get_cf(meta_cf, KEY_LAST_APPLIED)? {
        Some(b) => serde_json::from_slice(&b).map_err(|source| StoreError::Corrupt {
            what: "last applied log id",
            source,
        })?,
        None => None,
    };
    let last_membership: StoredMembership<NodeId, BasicNode> =
        match snap.get_cf(meta_cf, KEY_MEMBERSHIP)? {
            Some(b) => serde_json::from_slice(&b).map_err(|source| StoreError::Corrupt {
                what: "membership",
                source,
            })?,
            None => StoredMembership::default(),
        };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let snapshot_id = format!("{}-{stamp}", last_log_id.map(|l| l.index).unwrap_or(0));
    let meta = Meta {
        last_log_id,
        last_membership,
        snapshot_id,
    };

    let mut out = SnapshotWriter::create(&sm.snapshots, &meta)?;
    for (i, name) in SNAPSHOT_CFS.iter().enumerate() {
        for item in snap.iterator_cf(cf(db, name)?, IteratorMode::Start) {
            let (k, v) = item?;
            out.line(&to_json(&Line(i, k.to_vec(), v.to_vec()), "snapshot line")?)?;
        }
    }
    out.make_current()
}

/// Replaces the state machine's data with the snapshot's, then makes it the current snapshot.
pub(crate) async fn install(
    sm: &StateMachine,
    meta: &Meta,
    file: tokio::fs::File,
) -> Result<(), StoreError> {
    let std_file = file.into_std().await;
    let sm2 = sm.clone();
    let meta2 = meta.clone();
    tokio::task::spawn_blocking(move || install_blocking(&sm2, &meta2, std_file))
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

fn install_blocking(sm: &StateMachine, meta: &Meta, mut file: File) -> Result<(), StoreError> {
    let db = &sm.db;
    file.seek(SeekFrom::Start(0))
        .map_err(io("cannot rewind the received snapshot"))?;
    for name in SNAPSHOT_CFS {
        clear(db, name)?;
    }
    // The installed snapshot becomes this node's current one, rewritten under `meta` as its
    // lines are applied (the received header, if any, is the sender's view of the same meta).
    let mut out = SnapshotWriter::create(&sm.snapshots, meta)?;
    let mut batch = WriteBatch::default();
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io("cannot read the received snapshot"))?;
        if n == 0 && serde_json::from_str::<Header>(&line).is_ok() {
            continue;
        }
        let Line(i, k, v) = serde_json::from_str(&line).map_err(|source| StoreError::Corrupt {
            what: "snapshot line",
            source,
        })?;
        let name = SNAPSHOT_CFS.get(i).ok_or(StoreError::MissingColumnFamily(
            "snapshot column family index",
        ))?;
        batch.put_cf(cf(db, name)?, k, v);
        if batch.len() >= BATCH {
            db.write(std::mem::take(&mut batch))?;
        }
        out.line(line.as_bytes())?;
    }
    let sm_meta = cf(db, CF_SM_META)?;
    batch.put_cf(
        sm_meta,
        KEY_LAST_APPLIED,
        to_json(&meta.last_log_id, "last applied log id")?,
    );
    batch.put_cf(
        sm_meta,
        KEY_MEMBERSHIP,
        to_json(&meta.last_membership, "membership")?,
    );
    let mut synced = WriteOptions::default();
    // Durability: after an install the leader stops sending the entries it covers.
    synced.set_sync(true);
    db.write_opt(batch, &synced)?;
    out.make_current()?;
    let incoming = sm.snapshots.path(INCOMING);
    std::fs::remove_file(&incoming)
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(io(format!("cannot remove {}", incoming.display())))
}

/// Writes a snapshot file next to the current one and swaps it in when complete.
struct SnapshotWriter {
    out: BufWriter<File>,
    path: PathBuf,
    current: PathBuf,
}

impl SnapshotWriter {
    /// Starts a snapshot file with its header line.
    fn create(files: &SnapshotFiles, meta: &Meta) -> Result<Self, StoreError> {
        let path = files.path(BUILDING);
        let file = File::create(&path).map_err(io(format!("cannot create {}", path.display())))?;
        let mut w = SnapshotWriter {
            out: BufWriter::new(file),
            path,
            current: files.path(CURRENT),
        };
        w.line(&to_json(&Header { meta: meta.clone() }, "snapshot header")?)?;
        Ok(w)
    }

    /// Appends one line.
    fn line(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.out
            .write_all(bytes)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(io(format!("cannot write {}", self.path.display())))
    }

    /// Syncs the file and makes it the current snapshot.
    fn make_current(self) -> Result<(), StoreError> {
        let path = self.path;
        let file = self.out.into_inner().map_err(|e| StoreError::Io {
            what: format!("cannot write {}", path.display()),
            source: e.into_error(),
        })?;
        // Durability: a snapshot replaces log entries, so it is on disk before it is current.
        file.sync_all()
            .map_err(io(format!("cannot sync {}", path.display())))?;
        std::fs::rename(&path, &self.current)
            .map_err(io(format!("cannot rename to {}", self.current.display())))
    }
}

fn clear(db: &rocksdb::DB, name: &'static str) -> Result<(), StoreError> {
    let handle = cf(db, name)?;
    let mut batch = WriteBatch::default();
    for item in db.iterator_cf(handle, IteratorMode::Start) {
        let (k, _) = item?;
        batch.delete_cf(handle, k);
        if batch.len() >= BATCH {
            db.write(std::mem::take(&mut batch))?;
        }
    }
    db.write(batch)?;
    Ok(())
}
