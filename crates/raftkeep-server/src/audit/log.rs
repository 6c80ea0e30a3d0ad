//! [`AuditLog`]: a node's log, appended to under a lock. Records go to the active file;
//! when it reaches its size or age it is sealed (renamed after its first record) and a new
//! active file starts with a record naming the segment it continues. Sealed segments past
//! the retention are removed, the removal recorded first. A syncing thread makes records
//! durable in groups: [`AuditSink::durable`] resolves once the next sync covers them.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use time::OffsetDateTime;

use super::scan::{Scan, check_link, scan, set_aside_torn};
use super::segments;
use super::{AuditError, AuditSink, Event, GENESIS, Record, RetainedFrom, hash_of};

/// When segments are sealed and removed, and whether records are synced before answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOptions {
    /// The active file is sealed once it holds this many bytes.
    pub segment_bytes: u64,
    /// ... or once its first record is this old.
    pub segment_age: Duration,
    /// Sealed segments kept; the oldest beyond are removed. `None`: all.
    pub keep_segments: Option<usize>,
    /// Sealed segments last written longer ago than this are removed. `None`: kept.
    pub keep_age: Option<Duration>,
    /// Sync records to disk (in groups) before the answers they record are sent.
    pub sync: bool,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            segment_bytes: 64 << 20,
            segment_age: Duration::from_secs(24 * 3600),
            keep_segments: None,
            keep_age: None,
            sync: true,
        }
    }
}

/// The active file and where the chain stands.
struct Active {
    file: Arc<File>,
    /// The next record's sequence number.
    seq: u64,
    /// The last record's hash.
    prev: String,
    /// The active file's first record.
    first_seq: u64,
    /// Its size.
    bytes: u64,
    /// When its first record was written.
    opened: OffsetDateTime,
    /// A failed seal is not tried again before this; records go on into the active file.
    seal_after: Option<OffsetDateTime>,
}

struct Syncing {
    /// Records (by sequence number, exclusive) someone waits to see synced.
    wanted: u64,
    stop: bool,
}

struct Shared {
    path: PathBuf,
    node: u64,
    options: AuditOptions,
    active: Mutex<Active>,
    /// The next record's sequence number, readable without the lock.
    written: AtomicU64,
    syncing: Mutex<Syncing>,
    wake: Condvar,
    /// Records below this sequence number are on stable storage.
    synced: tokio::sync::watch::Sender<u64>,
}

