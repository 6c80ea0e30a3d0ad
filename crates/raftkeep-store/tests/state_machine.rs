//! The state machine applies commands deterministically, checks their preconditions, keeps its
//! indexes in step, survives a snapshot round trip, and never writes key material in clear.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use std::collections::BTreeMap;

use kmip_ttlv::{Tag, Ttlv};
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};
use raftkeep_seal::{KeyVersion, Keyring, RootKey};
use raftkeep_store::{
    AttributeChange, Command, CommandResult, LogStore, Material, StateMachine, StoredAttribute,
    StoredObject, TypeConfig, db,
};

const SYMMETRIC_KEY: u32 = 2;
const PRE_ACTIVE: u32 = 1;
const ACTIVE: u32 = 2;
const DESTROYED: u32 = 6;

struct Node {
    dir: tempfile::TempDir,
    log: LogStore,
    sm: StateMachine,
    next: u64,
}

impl Node {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = db::open(&dir.path().join("db")).unwrap();
        let sm = StateMachine::new(db.clone(), dir.path().join("snapshots")).unwrap();
        Node {
            dir,
            log: LogStore::new(db),
            sm,
            next: 1,
        }
    }

    fn entry(&mut self, cmd: Command) -> Entry<TypeConfig> {
        let e = Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), self.next),
            payload: EntryPayload::Normal(cmd),
        };
        self.next += 1;
        e
    }

    async fn apply(&mut self, cmd: Command) -> CommandResult {
        let e = self.entry(cmd);
        self.sm.apply([e]).await.unwrap().remove(0)
    }
}

fn text_value(s: &str) -> Vec<u8> {
    kmip_ttlv::encode(&Ttlv::text(Tag::ATTRIBUTE_VALUE, s)).unwrap()
}

fn name_value(s: &str) -> Vec<u8> {
    kmip_ttlv::encode(&Ttlv::structure(
        Tag::ATTRIBUTE_VALUE,
        vec![
            Ttlv::text(Tag::NAME_VALUE, s),
            Ttlv::enumeration(Tag::NAME_TYPE, 1u32),
        ],
    ))
    .unwrap()
}

fn object(uid: &str, material: Material) -> StoredObject {
    StoredObject {
        uid: uid.into(),
        object_type: SYMMETRIC_KEY,
        state: PRE_ACTIVE,
        owner: "client-a".into(),
        attributes: vec![
            StoredAttribute {
                name: "Name".into(),
                index: 0,
                value: name_value(&format!("key {uid}")),
            },
            StoredAttribute {
                name: "x-Vendor".into(),
                index: 0,
                value: text_value("VMware"),
            },
        ],
        material,
        grants: BTreeMap::new(),
    }
}

#[tokio::test]
async fn commands_check_preconditions_in_log_order() {
    let mut n = Node::new();
    assert_eq!(
        n.apply(Command::PutObject {
            object: object("k1", Material::None)
        })
        .await,
        CommandResult::Ok
    );
    assert_eq!(
        n.apply(Command::PutObject {
            object: object("k1", Material::None)
        })
        .await,
        CommandResult::AlreadyExists("k1".into())
    );
    let activate = || Command::ChangeState {
        uid: "k1".into(),
        from: vec![PRE_ACTIVE],
        to: ACTIVE,
        set: vec![],
    };
    assert!(matches!(n.apply(activate()).await, CommandResult::Object(o) if o.state == ACTIVE));
    assert_eq!(
        n.apply(activate()).await,
        CommandResult::WrongState {
            uid: "k1".into(),
            state: ACTIVE
        }
    );
    let destroy = || Command::DestroyMaterial {
        uid: "k1".into(),
        from: vec![],
        state: DESTROYED,
        set: vec![],
    };
    assert!(
        matches!(n.apply(destroy()).await, CommandResult::Object(o) if o.material == Material::Destroyed)
    );
    assert_eq!(
        n.apply(destroy()).await,
        CommandResult::MaterialDestroyed("k1".into())
    );
    assert_eq!(
        n.apply(Command::ChangeState {
            uid: "nope".into(),
            from: vec![],
            to: ACTIVE,
            set: vec![]
        })
        .await,
        CommandResult::NotFound("nope".into())
    );
}

