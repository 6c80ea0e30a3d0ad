//! Snapshots as files, built and installed as streams, so neither holds the whole store in
//! memory. Building iterates a RocksDB snapshot into the file; installing reads the file into
//! write batches.
//!
//! # Format
//!
//! One JSON header line with the snapshot meta (readable with `head -1`), then one binary
//! record per key of the state machine's column families — column family (one byte, an index
//! into [`SNAPSHOT_CFS`]), key length (u32, big-endian), key, value length (u32), value — and
//! a trailer record (column family byte 0xFF, then the number of records as u64), so a file
//! cut short is refused rather than installed in part. Values are as stored (still sealed).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use openraft::storage::RaftSnapshotBuilder;
use openraft::{BasicNode, ErrorVerb, Snapshot, SnapshotMeta, StorageError, StoredMembership};
use rocksdb::{IteratorMode, WriteBatch, WriteOptions};
use serde::{Deserialize, Serialize};

use crate::db::{CF_SM_META, SNAPSHOT_CFS, cf, decode, encode};
use crate::error::sm_err;
use crate::state_machine::{KEY_LAST_APPLIED, KEY_MEMBERSHIP, StateMachine};
use crate::{NodeId, StoreError, TypeConfig};

const CURRENT: &str = "current.snap";
const INCOMING: &str = "incoming.snap";
/// A snapshot being written, one file per writer: a snapshot built from this node's state
/// and one installed from the leader may be written at the same time (openraft runs the
/// builder in its own task); sharing one file once interleaved them into a damaged snapshot
/// that this node later sent to others (found by a chaos soak).
const BUILDING: &str = "building.snap";
const INSTALLING: &str = "installing.snap";
/// Keys written per batch while installing.
const BATCH: usize = 1000;
/// The column-family byte of the trailer record.
const TRAILER: u8 = 0xFF;
/// Longest key or value a snapshot record may declare (a damaged length must not make the
/// installer allocate gigabytes).
const MAX_FIELD: u32 = 64 << 20;

type Meta = SnapshotMeta<NodeId, BasicNode>;

#[derive(Serialize, Deserialize)]
struct Header {
    meta: Meta,
    /// The file format: [`FORMAT`]. Absent (0) in the JSON-lines files of earlier versions.
    #[serde(default)]
    format: u32,
}

/// The format this version writes and reads (binary records with a counted trailer).
const FORMAT: u32 = 2;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.into();
    move |source| StoreError::Io { what, source }
}

/// The snapshot directory of a node.
#[derive(Debug, Clone)]
pub struct SnapshotFiles {
    dir: PathBuf,
    /// Serializes the swaps into `current.snap`, so that an older snapshot finishing late
    /// never replaces a newer one.
    swap: std::sync::Arc<std::sync::Mutex<()>>,
}

impl SnapshotFiles {
    pub(crate) fn new(dir: PathBuf) -> Result<Self, StoreError> {
        std::fs::create_dir_all(&dir).map_err(io(format!("cannot create {}", dir.display())))?;
        Ok(SnapshotFiles {
            dir,
            swap: std::sync::Arc::default(),
        })
    }

    /// The current snapshot's file (absent until the first snapshot is built or installed).
    pub fn current_path(&self) -> PathBuf {
        self.path(CURRENT)
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
        let path = self.current_path();
        if !tokio::fs::try_exists(&path)
            .await
            .map_err(io(format!("cannot stat {}", path.display())))?
        {
            return Ok(None);
        }
        let meta = read_header(&path)?.meta;
        let file = tokio::fs::File::open(&path)
            .await
            .map_err(io(format!("cannot open {}", path.display())))?;
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(file),
        }))
    }
}