/// A node's audit log.
pub struct AuditLog {
    shared: Arc<Shared>,
    syncer: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog")
            .field("path", &self.shared.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AuditLog {
    /// Opens (or creates) the log of `node` whose active file is `path`, with the default
    /// options.
    pub fn open(path: &Path, node: u64) -> Result<Self, AuditError> {
        Self::open_with(path, node, AuditOptions::default())
    }

    /// Opens (or creates) the log of `node` whose active file is `path`: verifies the
    /// active file's chain and its link to the last sealed segment, sets a torn end aside,
    /// applies the retention, and continues the chain.
    pub fn open_with(path: &Path, node: u64, options: AuditOptions) -> Result<Self, AuditError> {
        let io = AuditError::io_at(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let sealed = segments::sealed(path)?;
        let before = match sealed.last() {
            Some(s) => segments::last_record(&s.path)?.map(|r| (s.clone(), r)),
            None => None,
        };
        let scan = if path.exists() {
            scan(path)?
        } else {
            Scan::default()
        };
        match (&before, &scan.first) {
            (Some((_, last)), Some(first)) => check_link(path, 1, last, first)?,
            (None, Some(first)) => super::verify::check_start(path, first, &scan.retained)?,
            _ => {}
        }
        let set_aside = if scan.torn > 0 {
            Some(set_aside_torn(path, &scan).map_err(io)?)
        } else {
            None
        };
        let now = OffsetDateTime::now_utc();
        let (seq, prev) = match scan.last.as_ref().or(before.as_ref().map(|(_, r)| r)) {
            Some(r) => (r.seq + 1, r.hash.clone()),
            None => (0, GENESIS.to_owned()),
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        let active = Active {
            file: Arc::new(file),
            seq,
            prev,
            first_seq: scan.first.as_ref().map_or(seq, |r| r.seq),
            bytes: scan.intact_len,
            opened: scan
                .first
                .as_ref()
                .map_or(now, |r| parse_time(&r.time, now)),
            seal_after: None,
        };
        let (synced, _) = tokio::sync::watch::channel(seq);
        let shared = Arc::new(Shared {
            path: path.to_owned(),
            node,
            options,
            active: Mutex::new(active),
            written: AtomicU64::new(seq),
            syncing: Mutex::new(Syncing {
                wanted: seq,
                stop: false,
            }),
            wake: Condvar::new(),
            synced,
        });
        {
            let mut active = lock(&shared.active);
            if let Some(aside) = set_aside {
                let reason = format!(
                    "{} bytes of a record cut short at line {} (a write interrupted by a crash) set aside in {}",
                    scan.torn,
                    scan.lines + 1,
                    aside.display()
                );
                tracing::warn!(path = %path.display(), %reason, "audit log recovered: the chain goes on from its last intact record");
                metrics::counter!("raftkeep_audit_torn_recoveries_total").increment(1);
                shared
                    .write(
                        &mut active,
                        Event::of_log("AuditLogRecovered", "Recovered", Vec::new(), reason),
                        None,
                        now,
                    )
                    .map_err(io)?;
            }
            if let (None, Some((segment, last))) = (&scan.first, &before) {
                // Sealed, but the crash came before the new file's first record.
                shared
                    .start_segment(&mut active, &segment.path, segment.first_seq, last.seq, now)
                    .map_err(io)?;
            }
            shared.retain(&mut active, now);
        }
        let syncer = if shared.options.sync {
            let s = Arc::clone(&shared);
            let handle = std::thread::Builder::new()
                .name("audit-sync".to_owned())
                .spawn(move || s.run_syncer())
                .map_err(io)?;
            Some(handle)
        } else {
            None
        };
        Ok(AuditLog { shared, syncer })
    }

    /// Appends one event, sealing the active file first when it is due.
    fn append(&self, event: Event) -> Result<(), AuditError> {
        let shared = &self.shared;
        let mut active = lock(&shared.active);
        let now = OffsetDateTime::now_utc();
        if shared.due(&active, now)
            && let Err(e) = shared.seal(&mut active, now)
        {
            // Better one long segment than lost records: the next try is in a minute.
            active.seal_after = Some(now + SEAL_RETRY);
            metrics::counter!("raftkeep_audit_write_failures_total").increment(1);
            tracing::error!(path = %shared.path.display(), error = %e, "cannot seal the audit segment; records go on into the active file");
        }
        shared
            .write(&mut active, event, None, now)
            .map_err(AuditError::io_at(&shared.path))
    }
}

#[cfg(test)]
impl AuditLog {
    /// Records below this sequence number are synced.
    pub(crate) fn synced_upto(&self) -> u64 {
        *self.shared.synced.borrow()
    }

    /// The next record's sequence number.
    pub(crate) fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Acquire)
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        lock(&self.shared.syncing).stop = true;
        self.shared.wake.notify_all();
        if let Some(handle) = self.syncer.take() {
            let _ = handle.join();
        }
    }
}

impl AuditSink for AuditLog {
    fn record(&self, event: Event) {
        if let Err(e) = self.append(event) {
            metrics::counter!("raftkeep_audit_write_failures_total").increment(1);
            tracing::error!(path = %self.shared.path.display(), error = %e, "cannot write the audit log");
        }
    }

    fn durable(&self) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        let shared = &self.shared;
        let target = shared.written.load(Ordering::Acquire);
        if self.syncer.is_none() || *shared.synced.borrow() >= target {
            return Box::pin(std::future::ready(()));
        }
        {
            let mut syncing = lock(&shared.syncing);
            syncing.wanted = syncing.wanted.max(target);
        }
        shared.wake.notify_one();
        let mut synced = shared.synced.subscribe();
        Box::pin(async move {
            // Closed only when the log is dropped, after its last sync.
            let _ = synced.wait_for(|s| *s >= target).await;
        })
    }
}

impl Shared {
    /// Whether the active file is due to be sealed before the next record.
    fn due(&self, active: &Active, now: OffsetDateTime) -> bool {
        if active.seal_after.is_some_and(|t| now < t) {
            return false;
        }
        let holds_records = active.seq > active.first_seq + 1;
        let old = (now - active.opened).unsigned_abs() >= self.options.segment_age;
        holds_records && (active.bytes >= self.options.segment_bytes || old)
    }

