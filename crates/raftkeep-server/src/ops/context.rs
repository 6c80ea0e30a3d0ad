//! What every operation works with: the store, the root keyring, the client, the protocol
//! version, the batch's ID Placeholder, and one clock reading per request.

use kmip_messages::{ProtocolVersion, UniqueIdentifier};
use kmip_ttlv::enums::Operation;
use raftkeep_seal::Keyring;
use raftkeep_store::{Command, CommandResult, StoredObject};

use crate::attrs;
use crate::engine::Client;
use crate::error::OpError;
use crate::store::KeyStore;

/// The context of one batch item.
pub struct OpCtx<'a> {
    /// The replicated store (shared: a write may outlive the request, see Get's Fresh).
    pub store: &'a std::sync::Arc<dyn KeyStore>,
    /// The cluster root key(s).
    pub keyring: &'a Keyring,
    /// Who asks.
    pub client: &'a Client,
    /// The request's protocol version.
    pub version: ProtocolVersion,
    /// The ID Placeholder: the UID the previous item of the batch created or used.
    pub placeholder: Option<String>,
    /// Now, in seconds since the epoch, fixed once per request.
    pub now: i64,
    /// For a batch that must be undone on failure: how to undo each write so far.
    pub journal: Option<Vec<Command>>,
    /// The client groups the client belongs to (grants to a group hold for its members).
    pub groups: Vec<String>,
    /// The UIDs the current item named (for the audit log).
    pub touched: Vec<String>,
    /// The request's idempotency key (Client Correlation Value `idempotency-key:...`): a
    /// retried Create or Register with the same key gets the object the first attempt made.
    pub idempotency_key: Option<String>,
    /// The position of the current item in its batch.
    pub item: usize,
    /// Set while the node serves reads without quorum: how stale its copy may be. Only
    /// Active objects are served then.
    pub stale: Option<std::time::Duration>,
    /// The node's open streams (operations over several requests).
    pub streams: &'a super::streams::Streams,
    /// Set once a command of this request was committed: the request has changed the store,
    /// so its answer must reach the client whatever else fails.
    pub wrote: bool,
}

impl std::fmt::Debug for OpCtx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpCtx")
            .field("client", &self.client)
            .field("version", &self.version)
            .field("placeholder", &self.placeholder)
            .finish_non_exhaustive()
    }
}

/// The Unique Identifier of a payload this build reads untyped (Check, Obtain Lease).
pub fn uid_in(payload: &kmip_ttlv::Ttlv) -> Option<UniqueIdentifier> {
    match payload
        .child(kmip_ttlv::Tag::UNIQUE_IDENTIFIER)
        .map(|t| &t.value)
    {
        Some(kmip_ttlv::Value::TextString(uid)) => Some(UniqueIdentifier::Text(uid.clone())),
        Some(kmip_ttlv::Value::Enumeration(e)) => Some(UniqueIdentifier::Enum((*e).into())),
        _ => None,
    }
}

