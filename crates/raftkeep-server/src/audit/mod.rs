//! The audit log: one JSON line per batch item a node answers — time, node, client identity,
//! peer address, operation, UIDs, result, request and batch item IDs — chained by SHA-256 so
//! that changing, removing or reordering a line breaks every hash after it
//! ([`verify_log`]). Never any key material: records are built from identifiers and result
//! codes only.
//!
//! Each line's `hash` is SHA-256 over the previous line's hash (hex) and the line's JSON
//! without its `hash` field; the first line chains from 64 zeros.
//!
//! The log is a series of segments: the active file (`audit.jsonl`) and the sealed ones
//! before it (`audit.jsonl.<first record, 20 digits>`). One chain runs through all of them —
//! a segment's first record chains from the previous segment's last, and says which segment
//! that was — so a missing, altered or reordered segment breaks it too. Segments are sealed
//! by size and age and removed by count and age; a removal is itself a record
//! ([`Record::retained_from`]), so a log whose oldest segments are gone still verifies only
//! when the node removed them.
//!
//! # Layout
//!
//! - this file — [`Record`], [`Event`], [`AuditSink`], [`AuditError`], the hash.
//! - [`log`] — [`AuditLog`]: appending, sealing and removing segments, syncing in groups.
//! - `scan` — reading one file's records, telling a torn end from a changed one.
//! - [`segments`] — segment names, listing, reading a segment's first and last record.
//! - `verify` — [`verify_log`] and [`verify_segment`]: the chain through every segment.

pub mod log;
mod scan;
pub mod segments;
mod verify;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use log::{AuditLog, AuditOptions};
pub use verify::{Verified, verify_log, verify_segment};

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
    /// On a record of removed segments: where the log now starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retained_from: Option<RetainedFrom>,
    /// The previous record's hash.
    pub prev: String,
    /// This record's hash.
    #[serde(default)]
    pub hash: String,
}

/// Where a log starts after its oldest segments were removed: the first record kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetainedFrom {
    /// Its sequence number.
    pub seq: u64,
    /// The hash it chains from (that of the last record removed).
    pub prev: String,
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

impl Event {
    /// An event of the log itself (a segment sealed, segments removed, a torn end set
    /// aside): no client, no request.
    pub(crate) fn of_log(operation: &str, status: &str, uids: Vec<String>, reason: String) -> Self {
        Event {
            client: String::new(),
            identity: None,
            peer: String::new(),
            operation: operation.to_owned(),
            uids,
            status: status.to_owned(),
            reason: Some(reason),
            request_id: String::new(),
            batch_item_id: None,
            stale_ms: None,
        }
    }
}

/// Where audit events go.
pub trait AuditSink: Send + Sync + 'static {
    /// Records one event; a sink that cannot write logs the failure itself.
    fn record(&self, event: Event);

    /// Resolves once every event recorded so far is on stable storage: the engine awaits it
    /// before it answers, so an answered request's record survives a crash.
    fn durable(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// Why the audit log cannot be opened or verified.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading or writing a file failed.
    #[error("audit log {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A line is not a record.
    #[error("audit log {path} line {line}: not an audit record: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The chain is broken at this line.
    #[error("audit log {path} line {line}: {reason} — the log was changed at or before this line")]
    Broken {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What does not hold.
        reason: String,
    },
    /// The log ends in a record cut short: a write a crash or power loss interrupted. The
    /// lines before it chain intact; a node opening the log sets the torn bytes aside.
    #[error(
        "audit log {path} line {line}: {bytes} bytes of a record cut short (a write interrupted by a crash); the {intact} lines before it chain intact"
    )]
    Torn {
        /// The file.
        path: PathBuf,
        /// 1-based number of the torn line.
        line: u64,
        /// Its length.
        bytes: u64,
        /// The intact lines before it.
        intact: u64,
    },
    /// Records between two segments are absent.
    #[error(
        "audit log: records {first} to {last} are missing between {before} and {after} — a segment was removed"
    )]
    Missing {
        /// The first missing record.
        first: u64,
        /// The last missing record.
        last: u64,
        /// The segment before the gap.
        before: String,
        /// The segment after it.
        after: String,
    },
    /// The oldest segment does not start the log, and the node did not remove the ones
    /// before it.
    #[error(
        "audit log: it starts at record {seq} in {segment}, but no record of the log says its segments before were removed — they were removed by hand"
    )]
    Unexplained {
        /// The oldest segment present.
        segment: String,
        /// Its first record.
        seq: u64,
    },
    /// A segment's name does not match its first record.
    #[error("audit log: segment {segment} starts with record {seq} — it was renamed")]
    Misnamed {
        /// The segment.
        segment: String,
        /// Its first record.
        seq: u64,
    },
}

impl AuditError {
    /// The error for an I/O failure on `path`, for `map_err`.
    pub(crate) fn io_at(
        path: &std::path::Path,
    ) -> impl Fn(std::io::Error) -> AuditError + Copy + '_ {
        move |source| AuditError::Io {
            path: path.to_owned(),
            source,
        }
    }
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

#[cfg(test)]
mod tests;
