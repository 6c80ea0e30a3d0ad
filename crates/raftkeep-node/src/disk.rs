//! The node's side of the disk reserve ([`raftkeep_store::disk`]): samples the free space
//! every second, exports it, and while the disk is low marks the node unfit to lead: it
//! starts no elections, and if it leads, the placement loop (`raftkeep_net::placement`)
//! hands leadership to a node that can still write.

use std::sync::Arc;
use std::time::Duration;

use raftkeep_store::{DiskSpace, RaftNode};

use crate::NodeConfig;

/// How often the free space is read.
const DISK_CHECK: Duration = Duration::from_secs(1);

/// The reserve over the node's data directory and its audit log's directory, sampled once.
pub(crate) fn guard(config: &NodeConfig) -> Arc<DiskSpace> {
    let mut dirs = vec![config.data_dir.clone()];
    if let Some(audit) = config
        .kmip
        .as_ref()
        .and_then(|k| k.audit_log.as_ref())
        .and_then(|p| p.parent())
    {
        dirs.push(audit.to_owned());
    }
    let disk = Arc::new(DiskSpace::new(
        dirs,
        config.cluster.min_free_mib.saturating_mul(1 << 20),
    ));
    match disk.sample() {
        Ok(s) if s.low => log_change(&s, disk.reserve()),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read the free disk space"),
    }
    disk
}

/// Samples `disk` until Raft stops, applying each change to the node's elections.
pub(crate) async fn watch(node: RaftNode, disk: Arc<DiskSpace>) {
    // What the sample taken at start found.
    node.set_fit_to_lead(disk.refusal().is_none());
    let metrics = node.raft().metrics();
    let mut tick = tokio::time::interval(DISK_CHECK);
    let mut failing = false;
    loop {
        tick.tick().await;
        if metrics.has_changed().is_err() {
            return;
        }
        let sample = match disk.sample() {
            Ok(s) => s,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot read the free disk space");
                }
                failing = true;
                continue;
            }
        };
        failing = false;
        metrics::gauge!("raftkeep_disk_free_bytes").set(sample.free as f64);
        metrics::gauge!("raftkeep_disk_low").set(if sample.low { 1.0 } else { 0.0 });
        if sample.changed {
            node.set_fit_to_lead(!sample.low);
            log_change(&sample, disk.reserve());
        }
    }
}

/// Says that the node went below its reserve, or back above it.
fn log_change(sample: &raftkeep_store::disk::Sample, reserve: u64) {
    let (free_mib, reserve_mib) = (sample.free >> 20, reserve >> 20);
    let dir = sample.dir.display();
    if sample.low {
        tracing::error!(free_mib, reserve_mib, %dir, "disk below the reserve (cluster.min_free_mib): this node takes no writes and gives up leadership; it still serves reads");
    } else {
        tracing::info!(free_mib, reserve_mib, %dir, "disk space back above the reserve: this node takes writes again");
    }
}
