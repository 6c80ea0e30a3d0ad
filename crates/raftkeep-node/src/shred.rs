//! Crypto-shredding kept on disk. Destroy replaces an object's sealed material in the store
//! at once, but earlier copies of it stay behind: in the Raft log entry that created it, in a
//! snapshot taken before, and in RocksDB files until a compaction rewrites them. Each node
//! therefore shreds on its own, `shred_after` after the first Destroy it has not shredded yet
//! (several Destroys share one pass):
//!
//! 1. a snapshot taken after the Destroy replaces the older one;
//! 2. the log is purged through the Destroy's index (a follower that needs those entries gets
//!    the snapshot instead);
//! 3. every memtable is flushed (no write-ahead log file holds the entries any longer) and
//!    the log, object and index column families are compacted to the bottom level.
//!
//! Then the sealed blob is on none of the node's files (a test scans for it). The bound is
//! `shred_after` plus the pass's time, which grows with the store (docs/security.md).
//! Backups taken before keep the material: `raftkeep backup verify --against-cluster` names
//! them. Copies the filesystem or the disk keep in freed blocks are beyond the node's reach.

use std::time::{Duration, Instant};

use raftkeep_store::RaftNode;

/// How long a step may take before the pass is abandoned (and tried again).
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// How often the node looks for pending work.
const TICK: Duration = Duration::from_secs(1);

/// Runs until the node stops: shreds whatever Destroys left behind, `after` the first one.
pub async fn run(node: RaftNode, after: Duration) {
    let mut noticed: Option<Instant> = None;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (due, done) = match node.state_machine().shred_state() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the shredding state");
                continue;
            }
        };
        metrics::gauge!("raftkeep_shred_pending").set(if due > done { 1.0 } else { 0.0 });
        if due <= done {
            noticed = None;
            continue;
        }
        if noticed.get_or_insert_with(Instant::now).elapsed() < after {
            continue;
        }
        let started = Instant::now();
        match pass(&node, due).await {
            Ok(()) => {
                let took = started.elapsed();
                metrics::counter!("raftkeep_shred_passes_total").increment(1);
                metrics::histogram!("raftkeep_shred_seconds").record(took.as_secs_f64());
                tracing::info!(
                    upto = due,
                    seconds = took.as_secs_f64(),
                    "destroyed material shredded: no log entry, snapshot or store file of this node holds it"
                );
                noticed = None;
            }
            Err(why) => {
                metrics::counter!("raftkeep_shred_failures_total").increment(1);
                tracing::warn!(upto = due, %why, "shredding destroyed material did not finish; trying again");
                // Not at once: the next attempt waits `after` again.
                noticed = Some(Instant::now());
            }
        }
    }
}

/// One pass: snapshot past `due`, log purged through it, files compacted; recorded.
async fn pass(node: &RaftNode, due: u64) -> Result<(), String> {
    let raft = node.raft();
    let snapshot = || raft.metrics().borrow().snapshot.map_or(0, |l| l.index);
    if snapshot() < due {
        raft.trigger()
            .snapshot()
            .await
            .map_err(|e| format!("asking for a snapshot: {e}"))?;
        wait(node, "a snapshot past the Destroy", |m| {
            m.snapshot.is_some_and(|l| l.index >= due)
        })
        .await?;
    }
    raft.trigger()
        .purge_log(due)
        .await
        .map_err(|e| format!("asking to purge the log: {e}"))?;
    wait(node, "the log purged through the Destroy", |m| {
        m.purged.is_some_and(|l| l.index >= due)
    })
    .await?;
    let sm = node.state_machine().clone();
    tokio::task::spawn_blocking(move || {
        sm.compact_away_deleted()?;
        sm.record_shredded(due)
    })
    .await
    .map_err(|e| format!("the compaction task failed: {e}"))?
    .map_err(|e| format!("compacting the store: {e}"))
}

/// Waits until the node's Raft metrics satisfy `done`.
async fn wait(
    node: &RaftNode,
    what: &str,
    done: impl Fn(&openraft::RaftMetrics<u64, openraft::BasicNode>) -> bool,
) -> Result<(), String> {
    let mut rx = node.raft().metrics();
    tokio::time::timeout(STEP_TIMEOUT, async {
        loop {
            if done(&rx.borrow_and_update()) {
                return Ok(());
            }
            if rx.changed().await.is_err() {
                return Err("the node is stopping".to_owned());
            }
        }
    })
    .await
    .map_err(|_| format!("no {what} within {} s", STEP_TIMEOUT.as_secs()))?
}