    /// Writes one record after the last.
    fn write(
        &self,
        active: &mut Active,
        event: Event,
        retained_from: Option<RetainedFrom>,
        now: OffsetDateTime,
    ) -> std::io::Result<()> {
        let time = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut record = Record {
            seq: active.seq,
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
            retained_from,
            prev: active.prev.clone(),
            hash: String::new(),
        };
        record.hash = hash_of(&record);
        let mut line = serde_json::to_vec(&record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        (&*active.file).write_all(&line)?;
        if active.seq == active.first_seq && active.bytes == 0 {
            active.opened = now;
        }
        active.seq += 1;
        active.bytes += line.len() as u64;
        active.prev.clone_from(&record.hash);
        self.written.store(active.seq, Ordering::Release);
        Ok(())
    }

    /// Seals the active file into its segment and starts a new one, then applies the
    /// retention.
    fn seal(&self, active: &mut Active, now: OffsetDateTime) -> Result<(), AuditError> {
        active
            .file
            .sync_all()
            .map_err(AuditError::io_at(&self.path))?;
        let sealed = segments::sealed_path(&self.path, active.first_seq);
        if sealed.exists() {
            return Err(AuditError::io_at(&sealed)(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a sealed segment of that name exists already; the active file is kept",
            )));
        }
        std::fs::rename(&self.path, &sealed).map_err(AuditError::io_at(&sealed))?;
        let file = match sync_dir(&self.path).and_then(|()| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
        }) {
            Ok(file) => file,
            Err(e) => {
                // Keep appending where the chain is: the segment becomes the active file again.
                let _ = std::fs::rename(&sealed, &self.path);
                return Err(AuditError::io_at(&self.path)(e));
            }
        };
        let (first, last) = (active.first_seq, active.seq.saturating_sub(1));
        active.file = Arc::new(file);
        active.first_seq = active.seq;
        active.bytes = 0;
        active.opened = now;
        active.seal_after = None;
        metrics::counter!("raftkeep_audit_segments_sealed_total").increment(1);
        tracing::info!(segment = %sealed.display(), records = last + 1 - first, "audit segment sealed");
        self.start_segment(active, &sealed, first, last, now)
            .map_err(AuditError::io_at(&self.path))?;
        self.retain(active, now);
        Ok(())
    }

    /// Applies the retention; a failure is logged and counted, and tried again at the next
    /// seal: the log goes on either way.
    fn retain(&self, active: &mut Active, now: OffsetDateTime) {
        if let Err(e) = self.apply_retention(active, now) {
            metrics::counter!("raftkeep_audit_write_failures_total").increment(1);
            tracing::error!(path = %self.path.display(), error = %e, "cannot apply the audit log's retention");
        }
    }

    /// The new active file's first record: the segment it continues, which holds the
    /// records `first` to `last`.
    fn start_segment(
        &self,
        active: &mut Active,
        previous: &Path,
        first: u64,
        last: u64,
        now: OffsetDateTime,
    ) -> std::io::Result<()> {
        let name = segments::name(previous);
        let reason = format!("continues from segment {name}: records {first} to {last}");
        self.write(
            active,
            Event::of_log("AuditSegmentStarted", "Sealed", vec![name], reason),
            None,
            now,
        )
    }

