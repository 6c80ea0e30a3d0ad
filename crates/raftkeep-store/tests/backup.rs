//! Backup files restore to the same state, show any changed byte without the root key, and
//! refuse edits that keep the digest right once opened with the key; a restored or recovered
//! store becomes a one-node cluster at the log id it stands for.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use openraft::storage::RaftStateMachine;
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};
use raftkeep_seal::{KeyVersion, Keyring, RootKey};
use raftkeep_store::backup::{BackupSource, read_backup, restore_into, write_backup};
use raftkeep_store::new_cluster::found_single_node;
use raftkeep_store::{Command, Material, StateMachine, StoreError, StoredObject, db};
use sha2::Digest;

fn keyring(byte: u8) -> Keyring {
    Keyring::single(RootKey::new(KeyVersion(1), [byte; 32]))
}

fn store() -> (tempfile::TempDir, StateMachine) {
    let dir = tempfile::tempdir().unwrap();
    let db = db::open(&dir.path().join("db")).unwrap();
    let sm = StateMachine::new(db, dir.path().join("snapshots")).unwrap();
    (dir, sm)
}

/// A store with `n` objects (every third one destroyed) and a cluster id, applied as log
/// entries 1..=n+1 of term 3.
async fn filled(n: u64, keys: &Keyring) -> (tempfile::TempDir, StateMachine) {
    let (dir, mut sm) = store();
    let mut entries = vec![Command::SetClusterId {
        id: "old-cluster".into(),
    }];
    for i in 0..n {
        let uid = format!("uid-{i:05}");
        let material = if i % 3 == 0 {
            Material::Destroyed
        } else {
            Material::Sealed(keys.seal(&uid, &[i as u8; 32]).unwrap().as_bytes().to_vec())
        };
        entries.push(Command::PutObject {
            object: StoredObject {
                uid,
                object_type: 2,
                state: 2,
                owner: "client".into(),
                attributes: Vec::new(),
                material,
                grants: Default::default(),
            },
        });
    }
    let entries = entries.into_iter().zip(1..).map(|(cmd, index)| Entry {
        log_id: LogId::new(CommittedLeaderId::new(3, 1), index),
        payload: EntryPayload::Normal(cmd),
    });
    sm.apply(entries).await.unwrap();
    (dir, sm)
}

fn backup_of(sm: &StateMachine, keys: &Keyring) -> Vec<u8> {
    let mut out = Vec::new();
    let source = BackupSource {
        backup_id: "b1".into(),
        node: 1,
        node_addr: "127.0.0.1:1".into(),
        created_unix_millis: 1,
    };
    write_backup(sm, keys, source, &mut out, |_| {}).unwrap();
    out
}

fn check(bytes: &[u8], keys: Option<&Keyring>) -> Result<(), StoreError> {
    read_backup(bytes, keys, |_| Ok(()), |_| {}).map(|_| ())
}

#[tokio::test]
async fn a_restored_backup_holds_the_same_state_and_counts() {
    let keys = keyring(7);
    // Enough objects for several 1 MiB chunks would be slow here; chunking is exercised by
    // the count of one chunk plus the summary and trailer checks.
    let (_d, sm) = filled(300, &keys).await;
    let bytes = backup_of(&sm, &keys);

    let file = read_backup(bytes.as_slice(), None, |_| Ok(()), |_| {}).unwrap();
    assert!(!file.opened);
    assert_eq!(file.counts.objects, 300);
    assert_eq!(file.counts.with_material, 200);
    assert_eq!(file.header.cluster_id.as_deref(), Some("old-cluster"));
    assert_eq!(file.header.applied.map(|l| l.index), Some(301));
    assert_eq!(file.bytes, bytes.len() as u64);

    let (_d2, restored) = store();
    let again = restore_into(&restored, bytes.as_slice(), &keys, |_| {}).unwrap();
    assert!(again.opened);
    assert_eq!(again.counts, file.counts);
    assert_eq!(restored.digest().unwrap(), sm.digest().unwrap());
    let object = restored.object("uid-00004").unwrap().unwrap();
    let Material::Sealed(blob) = object.material else {
        panic!("material lost")
    };
    let opened = keys
        .unseal("uid-00004", &raftkeep_seal::SealedBlob::from_bytes(blob))
        .unwrap();
    assert_eq!(opened.as_slice(), &[4_u8; 32]);
}

#[tokio::test]
async fn any_flipped_byte_is_detected_without_the_root_key() {
    let keys = keyring(7);
    let (_d, sm) = filled(20, &keys).await;
    let bytes = backup_of(&sm, &keys);
    check(&bytes, None).unwrap();
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x01;
        assert!(
            check(&damaged, None).is_err(),
            "a flipped bit at byte {at} of {} went unnoticed",
            bytes.len()
        );
    }
    for len in 0..bytes.len() {
        assert!(check(&bytes[..len], None).is_err(), "cut at {len}");
    }
}

/// Replaces the trailing digest with a correct one, as someone editing the file would.
fn redigest(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.truncate(bytes.len() - 32);
    let digest = sha2::Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    bytes
}

#[tokio::test]
async fn edits_with_a_recomputed_digest_do_not_open_with_the_key() {
    let keys = keyring(7);
    let (_d, sm) = filled(20, &keys).await;
    let bytes = backup_of(&sm, &keys);
    check(&bytes, Some(&keys)).unwrap();

    // An edited header (another applied index), digest recomputed.
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let at = text.find("\"index\":21").unwrap() + "\"index\":".len();
    let mut edited = bytes.clone();
    edited[at] = b'9';
    let edited = redigest(edited);
    check(&edited, None).unwrap();
    let err = check(&edited, Some(&keys)).unwrap_err().to_string();
    assert!(err.contains("header was changed"), "{err}");

    // A flipped byte inside the sealed chunk, digest recomputed.
    // The second newline ends the header; sealed chunks follow.
    let second_newline = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0;
    let mut edited = bytes.clone();
    edited[second_newline + 40] ^= 0x80;
    let err = check(&redigest(edited), Some(&keys))
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not open"), "{err}");

    // Another root key opens nothing.
    let err = check(&bytes, Some(&keyring(8))).unwrap_err().to_string();
    assert!(err.contains("does not open"), "{err}");
}

#[tokio::test]
async fn a_founded_store_is_a_one_node_cluster_at_the_given_log_id() {
    let keys = keyring(7);
    let (_d, sm) = filled(5, &keys).await;
    let bytes = backup_of(&sm, &keys);
    let (dir, restored) = store();
    let file = restore_into(&restored, bytes.as_slice(), &keys, |_| {}).unwrap();
    let at = found_single_node(&restored, 9, "127.0.0.1:9", file.header.applied, "new").unwrap();
    assert_eq!(at.index, 6);
    assert_eq!(restored.cluster_id().unwrap().as_deref(), Some("new"));
    assert_eq!(restored.last_applied().unwrap(), Some(at));
    let mut sm = restored.clone();
    let (applied, membership) = sm.applied_state().await.unwrap();
    assert_eq!(applied, Some(at));
    let voters: Vec<u64> = membership.membership().voter_ids().collect();
    assert_eq!(voters, vec![9]);
    // The snapshot the new cluster sends joining nodes stands for the same log id.
    let snapshot = sm.get_current_snapshot().await.unwrap().unwrap();
    assert_eq!(snapshot.meta.last_log_id, Some(at));
    assert!(dir.path().join("snapshots/current.snap").exists());
}