#[tokio::test]
async fn attribute_changes_apply_in_order_or_not_at_all() {
    let mut n = Node::new();
    n.apply(Command::PutObject {
        object: object("k1", Material::None),
    })
    .await;
    let add = |name: &str, v: &str| AttributeChange::Add {
        name: name.into(),
        value: text_value(v),
    };
    let r = n
        .apply(Command::ChangeAttributes {
            uid: "k1".into(),
            changes: vec![add("x-Product", "vCenter"), add("x-Product", "ESXi")],
        })
        .await;
    let CommandResult::Object(o) = r else {
        panic!("{r:?}")
    };
    let indexes: Vec<u32> = o
        .attributes
        .iter()
        .filter(|a| a.name == "x-Product")
        .map(|a| a.index)
        .collect();
    assert_eq!(indexes, vec![0, 1]);
    // A failing change leaves the object untouched, including the changes before it.
    let r = n
        .apply(Command::ChangeAttributes {
            uid: "k1".into(),
            changes: vec![
                add("x-Other", "1"),
                AttributeChange::Delete {
                    name: "x-Missing".into(),
                    index: None,
                },
            ],
        })
        .await;
    assert_eq!(
        r,
        CommandResult::NoSuchAttribute {
            name: "x-Missing".into(),
            index: None
        }
    );
    assert!(
        n.sm.object("k1")
            .unwrap()
            .unwrap()
            .attributes
            .iter()
            .all(|a| a.name != "x-Other")
    );
}

