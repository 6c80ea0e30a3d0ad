//! Backup files: a consistent copy of a node's state machine, sealed with the cluster root key
//! in chunks, ending with a digest over the whole file that anyone can check without the key.
//!
//! # Format
//!
//! - The line `RAFTKEEP-BACKUP 1`.
//! - The header, one JSON line ([`BackupHeader`]): which cluster and node, when, at which log
//!   id, sealed with which root-key version. Nothing secret: `head -2` shows it.
//! - Frames, each a kind byte, a length (u32, big-endian) and that many bytes:
//!   - `1`, data: a run of records in the snapshot encoding (column family, key, value as
//!     stored, so key material inside is still sealed as well), sealed with the root key for
//!     the pseudo-object `raftkeep:backup:<id>:<n>`, `n` counting chunks from 0;
//!   - `2`, summary: JSON (the header's SHA-256 and the counts) sealed for
//!     `raftkeep:backup:<id>:summary`;
//!   - `3`, trailer: the same counts in clear JSON.
//! - The SHA-256 of every byte before it, then nothing.
//!
//! Without the root key, the digest catches damage (a flipped bit, a file cut short) and the
//! trailer gives the counts. With it, every chunk and the summary must open, which catches
//! deliberate changes, reordered or dropped chunks, and an edited header.

use std::io::{BufRead, Read, Write};

use openraft::LogId;
use raftkeep_seal::{Keyring, SealedBlob};
use rocksdb::{IteratorMode, WriteBatch};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{CF_CLIENTS, CF_CLUSTER, CF_INDEX, CF_OBJECTS, SNAPSHOT_CFS, cf, decode};
use crate::model::{Material, StoredObject};
use crate::snapshot::{Record, SnapshotReader, encode_record};
use crate::{NodeId, StateMachine, StoreError};

/// The first line of every backup file.
const MAGIC_LINE: &[u8] = b"RAFTKEEP-BACKUP 1\n";
/// Plaintext bytes of records per sealed chunk.
const CHUNK: usize = 1 << 20;
/// The longest frame a reader accepts (a damaged length must not allocate gigabytes).
const MAX_FRAME: u32 = 64 << 20;
/// The longest header line a reader accepts.
const MAX_HEADER: usize = 64 << 10;
const DATA: u8 = 1;
const SUMMARY: u8 = 2;
const TRAILER: u8 = 3;
/// Records written to RocksDB per batch during a restore.
const BATCH: usize = 1000;

/// Who took a backup, when, of what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupHeader {
    /// A random identifier of this backup (also recorded in the cluster's log).
    pub backup_id: String,
    /// The cluster it was taken from (absent for clusters initialized before cluster ids).
    pub cluster_id: Option<String>,
    /// When it was taken, milliseconds since the Unix epoch.
    pub created_unix_millis: u64,
    /// The node that wrote it, and its cluster address.
    pub node: NodeId,
    /// The node's cluster address.
    pub node_addr: String,
    /// The last log entry the copied state includes.
    pub applied: Option<LogId<NodeId>>,
    /// The root-key version that sealed the chunks.
    pub root_key_version: u32,
    /// The Raftkeep version that wrote it.
    pub written_by: String,
}

/// What a backup holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCounts {
    /// Records of every kind.
    pub records: u64,
    /// Sealed data chunks.
    pub chunks: u64,
    /// Managed objects (keys, secret data, ...), destroyed ones included.
    pub objects: u64,
    /// Objects whose key material is in the backup (not destroyed, not material-less).
    pub with_material: u64,
    /// Secondary-index entries (names, states, attributes, request keys).
    pub index_entries: u64,
    /// Allow-list entries: clients, trusted issuers, groups.
    pub allow_list_entries: u64,
    /// Cluster settings (root-key check value, cluster id, last backup).
    pub cluster_entries: u64,
}

