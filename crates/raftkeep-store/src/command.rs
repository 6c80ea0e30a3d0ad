//! The replicated mutations. Every value a command carries — identifiers, timestamps, sealed
//! key material — was fixed by the proposing node, so applying a command gives the same result
//! on every node. Preconditions (the object exists, is in the expected state, still has its
//! material) are checked at apply time, in log order, so concurrent requests through different
//! nodes cannot both succeed against the same old state.

use kmip_ttlv::{Limits, Tag};
use rocksdb::{DB, WriteBatch};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::db::{CF_CLIENTS, CF_CLUSTER, CF_INDEX, CF_OBJECTS, cf, encode, get_decoded};
use crate::model::{
    ClientGroup, ClientIdentity, Material, StoredAttribute, StoredObject, TrustedIssuer,
};

/// A mutation of the key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// Store a new object (Create, Register, Re-key). Fails if the UID exists.
    PutObject {
        /// The object, material already sealed.
        object: StoredObject,
    },
    /// Store a new object unless this client request already made one: a retried Create
    /// or Register (same request key) gets the object the first attempt made, whichever
    /// node either attempt went through. The request key maps to the UID in the index.
    PutObjectOnce {
        /// Who asked and which request: the client's fingerprint, its idempotency key and
        /// the batch item's position ([`request_key`]).
        request: String,
        /// The object, material already sealed.
        object: StoredObject,
    },
    /// Add, change or remove attribute instances.
    ChangeAttributes {
        /// The object.
        uid: String,
        /// The changes, applied in order.
        changes: Vec<AttributeChange>,
    },
    /// Move an object to a new state if it is in the expected one (Activate, Revoke, ...),
    /// setting the date attributes that go with the transition.
    ChangeState {
        /// The object.
        uid: String,
        /// The states the object may be in; empty accepts any.
        from: Vec<u32>,
        /// The new state.
        to: u32,
        /// Attributes set with the transition (Activation Date, Deactivation Date, ...).
        set: Vec<StoredAttribute>,
    },
    /// Crypto-shred an object's material; its metadata stays.
    DestroyMaterial {
        /// The object.
        uid: String,
        /// The states the object may be in; empty accepts any.
        from: Vec<u32>,
        /// The state to record (Destroyed or Destroyed Compromised).
        state: u32,
        /// Attributes set with it (Destroy Date).
        set: Vec<StoredAttribute>,
    },
    /// Let another client perform these operations on an object.
    Grant {
        /// The object.
        uid: String,
        /// The client's fingerprint.
        client: String,
        /// KMIP Operation values.
        operations: Vec<u32>,
    },
    /// Withdraw every grant of a client on an object.
    Revoke {
        /// The object.
        uid: String,
        /// The client's fingerprint.
        client: String,
    },
    /// Put an object back as it was (undoing a batch): overwrites it whatever its state.
    RestoreObject {
        /// The object as it was, material included.
        object: StoredObject,
    },
    /// Remove an object entirely (undoing its creation in a batch).
    RemoveObject {
        /// The object.
        uid: String,
    },
    /// Add a client to the allow-list.
    AllowClient(ClientIdentity),
    /// Remove a client from the allow-list.
    RevokeClient {
        /// The client's fingerprint.
        fingerprint: String,
    },
    /// Set a client group's members; no members removes the group.
    SetGroup(ClientGroup),
    /// Allow the certificates a CA issues with one subject.
    AllowIssuer(TrustedIssuer),
    /// Withdraw a CA-plus-subject entry.
    RevokeIssuer {
        /// The CA's fingerprint.
        ca_fingerprint: String,
        /// The subject.
        subject: String,
    },
    /// Record the cluster's root-key check value (at initialization and after a rotation): a
    /// value sealed with the root key that every node must be able to open.
    SetKeyCheck {
        /// The sealed check value ([`raftkeep_seal::Keyring::key_check`]).
        blob: Vec<u8>,
    },
    /// Replace sealed material by the same material sealed with a newer root key (rotation).
    /// Fails for objects whose material is gone.
    Reseal {
        /// Object and its re-sealed material.
        objects: Vec<(String, Vec<u8>)>,
    },
    /// Record the cluster's identity (at initialization; a restored or recovered cluster gets
    /// a new one), so backups, status and operators can tell clusters apart.
    SetClusterId {
        /// A random identifier.
        id: String,
    },
    /// Record that a backup is being taken: once applied on the node taking it, every write
    /// acknowledged before the backup began is in that node's copy (a read barrier that also
    /// leaves a trace in the log and in `raftkeep cluster status`).
    RecordBackup(BackupMark),
    /// Store several new objects together, all or none (Create Key Pair: a private key is
    /// never left without its public key). Fails if any of the UIDs exists.
    PutObjects {
        /// The objects, material already sealed.
        objects: Vec<StoredObject>,
    },
    /// [`Command::ChangeAttributes`] if the attribute `name` (its first instance) still has
    /// the value the proposer read: a counter such as Usage Limits is decremented by one
    /// request at a time, whichever node each comes through.
    ChangeAttributesIf {
        /// The object.
        uid: String,
        /// The attribute read.
        name: String,
        /// Its TTLV-encoded value as read; `None`: it was absent.
        expect: Option<Vec<u8>>,
        /// The changes, applied in order.
        changes: Vec<AttributeChange>,
    },
    /// [`Command::AllowClient`], the certificate mapped to a named client identity (which owns
    /// objects; several certificates may map to one).
    AllowClientAs {
        /// The certificate.
        client: ClientIdentity,
        /// The identity it maps to.
        identity: String,
    },
    /// [`Command::AllowIssuer`], the CA-plus-subject entry mapped to a named client identity.
    AllowIssuerAs {
        /// The entry.
        issuer: TrustedIssuer,
        /// The identity it maps to.
        identity: String,
    },
    /// Give the objects `uids` that `from` owns to `to`, with `from`'s grants on them (an
    /// operator's bulk move, one page at a time); recorded as an [`OwnershipMove`]. Objects
    /// owned by someone else by now are left alone.
    MoveObjects {
        /// What was done, by whom, when.
        record: OwnershipMove,
        /// The objects.
        uids: Vec<String>,
    },
    /// Set how far a Name must be unique, for every object made or renamed from now on.
    SetNameScope(NameScope),
}