impl OpCtx<'_> {
    /// True for KMIP 2.x requests.
    pub fn v2(&self) -> bool {
        self.version.major >= 2
    }

    /// The UID a request names, or the ID Placeholder when it names none.
    pub fn uid(&mut self, given: Option<&UniqueIdentifier>) -> Result<String, OpError> {
        let uid = self.resolve(given);
        if let Ok(u) = &uid
            && !self.touched.contains(u)
        {
            self.touched.push(u.clone());
        }
        uid
    }

    fn resolve(&self, given: Option<&UniqueIdentifier>) -> Result<String, OpError> {
        match given {
            Some(UniqueIdentifier::Text(uid)) => Ok(uid.clone()),
            Some(UniqueIdentifier::Enum(e))
                if *e == kmip_ttlv::enums::UniqueIdentifier::ID_PLACEHOLDER =>
            {
                self.placeholder()
            }
            Some(other) => Err(OpError::NotSupported(format!(
                "unique identifier reference {other} is not supported"
            ))),
            None => self.placeholder(),
        }
    }

    /// The object an item names (or the ID Placeholder's), loaded for `op` with the access
    /// check; it becomes the ID Placeholder for the items after.
    pub async fn target(
        &mut self,
        given: Option<&UniqueIdentifier>,
        op: Operation,
    ) -> Result<(String, StoredObject), OpError> {
        let uid = self.uid(given)?;
        let object = self.load(&uid, op).await?;
        self.placeholder = Some(uid.clone());
        Ok((uid, object))
    }

    fn placeholder(&self) -> Result<String, OpError> {
        self.placeholder.clone().ok_or_else(|| {
            OpError::NotFound(
                "no Unique Identifier given and no ID Placeholder from an earlier batch item"
                    .to_owned(),
            )
        })
    }

    /// The object `uid`, if this client may perform `op` on it: the owner may do anything,
    /// other clients what they were granted.
    /// Its state is the one its dates give now ([`attrs::at`]).
    ///
    /// The engine asked the store for a current view before the request ran, so what this
    /// node's copy lacks does not exist (or, in a stale view, was not known when this node
    /// last heard from a leader).
    pub async fn load(&self, uid: &str, op: Operation) -> Result<StoredObject, OpError> {
        let Some(object) = self.store.object(uid)? else {
            // A stale copy cannot tell that an object does not exist: it may have been made
            // since. Another server can.
            if let Some(stale_by) = self.stale {
                return Err(OpError::Store(crate::store::StoreFailure::Unavailable(
                    format!(
                        "no leader confirms this node's copy (none heard for {:.1} s) and the copy does not have {uid}",
                        stale_by.as_secs_f64()
                    ),
                )));
            }
            return Err(OpError::NotFound(format!(
                "no object with Unique Identifier {uid}"
            )));
        };
        let object = attrs::at(object, self.now);
        if let Some(stale_by) = self.stale.filter(|_| self.withheld(&object)) {
            return Err(OpError::Store(crate::store::StoreFailure::Unavailable(
                format!(
                    "no leader confirms this node's copy (none heard for {:.1} s): it serves only Active keys meanwhile; {uid} is not Active",
                    stale_by.as_secs_f64()
                ),
            )));
        }
        if self.may(&object, op) {
            if super::archive::archived(&object) && super::archive::refused_while_archived(op) {
                return Err(OpError::Archived(format!(
                    "object {uid} is archived: Recover it before {op}"
                )));
            }
            return Ok(object);
        }
        tracing::warn!(client = %self.client.fingerprint, identity = %self.client.identity, %uid, operation = %op, "access denied");
        Err(OpError::Denied(format!(
            "{op} on {uid} is not allowed for client identity {} (the object belongs to another one; an operator grants access with `raftkeep access grant` or moves objects with `raftkeep objects move`)",
            self.client.identity
        )))
    }

    /// Whether `object` is withheld because the node serves reads without quorum, when only
    /// Active objects are served (see [`OpCtx::stale`]).
    pub fn withheld(&self, object: &StoredObject) -> bool {
        self.stale.is_some() && object.state != kmip_ttlv::enums::State::ACTIVE.0
    }

    /// Whether this client may perform `op` on `object`.
    pub fn may(&self, object: &StoredObject, op: Operation) -> bool {
        let granted = |grantee: &str| {
            object
                .grants
                .get(grantee)
                .is_some_and(|ops| ops.contains(&op.0))
        };
        object.owner == self.client.identity
            || granted(&self.client.identity)
            || self
                .groups
                .iter()
                .any(|g| granted(&raftkeep_store::ClientGroup::grantee(g)))
    }

    /// The store's key for this item's idempotency key, if the request has one.
    fn request_key(&self) -> Option<String> {
        self.idempotency_key
            .as_deref()
            .map(|k| raftkeep_store::command::request_key(&self.client.identity, k, self.item))
    }

    /// The UID a retried request's first attempt made, as this node's copy knows it.
    pub fn made_before(&self) -> Result<Option<String>, OpError> {
        let Some(request) = self.request_key() else {
            return Ok(None);
        };
        let made = self
            .store
            .lookup(raftkeep_store::command::REQUEST_INDEX, request.as_bytes())?;
        for uid in made {
            if self.store.object(&uid)?.is_some() {
                return Ok(Some(uid));
            }
        }
        Ok(None)
    }

    /// Commits a new object, once per idempotency key: returns the UID of the object that
    /// stands for this request — this one, or the one an earlier attempt made.
    pub async fn put_new(&mut self, object: StoredObject) -> Result<String, OpError> {
        let uid = object.uid.clone();
        let cmd = match self.request_key() {
            Some(request) => Command::PutObjectOnce { request, object },
            None => Command::PutObject { object },
        };
        match self.commit_raw(cmd).await? {
            CommandResult::MadeBefore(first) => {
                tracing::info!(client = %self.client.fingerprint, uid = %first, "retried request: answering with the object its first attempt made");
                Ok(first)
            }
            other => outcome(other).map(|_| uid),
        }
    }

    /// Commits new objects together: all are stored or none (Create Key Pair).
    pub async fn put_all(&mut self, objects: Vec<StoredObject>) -> Result<(), OpError> {
        self.commit(Command::PutObjects { objects })
            .await
            .map(|_| ())
    }

    /// The command that undoes `cmd`, from the object as it is now.
    fn undo_of(&self, cmd: &Command) -> Result<Vec<Command>, OpError> {
        let uid = match cmd {
            Command::PutObject { object } | Command::PutObjectOnce { object, .. } => {
                return Ok(vec![Command::RemoveObject {
                    uid: object.uid.clone(),
                }]);
            }
            Command::PutObjects { objects } => {
                return Ok(objects
                    .iter()
                    .map(|o| Command::RemoveObject { uid: o.uid.clone() })
                    .collect());
            }
            Command::ChangeAttributes { uid, .. }
            | Command::ChangeAttributesIf { uid, .. }
            | Command::ChangeState { uid, .. }
            | Command::DestroyMaterial { uid, .. } => uid,
            _ => return Ok(Vec::new()),
        };
        Ok(self
            .store
            .object(uid)?
            .map(|object| Command::RestoreObject { object })
            .into_iter()
            .collect())
    }

    /// Commits a command; failed preconditions become the operation's error. In a batch
    /// that is undone on failure, the way back is journaled first.
    pub async fn commit(&mut self, cmd: Command) -> Result<Option<StoredObject>, OpError> {
        outcome(self.commit_raw(cmd).await?)
    }

    /// Commits a command and journals its undo if it was applied.
    async fn commit_raw(&mut self, cmd: Command) -> Result<CommandResult, OpError> {
        let undo = match self.journal {
            Some(_) => self.undo_of(&cmd)?,
            None => Vec::new(),
        };
        let result = self.store.write(cmd).await?;
        self.wrote = true;
        let applied = matches!(result, CommandResult::Ok | CommandResult::Object(_));
        if let (Some(journal), true) = (self.journal.as_mut(), applied) {
            journal.extend(undo);
        }
        Ok(result)
    }

    /// Fails if an object other than `except` already has one of these names, within the
    /// cluster's name scope (the whole domain, this client identity's objects, or nowhere). A
    /// destroyed object keeps its name for the record but no longer holds it. An early
    /// answer: the state machine decides again, in log order.
    pub fn check_names_free(&self, names: &[String], except: Option<&str>) -> Result<(), OpError> {
        use raftkeep_store::NameScope;
        let scope = self.store.name_scope()?;
        if scope == NameScope::None {
            return Ok(());
        }
        for name in names {
            for uid in self.store.lookup("name", name.as_bytes())? {
                if Some(uid.as_str()) == except {
                    continue;
                }
                let live = self.store.object(&uid)?.is_some_and(|o| {
                    o.material != raftkeep_store::Material::Destroyed
                        && (scope == NameScope::Domain || o.owner == self.client.identity)
                });
                if live {
                    return Err(OpError::NameTaken(name.clone()));
                }
            }
        }
        Ok(())
    }
}

