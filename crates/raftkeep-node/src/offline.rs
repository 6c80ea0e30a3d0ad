//! Work on a stopped node's data directory: restoring a backup into it, and recovering a new
//! cluster from it after the old cluster lost its majority for good. Both end with the store
//! as the whole state of a new one-node cluster (new cluster id) that `raftkeep server` then
//! runs and other nodes join.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use openraft::LogId;
use raftkeep_seal::{KeyVersion, Keyring};
use raftkeep_store::backup::{BackupFile, read_backup, restore_into};
use raftkeep_store::new_cluster::{PendingLog, apply_whole_log, found_single_node, pending_log};
use raftkeep_store::{NodeId, StateMachine, StoreError, db};

use crate::{NodeConfig, NodeStartError};

/// A restored backup.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The backup as read (header and counts).
    pub file: BackupFile,
    /// The new cluster's id.
    pub cluster_id: String,
    /// The log id the restored state stands for.
    pub at: LogId<NodeId>,
}

/// What `raftkeep cluster recover` works from: the node's own view of the old cluster.
#[derive(Debug, Clone)]
pub struct Survivor {
    /// The old cluster's id, if it had one.
    pub cluster_id: Option<String>,
    /// The old cluster's members other than this node: id, address, voter.
    pub others: Vec<(NodeId, String, bool)>,
    /// How many voters the old cluster had, this node included if it was one.
    pub voters: usize,
    /// What this node's log holds beyond its applied state.
    pub log: PendingLog,
}

/// A recovered node.
#[derive(Debug, Clone, Copy)]
pub struct Recovered {
    /// Log entries applied during the recovery (held but not yet applied before).
    pub applied_from_log: u64,
    /// The log id the recovered state stands for.
    pub at: LogId<NodeId>,
}

fn store_err(path: &Path) -> impl FnOnce(StoreError) -> NodeStartError + '_ {
    move |source| NodeStartError::Store {
        path: path.to_path_buf(),
        source,
    }
}

fn db_dir(config: &NodeConfig) -> PathBuf {
    config.data_dir.join("db")
}

/// Opens a stopped node's store; a running node's is locked, which says so.
fn open(config: &NodeConfig) -> Result<StateMachine, NodeStartError> {
    let dir = db_dir(config);
    let database = db::open(&dir).map_err(|e| match e {
        StoreError::Db(ref d) if d.to_string().contains("lock") => NodeStartError::DataDir {
            path: dir.clone(),
            reason: "the store is in use (is the node still running? stop it first)".into(),
        },
        other => store_err(&dir)(other),
    })?;
    StateMachine::new(database, config.data_dir.join("snapshots")).map_err(store_err(&dir))
}

/// Checks a backup file's structure and digest (no key needed) and returns its header and
/// counts; `progress` hears the bytes read.
pub fn verify_backup(path: &Path, progress: impl FnMut(u64)) -> Result<BackupFile, NodeStartError> {
    read_backup(reader(path)?, None, |_| Ok(()), progress).map_err(store_err(path))
}

/// [`verify_backup`], also opening every chunk with `keyring` (authenticity).
pub fn verify_backup_with_key(
    path: &Path,
    keyring: &Keyring,
    progress: impl FnMut(u64),
) -> Result<BackupFile, NodeStartError> {
    read_backup(reader(path)?, Some(keyring), |_| Ok(()), progress).map_err(store_err(path))
}

/// [`verify_backup_with_key`], and the UIDs of the objects whose sealed material it holds.
pub fn backup_with_material(
    path: &Path,
    keyring: &Keyring,
    progress: impl FnMut(u64),
) -> Result<(BackupFile, Vec<String>), NodeStartError> {
    let mut sealed = Vec::new();
    let file = read_backup(
        reader(path)?,
        Some(keyring),
        |record| {
            if let Some(uid) = raftkeep_store::backup::sealed_uid(&record)? {
                sealed.push(uid);
            }
            Ok(())
        },
        progress,
    )
    .map_err(store_err(path))?;
    Ok((file, sealed))
}

fn reader(path: &Path) -> Result<BufReader<std::fs::File>, NodeStartError> {
    std::fs::File::open(path)
        .map(|f| BufReader::with_capacity(1 << 20, f))
        .map_err(|source| {
            store_err(path)(StoreError::Io {
                what: "cannot open the backup".into(),
                source,
            })
        })
}

