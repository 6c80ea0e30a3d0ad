//! The state machine in RocksDB (openraft `RaftStateMachine`): objects, secondary indexes and
//! the client allow-list, with the last applied log id written in the same batch as each
//! entry's effects so a restart resumes exactly after the last applied entry.

use std::path::PathBuf;
use std::sync::Arc;

use openraft::storage::RaftStateMachine;
use openraft::{
    Entry, EntryPayload, ErrorVerb, LogId, OptionalSend, StorageError, StoredMembership,
};
use rocksdb::{DB, IteratorMode, WriteBatch};

use crate::command::apply_command;
use crate::db::{CF_CLIENTS, CF_INDEX, CF_OBJECTS, CF_SM_META, cf, decode, encode, get_decoded};
use crate::error::sm_err;
use crate::model::{ClientGroup, ClientIdentity, StoredObject, TrustedIssuer};
use crate::snapshot::{SnapshotBuilder, SnapshotFiles};
use crate::{CommandResult, NodeId, StoreError, TypeConfig};

/// The last applied log id and the membership the state machine holds.
type AppliedState = (
    Option<LogId<NodeId>>,
    StoredMembership<NodeId, openraft::BasicNode>,
);

pub(crate) const KEY_LAST_APPLIED: &[u8] = b"last_applied";
pub(crate) const KEY_MEMBERSHIP: &[u8] = b"membership";
/// The highest log index at which sealed material left the store (a Destroy, a removed
/// object, a re-seal): earlier copies of it remain in older log entries, snapshots and
/// store files until the node shreds them ([`StateMachine::shred_state`]).
const KEY_SHRED_DUE: &[u8] = b"shred_due";
/// The log index up to which this node has shredded.
const KEY_SHREDDED: &[u8] = b"shredded";

/// The state machine of one node. Cheap to clone: clones share the database.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub(crate) db: Arc<DB>,
    pub(crate) snapshots: SnapshotFiles,
}

/// The last applied log id as a RocksDB snapshot of the store has it (stored as the `Option`
/// it is: apply and snapshot install write `Some(log id)`).
pub(crate) fn last_applied_in(
    db: &DB,
    snap: &rocksdb::Snapshot<'_>,
) -> Result<Option<LogId<NodeId>>, StoreError> {
    match snap.get_cf(cf(db, CF_SM_META)?, KEY_LAST_APPLIED)? {
        Some(bytes) => decode(&bytes, "last applied log id"),
        None => Ok(None),
    }
}

impl StateMachine {
    /// The state machine over an open database; snapshots are kept under `snapshot_dir`.
    pub fn new(db: Arc<DB>, snapshot_dir: PathBuf) -> Result<Self, StoreError> {
        let sm = StateMachine {
            db,
            snapshots: SnapshotFiles::new(snapshot_dir)?,
        };
        crate::snapshot::upgrade_current(&sm)?;
        Ok(sm)
    }

    /// The database the state machine lives in (shared with the Raft log).
    pub fn db(&self) -> &Arc<DB> {
        &self.db
    }

    /// About how many objects the store holds (RocksDB's estimate: cheap, not exact).
    pub fn estimated_objects(&self) -> u64 {
        cf(&self.db, CF_OBJECTS)
            .ok()
            .and_then(|h| {
                self.db
                    .property_int_value_cf(h, "rocksdb.estimate-num-keys")
                    .ok()
                    .flatten()
            })
            .unwrap_or(0)
    }

    /// The current snapshot's file, for monitoring its age and size.
    pub fn snapshot_file(&self) -> PathBuf {
        self.snapshots.current_path()
    }

    /// The object with this UID.
    pub fn object(&self, uid: &str) -> Result<Option<StoredObject>, StoreError> {
        get_decoded(&self.db, CF_OBJECTS, uid.as_bytes(), "object")
    }

    /// The UIDs a secondary index lists for `kind` (`type`, `state`, `name`, `attr`) and the
    /// encoded value (see [`crate::command::index_keys`]), in UID order.
    pub fn lookup(&self, kind: &str, value: &[u8]) -> Result<Vec<String>, StoreError> {
        let prefix = crate::command::index_prefix(kind, value);
        let cf = cf(&self.db, CF_INDEX)?;
        let mut uids = Vec::new();
        for item in self
            .db
            .iterator_cf(cf, IteratorMode::From(&prefix, rocksdb::Direction::Forward))
        {
            let (key, _) = item?;
            let Some(uid) = key.strip_prefix(prefix.as_slice()) else {
                break;
            };
            uids.push(String::from_utf8_lossy(uid).into_owned());
        }
        Ok(uids)
    }