/// Where no two live objects may share a Name (KMIP 1.4 §3.2: "unique within a given key
/// management domain"). A cluster-wide setting, decided at apply time like the check itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum NameScope {
    /// The whole cluster, as KMIP says (the default).
    #[default]
    Domain,
    /// Each client identity's own objects: two clients may use the same names.
    Identity,
    /// Names are labels, never refused (PyKMIP names every key it registers "Symmetric Key"
    /// unless told otherwise).
    None,
}

/// The key of the [`NameScope`] in the `cluster` column family.
pub(crate) const KEY_NAME_SCOPE: &[u8] = b"name_scope";

/// One page of an operator's move of objects between client identities, kept in the store
/// for `raftkeep objects moves`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnershipMove {
    /// The identity the objects belonged to.
    pub from: String,
    /// The identity they belong to now.
    pub to: String,
    /// When (seconds since the epoch, the proposer's clock).
    pub at: i64,
    /// The operator's certificate subject, as the node that took the request saw it.
    pub by: String,
    /// How many objects moved (set when applied).
    pub moved: u64,
}

/// The key of an ownership move record in the `cluster` column family.
fn move_key(m: &OwnershipMove, first_uid: &str) -> Vec<u8> {
    let mut k = MOVE_PREFIX.to_vec();
    k.extend_from_slice(format!("{:020}", m.at.max(0)).as_bytes());
    k.push(0);
    k.extend_from_slice(first_uid.as_bytes());
    k
}

/// The prefix of ownership move records in the `cluster` column family.
pub(crate) const MOVE_PREFIX: &[u8] = b"move\0";

/// The last backup a cluster recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupMark {
    /// The backup's identifier (also in the backup file's header).
    pub id: String,
    /// When it began, milliseconds since the Unix epoch (the proposing node's clock).
    pub unix_millis: u64,
    /// The node that took it.
    pub node: u64,
}

