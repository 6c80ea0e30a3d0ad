//! The audit log: one JSON line per batch item a node answers — time, node, client identity,
//! peer address, operation, UIDs, result, request and batch item IDs — chained by SHA-256 so
//! that changing, removing or reordering a line breaks every hash after it
//! ([`verify`]). Never any key material: records are built from identifiers and result codes
//! only.
//!
//! Each line's `hash` is SHA-256 over the previous line's hash (hex) and the line's JSON
//! without its `hash` field; the first line chains from 64 zeros.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash the first record chains from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in this node's log, from 0.
    pub seq: u64,
    /// When the item was answered (RFC 3339, UTC).
    pub time: String,
    /// The node that answered.
    pub node: u64,
    /// The client certificate's SHA-256 fingerprint.
    pub client: String,
    /// The client identity the certificate acted as, when it is not the fingerprint itself
    /// (a named identity: `raftkeep clients`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The client's address.
    pub peer: String,
    /// The KMIP operation.
    pub operation: String,
    /// The objects the item named or produced.
    pub uids: Vec<String>,
    /// Result Status.
    pub status: String,
    /// Result Reason, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The request message's ID, assigned by the server (items of one batch share it).
    pub request_id: String,
    /// The client's Unique Batch Item ID (hex), if it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_item_id: Option<String>,
    /// A read served without quorum: how long the node had not heard from a leader (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_ms: Option<u64>,
    /// The previous record's hash.
    pub prev: String,
    /// This record's hash.
    #[serde(default)]
    pub hash: String,
}

/// What the engine reports for one item; the log adds the sequence, time and chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Client fingerprint.
    pub client: String,
    /// The client identity, when it is not the fingerprint.
    pub identity: Option<String>,
    /// Client address.
    pub peer: String,
    /// Operation name.
    pub operation: String,
    /// UIDs.
    pub uids: Vec<String>,
    /// Result Status name.
    pub status: String,
    /// Result Reason name.
    pub reason: Option<String>,
    /// Request ID.
    pub request_id: String,
    /// Batch item ID (hex).
    pub batch_item_id: Option<String>,
    /// A read served without quorum: staleness in milliseconds.
    pub stale_ms: Option<u64>,
}

/// Where audit events go.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one event; a sink that cannot write logs the failure itself.
    fn record(&self, event: Event);
}

/// Why the audit log cannot be opened or verified.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading or writing the file failed.
    #[error("audit log {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line is not a record.
    #[error("audit log line {line}: not an audit record: {reason}")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The chain is broken at this line.
    #[error("audit log line {line}: {reason} — the log was changed at or before this line")]
    Broken {
        /// 1-based line number.
        line: u64,
        /// What does not hold.
        reason: String,
    },
    /// The log ends in a record cut short: a write a crash or power loss interrupted. The
    /// lines before it chain intact; a node opening the log sets the torn bytes aside.
    #[error(
        "audit log line {line}: {bytes} bytes of a record cut short (a write interrupted by a crash); the {intact} lines before it chain intact"
    )]
    Torn {
        /// 1-based number of the torn line.
        line: u64,
        /// Its length.
        bytes: u64,
        /// The intact lines before it.
        intact: u64,
    },
}

/// The hash of a record: SHA-256 over the previous hash and the record without its hash.
pub fn hash_of(record: &Record) -> String {
    let mut unhashed = record.clone();
    unhashed.hash = String::new();
    let json = serde_json::to_vec(&unhashed).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(record.prev.as_bytes());
    h.update(&json);
    hex::encode(h.finalize())
}

struct Tail {
    file: File,
    seq: u64,
    prev: String,
}