impl BackupCounts {
    fn count(&mut self, cf_index: u8, value: &[u8]) -> Result<(), StoreError> {
        self.records = self.records.saturating_add(1);
        let counter = match SNAPSHOT_CFS.get(usize::from(cf_index)).copied() {
            Some(CF_OBJECTS) => {
                let object: StoredObject = decode(value, "object")?;
                if matches!(object.material, Material::Sealed(_)) {
                    self.with_material = self.with_material.saturating_add(1);
                }
                &mut self.objects
            }
            Some(CF_INDEX) => &mut self.index_entries,
            Some(CF_CLIENTS) => &mut self.allow_list_entries,
            Some(CF_CLUSTER) => &mut self.cluster_entries,
            _ => return Err(bad("a record of an unknown kind")),
        };
        *counter = counter.saturating_add(1);
        Ok(())
    }
}

/// The sealed summary: binds the header and the counts to the root key.
#[derive(Serialize, Deserialize)]
struct Summary {
    header_sha256: String,
    counts: BackupCounts,
}

/// A backup file as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Its header.
    pub header: BackupHeader,
    /// Its counts (from the trailer; when opened with the key, checked against the records).
    pub counts: BackupCounts,
    /// Its size.
    pub bytes: u64,
    /// Whether every chunk was opened with the root key (authenticity), or only the digest
    /// was checked (integrity).
    pub opened: bool,
}

fn bad(what: impl Into<String>) -> StoreError {
    StoreError::BadBackup(what.into())
}

fn chunk_uid(backup_id: &str, n: u64) -> String {
    format!("raftkeep:backup:{backup_id}:{n}")
}

fn summary_uid(backup_id: &str) -> String {
    format!("raftkeep:backup:{backup_id}:summary")
}

/// The UIDs of the objects whose sealed material a backup record holds (`None`: another kind
/// of record, or an object without material) — what a backup keeps of keys destroyed later.
pub fn sealed_uid(record: &Record) -> Result<Option<String>, StoreError> {
    let (cf_index, _, value) = record;
    if SNAPSHOT_CFS.get(usize::from(*cf_index)).copied() != Some(CF_OBJECTS) {
        return Ok(None);
    }
    let object: StoredObject = decode(value, "object")?;
    Ok(matches!(object.material, Material::Sealed(_)).then_some(object.uid))
}

/// About how many records a backup of this state machine holds (RocksDB's estimates), for
/// progress reports.
pub fn estimated_records(sm: &StateMachine) -> u64 {
    SNAPSHOT_CFS
        .iter()
        .filter_map(|name| cf(&sm.db, name).ok())
        .filter_map(|h| {
            sm.db
                .property_int_value_cf(h, "rocksdb.estimate-num-keys")
                .ok()
                .flatten()
        })
        .fold(0_u64, u64::saturating_add)
}

/// Who writes a backup and what it is called.
#[derive(Debug, Clone)]
pub struct BackupSource {
    /// The backup's identifier.
    pub backup_id: String,
    /// This node.
    pub node: NodeId,
    /// This node's cluster address.
    pub node_addr: String,
    /// Now, milliseconds since the Unix epoch.
    pub created_unix_millis: u64,
}