/// One attribute change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeChange {
    /// Add an instance; its index is the next free one.
    Add {
        /// Attribute name.
        name: String,
        /// TTLV-encoded value.
        value: Vec<u8>,
    },
    /// Replace the value of an existing instance.
    Modify {
        /// Attribute name.
        name: String,
        /// Instance index.
        index: u32,
        /// TTLV-encoded value.
        value: Vec<u8>,
    },
    /// Set a single-valued attribute, creating it if absent.
    Set {
        /// Attribute name.
        name: String,
        /// TTLV-encoded value.
        value: Vec<u8>,
    },
    /// Remove one instance, or every instance when `index` is `None`.
    Delete {
        /// Attribute name.
        name: String,
        /// Instance index.
        index: Option<u32>,
    },
    /// Add the only instance of a single-valued attribute: refused
    /// ([`CommandResult::SingleValued`]) if the object has one already, whoever set it.
    AddSingle {
        /// Attribute name.
        name: String,
        /// TTLV-encoded value.
        value: Vec<u8>,
    },
}

/// The outcome of applying a command, returned to the proposer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandResult {
    /// Applied.
    Ok,
    /// Applied; the object as it now is (for attribute and state changes).
    Object(Box<StoredObject>),
    /// No such object.
    NotFound(String),
    /// An object with this UID exists already.
    AlreadyExists(String),
    /// The object is not in the state the command expected.
    WrongState {
        /// The object.
        uid: String,
        /// Its state.
        state: u32,
    },
    /// No attribute instance with this name and index.
    NoSuchAttribute {
        /// Attribute name.
        name: String,
        /// Instance index.
        index: Option<u32>,
    },
    /// The object's material is already destroyed.
    MaterialDestroyed(String),
    /// The request was made before: the UID of the object it made.
    MadeBefore(String),
    /// [`Command::ChangeAttributesIf`]: the attribute changed since the proposer read it.
    Changed {
        /// The object.
        uid: String,
        /// The attribute.
        name: String,
        /// Its value now (TTLV-encoded; `None`: absent), so the proposer can try again
        /// without another read — like a compare-and-exchange.
        current: Option<Vec<u8>>,
    },
    /// Another live object already holds this Name (KMIP: Non Unique Name Attribute). Decided
    /// here, in log order, so two requests racing through different nodes cannot both take it.
    NameTaken(String),
    /// [`AttributeChange::AddSingle`]: the object has this single-valued attribute already.
    SingleValued(String),
    /// [`Command::MoveObjects`]: how many objects moved.
    Moved(u64),
}

/// The key of the identity an allow-list entry (a fingerprint, or [`TrustedIssuer::key`])
/// maps to, in the allow-list's column family.
pub fn identity_key(entry: &[u8]) -> Vec<u8> {
    let mut k = IDENTITY_PREFIX.to_vec();
    k.extend_from_slice(entry);
    k
}

/// The prefix of identity mappings in the allow-list's column family.
pub const IDENTITY_PREFIX: &[u8] = b"identity\0";

/// The index kind under which a [`Command::PutObjectOnce`] request key lists its object.
pub const REQUEST_INDEX: &str = "request";

/// The request key of one batch item of one client's request.
pub fn request_key(fingerprint: &str, idempotency_key: &str, item: usize) -> String {
    format!("{fingerprint}\0{idempotency_key}\0{item}")
}

/// The key of the root-key check value in the `cluster` column family.
pub(crate) const KEY_CHECK: &[u8] = b"root_key_check";
/// The key of the cluster's identifier in the `cluster` column family.
pub(crate) const KEY_CLUSTER_ID: &[u8] = b"cluster_id";
/// The key of the last [`BackupMark`] in the `cluster` column family.
pub(crate) const KEY_LAST_BACKUP: &[u8] = b"last_backup";