    /// Checks that `keyring` opens the cluster's root-key check value, if the cluster has one
    /// yet. A node calls this at start-up and refuses to serve on error, instead of returning
    /// undecryptable keys later.
    /// The root key version the cluster's key check value is sealed with: the version every
    /// member holds, which seals new material (recorded at initialization and at the end of
    /// a rotation's first step).
    pub fn agreed_key_version(&self) -> Result<Option<raftkeep_seal::KeyVersion>, StoreError> {
        let Some(blob) = self.db.get_cf(
            cf(&self.db, crate::db::CF_CLUSTER)?,
            crate::command::KEY_CHECK,
        )?
        else {
            return Ok(None);
        };
        raftkeep_seal::SealedBlob::from_bytes(blob)
            .version()
            .map(Some)
            .map_err(StoreError::WrongRootKey)
    }

    pub fn verify_root_key(&self, keyring: &raftkeep_seal::Keyring) -> Result<(), StoreError> {
        let Some(blob) = self.db.get_cf(
            cf(&self.db, crate::db::CF_CLUSTER)?,
            crate::command::KEY_CHECK,
        )?
        else {
            return Ok(());
        };
        keyring
            .verify_key_check(&raftkeep_seal::SealedBlob::from_bytes(blob))
            .map_err(StoreError::WrongRootKey)
    }

    /// The log id of the last entry applied (or of the snapshot installed).
    pub fn last_applied(&self) -> Result<Option<LogId<NodeId>>, StoreError> {
        self.applied().map(|(last, _)| last)
    }

    /// The last membership applied (or installed with a snapshot).
    pub fn membership(&self) -> Result<StoredMembership<NodeId, openraft::BasicNode>, StoreError> {
        self.applied().map(|(_, m)| m)
    }

