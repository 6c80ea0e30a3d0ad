//! Free space on the disks a node writes to, and the rule it sets (docs/operations.md, "A
//! full disk"): a node whose free space falls below its reserve proposes nothing and takes
//! no writes — clients fail over to another node —, keeps serving reads, and takes writes
//! again by itself once space returns. The reserve keeps room for what the node must still
//! write while it refuses: votes, the log entries its leader sends, RocksDB's compactions.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::NodeError;

/// Free space under a set of directories, sampled.
#[derive(Debug)]
pub struct DiskSpace {
    dirs: Vec<PathBuf>,
    reserve: u64,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Default)]
struct State {
    low: bool,
    /// The least free space of the last sample, and where.
    free: Option<(u64, PathBuf)>,
}

/// What a sample found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Bytes free where the fewest are.
    pub free: u64,
    /// That directory.
    pub dir: PathBuf,
    /// Whether the node is below its reserve now.
    pub low: bool,
    /// Whether that changed with this sample.
    pub changed: bool,
}

impl DiskSpace {
    /// Watches `dirs` (the data directory, the audit log's) against a reserve of `reserve`
    /// bytes.
    pub fn new(dirs: Vec<PathBuf>, reserve: u64) -> Self {
        DiskSpace {
            dirs,
            reserve,
            state: Mutex::default(),
        }
    }

    /// The reserve, in bytes.
    pub fn reserve(&self) -> u64 {
        self.reserve
    }

    /// Reads the free space now. The node becomes low below the reserve and stays low until
    /// a quarter more is free again, so that space hovering at the line does not flap.
    pub fn sample(&self) -> std::io::Result<Sample> {
        let mut least: Option<(u64, PathBuf)> = None;
        for dir in &self.dirs {
            let free = available(dir)?;
            if least.as_ref().is_none_or(|(f, _)| free < *f) {
                least = Some((free, dir.clone()));
            }
        }
        let (free, dir) = least.unwrap_or((u64::MAX, PathBuf::new()));
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let back = self.reserve.saturating_add(self.reserve / 4);
        let low = if state.low {
            free < back
        } else {
            free < self.reserve
        };
        let changed = low != state.low;
        state.low = low;
        state.free = Some((free, dir.clone()));
        Ok(Sample {
            free,
            dir,
            low,
            changed,
        })
    }

    /// Why this node may not write now, if its disk is low.
    pub fn refusal(&self) -> Option<NodeError> {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (&state.low, &state.free) {
            (true, Some((free, dir))) => Some(NodeError::DiskLow {
                free_mib: free >> 20,
                reserve_mib: self.reserve >> 20,
                dir: dir.display().to_string(),
            }),
            _ => None,
        }
    }
}

/// Bytes available to the node under `dir` (the nearest existing ancestor).
fn available(dir: &Path) -> std::io::Result<u64> {
    let existing = dir.ancestors().find(|d| d.exists()).unwrap_or(dir);
    let stat = rustix::fs::statvfs(existing).map_err(std::io::Error::from)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use super::*;

    #[test]
    fn a_disk_below_the_reserve_refuses_writes_until_a_quarter_more_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let free = available(dir.path()).unwrap();
        // A reserve just above what is free: low, and the refusal says where and how much.
        let guard = DiskSpace::new(vec![dir.path().to_owned()], free + (64 << 20));
        let s = guard.sample().unwrap();
        assert!(s.low && s.changed);
        let refusal = guard.refusal().unwrap().to_string();
        assert!(refusal.contains("MiB free"), "{refusal}");
        assert!(refusal.contains(&dir.path().display().to_string()));
        // Plenty free against a small reserve: not low.
        let roomy = DiskSpace::new(vec![dir.path().to_owned()], 1 << 20);
        let s = roomy.sample().unwrap();
        assert!(!s.low && !s.changed);
        assert!(roomy.refusal().is_none());
    }
}
