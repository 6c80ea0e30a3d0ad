//! Online backups, served by any node: a write through the leader first (the read barrier:
//! once it is applied here, this node's copy holds every write acknowledged before), then the
//! backup file streamed from one RocksDB snapshot of that copy, written by a blocking task
//! while the caller receives it.

use std::cell::Cell;
use std::io::Write;

use raftkeep_proto::cluster::BackupChunk;
use raftkeep_seal::Keyring;
use raftkeep_store::backup::{BackupSource, estimated_records, write_backup};
use raftkeep_store::command::BackupMark;
use raftkeep_store::{Command, StateMachine};
use tokio::sync::mpsc;
use tonic::Status;

use crate::Forwarder;

/// Bytes per streamed message.
const MESSAGE: usize = 256 << 10;
/// Messages the writer may run ahead of the caller.
const QUEUE: usize = 8;

/// The stream of a backup's bytes.
pub type BackupStream = tokio_stream::wrappers::ReceiverStream<Result<BackupChunk, Status>>;

/// Records the backup in the log, then streams it.
pub(crate) async fn start(forwarder: &Forwarder, keyring: Keyring) -> Result<BackupStream, Status> {
    let node = forwarder.node();
    let id = uuid::Uuid::new_v4().to_string();
    let mark = BackupMark {
        id: id.clone(),
        unix_millis: u64::try_from(crate::clock::unix_millis()).unwrap_or(0),
        node: node.raft().metrics().borrow().id,
    };
    forwarder
        .write(Command::RecordBackup(mark.clone()))
        .await
        .map_err(|e| Status::unavailable(format!("cannot record the backup: {e}")))?;
    let sm = node.state_machine().clone();
    let source = BackupSource {
        backup_id: id,
        node: mark.node,
        node_addr: forwarder.own_node().addr,
        created_unix_millis: mark.unix_millis,
    };
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::task::spawn_blocking(move || write(&sm, &keyring, source, &tx));
    Ok(tokio_stream::wrappers::ReceiverStream::new(rx))
}

fn write(
    sm: &StateMachine,
    keyring: &Keyring,
    source: BackupSource,
    tx: &mpsc::Sender<Result<BackupChunk, Status>>,
) {
    let started = std::time::Instant::now();
    let records = Cell::new(0_u64);
    let id = source.backup_id.clone();
    let mut out = Sender {
        tx,
        buf: Vec::with_capacity(MESSAGE),
        records: &records,
        estimated: estimated_records(sm),
    };
    match write_backup(sm, keyring, source, &mut out, |c| records.set(c.records)) {
        Ok(file) => tracing::info!(
            backup_id = %id,
            index = ?file.header.applied.map(|l| l.index),
            records = file.counts.records,
            objects = file.counts.objects,
            bytes = file.bytes,
            elapsed_ms = started.elapsed().as_millis(),
            "backup written"
        ),
        Err(e) => {
            tracing::warn!(backup_id = %id, error = %e, "backup failed");
            // The caller may be gone already; then there is no one left to tell.
            let _ = tx.blocking_send(Err(Status::internal(format!("backup failed: {e}"))));
        }
    }
}

/// Sends what is written as stream messages of about [`MESSAGE`] bytes.
struct Sender<'a> {
    tx: &'a mpsc::Sender<Result<BackupChunk, Status>>,
    buf: Vec<u8>,
    records: &'a Cell<u64>,
    estimated: u64,
}

impl Sender<'_> {
    fn send(&mut self) -> std::io::Result<()> {
        let chunk = BackupChunk {
            data: std::mem::take(&mut self.buf),
            records: self.records.get(),
            estimated_records: self.estimated,
        };
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the caller left"))
    }
}

impl Write for Sender<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= MESSAGE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}