/// Applies one command: checks its preconditions against the stored state and, if they hold,
/// adds its writes to `batch`. A failed precondition writes nothing and is the result.
pub(crate) fn apply_command(
    db: &DB,
    batch: &mut WriteBatch,
    cmd: &Command,
) -> Result<CommandResult, StoreError> {
    let load = |uid: &str| -> Result<Option<StoredObject>, StoreError> {
        get_decoded(db, CF_OBJECTS, uid.as_bytes(), "object")
    };
    let not_found = |uid: &str| Ok(CommandResult::NotFound(uid.to_owned()));
    match cmd {
        Command::PutObject { object } => {
            if load(&object.uid)?.is_some() {
                return Ok(CommandResult::AlreadyExists(object.uid.clone()));
            }
            if let Some(taken) = name_taken(db, object, None)? {
                return Ok(taken);
            }
            write_object(db, batch, None, object)?;
            Ok(CommandResult::Ok)
        }
        Command::PutObjectOnce { request, object } => {
            let prefix = index_prefix(REQUEST_INDEX, request.as_bytes());
            let index = cf(db, CF_INDEX)?;
            let from = rocksdb::IteratorMode::From(&prefix, rocksdb::Direction::Forward);
            for item in db.iterator_cf(index, from) {
                let (key, _) = item?;
                let Some(uid) = key.strip_prefix(prefix.as_slice()) else {
                    break;
                };
                let uid = String::from_utf8_lossy(uid).into_owned();
                // An object removed since (a batch undone) no longer answers for it.
                if load(&uid)?.is_some() {
                    return Ok(CommandResult::MadeBefore(uid));
                }
            }
            if load(&object.uid)?.is_some() {
                return Ok(CommandResult::AlreadyExists(object.uid.clone()));
            }
            if let Some(taken) = name_taken(db, object, None)? {
                return Ok(taken);
            }
            write_object(db, batch, None, object)?;
            let mut key = prefix;
            key.extend_from_slice(object.uid.as_bytes());
            batch.put_cf(index, key, []);
            Ok(CommandResult::Ok)
        }
        Command::PutObjects { objects } => {
            let mut held = Vec::new();
            for object in objects {
                if load(&object.uid)?.is_some() {
                    return Ok(CommandResult::AlreadyExists(object.uid.clone()));
                }
                if let Some(taken) = name_taken(db, object, None)? {
                    return Ok(taken);
                }
                // Two objects of one command cannot share a Name either.
                for name in names_of(object) {
                    if held.contains(&name) {
                        return Ok(CommandResult::NameTaken(name));
                    }
                    held.push(name);
                }
            }
            for object in objects {
                write_object(db, batch, None, object)?;
            }
            Ok(CommandResult::Ok)
        }
        Command::ChangeAttributes { uid, changes } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            let mut new = old.clone();
            for change in changes {
                if let Err(missing) = change_attribute(&mut new.attributes, change) {
                    return Ok(missing);
                }
            }
            if let Some(taken) = name_taken(db, &new, Some(&old))? {
                return Ok(taken);
            }
            write_object(db, batch, Some(&old), &new)?;
            Ok(CommandResult::Object(Box::new(new)))
        }
        Command::ChangeAttributesIf {
            uid,
            name,
            expect,
            changes,
        } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            let now = old
                .attributes
                .iter()
                .find(|a| a.name == *name && a.index == 0)
                .map(|a| &a.value);
            if now != expect.as_ref() {
                return Ok(CommandResult::Changed {
                    uid: uid.clone(),
                    name: name.clone(),
                    current: now.cloned(),
                });
            }
            let mut new = old.clone();
            for change in changes {
                if let Err(missing) = change_attribute(&mut new.attributes, change) {
                    return Ok(missing);
                }
            }
            if let Some(taken) = name_taken(db, &new, Some(&old))? {
                return Ok(taken);
            }
            write_object(db, batch, Some(&old), &new)?;
            Ok(CommandResult::Object(Box::new(new)))
        }
        Command::ChangeState { uid, from, to, set } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            if !from.is_empty() && !from.contains(&old.state) {
                return Ok(CommandResult::WrongState {
                    uid: uid.clone(),
                    state: old.state,
                });
            }
            let mut new = old.clone();
            new.state = *to;
            set_all(&mut new.attributes, set);
            write_object(db, batch, Some(&old), &new)?;
            Ok(CommandResult::Object(Box::new(new)))
        }
        Command::DestroyMaterial {
            uid,
            from,
            state,
            set,
        } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            if old.material == Material::Destroyed {
                return Ok(CommandResult::MaterialDestroyed(uid.clone()));
            }
            if !from.is_empty() && !from.contains(&old.state) {
                return Ok(CommandResult::WrongState {
                    uid: uid.clone(),
                    state: old.state,
                });
            }
            let mut new = old.clone();
            new.material = Material::Destroyed;
            new.state = *state;
            set_all(&mut new.attributes, set);
            write_object(db, batch, Some(&old), &new)?;
            Ok(CommandResult::Object(Box::new(new)))
        }
        Command::Grant {
            uid,
            client,
            operations,
        } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            let mut new = old.clone();
            let ops = new.grants.entry(client.clone()).or_default();
            ops.extend(
                operations
                    .iter()
                    .copied()
                    .filter(|o| !ops.contains(o))
                    .collect::<Vec<_>>(),
            );
            write_object(db, batch, Some(&old), &new)?;
            Ok(CommandResult::Ok)
        }
        Command::Revoke { uid, client } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            let mut new = old.clone();
            new.grants.remove(client);
            write_object(db, batch, Some(&old), &new)?;
            Ok(CommandResult::Ok)
        }
        Command::RestoreObject { object } => {
            let old = load(&object.uid)?;
            write_object(db, batch, old.as_ref(), object)?;
            Ok(CommandResult::Ok)
        }
        Command::RemoveObject { uid } => {
            let Some(old) = load(uid)? else {
                return not_found(uid);
            };
            let index = cf(db, CF_INDEX)?;
            for key in index_keys(&old) {
                batch.delete_cf(index, key);
            }
            batch.delete_cf(cf(db, CF_OBJECTS)?, uid.as_bytes());
            Ok(CommandResult::Ok)
        }
        Command::AllowClient(identity) => {
            batch.put_cf(
                cf(db, CF_CLIENTS)?,
                identity.fingerprint.as_bytes(),
                encode(identity, "client")?,
            );
            Ok(CommandResult::Ok)
        }
        Command::RevokeClient { fingerprint } => {
            batch.delete_cf(cf(db, CF_CLIENTS)?, fingerprint.as_bytes());
            batch.delete_cf(cf(db, CF_CLIENTS)?, identity_key(fingerprint.as_bytes()));
            Ok(CommandResult::Ok)
        }
        Command::AllowClientAs { client, identity } => {
            let clients = cf(db, CF_CLIENTS)?;
            let key = client.fingerprint.as_bytes();
            batch.put_cf(clients, key, encode(client, "client")?);
            batch.put_cf(clients, identity_key(key), identity.as_bytes());
            Ok(CommandResult::Ok)
        }
        Command::AllowIssuerAs { issuer, identity } => {
            let clients = cf(db, CF_CLIENTS)?;
            let key = TrustedIssuer::key(&issuer.ca_fingerprint, &issuer.subject);
            batch.put_cf(clients, &key, encode(issuer, "trusted issuer")?);
            batch.put_cf(clients, identity_key(&key), identity.as_bytes());
            Ok(CommandResult::Ok)
        }
        Command::MoveObjects { record, uids } => {
            let mut moved = 0;
            for uid in uids {
                let Some(old) = load(uid)? else { continue };
                if old.owner != record.from {
                    continue;
                }
                let mut new = old.clone();
                new.owner = record.to.clone();
                if let Some(ops) = new.grants.remove(&record.from) {
                    new.grants.entry(record.to.clone()).or_default().extend(ops);
                }
                write_object(db, batch, Some(&old), &new)?;
                moved += 1;
            }
            if let Some(first) = uids.first() {
                let done = OwnershipMove {
                    moved,
                    ..record.clone()
                };
                batch.put_cf(
                    cf(db, CF_CLUSTER)?,
                    move_key(&done, first),
                    encode(&done, "ownership move")?,
                );
            }
            Ok(CommandResult::Moved(moved))
        }
        Command::SetGroup(group) => {
            let key = ClientGroup::key(&group.name);
            if group.members.is_empty() {
                batch.delete_cf(cf(db, CF_CLIENTS)?, key);
            } else {
                batch.put_cf(cf(db, CF_CLIENTS)?, key, encode(group, "client group")?);
            }
            Ok(CommandResult::Ok)
        }
        Command::AllowIssuer(issuer) => {
            batch.put_cf(
                cf(db, CF_CLIENTS)?,
                TrustedIssuer::key(&issuer.ca_fingerprint, &issuer.subject),
                encode(issuer, "trusted issuer")?,
            );
            Ok(CommandResult::Ok)
        }
        Command::RevokeIssuer {
            ca_fingerprint,
            subject,
        } => {
            let key = TrustedIssuer::key(ca_fingerprint, subject);
            batch.delete_cf(cf(db, CF_CLIENTS)?, identity_key(&key));
            batch.delete_cf(cf(db, CF_CLIENTS)?, key);
            Ok(CommandResult::Ok)
        }
        Command::SetNameScope(scope) => {
            batch.put_cf(
                cf(db, CF_CLUSTER)?,
                KEY_NAME_SCOPE,
                encode(scope, "name scope")?,
            );
            Ok(CommandResult::Ok)
        }
        Command::SetKeyCheck { blob } => {
            batch.put_cf(cf(db, CF_CLUSTER)?, KEY_CHECK, blob);
            Ok(CommandResult::Ok)
        }
        Command::SetClusterId { id } => {
            batch.put_cf(cf(db, CF_CLUSTER)?, KEY_CLUSTER_ID, id.as_bytes());
            Ok(CommandResult::Ok)
        }
        Command::RecordBackup(mark) => {
            let bytes = encode(mark, "backup mark")?;
            batch.put_cf(cf(db, CF_CLUSTER)?, KEY_LAST_BACKUP, bytes);
            Ok(CommandResult::Ok)
        }
        Command::Reseal { objects } => {
            for (uid, blob) in objects {
                // Objects destroyed since the proposer read them keep no material to re-seal.
                let Some(old) = load(uid)? else { continue };
                if let Material::Sealed(_) = old.material {
                    let mut new = old.clone();
                    new.material = Material::Sealed(blob.clone());
                    write_object(db, batch, Some(&old), &new)?;
                }
            }
            Ok(CommandResult::Ok)
        }
    }
}