#[tokio::test]
async fn secondary_indexes_follow_every_change() {
    let mut n = Node::new();
    for uid in ["a", "b", "c"] {
        n.apply(Command::PutObject {
            object: object(uid, Material::None),
        })
        .await;
    }
    assert_eq!(
        n.sm.lookup("state", &PRE_ACTIVE.to_be_bytes()).unwrap(),
        vec!["a", "b", "c"]
    );
    assert_eq!(n.sm.lookup("name", b"key b").unwrap(), vec!["b"]);
    let vendor = raftkeep_store::command::custom_attribute_value("x-Vendor", &text_value("VMware"));
    assert_eq!(n.sm.lookup("attr", &vendor).unwrap(), vec!["a", "b", "c"]);

    n.apply(Command::ChangeState {
        uid: "b".into(),
        from: vec![],
        to: ACTIVE,
        set: vec![],
    })
    .await;
    n.apply(Command::ChangeAttributes {
        uid: "c".into(),
        changes: vec![AttributeChange::Delete {
            name: "x-Vendor".into(),
            index: Some(0),
        }],
    })
    .await;
    assert_eq!(
        n.sm.lookup("state", &PRE_ACTIVE.to_be_bytes()).unwrap(),
        vec!["a", "c"]
    );
    assert_eq!(
        n.sm.lookup("state", &ACTIVE.to_be_bytes()).unwrap(),
        vec!["b"]
    );
    assert_eq!(n.sm.lookup("attr", &vendor).unwrap(), vec!["a", "b"]);
    assert_eq!(
        n.sm.lookup("type", &SYMMETRIC_KEY.to_be_bytes())
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn snapshot_carries_the_whole_state_to_another_node() {
    let mut leader = Node::new();
    for uid in ["a", "b"] {
        leader
            .apply(Command::PutObject {
                object: object(uid, Material::None),
            })
            .await;
    }
    leader
        .apply(Command::AllowClient(raftkeep_store::ClientIdentity {
            fingerprint: "ab12".into(),
            subject: "CN=vcenter".into(),
            allowed_at: 1_700_000_000,
        }))
        .await;
    let mut builder = leader.sm.get_snapshot_builder().await;
    let snapshot = builder.build_snapshot().await.unwrap();
    assert_eq!(snapshot.meta.last_log_id.map(|l| l.index), Some(3));

    let mut follower = Node::new();
    follower
        .apply(Command::PutObject {
            object: object("stale", Material::None),
        })
        .await;
    let mut incoming = follower.sm.begin_receiving_snapshot().await.unwrap();
    let mut data = snapshot.snapshot;
    tokio::io::copy(&mut data, &mut *incoming).await.unwrap();
    follower
        .sm
        .install_snapshot(&snapshot.meta, incoming)
        .await
        .unwrap();

    assert!(
        follower.sm.object("stale").unwrap().is_none(),
        "installing replaces the old state"
    );
    assert_eq!(
        follower.sm.object("a").unwrap(),
        leader.sm.object("a").unwrap()
    );
    assert_eq!(follower.sm.lookup("name", b"key b").unwrap(), vec!["b"]);
    assert_eq!(
        follower.sm.client("ab12").unwrap().unwrap().subject,
        "CN=vcenter"
    );
    let (applied, _) = follower.sm.applied_state().await.unwrap();
    assert_eq!(applied, snapshot.meta.last_log_id);
    let current = follower.sm.get_current_snapshot().await.unwrap().unwrap();
    assert_eq!(current.meta, snapshot.meta);
}

#[tokio::test]
async fn key_material_is_never_on_disk_in_clear() {
    let secret: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let keyring = Keyring::single(RootKey::new(KeyVersion(1), [9; 32]));
    let mut n = Node::new();
    let sealed = keyring.seal("k1", &secret).unwrap();
    let cmd = Command::PutObject {
        object: object("k1", Material::Sealed(sealed.as_bytes().to_vec())),
    };
    // The entry goes through the log (as Raft would) and the state machine, then a snapshot.
    let entry = n.entry(cmd);
    append(&mut n.log, entry.clone()).await;
    n.sm.apply([entry]).await.unwrap();
    n.sm.get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();

    let Material::Sealed(stored) = n.sm.object("k1").unwrap().unwrap().material else {
        panic!("not sealed")
    };
    let opened = keyring
        .unseal("k1", &raftkeep_seal::SealedBlob::from_bytes(stored))
        .unwrap();
    assert_eq!(opened.as_slice(), secret.as_slice());

    let hex_lower = hex::encode(&secret);
    let mut scanned = 0;
    for path in walk(n.dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        assert!(
            !contains(&bytes, &secret),
            "plaintext key bytes in {}",
            path.display()
        );
        assert!(
            !contains(&bytes, hex_lower.as_bytes()),
            "hex plaintext key in {}",
            path.display()
        );
    }
    assert!(
        scanned >= 5,
        "expected RocksDB files and a snapshot, scanned {scanned}"
    );
}

async fn append(log: &mut LogStore, entry: Entry<raftkeep_store::TypeConfig>) {
    // openraft's helper waits for the flush callback, as openraft's own suite does.
    use openraft::storage::RaftLogStorageExt;
    log.blocking_append([entry]).await.unwrap();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn one_name_is_never_found_under_a_name_it_starts_with() {
    let mut n = Node::new();
    let mut long = object("long", Material::None);
    long.attributes[0].value = name_value("key a\0b");
    n.apply(Command::PutObject {
        object: object("a", Material::None),
    })
    .await;
    n.apply(Command::PutObject { object: long }).await;
    assert_eq!(n.sm.lookup("name", b"key a").unwrap(), vec!["a"]);
    assert_eq!(n.sm.lookup("name", b"key a\0b").unwrap(), vec!["long"]);
}

#[tokio::test]
async fn a_node_with_another_root_key_is_refused() {
    let cluster_key = Keyring::single(RootKey::new(KeyVersion(1), [9; 32]));
    let mut n = Node::new();
    assert!(
        n.sm.verify_root_key(&cluster_key).is_ok(),
        "a new cluster has no check value yet"
    );
    let blob = cluster_key.key_check().unwrap().as_bytes().to_vec();
    n.apply(Command::SetKeyCheck { blob }).await;
    assert!(n.sm.verify_root_key(&cluster_key).is_ok());
    let wrong = Keyring::single(RootKey::new(KeyVersion(1), [8; 32]));
    let e = n.sm.verify_root_key(&wrong).unwrap_err();
    assert!(e.to_string().contains("refusing to start"), "{e}");

    // The check value travels with snapshots, so a node that joins later is checked too.
    let snapshot =
        n.sm.get_snapshot_builder()
            .await
            .build_snapshot()
            .await
            .unwrap();
    let joiner = Node::new();
    let mut sm = joiner.sm.clone();
    let mut incoming = sm.begin_receiving_snapshot().await.unwrap();
    let mut data = snapshot.snapshot;
    tokio::io::copy(&mut data, &mut *incoming).await.unwrap();
    sm.install_snapshot(&snapshot.meta, incoming).await.unwrap();
    assert!(joiner.sm.verify_root_key(&wrong).is_err());
    assert!(joiner.sm.verify_root_key(&cluster_key).is_ok());
    assert_eq!(joiner.sm.digest().unwrap(), n.sm.digest().unwrap());
}

#[tokio::test]
async fn nodes_that_apply_the_same_entries_have_the_same_digest() {
    let commands = || {
        vec![
            Command::PutObject {
                object: object("a", Material::Sealed(vec![1, 2, 3])),
            },
            Command::PutObject {
                object: object("b", Material::None),
            },
            Command::ChangeState {
                uid: "a".into(),
                from: vec![PRE_ACTIVE],
                to: ACTIVE,
                set: vec![],
            },
            Command::DestroyMaterial {
                uid: "a".into(),
                from: vec![],
                state: DESTROYED,
                set: vec![],
            },
        ]
    };
    let (mut one, mut two) = (Node::new(), Node::new());
    for c in commands() {
        one.apply(c.clone()).await;
        two.apply(c).await;
    }
    assert_eq!(one.sm.digest().unwrap(), two.sm.digest().unwrap());
    two.apply(Command::RevokeClient {
        fingerprint: "nobody".into(),
    })
    .await;
    assert_eq!(
        one.sm.digest().unwrap(),
        two.sm.digest().unwrap(),
        "a no-op changes nothing"
    );
    two.apply(Command::Grant {
        uid: "b".into(),
        client: "c2".into(),
        operations: vec![10],
    })
    .await;
    assert_ne!(one.sm.digest().unwrap(), two.sm.digest().unwrap());
}

#[tokio::test]
async fn a_request_key_makes_one_object_however_often_it_is_applied() {
    let mut n = Node::new();
    let key =
        |request: &str, item: usize| raftkeep_store::command::request_key("client", request, item);
    let once = |request: &str, uid: &str| Command::PutObjectOnce {
        request: request.into(),
        object: object(uid, Material::None),
    };
    assert_eq!(n.apply(once(&key("r1", 0), "k1")).await, CommandResult::Ok);
    // The retry was proposed with another fresh UID; it answers with the first one.
    assert_eq!(
        n.apply(once(&key("r1", 0), "k2")).await,
        CommandResult::MadeBefore("k1".into())
    );
    assert!(n.sm.object("k2").unwrap().is_none());
    assert_eq!(
        n.sm.lookup(
            raftkeep_store::command::REQUEST_INDEX,
            key("r1", 0).as_bytes()
        )
        .unwrap(),
        vec!["k1".to_owned()]
    );
    // Another request, or the same key of another batch item, is another object.
    assert_eq!(n.apply(once(&key("r2", 0), "k3")).await, CommandResult::Ok);
    assert_eq!(n.apply(once(&key("r1", 1), "k4")).await, CommandResult::Ok);
    // An object removed since (a batch undone) no longer answers for its request.
    n.apply(Command::RemoveObject { uid: "k1".into() }).await;
    assert_eq!(n.apply(once(&key("r1", 0), "k5")).await, CommandResult::Ok);
    assert!(n.sm.object("k5").unwrap().is_some());
    assert_eq!(
        n.apply(once(&key("r1", 0), "k6")).await,
        CommandResult::MadeBefore("k5".into())
    );
}

#[tokio::test]
async fn a_key_pair_is_stored_whole_or_not_at_all() {
    let mut n = Node::new();
    n.apply(Command::PutObject {
        object: object("taken", Material::None),
    })
    .await;
    let clash = Command::PutObjects {
        objects: vec![
            object("private", Material::None),
            object("taken", Material::None),
        ],
    };
    assert_eq!(
        n.apply(clash).await,
        CommandResult::AlreadyExists("taken".into())
    );
    assert!(
        n.sm.object("private").unwrap().is_none(),
        "half a pair was stored"
    );
    let pair = Command::PutObjects {
        objects: vec![
            object("private", Material::None),
            object("public", Material::None),
        ],
    };
    assert_eq!(n.apply(pair).await, CommandResult::Ok);
    assert!(n.sm.object("private").unwrap().is_some());
    assert!(n.sm.object("public").unwrap().is_some());
}

#[tokio::test]
async fn a_conditional_change_applies_only_over_the_value_it_read() {
    let mut n = Node::new();
    n.apply(Command::PutObject {
        object: object("k1", Material::None),
    })
    .await;
    let set = |expect: Option<Vec<u8>>, to: &str| Command::ChangeAttributesIf {
        uid: "k1".into(),
        name: "x-count".into(),
        expect,
        changes: vec![raftkeep_store::AttributeChange::Set {
            name: "x-count".into(),
            value: text_value(to),
        }],
    };
    // Absent, as read: applied. A second proposer who also read "absent" is refused and
    // told the value now.
    assert!(matches!(
        n.apply(set(None, "9")).await,
        CommandResult::Object(_)
    ));
    assert_eq!(
        n.apply(set(None, "9")).await,
        CommandResult::Changed {
            uid: "k1".into(),
            name: "x-count".into(),
            current: Some(text_value("9")),
        }
    );
    assert!(matches!(
        n.apply(set(Some(text_value("9")), "8")).await,
        CommandResult::Object(_)
    ));
    assert!(matches!(
        n.apply(set(Some(text_value("9")), "8")).await,
        CommandResult::Changed { .. }
    ));
}

/// An object named like `uid`'s object but with another UID.
fn named(uid: &str, name: &str) -> StoredObject {
    let mut o = object(uid, Material::Sealed(vec![1, 2, 3]));
    if let Some(first) = o.attributes.first_mut() {
        first.value = name_value(name);
    }
    o
}

#[tokio::test]
async fn a_name_is_held_by_one_live_object_whatever_the_proposers_saw() {
    let mut n = Node::new();
    // Two proposers that each saw the Name free: the first in log order takes it.
    let put = |uid: &str| Command::PutObject {
        object: named(uid, "db-key"),
    };
    assert_eq!(n.apply(put("a")).await, CommandResult::Ok);
    assert_eq!(
        n.apply(put("b")).await,
        CommandResult::NameTaken("db-key".into())
    );
    assert_eq!(
        n.apply(Command::PutObjectOnce {
            request: raftkeep_store::command::request_key("client", "key", 0),
            object: named("c", "db-key"),
        })
        .await,
        CommandResult::NameTaken("db-key".into())
    );
    // Nor can a pair, or an attribute change, take it; nor can one pair hold it twice.
    assert_eq!(
        n.apply(Command::PutObjects {
            objects: vec![named("d", "pair"), named("e", "pair")],
        })
        .await,
        CommandResult::NameTaken("pair".into())
    );
    assert_eq!(
        n.apply(Command::PutObject {
            object: named("f", "other")
        })
        .await,
        CommandResult::Ok
    );
    assert_eq!(
        n.apply(Command::ChangeAttributes {
            uid: "f".into(),
            changes: vec![AttributeChange::Add {
                name: "Name".into(),
                value: name_value("db-key"),
            }],
        })
        .await,
        CommandResult::NameTaken("db-key".into())
    );
    // The holder may keep its own Name through other changes.
    assert!(matches!(
        n.apply(Command::ChangeAttributes {
            uid: "a".into(),
            changes: vec![AttributeChange::Set {
                name: "x-Vendor".into(),
                value: text_value("other"),
            }],
        })
        .await,
        CommandResult::Object(_)
    ));
    // Destroyed, it no longer holds it.
    assert!(matches!(
        n.apply(Command::DestroyMaterial {
            uid: "a".into(),
            from: vec![],
            state: DESTROYED,
            set: vec![],
        })
        .await,
        CommandResult::Object(_)
    ));
    assert_eq!(n.apply(put("b")).await, CommandResult::Ok);
    assert_eq!(n.sm.lookup("name", b"db-key").unwrap(), ["a", "b"]);
}

#[tokio::test]
async fn a_single_valued_attribute_is_added_once_whatever_the_proposers_saw() {
    let mut n = Node::new();
    assert_eq!(
        n.apply(Command::PutObject {
            object: object("k", Material::None)
        })
        .await,
        CommandResult::Ok
    );
    // Two proposers that each saw no Contact Information: the first in log order sets it.
    let add = |text: &str| Command::ChangeAttributes {
        uid: "k".into(),
        changes: vec![AttributeChange::AddSingle {
            name: "Contact Information".into(),
            value: text_value(text),
        }],
    };
    assert!(matches!(
        n.apply(add("first")).await,
        CommandResult::Object(_)
    ));
    assert_eq!(
        n.apply(add("second")).await,
        CommandResult::SingleValued("Contact Information".into())
    );
    let stored = n.sm.object("k").unwrap().unwrap();
    let values: Vec<_> = stored
        .attributes
        .iter()
        .filter(|a| a.name == "Contact Information")
        .map(|a| (a.index, a.value.clone()))
        .collect();
    assert_eq!(values, vec![(0, text_value("first"))]);
}