    /// The cluster's identifier (recorded at `init`; absent in clusters initialized by
    /// versions before it existed).
    pub fn cluster_id(&self) -> Result<Option<String>, StoreError> {
        let cf = cf(&self.db, crate::db::CF_CLUSTER)?;
        Ok(self
            .db
            .get_cf(cf, crate::command::KEY_CLUSTER_ID)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// The last backup the cluster recorded, if any.
    pub fn last_backup(&self) -> Result<Option<crate::command::BackupMark>, StoreError> {
        get_decoded(
            &self.db,
            crate::db::CF_CLUSTER,
            crate::command::KEY_LAST_BACKUP,
            "backup mark",
        )
    }

    /// Whether the cluster has recorded its root-key check value yet (it does at `init`).
    pub fn has_key_check(&self) -> Result<bool, StoreError> {
        let cf = cf(&self.db, crate::db::CF_CLUSTER)?;
        Ok(self.db.get_cf(cf, crate::command::KEY_CHECK)?.is_some())
    }

    /// A SHA-256 digest of the replicated state (every key and value of the state machine's
    /// column families, in order). Nodes that applied the same entries have the same digest;
    /// the chaos and convergence tests compare it across nodes.
    pub fn digest(&self) -> Result<[u8; 32], StoreError> {
        self.digest_at().map(|(_, digest)| digest)
    }

    /// [`StateMachine::digest`] and the applied index of the state it covers, both read from
    /// one RocksDB snapshot: entries applied meanwhile change neither, so two nodes that report
    /// the same index must report the same digest.
    pub fn digest_at(&self) -> Result<(Option<u64>, [u8; 32]), StoreError> {
        use sha2::{Digest, Sha256};
        let snap = self.db.snapshot();
        let applied = last_applied_in(&self.db, &snap)?;
        let mut h = Sha256::new();
        for name in crate::db::SNAPSHOT_CFS {
            h.update(name.as_bytes());
            for item in snap.iterator_cf(cf(&self.db, name)?, IteratorMode::Start) {
                let (k, v) = item?;
                // Lengths first, so that no two different sequences hash the same bytes.
                h.update((k.len() as u64).to_be_bytes());
                h.update(&k);
                h.update((v.len() as u64).to_be_bytes());
                h.update(&v);
            }
        }
        Ok((applied.map(|l| l.index), h.finalize().into()))
    }

    /// Up to `limit` objects in UID order, starting after `after` (a page of a full scan, for
    /// root-key rotation and backups; every page reads its own consistent view).
    pub fn objects_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreError> {
        let start = after.map(str::as_bytes).unwrap_or_default();
        let mode = IteratorMode::From(start, rocksdb::Direction::Forward);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(cf(&self.db, CF_OBJECTS)?, mode) {
            let (key, value) = item?;
            if after.is_some() && *key == *start {
                continue;
            }
            if out.len() >= limit {
                break;
            }
            out.push(decode(&value, "object")?);
        }
        Ok(out)
    }

    /// The allowed client with this fingerprint.
    pub fn client(&self, fingerprint: &str) -> Result<Option<ClientIdentity>, StoreError> {
        get_decoded(&self.db, CF_CLIENTS, fingerprint.as_bytes(), "client")
    }

    /// Every allowed client, by fingerprint.
    pub fn clients(&self) -> Result<Vec<ClientIdentity>, StoreError> {
        self.allow_list(None, "client")
    }

    /// Every trusted CA-plus-subject entry.
    pub fn issuers(&self) -> Result<Vec<TrustedIssuer>, StoreError> {
        self.allow_list(Some(b"issuer\0"), "trusted issuer")
    }

    /// Every client group.
    pub fn groups(&self) -> Result<Vec<ClientGroup>, StoreError> {
        self.allow_list(Some(b"group\0"), "client group")
    }

    /// The client identity an allow-list entry maps to — `entry` a fingerprint or a
    /// [`TrustedIssuer::key`] — if one was given (entries made before identities have none:
    /// their certificate's fingerprint is their identity).
    pub fn identity_of(&self, entry: &[u8]) -> Result<Option<String>, StoreError> {
        let key = crate::command::identity_key(entry);
        Ok(self
            .db
            .get_cf(cf(&self.db, CF_CLIENTS)?, key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Every identity mapping: the allow-list entry's key and the identity.
    pub fn identities(&self) -> Result<Vec<(Vec<u8>, String)>, StoreError> {
        let prefix = crate::command::IDENTITY_PREFIX;
        let mut out = Vec::new();
        let mode = IteratorMode::From(prefix, rocksdb::Direction::Forward);
        for item in self.db.iterator_cf(cf(&self.db, CF_CLIENTS)?, mode) {
            let (key, value) = item?;
            let Some(entry) = key.strip_prefix(prefix) else {
                break;
            };
            out.push((entry.to_vec(), String::from_utf8_lossy(&value).into_owned()));
        }
        Ok(out)
    }

    /// How far a Name must be unique in this cluster.
    pub fn name_scope(&self) -> Result<crate::command::NameScope, StoreError> {
        Ok(get_decoded(
            &self.db,
            crate::db::CF_CLUSTER,
            crate::command::KEY_NAME_SCOPE,
            "name scope",
        )?
        .unwrap_or_default())
    }

    /// Every recorded move of objects between identities, oldest first.
    pub fn moves(&self) -> Result<Vec<crate::command::OwnershipMove>, StoreError> {
        let prefix = crate::command::MOVE_PREFIX;
        let mut out = Vec::new();
        let mode = IteratorMode::From(prefix, rocksdb::Direction::Forward);
        for item in self
            .db
            .iterator_cf(cf(&self.db, crate::db::CF_CLUSTER)?, mode)
        {
            let (key, value) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            out.push(decode(&value, "ownership move")?);
        }
        Ok(out)
    }

    /// The entries of the allow-list's column family under `prefix`, or, with `None`, the
    /// fingerprint entries (no prefix of their own).
    fn allow_list<T: serde::de::DeserializeOwned>(
        &self,
        prefix: Option<&[u8]>,
        what: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .db
            .iterator_cf(cf(&self.db, CF_CLIENTS)?, IteratorMode::Start)
        {
            let (key, value) = item?;
            let wanted = match prefix {
                Some(p) => key.starts_with(p),
                None => {
                    !key.starts_with(b"issuer\0")
                        && !key.starts_with(b"group\0")
                        && !key.starts_with(crate::command::IDENTITY_PREFIX)
                }
            };
            if !wanted {
                continue;
            }
            out.push(decode(&value, what)?);
        }
        Ok(out)
    }

    fn applied(&self) -> Result<AppliedState, StoreError> {
        // Stored as the `Option` it is (apply and snapshot install write `Some(log id)`).
        let last: Option<Option<LogId<NodeId>>> = get_decoded(
            &self.db,
            CF_SM_META,
            KEY_LAST_APPLIED,
            "last applied log id",
        )?;
        let last = last.flatten();
        let membership = get_decoded(&self.db, CF_SM_META, KEY_MEMBERSHIP, "membership")?;
        Ok((last, membership.unwrap_or_default()))
    }

    /// Applies one entry in one atomic batch. Not synced: the entry is in the (synced) log, and
    /// a snapshot syncs the WAL before the log can be purged.
    pub(crate) fn apply_entry(
        &self,
        entry: &Entry<TypeConfig>,
    ) -> Result<CommandResult, StoreError> {
        let mut batch = WriteBatch::default();
        let result = match &entry.payload {
            EntryPayload::Blank => CommandResult::Ok,
            EntryPayload::Normal(cmd) => apply_command(&self.db, &mut batch, cmd)?,
            EntryPayload::Membership(m) => {
                let stored = StoredMembership::new(Some(entry.log_id), m.clone());
                batch.put_cf(
                    cf(&self.db, CF_SM_META)?,
                    KEY_MEMBERSHIP,
                    encode(&stored, "membership")?,
                );
                CommandResult::Ok
            }
        };
        if let EntryPayload::Normal(cmd) = &entry.payload
            && drops_material(cmd, &result)
        {
            batch.put_cf(
                cf(&self.db, CF_SM_META)?,
                KEY_SHRED_DUE,
                entry.log_id.index.to_be_bytes(),
            );
        }
        batch.put_cf(
            cf(&self.db, CF_SM_META)?,
            KEY_LAST_APPLIED,
            encode(&Some(entry.log_id), "last applied log id")?,
        );
        self.db.write(batch)?;
        Ok(result)
    }

    /// `(due, done)`: the last log index at which sealed material left the store, and the
    /// index up to which this node has removed every earlier copy of it from its disk (log,
    /// snapshot, store files). `due > done` means shredding is pending.
    pub fn shred_state(&self) -> Result<(u64, u64), StoreError> {
        let read = |key: &[u8]| -> Result<u64, StoreError> {
            Ok(self
                .db
                .get_cf(cf(&self.db, CF_SM_META)?, key)?
                .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
                .map_or(0, u64::from_be_bytes))
        };
        Ok((read(KEY_SHRED_DUE)?, read(KEY_SHREDDED)?))
    }

    /// Records that every copy of material dropped up to `index` is gone from this node.
    pub fn record_shredded(&self, index: u64) -> Result<(), StoreError> {
        self.db.put_cf_opt(
            cf(&self.db, CF_SM_META)?,
            KEY_SHREDDED,
            index.to_be_bytes(),
            &{
                let mut o = rocksdb::WriteOptions::default();
                o.set_sync(true);
                o
            },
        )?;
        Ok(())
    }

    /// Rewrites the store's files so that deleted log entries and overwritten or deleted
    /// objects are physically gone: every memtable flushed (so no write-ahead log file still
    /// holds them), then the log, object and index column families compacted to the bottom
    /// level. Takes time proportional to the store's size; blocking.
    pub fn compact_away_deleted(&self) -> Result<(), StoreError> {
        let db = &self.db;
        db.flush_wal(true)?;
        for name in crate::db::ALL_CFS {
            db.flush_cf(cf(db, name)?)?;
        }
        let mut opts = rocksdb::CompactOptions::default();
        opts.set_bottommost_level_compaction(rocksdb::BottommostLevelCompaction::Force);
        for name in [crate::db::CF_LOG, CF_OBJECTS, CF_INDEX] {
            db.compact_range_cf_opt(cf(db, name)?, None::<&[u8]>, None::<&[u8]>, &opts);
        }
        Ok(())
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<AppliedState, StorageError<NodeId>> {
        self.applied().map_err(sm_err(ErrorVerb::Read))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<CommandResult>, StorageError<NodeId>>
    where
        I: IntoIterator<Item = Entry<TypeConfig>> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut results = Vec::new();
        for entry in entries {
            results.push(self.apply_entry(&entry).map_err(sm_err(ErrorVerb::Write))?);
        }
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder::new(self.clone())
    }

    async fn begin_receiving_snapshot(
        &mut self,
    ) -> Result<Box<tokio::fs::File>, StorageError<NodeId>> {
        self.snapshots
            .incoming()
            .await
            .map(Box::new)
            .map_err(sm_err(ErrorVerb::Write))
    }

    async fn install_snapshot(
        &mut self,
        meta: &openraft::SnapshotMeta<NodeId, openraft::BasicNode>,
        snapshot: Box<tokio::fs::File>,
    ) -> Result<(), StorageError<NodeId>> {
        crate::snapshot::install(self, meta, *snapshot)
            .await
            .map_err(sm_err(ErrorVerb::Write))
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<openraft::Snapshot<TypeConfig>>, StorageError<NodeId>> {
        self.snapshots
            .current()
            .await
            .map_err(sm_err(ErrorVerb::Read))
    }
}

/// Whether applying `cmd` (with `result`) took sealed material out of the store.
fn drops_material(cmd: &crate::Command, result: &CommandResult) -> bool {
    use crate::Command;
    let applied = matches!(result, CommandResult::Ok | CommandResult::Object(_));
    applied
        && matches!(
            cmd,
            Command::DestroyMaterial { .. } | Command::RemoveObject { .. } | Command::Reseal { .. }
        )
}