    /// Removes the sealed segments beyond the retention, oldest first, after recording where
    /// the log will start.
    fn apply_retention(&self, active: &mut Active, now: OffsetDateTime) -> Result<(), AuditError> {
        let sealed = segments::sealed(&self.path)?;
        let remove = self.beyond_retention(&sealed);
        metrics::gauge!("raftkeep_audit_segments").set((sealed.len() - remove + 1) as f64);
        if remove == 0 {
            return Ok(());
        }
        let kept = sealed.get(remove).map_or(self.path.as_path(), |s| &s.path);
        let Some(start) = segments::first_record(kept)? else {
            return Ok(());
        };
        let removed: Vec<_> = sealed.iter().take(remove).collect();
        let reason = format!(
            "{} segments, records {} to {}, removed by the retention ({}); the log starts at record {}",
            removed.len(),
            removed.first().map_or(0, |s| s.first_seq),
            start.seq.saturating_sub(1),
            self.retention_rule(),
            start.seq
        );
        let names = removed.iter().map(|s| segments::name(&s.path)).collect();
        let event = Event::of_log("AuditSegmentsRemoved", "Removed", names, reason);
        let retained = RetainedFrom {
            seq: start.seq,
            prev: start.prev,
        };
        self.write(active, event, Some(retained), now)
            .map_err(AuditError::io_at(&self.path))?;
        active
            .file
            .sync_data()
            .map_err(AuditError::io_at(&self.path))?;
        for segment in removed {
            std::fs::remove_file(&segment.path).map_err(AuditError::io_at(&segment.path))?;
            tracing::info!(segment = %segment.path.display(), "audit segment removed by the retention");
            metrics::counter!("raftkeep_audit_segments_removed_total").increment(1);
        }
        sync_dir(&self.path).map_err(AuditError::io_at(&self.path))
    }

    /// How many of the oldest sealed segments the retention removes.
    fn beyond_retention(&self, sealed: &[segments::Segment]) -> usize {
        let by_count = self
            .options
            .keep_segments
            .map_or(0, |keep| sealed.len().saturating_sub(keep));
        let by_age = self.options.keep_age.map_or(0, |keep| {
            sealed
                .iter()
                .take_while(|s| {
                    std::fs::metadata(&s.path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > keep)
                })
                .count()
        });
        by_count.max(by_age)
    }

    fn retention_rule(&self) -> String {
        let count = self
            .options
            .keep_segments
            .map(|n| format!("keep {n} segments"));
        let age = self
            .options
            .keep_age
            .map(|d| format!("keep {} days", d.as_secs() / 86_400));
        [count, age]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Syncs the active file whenever records wait for it, until the log is dropped.
    fn run_syncer(&self) {
        loop {
            {
                let mut syncing = lock(&self.syncing);
                while !syncing.stop && syncing.wanted <= *self.synced.borrow() {
                    syncing = self
                        .wake
                        .wait(syncing)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if syncing.stop {
                    return;
                }
            }
            let (file, upto) = {
                let active = lock(&self.active);
                (Arc::clone(&active.file), active.seq)
            };
            if let Err(e) = file.sync_data() {
                metrics::counter!("raftkeep_audit_write_failures_total").increment(1);
                tracing::error!(path = %self.path.display(), error = %e, "cannot sync the audit log");
            }
            self.synced.send_if_modified(|s| {
                let newer = upto > *s;
                *s = (*s).max(upto);
                newer
            });
        }
    }
}

/// How long after a failed seal the next is tried.
const SEAL_RETRY: time::Duration = time::Duration::minutes(1);

fn parse_time(text: &str, or: OffsetDateTime) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap_or(or)
}

/// Makes a rename or removal in the file's directory durable.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}