/// A node's audit log file, appended to under a lock.
pub struct AuditLog {
    path: PathBuf,
    node: u64,
    tail: Mutex<Tail>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Opens (or creates) the log of `node` at `path`, verifying the chain so far and
    /// continuing it.
    pub fn open(path: &Path, node: u64) -> Result<Self, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_owned(),
            source,
        };
        let scan = if path.exists() {
            scan(path)?
        } else {
            Scan::default()
        };
        let set_aside = if scan.torn > 0 {
            Some(set_aside_torn(path, &scan).map_err(io)?)
        } else {
            None
        };
        let (seq, prev) = match scan.last {
            Some(r) => (r.seq + 1, r.hash),
            None => (0, GENESIS.to_owned()),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let log = AuditLog {
            path: path.to_owned(),
            node,
            tail: Mutex::new(Tail { file, seq, prev }),
        };
        if let Some(aside) = set_aside {
            let reason = format!(
                "{} bytes of a record cut short at line {} (a write interrupted by a crash) set aside in {}",
                scan.torn,
                scan.lines + 1,
                aside.display()
            );
            tracing::warn!(path = %path.display(), %reason, "audit log recovered: the chain goes on from its last intact record");
            metrics::counter!("raftkeep_audit_torn_recoveries_total").increment(1);
            log.append(Event {
                client: String::new(),
                identity: None,
                peer: String::new(),
                operation: "AuditLogRecovered".to_owned(),
                uids: Vec::new(),
                status: "Recovered".to_owned(),
                reason: Some(reason),
                request_id: String::new(),
                batch_item_id: None,
                stale_ms: None,
            })
            .map_err(io)?;
        }
        Ok(log)
    }

    fn append(&self, event: Event) -> std::io::Result<()> {
        let mut tail = self
            .tail
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let time = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut record = Record {
            seq: tail.seq,
            time,
            node: self.node,
            client: event.client,
            identity: event.identity,
            peer: event.peer,
            operation: event.operation,
            uids: event.uids,
            status: event.status,
            reason: event.reason,
            request_id: event.request_id,
            batch_item_id: event.batch_item_id,
            stale_ms: event.stale_ms,
            prev: tail.prev.clone(),
            hash: String::new(),
        };
        record.hash = hash_of(&record);
        let mut line = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        tail.file.write_all(&line)?;
        tail.file.flush()?;
        tail.seq += 1;
        tail.prev = record.hash;
        Ok(())
    }
}

impl AuditSink for AuditLog {
    fn record(&self, event: Event) {
        if let Err(e) = self.append(event) {
            tracing::error!(path = %self.path.display(), error = %e, "cannot write the audit log");
        }
    }
}

/// What reading a log file found: its intact records and what follows them.
#[derive(Debug, Default)]
struct Scan {
    /// The last intact record.
    last: Option<Record>,
    /// Intact lines.
    lines: u64,
    /// Their length in bytes.
    intact_len: u64,
    /// Bytes after them that end without a newline: a record cut short.
    torn: u64,
}

/// Reads a log file line by line, checking the chain; a last line without its newline (or
/// of NUL bytes only, as a file system may leave after a crash) is counted as torn, not as
/// a broken chain.
fn scan(path: &Path) -> Result<Scan, AuditError> {
    use std::io::Read as _;
    let io = |source| AuditError::Io {
        path: path.to_owned(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut prev = GENESIS.to_owned();
    let mut out = Scan::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io)?;
        if read == 0 {
            return Ok(out);
        }
        let n = out.lines + 1;
        let complete = line.last() == Some(&b'\n');
        let zeros = line.iter().all(|b| *b == 0 || *b == b'\n');
        if !complete || zeros {
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).map_err(io)?;
            if rest.iter().all(|b| *b == 0 || *b == b'\n') {
                out.torn = u64::try_from(read + rest.len()).unwrap_or(u64::MAX);
                return Ok(out);
            }
        }
        let text = std::str::from_utf8(&line).map_err(|e| AuditError::Malformed {
            line: n,
            reason: e.to_string(),
        })?;
        let record: Record =
            serde_json::from_str(text.trim_end()).map_err(|e| AuditError::Malformed {
                line: n,
                reason: e.to_string(),
            })?;
        if record.seq != n - 1 {
            return Err(AuditError::Broken {
                line: n,
                reason: format!("sequence {} where {} was due", record.seq, n - 1),
            });
        }
        if record.prev != prev {
            return Err(AuditError::Broken {
                line: n,
                reason: "it does not chain from the line before".to_owned(),
            });
        }
        if hash_of(&record) != record.hash {
            return Err(AuditError::Broken {
                line: n,
                reason: "its content does not match its hash".to_owned(),
            });
        }
        prev = record.hash.clone();
        out.lines = n;
        out.intact_len += u64::try_from(read).unwrap_or(u64::MAX);
        out.last = Some(record);
    }
}

/// Moves the torn end of a log into `PATH.torn-UNIXSECONDS` and cuts the log back to its
/// intact records, durably; the file the bytes went to.
fn set_aside_torn(path: &Path, scan: &Scan) -> std::io::Result<PathBuf> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    file.seek(SeekFrom::Start(scan.intact_len))?;
    let mut torn = Vec::new();
    file.read_to_end(&mut torn)?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".torn-{stamp}"));
    let aside = PathBuf::from(aside);
    let mut out = File::create(&aside)?;
    out.write_all(&torn)?;
    out.sync_all()?;
    file.set_len(scan.intact_len)?;
    file.sync_all()?;
    Ok(aside)
}