/// Writes an object and moves its index entries from `old`'s to its own.
fn write_object(
    db: &DB,
    batch: &mut WriteBatch,
    old: Option<&StoredObject>,
    new: &StoredObject,
) -> Result<(), StoreError> {
    let index = cf(db, CF_INDEX)?;
    if let Some(old) = old {
        for key in index_keys(old) {
            batch.delete_cf(index, key);
        }
    }
    for key in index_keys(new) {
        batch.put_cf(index, key, []);
    }
    batch.put_cf(
        cf(db, CF_OBJECTS)?,
        new.uid.as_bytes(),
        encode(new, "object")?,
    );
    Ok(())
}

/// The secondary-index keys of an object: `kind \0 len value uid` for its object type, its
/// state, each Name, and each custom (`x-`/`y-`) attribute value, so Locate needs no scan. The
/// value is length-prefixed (u32, big-endian) so that no value's prefix can match another's.
pub fn index_keys(o: &StoredObject) -> Vec<Vec<u8>> {
    let key = |kind: &str, value: &[u8]| {
        let mut k = index_prefix(kind, value);
        k.extend_from_slice(o.uid.as_bytes());
        k
    };
    let mut keys = vec![
        key("type", &o.object_type.to_be_bytes()),
        key("state", &o.state.to_be_bytes()),
    ];
    for a in &o.attributes {
        if a.name == "Name" {
            if let Some(name) = name_value(&a.value) {
                keys.push(key("name", name.as_bytes()));
            }
        } else if a.name.starts_with("x-") || a.name.starts_with("y-") {
            keys.push(key("attr", &custom_attribute_value(&a.name, &a.value)));
        }
    }
    keys
}