/// Writes a backup of the state machine as it is now (one RocksDB snapshot) to `out`, sealing
/// with `keyring`'s current key; `progress` hears the counts after each chunk.
pub fn write_backup(
    sm: &StateMachine,
    keyring: &Keyring,
    source: BackupSource,
    out: impl Write,
    mut progress: impl FnMut(&BackupCounts),
) -> Result<BackupFile, StoreError> {
    let db = &sm.db;
    let snap = db.snapshot();
    let header = BackupHeader {
        backup_id: source.backup_id,
        cluster_id: snap
            .get_cf(cf(db, CF_CLUSTER)?, crate::command::KEY_CLUSTER_ID)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        created_unix_millis: source.created_unix_millis,
        node: source.node,
        node_addr: source.node_addr,
        applied: crate::state_machine::last_applied_in(db, &snap)?,
        root_key_version: keyring.current().0,
        written_by: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let mut w = HashedWriter::new(out);
    w.put(MAGIC_LINE)?;
    let mut line = serde_json::to_vec(&header).map_err(|e| bad(e.to_string()))?;
    line.push(b'\n');
    w.put(&line)?;
    let header_sha = hex::encode(
        Sha256::new()
            .chain_update(MAGIC_LINE)
            .chain_update(&line)
            .finalize(),
    );

    let mut counts = BackupCounts::default();
    let mut chunk = Vec::with_capacity(CHUNK.saturating_add(4096));
    let mut seal_chunk =
        |w: &mut HashedWriter<_>, chunk: &mut Vec<u8>, counts: &mut BackupCounts| {
            let sealed = keyring
                .seal(&chunk_uid(&header.backup_id, counts.chunks), chunk)
                .map_err(|source| StoreError::BackupSeal {
                    what: "cannot seal a chunk".into(),
                    source,
                })?;
            w.frame(DATA, sealed.as_bytes())?;
            counts.chunks = counts.chunks.saturating_add(1);
            chunk.clear();
            progress(counts);
            Ok::<(), StoreError>(())
        };
    for (i, name) in SNAPSHOT_CFS.iter().enumerate() {
        let i = u8::try_from(i).map_err(|_| StoreError::MissingColumnFamily(name))?;
        for item in snap.iterator_cf(cf(db, name)?, IteratorMode::Start) {
            let (k, v) = item?;
            counts.count(i, &v)?;
            encode_record(&mut chunk, i, &k, &v)?;
            if chunk.len() >= CHUNK {
                seal_chunk(&mut w, &mut chunk, &mut counts)?;
            }
        }
    }
    if !chunk.is_empty() {
        seal_chunk(&mut w, &mut chunk, &mut counts)?;
    }
    let summary = serde_json::to_vec(&Summary {
        header_sha256: header_sha,
        counts,
    })
    .map_err(|e| bad(e.to_string()))?;
    let sealed = keyring
        .seal(&summary_uid(&header.backup_id), &summary)
        .map_err(|source| StoreError::BackupSeal {
            what: "cannot seal the summary".into(),
            source,
        })?;
    w.frame(SUMMARY, sealed.as_bytes())?;
    w.frame(
        TRAILER,
        &serde_json::to_vec(&counts).map_err(|e| bad(e.to_string()))?,
    )?;
    let bytes = w.finish()?;
    Ok(BackupFile {
        header,
        counts,
        bytes,
        opened: true,
    })
}

/// Reads a backup: checks its structure and digest and returns what it holds. With `keyring`,
/// also opens every chunk and the summary, hands each record to `on_record` and checks the
/// counts against the records; `progress` hears the bytes read so far.
///
/// The digest is at the end: records reach `on_record` before it is checked. A restore
/// checks the file without the key first, then reads it again with it.
pub fn read_backup(
    input: impl BufRead,
    keyring: Option<&Keyring>,
    mut on_record: impl FnMut(Record) -> Result<(), StoreError>,
    mut progress: impl FnMut(u64),
) -> Result<BackupFile, StoreError> {
    let mut r = HashedReader::new(input);
    let mut magic = [0_u8; MAGIC_LINE.len()];
    r.take(&mut magic)
        .map_err(|_| bad("not a Raftkeep backup file (too short)"))?;
    if magic != MAGIC_LINE {
        return Err(bad(
            "not a Raftkeep backup file, or one of a format this version does not read",
        ));
    }
    let line = r.line()?;
    let header: BackupHeader = serde_json::from_slice(&line)
        .map_err(|e| bad(format!("the header does not parse: {e}")))?;
    let header_sha = hex::encode(
        Sha256::new()
            .chain_update(magic)
            .chain_update(&line)
            .finalize(),
    );

    let mut seen = BackupCounts::default();
    let mut summary: Option<Option<Summary>> = None;
    let trailer: BackupCounts = loop {
        let (kind, body) = r.frame()?;
        match kind {
            DATA if summary.is_none() => {
                if let Some(keyring) = keyring {
                    let uid = chunk_uid(&header.backup_id, seen.chunks);
                    let plain = open(keyring, &uid, body, "a data chunk")?;
                    let mut records = SnapshotReader::bare(plain.as_slice());
                    while let Some(record) = records.next_record()? {
                        seen.count(record.0, &record.2)?;
                        on_record(record)?;
                    }
                }
                seen.chunks = seen.chunks.saturating_add(1);
                progress(r.bytes);
            }
            SUMMARY if summary.is_none() => {
                summary = Some(match keyring {
                    Some(keyring) => {
                        let plain = open(
                            keyring,
                            &summary_uid(&header.backup_id),
                            body,
                            "the summary",
                        )?;
                        Some(
                            serde_json::from_slice(&plain)
                                .map_err(|e| bad(format!("the summary does not parse: {e}")))?,
                        )
                    }
                    None => None,
                });
            }
            TRAILER if summary.is_some() => {
                break serde_json::from_slice(&body)
                    .map_err(|e| bad(format!("the trailer does not parse: {e}")))?;
            }
            _ => return Err(bad(format!("unexpected frame of kind {kind}"))),
        }
    };
    let bytes = r.check_digest()?;
    if trailer.chunks != seen.chunks {
        return Err(bad(format!(
            "the trailer counts {} chunks, the file holds {}",
            trailer.chunks, seen.chunks
        )));
    }
    if let Some(Some(sealed)) = summary {
        if sealed.header_sha256 != header_sha {
            return Err(bad("the header was changed after the backup was sealed"));
        }
        if sealed.counts != trailer {
            return Err(bad("the clear counts differ from the sealed ones"));
        }
        if seen != sealed.counts {
            return Err(bad("the records differ from the sealed counts"));
        }
    }
    Ok(BackupFile {
        header,
        counts: trailer,
        bytes,
        opened: keyring.is_some(),
    })
}

fn open(
    keyring: &Keyring,
    uid: &str,
    body: Vec<u8>,
    what: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, StoreError> {
    keyring
        .unseal(uid, &SealedBlob::from_bytes(body))
        .map_err(|source| StoreError::BackupSeal {
            what: format!("{what} ({uid}) does not open"),
            source,
        })
}

/// Writes every record of a backup into this (empty) store's state-machine column families,
/// opening each chunk with `keyring`. The caller has checked the file's digest first
/// ([`read_backup`] without a key) and makes the store a cluster afterwards
/// ([`crate::new_cluster::found_single_node`] at the header's `applied` log id).
pub fn restore_into(
    sm: &StateMachine,
    input: impl BufRead,
    keyring: &Keyring,
    progress: impl FnMut(u64),
) -> Result<BackupFile, StoreError> {
    let db = &sm.db;
    for name in SNAPSHOT_CFS {
        if db
            .iterator_cf(cf(db, name)?, IteratorMode::Start)
            .next()
            .is_some()
        {
            return Err(bad("the store to restore into is not empty"));
        }
    }
    let mut batch = WriteBatch::default();
    let file = read_backup(
        input,
        Some(keyring),
        |(i, k, v)| {
            let name = SNAPSHOT_CFS
                .get(usize::from(i))
                .ok_or_else(|| bad("a record of an unknown kind"))?;
            batch.put_cf(cf(db, name)?, k, v);
            if batch.len() >= BATCH {
                db.write(std::mem::take(&mut batch))?;
            }
            Ok(())
        },
        progress,
    )?;
    db.write(batch)?;
    db.flush_wal(true)?;
    Ok(file)
}

/// Writes and hashes.
struct HashedWriter<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> HashedWriter<W> {
    fn new(inner: W) -> Self {
        HashedWriter {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), StoreError> {
        self.inner
            .write_all(bytes)
            .map_err(|source| StoreError::Io {
                what: "cannot write the backup".into(),
                source,
            })?;
        self.sha.update(bytes);
        self.bytes = self.bytes.saturating_add(bytes.len() as u64);
        Ok(())
    }

    fn frame(&mut self, kind: u8, body: &[u8]) -> Result<(), StoreError> {
        let len = u32::try_from(body.len())
            .ok()
            .filter(|l| *l <= MAX_FRAME)
            .ok_or_else(|| bad("a frame too long to write"))?;
        self.put(&[kind])?;
        self.put(&len.to_be_bytes())?;
        self.put(body)
    }

    /// Appends the digest; returns the file's size.
    fn finish(mut self) -> Result<u64, StoreError> {
        let digest = self.sha.finalize_reset();
        let io = |source| StoreError::Io {
            what: "cannot write the backup".into(),
            source,
        };
        self.inner.write_all(&digest).map_err(io)?;
        self.inner.flush().map_err(io)?;
        Ok(self.bytes.saturating_add(digest.len() as u64))
    }
}

/// Reads and hashes.
struct HashedReader<R> {
    inner: R,
    sha: Sha256,
    bytes: u64,
}

impl<R: BufRead> HashedReader<R> {
    fn new(inner: R) -> Self {
        HashedReader {
            inner,
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    fn take(&mut self, buf: &mut [u8]) -> Result<(), StoreError> {
        read_exact(&mut self.inner, buf)?;
        self.sha.update(&*buf);
        self.bytes = self.bytes.saturating_add(buf.len() as u64);
        Ok(())
    }

    /// The header line, its newline included.
    fn line(&mut self) -> Result<Vec<u8>, StoreError> {
        let mut line = Vec::new();
        let limit = u64::try_from(MAX_HEADER).unwrap_or(u64::MAX);
        (&mut self.inner)
            .take(limit)
            .read_until(b'\n', &mut line)
            .map_err(|source| StoreError::Io {
                what: "cannot read the backup".into(),
                source,
            })?;
        if line.last() != Some(&b'\n') {
            return Err(bad("the header line is cut short or too long"));
        }
        self.sha.update(&line);
        self.bytes = self.bytes.saturating_add(line.len() as u64);
        Ok(line)
    }

    fn frame(&mut self) -> Result<(u8, Vec<u8>), StoreError> {
        let mut head = [0_u8; 5];
        self.take(&mut head)?;
        let [kind, len @ ..] = head;
        let len = u32::from_be_bytes(len);
        if len > MAX_FRAME {
            return Err(bad(
                "a frame longer than any backup writes (damaged length)",
            ));
        }
        let mut body = vec![0_u8; len as usize];
        self.take(&mut body)?;
        Ok((kind, body))
    }

    /// Compares the digest that follows with the bytes read, and checks nothing follows it;
    /// returns the file's size.
    fn check_digest(mut self) -> Result<u64, StoreError> {
        let computed = self.sha.finalize_reset();
        let mut stored = [0_u8; 32];
        read_exact(&mut self.inner, &mut stored)?;
        if computed.as_slice() != stored {
            return Err(bad(
                "the digest does not match the contents: the file was changed or damaged after it was written",
            ));
        }
        let rest = self.inner.fill_buf().map_err(|source| StoreError::Io {
            what: "cannot read the backup".into(),
            source,
        })?;
        if !rest.is_empty() {
            return Err(bad("bytes follow the digest"));
        }
        Ok(self.bytes.saturating_add(32))
    }
}

fn read_exact(input: &mut impl Read, buf: &mut [u8]) -> Result<(), StoreError> {
    input.read_exact(buf).map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            bad("the file ends early (cut short?)")
        } else {
            StoreError::Io {
                what: "cannot read the backup".into(),
                source,
            }
        }
    })
}