/// Restores a backup into this node's data directory, which must hold no store yet, and
/// makes it a new one-node cluster. Checks the whole file before writing anything, and
/// removes what it wrote if it fails half-way. `progress` hears (pass, bytes read): pass 1
/// checks the digest, pass 2 opens and writes.
pub fn restore(
    config: &NodeConfig,
    keyring: &Keyring,
    backup: &Path,
    mut progress: impl FnMut(u8, u64),
) -> Result<Restored, NodeStartError> {
    let dir = db_dir(config);
    if dir.exists() {
        return Err(NodeStartError::DataDir {
            path: dir,
            reason: "already holds a store; restore into a node with an empty data directory"
                .into(),
        });
    }
    let checked = verify_backup(backup, |b| progress(1, b))?;
    let version = KeyVersion(checked.header.root_key_version);
    if !keyring.versions().any(|v| v == version) {
        return Err(NodeStartError::Store {
            path: backup.to_path_buf(),
            source: StoreError::BadBackup(format!(
                "it is sealed with root key version {version}, which this node's configuration does not hold"
            )),
        });
    }
    let result = restore_checked(config, keyring, backup, &mut progress);
    if result.is_err() {
        // Leave the directory as it was: empty, ready for another attempt.
        for d in [dir, config.data_dir.join("snapshots")] {
            if let Err(e) = std::fs::remove_dir_all(&d) {
                tracing::warn!(dir = %d.display(), error = %e, "cannot remove a partial restore");
            }
        }
    }
    result
}

fn restore_checked(
    config: &NodeConfig,
    keyring: &Keyring,
    backup: &Path,
    progress: &mut impl FnMut(u8, u64),
) -> Result<Restored, NodeStartError> {
    let sm = open(config)?;
    let file = restore_into(&sm, reader(backup)?, keyring, |b| progress(2, b))
        .map_err(store_err(backup))?;
    sm.verify_root_key(keyring).map_err(|e| match e {
        StoreError::WrongRootKey(_) => NodeStartError::WrongRootKey,
        other => store_err(backup)(other),
    })?;
    let cluster_id = uuid::Uuid::new_v4().to_string();
    let at = found_single_node(
        &sm,
        config.node_id,
        &config.advertise(),
        file.header.applied,
        &cluster_id,
    )
    .map_err(store_err(&db_dir(config)))?;
    Ok(Restored {
        file,
        cluster_id,
        at,
    })
}

/// What this stopped node knows of its old cluster, for the checks before a recovery.
pub fn survivor(config: &NodeConfig) -> Result<Survivor, NodeStartError> {
    let dir = db_dir(config);
    if !dir.exists() {
        return Err(NodeStartError::DataDir {
            path: dir,
            reason: "holds no store: nothing to recover from".into(),
        });
    }
    let sm = open(config)?;
    let stored = sm.membership().map_err(store_err(&dir))?;
    let membership = stored.membership();
    let voters: Vec<NodeId> = membership.voter_ids().collect();
    let others = membership
        .nodes()
        .filter(|(id, _)| **id != config.node_id)
        .map(|(id, n)| (*id, n.addr.clone(), voters.contains(id)))
        .collect();
    Ok(Survivor {
        cluster_id: sm.cluster_id().map_err(store_err(&dir))?,
        others,
        voters: voters.len(),
        log: pending_log(&sm).map_err(store_err(&dir))?,
    })
}

/// Recovers: applies every entry of the node's log (committed or not), then makes its store a
/// new one-node cluster with the id `cluster_id`.
pub fn recover(config: &NodeConfig, cluster_id: &str) -> Result<Recovered, NodeStartError> {
    let dir = db_dir(config);
    let sm = open(config)?;
    let applied_from_log = apply_whole_log(&sm).map_err(store_err(&dir))?;
    let last = sm.last_applied().map_err(store_err(&dir))?;
    let at = found_single_node(&sm, config.node_id, &config.advertise(), last, cluster_id)
        .map_err(store_err(&dir))?;
    Ok(Recovered {
        applied_from_log,
        at,
    })
}