/// The index value of a custom attribute: its name, a NUL, its TTLV-encoded value.
pub fn custom_attribute_value(name: &str, value: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(name.len() + 1 + value.len());
    v.extend_from_slice(name.as_bytes());
    v.push(0);
    v.extend_from_slice(value);
    v
}

/// The key prefix shared by every object indexed under `kind` and `value`.
pub fn index_prefix(kind: &str, value: &[u8]) -> Vec<u8> {
    let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
    let mut k = Vec::with_capacity(kind.len() + 5 + value.len());
    k.extend_from_slice(kind.as_bytes());
    k.push(0);
    k.extend_from_slice(&len.to_be_bytes());
    k.extend_from_slice(value);
    k
}

/// The Name Value text of a TTLV-encoded Name attribute value.
pub fn name_value(encoded: &[u8]) -> Option<String> {
    let item = kmip_ttlv::decode(encoded, &Limits::default()).ok()?;
    match &item.child(Tag::NAME_VALUE)?.value {
        kmip_ttlv::Value::TextString(s) => Some(s.clone()),
        _ => None,
    }
}

/// The Name values of an object.
fn names_of(o: &StoredObject) -> Vec<String> {
    o.attributes
        .iter()
        .filter(|a| a.name == "Name")
        .filter_map(|a| name_value(&a.value))
        .collect()
}