/// Rebuilds a current snapshot written by an earlier version in its format, from the state
/// machine (which is at least as new): the leader may have to send it to a follower, and the
/// log before it may already be purged.
pub(crate) fn upgrade_current(sm: &StateMachine) -> Result<(), StoreError> {
    let path = sm.snapshots.current_path();
    let exists = path
        .try_exists()
        .map_err(io(format!("cannot stat {}", path.display())))?;
    if !exists || read_header(&path)?.format == FORMAT {
        return Ok(());
    }
    tracing::warn!(path = %path.display(), "snapshot from an earlier version: rebuilding it in this version's format");
    build(sm)
}

fn read_header(path: &Path) -> Result<Header, StoreError> {
    let file = File::open(path).map_err(io(format!("cannot open {}", path.display())))?;
    header_from(&mut BufReader::new(file), &path.display().to_string())
}

/// The header line at the start of a snapshot file (`what` names the file in errors).
fn header_from(input: &mut impl BufRead, what: &str) -> Result<Header, StoreError> {
    let mut line = Vec::new();
    input
        .read_until(b'\n', &mut line)
        .map_err(io(format!("cannot read {what}")))?;
    decode(&line, "snapshot header")
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

pub(crate) fn build(sm: &StateMachine) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let db = &sm.db;
    // Durability: applied entries are written without sync; once a snapshot exists the log
    // before it may be purged, so the state it describes must be on disk first.
    db.flush_wal(true)?;
    let snap = db.snapshot();
    let last_log_id = crate::state_machine::last_applied_in(db, &snap)?;
    let last_membership: StoredMembership<NodeId, BasicNode> =
        match snap.get_cf(cf(db, CF_SM_META)?, KEY_MEMBERSHIP)? {
            Some(b) => decode(&b, "membership")?,
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

    let mut out = SnapshotWriter::create(&sm.snapshots, &meta, BUILDING)?;
    for (i, name) in SNAPSHOT_CFS.iter().enumerate() {
        let i = u8::try_from(i).map_err(|_| StoreError::MissingColumnFamily(name))?;
        for item in snap.iterator_cf(cf(db, name)?, IteratorMode::Start) {
            let (k, v) = item?;
            out.record(i, &k, &v)?;
        }
    }
    let index = meta.last_log_id.map(|l| l.index);
    let (records, bytes) = out.make_current()?;
    tracing::info!(
        ?index,
        records,
        bytes,
        elapsed_ms = started.elapsed().as_millis(),
        "snapshot built"
    );
    Ok(())
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
    let started = std::time::Instant::now();
    let db = &sm.db;
    file.seek(SeekFrom::Start(0))
        .map_err(io("cannot rewind the received snapshot"))?;
    for name in SNAPSHOT_CFS {
        clear(db, name)?;
    }
    // The installed snapshot becomes this node's current one, rewritten under `meta` as its
    // records are applied (the received header is the sender's view of the same meta).
    let mut out = SnapshotWriter::create(&sm.snapshots, meta, INSTALLING)?;
    let mut reader = SnapshotReader::open(BufReader::new(file))?;
    let mut batch = WriteBatch::default();
    while let Some((i, k, v)) = reader.next_record()? {
        let name = SNAPSHOT_CFS
            .get(usize::from(i))
            .ok_or(StoreError::BadSnapshot("unknown column family index"))?;
        batch.put_cf(cf(db, name)?, &k, &v);
        if batch.len() >= BATCH {
            db.write(std::mem::take(&mut batch))?;
        }
        out.record(i, &k, &v)?;
    }
    let sm_meta = cf(db, CF_SM_META)?;
    batch.put_cf(
        sm_meta,
        KEY_LAST_APPLIED,
        encode(&meta.last_log_id, "last applied log id")?,
    );
    batch.put_cf(
        sm_meta,
        KEY_MEMBERSHIP,
        encode(&meta.last_membership, "membership")?,
    );
    let mut synced = WriteOptions::default();
    // Durability: after an install the leader stops sending the entries it covers.
    synced.set_sync(true);
    db.write_opt(batch, &synced)?;
    let (records, bytes) = out.make_current()?;
    tracing::info!(
        index = ?meta.last_log_id.map(|l| l.index),
        records,
        bytes,
        elapsed_ms = started.elapsed().as_millis(),
        "snapshot installed"
    );
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

/// One record: column family index, key, value.
pub(crate) type Record = (u8, Vec<u8>, Vec<u8>);

/// Appends one record to `out` (backups seal runs of records in the snapshot's encoding).
pub(crate) fn encode_record(
    out: &mut Vec<u8>,
    cf_index: u8,
    key: &[u8],
    value: &[u8],
) -> Result<(), StoreError> {
    out.push(cf_index);
    for field in [key, value] {
        let len = u32::try_from(field.len())
            .ok()
            .filter(|l| *l <= MAX_FIELD)
            .ok_or(StoreError::BadSnapshot(
                "value too long for a snapshot record",
            ))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
    Ok(())
}

/// Reads records: a snapshot file's (header first, up to a counted trailer), or a bare run of
/// them (a backup chunk, up to its end).
pub(crate) struct SnapshotReader<R> {
    input: R,
    records: u64,
    /// Whether the records end with a trailer (a file) or at the end of the input (a chunk).
    trailer: bool,
}

impl<R: BufRead> SnapshotReader<R> {
    fn open(mut input: R) -> Result<Self, StoreError> {
        let header = header_from(&mut input, "the snapshot header")?;
        if header.format != FORMAT {
            return Err(StoreError::BadSnapshot(
                "written by another version (all nodes must run the same version)",
            ));
        }
        Ok(SnapshotReader {
            input,
            records: 0,
            trailer: true,
        })
    }

    /// A bare run of records, ending where the input ends.
    pub(crate) fn bare(input: R) -> Self {
        SnapshotReader {
            input,
            records: 0,
            trailer: false,
        }
    }

    /// The next record, or `None` after a trailer that counts every record read (or, for a
    /// bare run, at the end of the input).
    pub(crate) fn next_record(&mut self) -> Result<Option<Record>, StoreError> {
        if !self.trailer {
            let rest = self
                .input
                .fill_buf()
                .map_err(io("cannot read the records"))?;
            if rest.is_empty() {
                return Ok(None);
            }
        }
        let mut cf_byte = [0u8; 1];
        self.read(&mut cf_byte)?;
        let [i] = cf_byte;
        if i == TRAILER {
            let mut count = [0u8; 8];
            self.read(&mut count)?;
            return if u64::from_be_bytes(count) == self.records {
                Ok(None)
            } else {
                Err(StoreError::BadSnapshot(
                    "record count in the trailer differs",
                ))
            };
        }
        let key = self.field()?;
        let value = self.field()?;
        self.records = self.records.saturating_add(1);
        Ok(Some((i, key, value)))
    }

    fn field(&mut self) -> Result<Vec<u8>, StoreError> {
        let mut len = [0u8; 4];
        self.read(&mut len)?;
        let len = u32::from_be_bytes(len);
        if len > MAX_FIELD {
            return Err(StoreError::BadSnapshot(
                "record longer than any stored value",
            ));
        }
        let mut bytes = vec![0u8; len as usize];
        self.read(&mut bytes)?;
        Ok(bytes)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<(), StoreError> {
        self.input.read_exact(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                StoreError::BadSnapshot("file ends before its trailer")
            } else {
                StoreError::Io {
                    what: "cannot read the snapshot".into(),
                    source: e,
                }
            }
        })
    }
}

/// Writes a snapshot file next to the current one and swaps it in when complete.
struct SnapshotWriter {
    out: BufWriter<File>,
    path: PathBuf,
    current: PathBuf,
    records: u64,
    scratch: Vec<u8>,
    swap: std::sync::Arc<std::sync::Mutex<()>>,
    last_log_id: Option<openraft::LogId<NodeId>>,
}

impl SnapshotWriter {
    /// Starts the snapshot file `name` ([`BUILDING`] or [`INSTALLING`]) with its header line.
    fn create(files: &SnapshotFiles, meta: &Meta, name: &str) -> Result<Self, StoreError> {
        let path = files.path(name);
        let file = File::create(&path).map_err(io(format!("cannot create {}", path.display())))?;
        let mut w = SnapshotWriter {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
            current: files.path(CURRENT),
            records: 0,
            scratch: Vec::new(),
            swap: files.swap.clone(),
            last_log_id: meta.last_log_id,
        };
        let header = serde_json::to_vec(&Header {
            meta: meta.clone(),
            format: FORMAT,
        })
        .map_err(|e| StoreError::Corrupt {
            what: "snapshot header",
            source: e.into(),
        })?;
        w.write(&header)?;
        w.write(b"\n")?;
        Ok(w)
    }

    /// Appends one record.
    fn record(&mut self, cf_index: u8, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        encode_record(&mut scratch, cf_index, key, value)?;
        self.write(&scratch)?;
        self.scratch = scratch;
        self.records = self.records.saturating_add(1);
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.out
            .write_all(bytes)
            .map_err(io(format!("cannot write {}", self.path.display())))
    }

    /// Writes the trailer, syncs the file and makes it the current snapshot; returns the
    /// number of records and the file's size.
    fn make_current(mut self) -> Result<(u64, u64), StoreError> {
        let count = self.records.to_be_bytes();
        self.write(&[TRAILER])?;
        self.write(&count)?;
        let path = self.path;
        let file = self.out.into_inner().map_err(|e| StoreError::Io {
            what: format!("cannot write {}", path.display()),
            source: e.into_error(),
        })?;
        // Durability: a snapshot replaces log entries, so it is on disk before it is current.
        file.sync_all()
            .map_err(io(format!("cannot sync {}", path.display())))?;
        let bytes = file
            .metadata()
            .map_err(io(format!("cannot stat {}", path.display())))?
            .len();
        let _swapping = self.swap.lock().unwrap_or_else(|p| p.into_inner());
        let newer = match self.current.try_exists() {
            Ok(true) => read_header(&self.current)
                .map(|h| h.format == FORMAT && h.meta.last_log_id > self.last_log_id)
                .unwrap_or(false),
            _ => false,
        };
        if newer {
            // A snapshot begun earlier that finished later: the current one is newer.
            tracing::info!(path = %path.display(), "a newer snapshot became current meanwhile; this one is dropped");
            std::fs::remove_file(&path).map_err(io(format!("cannot remove {}", path.display())))?;
            return Ok((self.records, bytes));
        }
        std::fs::rename(&path, &self.current)
            .map_err(io(format!("cannot rename to {}", self.current.display())))?;
        Ok((self.records, bytes))
    }
}

/// Empties a column family with one range deletion (first key up to the last, then the last),
/// not a delete per key: a store of millions of keys is cleared at once.
fn clear(db: &rocksdb::DB, name: &'static str) -> Result<(), StoreError> {
    let handle = cf(db, name)?;
    let first = db
        .iterator_cf(handle, IteratorMode::Start)
        .next()
        .transpose()?;
    let last = db
        .iterator_cf(handle, IteratorMode::End)
        .next()
        .transpose()?;
    if let (Some((first, _)), Some((last, _))) = (first, last) {
        let mut batch = WriteBatch::default();
        batch.delete_range_cf(handle, &first, &last);
        batch.delete_cf(handle, &last);
        db.write(batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(records: &[(u8, &[u8], &[u8])]) -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let files = SnapshotFiles::new(dir.path().to_path_buf()).unwrap();
        let mut w = SnapshotWriter::create(&files, &Meta::default(), BUILDING).unwrap();
        for (i, k, v) in records {
            w.record(*i, k, v).unwrap();
        }
        w.make_current().unwrap();
        let bytes = std::fs::read(files.path(CURRENT)).unwrap();
        (dir, bytes)
    }

    fn read_all(bytes: &[u8]) -> Result<Vec<Record>, StoreError> {
        let mut r = SnapshotReader::open(bytes)?;
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push(rec);
        }
        Ok(out)
    }

    #[test]
    fn records_round_trip_including_newlines_and_empty_values() {
        let (_dir, bytes) = written(&[(0, b"a\nb", b"\n\n"), (2, b"k", b"")]);
        assert!(bytes.starts_with(b"{\"meta\""));
        let got = read_all(&bytes).unwrap();
        assert_eq!(
            got,
            vec![
                (0, b"a\nb".to_vec(), b"\n\n".to_vec()),
                (2, b"k".to_vec(), Vec::new())
            ]
        );
    }

    #[test]
    fn a_file_cut_short_anywhere_is_refused() {
        let (_dir, bytes) = written(&[(0, b"key", b"value"), (1, b"k2", b"v2")]);
        let header_len = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        for len in header_len..bytes.len() {
            let err = read_all(bytes.get(..len).unwrap()).unwrap_err();
            assert!(
                matches!(err, StoreError::BadSnapshot(_)),
                "cut at {len}: {err}"
            );
        }
    }

    #[test]
    fn a_snapshot_of_an_earlier_format_is_refused_on_install_and_rebuilt_at_start() {
        let old = b"{\"meta\":{\"last_log_id\":null,\"last_membership\":{\"log_id\":null,\"membership\":{\"configs\":[],\"nodes\":{}}},\"snapshot_id\":\"0-1\"}}\n[0,\"6b\",\"76\"]\n";
        assert!(matches!(
            read_all(old),
            Err(StoreError::BadSnapshot(m)) if m.contains("another version")
        ));
        let dir = tempfile::tempdir().unwrap();
        let snapshots = dir.path().join("snapshots");
        std::fs::create_dir_all(&snapshots).unwrap();
        std::fs::write(snapshots.join(CURRENT), old).unwrap();
        let db = crate::db::open(&dir.path().join("db")).unwrap();
        let sm = StateMachine::new(db, snapshots.clone()).unwrap();
        let rebuilt = std::fs::read(sm.snapshot_file()).unwrap();
        assert!(read_all(&rebuilt).unwrap().is_empty());
    }

    #[test]
    fn a_trailer_with_the_wrong_count_is_refused() {
        let (_dir, mut bytes) = written(&[(0, b"key", b"value")]);
        if let Some(last) = bytes.last_mut() {
            *last = 2;
        }
        assert!(matches!(
            read_all(&bytes),
            Err(StoreError::BadSnapshot(
                "record count in the trailer differs"
            ))
        ));
    }
}

#[cfg(test)]
mod concurrent {
    #![allow(clippy::unwrap_used, reason = "test")]

    use openraft::{CommittedLeaderId, LogId};

    use super::*;

    fn meta(index: u64) -> Meta {
        Meta {
            last_log_id: Some(LogId::new(CommittedLeaderId::new(1, 1), index)),
            ..Meta::default()
        }
    }

    #[test]
    fn a_build_and_an_install_written_at_once_do_not_mix_and_the_newer_stays_current() {
        let dir = tempfile::tempdir().unwrap();
        let files = SnapshotFiles::new(dir.path().to_path_buf()).unwrap();
        let mut older = SnapshotWriter::create(&files, &meta(5), BUILDING).unwrap();
        let mut newer = SnapshotWriter::create(&files, &meta(9), INSTALLING).unwrap();
        for i in 0..100_u32 {
            older.record(0, &i.to_be_bytes(), b"old").unwrap();
            newer.record(0, &i.to_be_bytes(), b"new").unwrap();
        }
        newer.make_current().unwrap();
        older.make_current().unwrap();
        let bytes = std::fs::read(files.current_path()).unwrap();
        let header = read_header(&files.current_path()).unwrap();
        assert_eq!(header.meta.last_log_id.map(|l| l.index), Some(9));
        let mut reader = SnapshotReader::open(bytes.as_slice()).unwrap();
        let mut n = 0;
        while let Some((_, _, v)) = reader.next_record().unwrap() {
            assert_eq!(v, b"new");
            n += 1;
        }
        assert_eq!(n, 100);
    }
}