/// Checks the whole chain of a log file; the last record, if any.
pub fn verify(path: &Path) -> Result<Option<Record>, AuditError> {
    let scan = scan(path)?;
    if scan.torn > 0 {
        return Err(AuditError::Torn {
            line: scan.lines + 1,
            bytes: scan.torn,
            intact: scan.lines,
        });
    }
    Ok(scan.last)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::panic,
        clippy::indexing_slicing,
        reason = "test"
    )]

    use super::*;

    fn event(op: &str) -> Event {
        Event {
            client: "ab".repeat(32),
            identity: Some("vcenter".into()),
            peer: "127.0.0.1:4000".into(),
            operation: op.into(),
            uids: vec!["k1".into()],
            status: "Success".into(),
            reason: None,
            request_id: "r1".into(),
            batch_item_id: Some("01".into()),
            stale_ms: None,
        }
    }

    fn lines(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_reopened_log_continues_the_chain_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, 1).unwrap();
        log.record(event("Create"));
        log.record(event("Get"));
        drop(log);
        let log = AuditLog::open(&path, 1).unwrap();
        log.record(event("Destroy"));
        let last = verify(&path).unwrap().unwrap();
        assert_eq!((last.seq, last.operation.as_str()), (2, "Destroy"));
    }

    #[test]
    fn changed_removed_or_reordered_lines_break_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, 1).unwrap();
        for op in ["Create", "Get", "Activate", "Destroy"] {
            log.record(event(op));
        }
        let original = lines(&path);
        let broken_at = |edited: Vec<String>| {
            std::fs::write(&path, edited.join("\n") + "\n").unwrap();
            match verify(&path) {
                Err(AuditError::Broken { line, .. }) => line,
                other => panic!("{other:?}"),
            }
        };
        let mut changed = original.clone();
        changed[1] = changed[1].replace("\"Get\"", "\"Locate\"");
        assert_eq!(broken_at(changed), 2);
        let mut removed = original.clone();
        removed.remove(1);
        assert_eq!(broken_at(removed), 2);
        let mut swapped = original.clone();
        swapped.swap(2, 3);
        assert_eq!(broken_at(swapped), 3);
        // A node does not append to a log that was tampered with.
        assert!(AuditLog::open(&path, 1).is_err());
    }

    #[test]
    fn a_record_cut_short_by_a_crash_is_set_aside_and_the_chain_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, 1).unwrap();
        log.record(event("Create"));
        log.record(event("Get"));
        drop(log);
        // A power loss halfway through the third record's write.
        let whole = std::fs::read(&path).unwrap();
        let mut torn = whole.clone();
        torn.extend_from_slice(&whole[..40]);
        std::fs::write(&path, &torn).unwrap();
        match verify(&path) {
            Err(AuditError::Torn {
                line: 3,
                bytes: 40,
                intact: 2,
            }) => {}
            other => panic!("{other:?}"),
        }
        let log = AuditLog::open(&path, 1).unwrap();
        log.record(event("Destroy"));
        let kept = lines(&path);
        assert_eq!(kept.len(), 4, "{kept:?}");
        assert!(kept[2].contains("AuditLogRecovered") && kept[2].contains("40 bytes"));
        let last = verify(&path).unwrap().unwrap();
        assert_eq!((last.seq, last.operation.as_str()), (3, "Destroy"));
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".torn-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read(aside[0].path()).unwrap(), whole[..40]);
    }

    #[test]
    fn zeros_a_file_system_left_after_a_crash_are_torn_but_a_changed_last_line_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&path, 1).unwrap();
        log.record(event("Create"));
        log.record(event("Get"));
        drop(log);
        let whole = std::fs::read(&path).unwrap();
        let mut zeros = whole.clone();
        zeros.extend_from_slice(&[0; 64]);
        std::fs::write(&path, &zeros).unwrap();
        assert!(matches!(
            verify(&path),
            Err(AuditError::Torn { bytes: 64, .. })
        ));
        // A complete last line that does not verify was changed, not torn: refused.
        let mut text = String::from_utf8(whole).unwrap();
        text = text.replace("\"Get\"", "\"Locate\"");
        std::fs::write(&path, text).unwrap();
        assert!(matches!(
            verify(&path),
            Err(AuditError::Broken { line: 2, .. })
        ));
        assert!(AuditLog::open(&path, 1).is_err());
    }
}