/// A command's result as the operation's outcome: failed preconditions become its error.
fn outcome(result: CommandResult) -> Result<Option<StoredObject>, OpError> {
    match result {
        CommandResult::Ok => Ok(None),
        CommandResult::Object(o) => Ok(Some(*o)),
        CommandResult::NotFound(uid) => Err(OpError::NotFound(format!(
            "no object with Unique Identifier {uid}"
        ))),
        CommandResult::AlreadyExists(uid) => Err(OpError::Store(
            crate::store::StoreFailure::Internal(format!("UID {uid} is taken")),
        )),
        CommandResult::WrongState { uid, state } => Err(OpError::WrongState(format!(
            "object {uid} is {} (changed by another request)",
            attrs::state_name(state)
        ))),
        CommandResult::NoSuchAttribute { name, index } => {
            Err(OpError::NoSuchAttribute(match index {
                Some(i) => format!("the object has no {name} with index {i}"),
                None => format!("the object has no {name}"),
            }))
        }
        CommandResult::MaterialDestroyed(uid) => Err(OpError::Destroyed(uid)),
        CommandResult::NameTaken(name) => Err(OpError::NameTaken(name)),
        CommandResult::SingleValued(name) => Err(OpError::SingleValued(name)),
        CommandResult::Changed { uid, name, .. } => Err(OpError::Refused(format!(
            "the {name} of {uid} changed while this request used it; try again"
        ))),
        // Only `put_new` proposes the command that answers this, and handles it.
        CommandResult::MadeBefore(uid) => {
            Err(OpError::Store(crate::store::StoreFailure::Internal(
                format!("unexpected: a request key answered with {uid}"),
            )))
        }
        // Operators move objects; no KMIP operation proposes it.
        CommandResult::Moved(n) => Err(OpError::Store(crate::store::StoreFailure::Internal(
            format!("unexpected: an operation's command moved {n} objects"),
        ))),
    }
}