/// [`CommandResult::NameTaken`] if `object` has a Name (one `before`, its previous version,
/// did not have) that another live object holds. A destroyed object keeps its Name for the
/// record but no longer holds it.
fn name_taken(
    db: &DB,
    object: &StoredObject,
    before: Option<&StoredObject>,
) -> Result<Option<CommandResult>, StoreError> {
    let scope: NameScope =
        get_decoded(db, CF_CLUSTER, KEY_NAME_SCOPE, "name scope")?.unwrap_or_default();
    if scope == NameScope::None {
        return Ok(None);
    }
    let had = before.map(names_of).unwrap_or_default();
    for name in names_of(object) {
        if had.contains(&name) {
            continue;
        }
        let prefix = index_prefix("name", name.as_bytes());
        let index = cf(db, CF_INDEX)?;
        let from = rocksdb::IteratorMode::From(&prefix, rocksdb::Direction::Forward);
        for item in db.iterator_cf(index, from) {
            let (key, _) = item?;
            let Some(uid) = key.strip_prefix(prefix.as_slice()) else {
                break;
            };
            if uid == object.uid.as_bytes() {
                continue;
            }
            let holder: Option<StoredObject> = get_decoded(db, CF_OBJECTS, uid, "object")?;
            if holder.is_some_and(|h| {
                h.material != Material::Destroyed
                    && (scope == NameScope::Domain || h.owner == object.owner)
            }) {
                return Ok(Some(CommandResult::NameTaken(name)));
            }
        }
    }
    Ok(None)
}

/// Applies one attribute change; a missing instance is the command's result.
fn change_attribute(
    attrs: &mut Vec<StoredAttribute>,
    change: &AttributeChange,
) -> Result<(), CommandResult> {
    let missing = |name: &str, index| CommandResult::NoSuchAttribute {
        name: name.to_owned(),
        index,
    };
    match change {
        AttributeChange::Add { name, value } => {
            let index = attrs
                .iter()
                .filter(|a| &a.name == name)
                .map(|a| a.index + 1)
                .max()
                .unwrap_or(0);
            attrs.push(StoredAttribute {
                name: name.clone(),
                index,
                value: value.clone(),
            });
        }
        AttributeChange::Modify { name, index, value } => {
            let a = attrs
                .iter_mut()
                .find(|a| &a.name == name && a.index == *index)
                .ok_or_else(|| missing(name, Some(*index)))?;
            a.value = value.clone();
        }
        AttributeChange::Set { name, value } => {
            set_all(
                attrs,
                &[StoredAttribute {
                    name: name.clone(),
                    index: 0,
                    value: value.clone(),
                }],
            );
        }
        AttributeChange::AddSingle { name, value } => {
            if attrs.iter().any(|a| &a.name == name) {
                return Err(CommandResult::SingleValued(name.clone()));
            }
            attrs.push(StoredAttribute {
                name: name.clone(),
                index: 0,
                value: value.clone(),
            });
        }
        AttributeChange::Delete { name, index } => {
            let before = attrs.len();
            attrs.retain(|a| !(&a.name == name && index.is_none_or(|i| a.index == i)));
            if attrs.len() == before {
                return Err(missing(name, *index));
            }
        }
    }
    Ok(())
}

/// Sets single-valued attributes: replaces instance 0 of each name, or adds it.
fn set_all(attrs: &mut Vec<StoredAttribute>, set: &[StoredAttribute]) {
    for s in set {
        match attrs
            .iter_mut()
            .find(|a| a.name == s.name && a.index == s.index)
        {
            Some(a) => a.value = s.value.clone(),
            None => attrs.push(s.clone()),
        }
    }
}
