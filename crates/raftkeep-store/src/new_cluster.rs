//! Making a new cluster out of existing state: a restored backup, or the store of a node that
//! survived the loss of its cluster's majority. The state becomes the snapshot of a one-node
//! cluster whose only voter is this node, under a new cluster identifier; the other nodes then
//! join it as they join any cluster (they receive the snapshot).
//!
//! Both run offline, on a stopped node's data directory (RocksDB's lock refuses a running one).

use std::collections::{BTreeMap, BTreeSet};

use openraft::{BasicNode, CommittedLeaderId, LogId, Membership, StoredMembership, Vote};
use rocksdb::{IteratorMode, WriteBatch, WriteOptions};

use crate::db::{CF_CLUSTER, CF_LOG, CF_META, CF_SM_META, cf, decode, encode, get_decoded};
use crate::log_store::{KEY_COMMITTED, KEY_LAST_PURGED, KEY_VOTE};
use crate::state_machine::{KEY_LAST_APPLIED, KEY_MEMBERSHIP};
use crate::{NodeId, StateMachine, StoreError, TypeConfig};

/// What this node's log holds beyond the state machine, before a recovery applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingLog {
    /// The last log index applied to the state machine.
    pub applied: Option<u64>,
    /// The last index this node knew to be committed (as last saved).
    pub committed: Option<u64>,
    /// The last index in this node's log.
    pub last: Option<u64>,
}

impl PendingLog {
    /// Entries held but not known to be committed: the lost majority may or may not have
    /// committed (and acknowledged) them.
    pub fn uncommitted(&self) -> u64 {
        self.last
            .unwrap_or(0)
            .saturating_sub(self.committed.unwrap_or(0))
    }
}

/// What the log of this node holds beyond its applied state.
pub fn pending_log(sm: &StateMachine) -> Result<PendingLog, StoreError> {
    let db = &sm.db;
    let last = match db.iterator_cf(cf(db, CF_LOG)?, IteratorMode::End).next() {
        Some(item) => {
            let (_, value) = item?;
            let entry: openraft::Entry<TypeConfig> = decode(&value, "log entry")?;
            Some(entry.log_id.index)
        }
        None => None,
    };
    Ok(PendingLog {
        applied: sm.last_applied()?.map(|l| l.index),
        committed: crate::log_store::committed_index(db)?,
        last,
    })
}

/// Applies every entry of this node's log after the last applied one, committed or not: the
/// lost majority may have committed them and acknowledged the writes, and keeping a write a
/// client saw fail is the lesser harm than losing one it saw succeed. Returns how many.
pub fn apply_whole_log(sm: &StateMachine) -> Result<u64, StoreError> {
    let db = &sm.db;
    let from = sm
        .last_applied()?
        .map_or(0, |l| l.index.saturating_add(1))
        .to_be_bytes();
    let mut applied = 0_u64;
    let mode = IteratorMode::From(&from, rocksdb::Direction::Forward);
    for item in db.iterator_cf(cf(db, CF_LOG)?, mode) {
        let (_, value) = item?;
        let entry: openraft::Entry<TypeConfig> = decode(&value, "log entry")?;
        sm.apply_entry(&entry)?;
        applied = applied.saturating_add(1);
    }
    Ok(applied)
}

/// Makes the store the whole state of a new one-node cluster: `node`, reachable at `addr`, its
/// only voter; `at` the log id the state stands for (the last applied entry, or the backup's);
/// `cluster_id` the new cluster's identifier. The log is emptied (the state is its snapshot),
/// and the vote keeps its term so the node's first election moves forward in time.
pub fn found_single_node(
    sm: &StateMachine,
    node: NodeId,
    addr: &str,
    at: Option<LogId<NodeId>>,
    cluster_id: &str,
) -> Result<LogId<NodeId>, StoreError> {
    let db = &sm.db;
    let at = at.unwrap_or_else(|| LogId::new(CommittedLeaderId::new(0, node), 0));
    let old_vote: Option<Vote<NodeId>> = get_decoded(db, CF_META, KEY_VOTE, "vote")?;
    let term = old_vote
        .map_or(0, |v| v.leader_id.term)
        .max(at.leader_id.term);
    let membership = Membership::new(
        vec![BTreeSet::from([node])],
        BTreeMap::from([(node, BasicNode::new(addr))]),
    );
    let stored = StoredMembership::new(Some(at), membership);

    let mut batch = WriteBatch::default();
    crate::log_store::delete_entries_from(db, &mut batch, 0)?;
    let meta = cf(db, CF_META)?;
    batch.put_cf(meta, KEY_LAST_PURGED, encode(&at, "log metadata")?);
    batch.put_cf(meta, KEY_COMMITTED, encode(&Some(at), "log metadata")?);
    batch.put_cf(meta, KEY_VOTE, encode(&Vote::new(term, node), "vote")?);
    let sm_meta = cf(db, CF_SM_META)?;
    batch.put_cf(
        sm_meta,
        KEY_LAST_APPLIED,
        encode(&Some(at), "last applied log id")?,
    );
    batch.put_cf(sm_meta, KEY_MEMBERSHIP, encode(&stored, "membership")?);
    batch.put_cf(
        cf(db, CF_CLUSTER)?,
        crate::command::KEY_CLUSTER_ID,
        cluster_id.as_bytes(),
    );
    let mut synced = WriteOptions::default();
    synced.set_sync(true);
    db.write_opt(batch, &synced)?;
    // The old snapshot stands for the old cluster (and the old log positions): the new one is
    // built from the state just written, before the node serves anything.
    crate::snapshot::build(sm)?;
    tracing::info!(
        node,
        index = at.index,
        cluster_id,
        "founded a one-node cluster"
    );
    Ok(at)
}
