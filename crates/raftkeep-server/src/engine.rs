//! The operation engine: checks the client against the replicated allow-list, then answers
//! the batch items of a request in order, in the request's protocol version: each item's
//! operation runs in its own file under [`crate::ops`], the ID Placeholder passes from item to
//! item, and the Batch Error Continuation Option decides what follows a failure. Operations
//! this server does not implement are answered "Operation Not Supported", never by dropping
//! the connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use kmip_messages::vendor::{ServerCondition, declares_aware};
use kmip_messages::{
    ProtocolVersion, RequestBatchItem, RequestMessage, RequestPayload, ResponseBatchItem,
    ResponseMessage, ResponsePayload, UniqueIdentifier,
};
use kmip_ttlv::enums::{BatchErrorContinuationOption, Operation, ResultStatus};
use raftkeep_seal::Keyring;
use raftkeep_store::Command;

use crate::audit::{AuditSink, Event};
use crate::credentials::Passwords;
use crate::error::OpError;
use crate::ops::context::OpCtx;
use crate::rate::RateLimit;
use crate::store::{KeyStore, Purpose, View};
use crate::{ops, response};

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// SHA-256 of the client's certificate, lowercase hex (how the allow-list names it).
    pub fingerprint: String,
    /// The client identity the allow-list maps the certificate to: it owns objects, and
    /// grants and groups name it. Several certificates may share one (a renewed certificate,
    /// a second vCenter); one allowed before identities existed is its own fingerprint.
    /// The engine sets it per request; until then the fingerprint.
    pub identity: String,
    /// The TCP peer.
    pub peer: SocketAddr,
    /// The certificates the client presented, leaf first (DER).
    pub chain: CertChain,
}

/// A presented certificate chain; `Debug` shows only how many certificates it holds.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CertChain(pub Arc<Vec<Vec<u8>>>);

impl std::fmt::Debug for CertChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CertChain(<{} certificates>)", self.0.len())
    }
}

/// What the engine makes of one request message.
#[derive(Debug)]
pub enum Reply {
    /// The response to send.
    Answer(ResponseMessage),
    /// Close the connection without an answer: this node cannot serve the request because of
    /// the cluster, and the client — one that did not declare it understands Raftkeep's
    /// "unavailable" mark — takes any answer as final, but fails over from a server that is
    /// down (DESIGN.md invariant 5). Says why, for the log.
    HangUp(String),
}

/// Answers decoded requests; a session calls it once per request message.
pub trait Handler: Send + Sync + 'static {
    /// What to do with `request` from `client`.
    fn handle(
        &self,
        client: &Client,
        request: RequestMessage,
    ) -> impl Future<Output = Reply> + Send;

    /// A message that could not be decoded was answered with `response` (Invalid Message);
    /// the engine records it in the audit log.
    fn invalid(&self, client: &Client, response: &ResponseMessage) {
        let _ = (client, response);
    }
}

/// Which client certificates may use the server (the replicated allow-list on a node).
pub trait AllowList: Send + Sync + 'static {
    /// The client identity the certificate is allowed as — by its fingerprint, or by a
    /// trusted CA and its subject — or `None` when it is not allowed; `Err` with a reason
    /// when the list cannot be read.
    fn identify(&self, client: &Client) -> Result<Option<String>, String>;
}

/// The operation engine.
#[derive(Clone)]
pub struct Engine {
    allow: Arc<dyn AllowList>,
    store: Arc<dyn KeyStore>,
    keyring: Keyring,
    audit: Option<Arc<dyn AuditSink>>,
    passwords: Option<Arc<Passwords>>,
    rate: Option<Arc<RateLimit>>,
    streams: Arc<ops::streams::Streams>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine serving the clients `allow` admits from `store`, sealing key material with
    /// `keyring`.
    pub fn new(allow: Arc<dyn AllowList>, store: Arc<dyn KeyStore>, keyring: Keyring) -> Self {
        Engine {
            allow,
            store,
            keyring,
            audit: None,
            passwords: None,
            rate: None,
            streams: Arc::default(),
        }
    }

    /// The same engine, also requiring a Username/Password credential of one of `passwords`'
    /// users in every request.
    pub fn with_passwords(mut self, passwords: Arc<Passwords>) -> Self {
        self.passwords = Some(passwords);
        self
    }

    /// The same engine, holding each client certificate to `rate`.
    pub fn with_rate_limit(mut self, rate: Arc<RateLimit>) -> Self {
        self.rate = Some(rate);
        self
    }

    /// The same engine, writing one audit record per answered batch item to `sink`.
    pub fn with_audit(mut self, sink: Arc<dyn AuditSink>) -> Self {
        self.audit = Some(sink);
        self
    }

    fn audit(
        &self,
        client: &Client,
        request_id: &str,
        asked: Option<Operation>,
        answer: &ResponseBatchItem,
        uids: Vec<String>,
        stale_ms: Option<u64>,
    ) {
        let Some(sink) = &self.audit else { return };
        sink.record(Event {
            client: client.fingerprint.clone(),
            identity: (client.identity != client.fingerprint).then(|| client.identity.clone()),
            peer: client.peer.to_string(),
            operation: answer
                .operation
                .or(asked)
                .map_or_else(|| "(unknown)".to_owned(), |o| o.to_string()),
            uids,
            status: answer.result_status.to_string(),
            reason: answer.result_reason.map(|r| r.to_string()),
            request_id: request_id.to_owned(),
            batch_item_id: answer
                .unique_batch_item_id
                .as_ref()
                .map(|b| hex::encode(b.as_slice())),
            stale_ms,
        });
    }

    /// The client identity this request acts as; why the client may not go on otherwise:
    /// its certificate, its credential, its rate.
    async fn admit(&self, client: &Client, request: &RequestMessage) -> Result<String, OpError> {
        let identity = self.identity(client).await?;
        if let Some(Err(why)) = self.passwords.as_ref().map(|p| p.check(&request.header)) {
            tracing::warn!(client = %client.fingerprint, peer = %client.peer, %why, "authentication failed");
            return Err(OpError::Unauthenticated(why));
        }
        if let Some(rate) = self.rate.as_ref()
            && let Err(e) = rate.admit(&client.fingerprint).await
        {
            tracing::warn!(client = %client.fingerprint, peer = %client.peer, error = %e, "request refused: rate limit");
            return Err(e);
        }
        Ok(identity)
    }

    /// The identity the allow-list maps the client's certificate to.
    async fn identity(&self, client: &Client) -> Result<String, OpError> {
        match self.allow.identify(client) {
            Ok(Some(identity)) => Ok(identity),
            Ok(None) => {
                // A node whose copy is not current (joining, cut off) may not know the client
                // yet: not a refusal, another server can answer.
                if let Err(e) = self.store.view(Purpose::Read).await {
                    return Err(OpError::Store(e));
                }
                let subject = client
                    .chain
                    .0
                    .first()
                    .and_then(|der| crate::tls::subject(der))
                    .unwrap_or_default();
                tracing::warn!(client = %client.fingerprint, %subject, peer = %client.peer, "request from a client certificate that is not allowed");
                Err(OpError::Denied(format!(
                    "client certificate sha256:{} is not allowed on this cluster (an operator allows it with `raftkeep clients allow CERT.pem`)",
                    client.fingerprint
                )))
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the allow-list");
                Err(OpError::Store(crate::store::StoreFailure::Internal(
                    "the server cannot read its allow-list".to_owned(),
                )))
            }
        }
    }

    /// Every item of `request` answered with `refusal`.
    fn refuse(request: &RequestMessage, refusal: &OpError, aware: bool) -> ResponseMessage {
        let reason = refusal.reason(request.header.protocol_version);
        let items = request
            .batch_items
            .iter()
            .map(|item| failure(item, reason, refusal, aware))
            .collect();
        response::message(request.header.protocol_version, items)
    }

    /// The request refused as a whole with `refusal`, audited.
    fn refused(
        &self,
        client: &Client,
        request: &RequestMessage,
        request_id: &str,
        refusal: &OpError,
        aware: bool,
    ) -> Reply {
        let refused = Self::refuse(request, refusal, aware);
        // Rare: the UIDs asked for are read from the encoded request.
        let ctx = kmip_messages::Ctx::new(request.header.protocol_version);
        for (asked, answer) in request.batch_items.iter().zip(&refused.batch_items) {
            let mut uids = Vec::new();
            unique_identifiers(&asked.payload.write(ctx), &mut uids);
            self.audit(
                client,
                request_id,
                Some(asked.operation),
                answer,
                uids,
                None,
            );
        }
        if !aware && refusal.condition() == Some(ServerCondition::Unavailable) {
            return Reply::HangUp(refusal.to_string());
        }
        Reply::Answer(refused)
    }

    /// The view of the store `request` needs, or `None` when it touches no stored object.
    async fn view_for(&self, request: &RequestMessage) -> Result<Option<View>, OpError> {
        let ops = || request.batch_items.iter().map(|i| i.operation);
        let purpose = if ops().any(|op| !storeless(op) && !stale_readable(op)) {
            Purpose::Write
        } else if ops().any(|op| !storeless(op)) {
            Purpose::Read
        } else {
            return Ok(None);
        };
        Ok(Some(self.store.view(purpose).await?))
    }
}

/// A failed item's answer; the "unavailable" mark only for a client that understands it.
fn failure(
    item: &RequestBatchItem,
    reason: kmip_ttlv::enums::ResultReason,
    e: &OpError,
    aware: bool,
) -> ResponseBatchItem {
    let mut failed = response::failure(Some(item), reason, e.to_string());
    if aware {
        failed.message_extension = e.condition().map(ServerCondition::to_extension);
    }
    failed
}

impl Handler for Engine {
    fn invalid(&self, client: &Client, response: &ResponseMessage) {
        let request_id = uuid::Uuid::new_v4().to_string();
        for answer in &response.batch_items {
            self.audit(client, &request_id, None, answer, Vec::new(), None);
        }
    }

    async fn handle(&self, client: &Client, request: RequestMessage) -> Reply {
        let reply = self.answer(client, request).await;
        // The answer goes out only once its audit records would survive a crash.
        if let Some(sink) = &self.audit {
            sink.durable().await;
        }
        reply
    }
}

impl Engine {
    /// The reply to `request`, its items audited.
    async fn answer(&self, client: &Client, request: RequestMessage) -> Reply {
        let request_id = uuid::Uuid::new_v4().to_string();
        let version = request.header.protocol_version;
        let aware = declares_aware(
            request
                .batch_items
                .iter()
                .map(|i| i.unique_batch_item_id.as_ref().map(|b| b.as_slice())),
        );
        let view = match self.view_for(&request).await {
            Ok(view) => view,
            Err(e) => return self.refused(client, &request, &request_id, &e, aware),
        };
        let client = &match self.admit(client, &request).await {
            Ok(identity) => Client {
                identity,
                ..client.clone()
            },
            Err(refusal) => return self.refused(client, &request, &request_id, &refusal, aware),
        };
        let max_response = request.header.maximum_response_size;
        let option = request
            .header
            .batch_error_continuation_option
            .unwrap_or(BatchErrorContinuationOption::STOP);
        let stale = match view {
            Some(View::Stale { stale_by }) => Some(stale_by),
            _ => None,
        };
        let mut ctx = OpCtx {
            store: &self.store,
            keyring: &self.keyring,
            client,
            version,
            placeholder: None,
            now: response::now().0,
            journal: (option == BatchErrorContinuationOption::UNDO).then(Vec::new),
            touched: Vec::new(),
            idempotency_key: request
                .header
                .client_correlation_value
                .as_deref()
                .and_then(|v| v.strip_prefix(kmip_messages::vendor::IDEMPOTENCY_PREFIX))
                .filter(|k| !k.is_empty())
                .map(str::to_owned),
            item: 0,
            stale,
            streams: &self.streams,
            groups: self.store.groups_of(&client.identity).unwrap_or_else(|e| {
                // Without its groups the client keeps what it owns and was granted itself.
                tracing::warn!(client = %client.fingerprint, error = %e, "cannot read the client groups");
                Vec::new()
            }),
            wrote: false,
        };
        let mut items = Vec::with_capacity(request.batch_items.len());
        let mut touched = Vec::with_capacity(request.batch_items.len());
        let mut unavailable = None;
        for (position, item) in request.batch_items.iter().enumerate() {
            ctx.touched.clear();
            ctx.item = position;
            let started = std::time::Instant::now();
            let answer = match dispatch(&mut ctx, item).await {
                Ok(payload) => {
                    let mut done = response::success(item, payload);
                    if aware && stale.is_some() && !storeless(item.operation) {
                        done.message_extension = Some(ServerCondition::Stale.to_extension());
                    }
                    done
                }
                Err(e) => {
                    let reason = e.reason(version);
                    tracing::info!(client = %client.fingerprint, operation = %item.operation, %reason, error = %e, "operation failed");
                    if e.condition() == Some(ServerCondition::Unavailable) {
                        unavailable.get_or_insert_with(|| e.to_string());
                    }
                    failure(item, reason, &e, aware)
                }
            };
            let failed = answer.result_reason.is_some();
            crate::observe::operation(
                item.operation.name().unwrap_or("unknown"),
                answer
                    .result_reason
                    .map_or("Success", |r| r.name().unwrap_or("unknown")),
                started.elapsed(),
            );
            let mut uids = std::mem::take(&mut ctx.touched);
            for uid in answered_uids(&answer) {
                if !uids.contains(&uid) {
                    uids.push(uid);
                }
            }
            touched.push(uids);
            items.push(answer);
            if failed && option != BatchErrorContinuationOption::CONTINUE {
                if let Some(journal) = ctx.journal.take() {
                    undo(&ctx, journal, &mut items).await;
                }
                break;
            }
        }
        for ((asked, answer), uids) in request.batch_items.iter().zip(&items).zip(touched) {
            let stale_ms = match stale {
                Some(stale_by) if !storeless(asked.operation) => {
                    if answer.result_reason.is_none() {
                        crate::observe::stale_read();
                    }
                    Some(u64::try_from(stale_by.as_millis()).unwrap_or(u64::MAX))
                }
                _ => None,
            };
            self.audit(
                client,
                &request_id,
                Some(asked.operation),
                answer,
                uids,
                stale_ms,
            );
        }
        // Nothing changed: the client may as well carry the request to another server, and
        // only a closed connection makes most clients do that.
        if let (Some(why), false, false) = (unavailable, aware, ctx.wrote) {
            return Reply::HangUp(why);
        }
        Reply::Answer(response::within(
            response::message(version, items),
            max_response,
        ))
    }
}

/// Operations that touch no stored object: answered whatever the node's state.
fn storeless(op: Operation) -> bool {
    [
        Operation::DISCOVER_VERSIONS,
        Operation::QUERY,
        Operation::RNG_RETRIEVE,
        Operation::RNG_SEED,
        Operation::HASH,
        Operation::PKCS_11,
        Operation::INTEROP,
        Operation::LOG,
    ]
    .contains(&op)
}

/// The operations that only read stored objects: served in a stale view (an election, a node
/// cut off), where the operator allows it.
fn stale_readable(op: Operation) -> bool {
    [
        Operation::GET,
        Operation::GET_ATTRIBUTES,
        Operation::GET_ATTRIBUTE_LIST,
        Operation::LOCATE,
        Operation::ENCRYPT,
        Operation::DECRYPT,
        Operation::MAC,
        Operation::MAC_VERIFY,
        Operation::SIGN,
        Operation::SIGNATURE_VERIFY,
    ]
    .contains(&op)
}

/// The objects an answer names that the item did not: what Create, Create Key Pair, Register
/// and Re-key made,
/// what Locate found.
fn answered_uids(answer: &ResponseBatchItem) -> Vec<String> {
    let text = |u: &UniqueIdentifier| u.to_string();
    match &answer.payload {
        Some(ResponsePayload::Create(c)) => vec![text(&c.unique_identifier)],
        Some(ResponsePayload::Register(r)) | Some(ResponsePayload::ReKey(r)) => {
            vec![text(&r.unique_identifier)]
        }
        Some(ResponsePayload::Locate(l)) => l.unique_identifiers.iter().map(text).collect(),
        Some(ResponsePayload::DeriveKey(d)) => vec![text(&d.unique_identifier)],
        Some(ResponsePayload::CreateKeyPair(p)) | Some(ResponsePayload::ReKeyKeyPair(p)) => vec![
            text(&p.private_key_unique_identifier),
            text(&p.public_key_unique_identifier),
        ],
        _ => Vec::new(),
    }
}

/// The Unique Identifier texts in a payload, each once.
fn unique_identifiers(item: &kmip_ttlv::Ttlv, out: &mut Vec<String>) {
    item.walk(&mut |t| {
        if let (kmip_ttlv::Tag::UNIQUE_IDENTIFIER, kmip_ttlv::Value::TextString(uid)) =
            (t.tag, &t.value)
            && !out.contains(uid)
        {
            out.push(uid.clone());
        }
    });
}

/// Undoes the writes of a failed batch, newest first, and marks the items before the failed
/// one Operation Undone. If the way back fails, the items keep their status — they did
/// happen — and the failure is logged.
async fn undo(ctx: &OpCtx<'_>, journal: Vec<Command>, items: &mut [ResponseBatchItem]) {
    for cmd in journal.into_iter().rev() {
        if let Err(e) = ctx.store.write(cmd).await {
            tracing::error!(client = %ctx.client.fingerprint, error = %e, "a failed batch could not be undone");
            return;
        }
    }
    let done = items.len().saturating_sub(1);
    for item in items.iter_mut().take(done) {
        item.result_status = ResultStatus::OPERATION_UNDONE;
    }
}

/// An operation the request's version does not define is not one this server offers that
/// client: its answer would carry tags the client cannot read (Encrypt's Data in a KMIP 1.0
/// message).
fn defined_in(operation: Operation, version: ProtocolVersion) -> Result<(), OpError> {
    use kmip_messages::since;
    if since::operation_defined(operation, version) {
        return Ok(());
    }
    Err(OpError::NotSupported(match since::operation(operation) {
        Some(first) => format!(
            "{operation} is an operation of KMIP {first} and later; this request is in KMIP {version}"
        ),
        None => format!("operation {operation} is not one KMIP {version} defines"),
    }))
}

/// Runs one batch item. Keep `ops::query::OPERATIONS` in step with this list.
async fn dispatch(
    ctx: &mut OpCtx<'_>,
    item: &RequestBatchItem,
) -> Result<ResponsePayload, OpError> {
    defined_in(item.operation, ctx.version)?;
    match &item.payload {
        RequestPayload::DiscoverVersions(req) => Ok(ops::discover_versions::run(req)),
        RequestPayload::Query(req) => Ok(ops::query::run(req, ctx.version)),
        RequestPayload::Create(req) => ops::create::run(ctx, req).await,
        RequestPayload::CreateKeyPair(req) => ops::create_key_pair::run(ctx, req).await,
        RequestPayload::DeriveKey(req) => ops::derive_key::run(ctx, req).await,
        RequestPayload::Register(req) => ops::register::run(ctx, req).await,
        RequestPayload::ReKey(req) => ops::rekey::run(ctx, req).await,
        RequestPayload::ReKeyKeyPair(req) => ops::rekey_key_pair::run(ctx, req).await,
        RequestPayload::Locate(req) => ops::locate::run(ctx, req).await,
        RequestPayload::Get(req) => ops::get::run(ctx, req).await,
        RequestPayload::GetAttributes(req) => ops::get_attributes::run(ctx, req).await,
        RequestPayload::GetAttributeList(req) => ops::get_attribute_list::run(ctx, req).await,
        RequestPayload::AddAttribute(req) => ops::add_attribute::run(ctx, req).await,
        RequestPayload::ModifyAttribute(req) => ops::modify_attribute::run(ctx, req).await,
        RequestPayload::DeleteAttribute(req) => ops::delete_attribute::run(ctx, req).await,
        RequestPayload::SetAttribute(req) => ops::set_attribute::run(ctx, req).await,
        RequestPayload::Activate(req) => ops::activate::run(ctx, req).await,
        RequestPayload::Revoke(req) => ops::revoke::run(ctx, req).await,
        RequestPayload::Destroy(req) => ops::destroy::run(ctx, req).await,
        RequestPayload::Encrypt(req) => ops::encrypt::run(ctx, req).await,
        RequestPayload::Decrypt(req) => ops::decrypt::run(ctx, req).await,
        RequestPayload::Mac(req) => ops::mac::run(ctx, req).await,
        RequestPayload::MacVerify(req) => ops::mac_verify::run(ctx, req).await,
        RequestPayload::Hash(req) => ops::hash::run(ctx, req).await,
        RequestPayload::Pkcs11(req) => ops::pkcs11::run(req),
        RequestPayload::Sign(req) => ops::sign::run(ctx, req).await,
        RequestPayload::SignatureVerify(req) => ops::signature_verify::run(ctx, req).await,
        RequestPayload::Other(payload) if item.operation == Operation::RNG_SEED => {
            ops::rng_seed::run(payload).await
        }
        RequestPayload::Other(payload) if item.operation == Operation::RNG_RETRIEVE => {
            ops::rng_retrieve::run(payload)
        }
        RequestPayload::Other(payload) if item.operation == Operation::INTEROP => {
            Ok(ops::interop::run(ctx.client, payload))
        }
        RequestPayload::Other(payload) if item.operation == Operation::LOG => {
            ops::log::run(ctx.client, payload)
        }
        RequestPayload::Other(payload) if item.operation == Operation::CHECK => {
            ops::check::run(ctx, payload).await
        }
        RequestPayload::Other(payload) if item.operation == Operation::OBTAIN_LEASE => {
            ops::obtain_lease::run(ctx, payload).await
        }
        RequestPayload::Other(payload) if item.operation == Operation::GET_USAGE_ALLOCATION => {
            ops::get_usage_allocation::run(ctx, payload).await
        }
        RequestPayload::Other(payload) if item.operation == Operation::ARCHIVE => {
            ops::archive::run(ctx, payload).await
        }
        RequestPayload::Other(payload) if item.operation == Operation::RECOVER => {
            ops::recover::run(ctx, payload).await
        }
        RequestPayload::Other(_) => Err(OpError::NotSupported(format!(
            "{} is not supported by this server",
            item.operation
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

    use kmip_messages::payload::create::CreateRequest;
    use kmip_messages::payload::register::RegisterRequest;
    use kmip_messages::{ManagedObject, ProtocolVersion, RequestBatchItem, RequestHeader};
    use kmip_ttlv::enums::ResultReason;
    use kmip_ttlv::enums::{ObjectType, OpaqueDataType};
    use kmip_ttlv::{Tag, Ttlv};
    use raftkeep_seal::{KeyVersion, RootKey};
    use raftkeep_store::{Command, CommandResult, StoredObject};

    use super::*;
    use crate::store::{StoreFailure, StoreFuture};

    struct Everyone;

    impl AllowList for Everyone {
        fn identify(&self, c: &Client) -> Result<Option<String>, String> {
            Ok(Some(c.fingerprint.clone()))
        }
    }

    /// Dispatch is what this test is about: a store that holds nothing is enough.
    struct Empty;

    impl KeyStore for Empty {
        fn object(&self, _: &str) -> Result<Option<StoredObject>, StoreFailure> {
            Ok(None)
        }
        fn lookup(&self, _: &str, _: &[u8]) -> Result<Vec<String>, StoreFailure> {
            Ok(Vec::new())
        }
        fn objects_after(
            &self,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<StoredObject>, StoreFailure> {
            Ok(Vec::new())
        }
        fn groups_of(&self, _: &str) -> Result<Vec<String>, StoreFailure> {
            Ok(Vec::new())
        }
        fn write(&self, _: Command) -> StoreFuture<'_, CommandResult> {
            Box::pin(async { Err(StoreFailure::Internal("empty".to_owned())) })
        }
    }

    /// A node's store as a cut-off node sees it: one Active and one Pre-Active object, and
    /// the view it gives.
    struct Cut {
        view: Result<View, StoreFailure>,
        objects: Vec<StoredObject>,
    }

    impl Cut {
        fn new(view: Result<View, StoreFailure>, keyring: &Keyring) -> Self {
            let object = |uid: &str, state: kmip_ttlv::enums::State| {
                let opaque = ManagedObject::OpaqueObject {
                    opaque_data_type: OpaqueDataType(0x8000_0000),
                    value: vec![7; 4].into(),
                };
                StoredObject {
                    uid: uid.to_owned(),
                    object_type: ObjectType::OPAQUE_OBJECT.0,
                    state: state.0,
                    owner: "00".to_owned(),
                    attributes: Vec::new(),
                    material: raftkeep_store::Material::Sealed(
                        crate::material::seal(keyring, uid, &opaque).unwrap(),
                    ),
                    grants: Default::default(),
                }
            };
            Cut {
                view,
                objects: vec![
                    object("active", kmip_ttlv::enums::State::ACTIVE),
                    object("pre-active", kmip_ttlv::enums::State::PRE_ACTIVE),
                ],
            }
        }
    }

    impl KeyStore for Cut {
        fn object(&self, uid: &str) -> Result<Option<StoredObject>, StoreFailure> {
            Ok(self.objects.iter().find(|o| o.uid == uid).cloned())
        }
        fn lookup(&self, _: &str, _: &[u8]) -> Result<Vec<String>, StoreFailure> {
            Ok(Vec::new())
        }
        fn objects_after(
            &self,
            _: Option<&str>,
            _: usize,
        ) -> Result<Vec<StoredObject>, StoreFailure> {
            Ok(Vec::new())
        }
        fn groups_of(&self, _: &str) -> Result<Vec<String>, StoreFailure> {
            Ok(Vec::new())
        }
        fn write(&self, _: Command) -> StoreFuture<'_, CommandResult> {
            Box::pin(async { Err(StoreFailure::Unavailable("no quorum".to_owned())) })
        }
        fn view(&self, _: Purpose) -> StoreFuture<'_, View> {
            let view = self.view.clone();
            Box::pin(async move { view })
        }
    }

    /// A one-item request; `aware`: from a client that understands Raftkeep's marks.
    fn one(op: Operation, uid: Option<&str>, aware: bool) -> RequestMessage {
        let version = ProtocolVersion::V1_1;
        let payload = match uid {
            Some(uid) => {
                let item = Ttlv::structure(
                    Tag::REQUEST_PAYLOAD,
                    vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)],
                );
                RequestPayload::read(op, &item, &[], kmip_messages::Ctx::new(version)).unwrap()
            }
            None => payload(op, version),
        };
        RequestMessage {
            header: RequestHeader::new(version, 1),
            batch_items: vec![RequestBatchItem {
                operation: op,
                ephemeral: None,
                unique_batch_item_id: aware
                    .then(|| kmip_messages::vendor::aware_batch_item_id(0).into()),
                payload,
                message_extension: None,
            }],
        }
    }

    fn cut_engine(view: Result<View, StoreFailure>) -> Engine {
        let keyring = Keyring::single(RootKey::new(KeyVersion(1), [1; 32]));
        Engine::new(
            Arc::new(Everyone),
            Arc::new(Cut::new(view, &keyring)),
            keyring,
        )
    }

    fn answer(reply: Reply) -> ResponseBatchItem {
        match reply {
            Reply::Answer(mut r) => r.batch_items.remove(0),
            Reply::HangUp(why) => panic!("hung up: {why}"),
        }
    }

    fn condition(item: &ResponseBatchItem) -> Option<ServerCondition> {
        item.message_extension
            .as_ref()
            .and_then(ServerCondition::from_extension)
    }

    fn anyone() -> Client {
        Client {
            fingerprint: "00".into(),
            identity: "00".into(),
            peer: "127.0.0.1:1".parse().unwrap(),
            chain: CertChain::default(),
        }
    }

    #[tokio::test]
    async fn a_request_the_cluster_cannot_serve_looks_down_unless_the_client_understands_the_mark()
    {
        let engine = cut_engine(Err(StoreFailure::Unavailable("cut off".into())));
        let client = anyone();
        for (op, uid) in [
            (Operation::GET, Some("active")),
            (Operation::CREATE, None),
            (Operation::ACTIVATE, Some("pre-active")),
        ] {
            let reply = engine.handle(&client, one(op, uid, false)).await;
            assert!(
                matches!(&reply, Reply::HangUp(why) if why.contains("cut off")),
                "{op}: {reply:?}"
            );
            let told = answer(engine.handle(&client, one(op, uid, true)).await);
            assert_eq!(told.result_reason, Some(ResultReason::GENERAL_FAILURE));
            assert_eq!(condition(&told), Some(ServerCondition::Unavailable), "{op}");
        }
        // What touches no stored object is answered whatever the cluster's state.
        let versions = answer(
            engine
                .handle(&client, one(Operation::DISCOVER_VERSIONS, None, false))
                .await,
        );
        assert_eq!(versions.result_status, ResultStatus::SUCCESS);
    }

    #[tokio::test]
    async fn a_stale_view_serves_only_active_keys_and_marks_them_for_clients_that_understand() {
        let stale = View::Stale {
            stale_by: std::time::Duration::from_secs(3),
        };
        let engine = cut_engine(Ok(stale));
        let client = anyone();
        let plain = answer(
            engine
                .handle(&client, one(Operation::GET, Some("active"), false))
                .await,
        );
        assert_eq!(plain.result_status, ResultStatus::SUCCESS);
        // PyKMIP cannot parse a Message Extension: none for a client that did not ask.
        assert_eq!(plain.message_extension, None);
        let marked = answer(
            engine
                .handle(&client, one(Operation::GET, Some("active"), true))
                .await,
        );
        assert_eq!(marked.result_status, ResultStatus::SUCCESS);
        assert_eq!(condition(&marked), Some(ServerCondition::Stale));
        // A key that is not Active may have been destroyed meanwhile: not served stale.
        let reply = engine
            .handle(&client, one(Operation::GET, Some("pre-active"), false))
            .await;
        assert!(matches!(reply, Reply::HangUp(_)), "{reply:?}");
        let told = answer(
            engine
                .handle(&client, one(Operation::GET, Some("pre-active"), true))
                .await,
        );
        assert_eq!(condition(&told), Some(ServerCondition::Unavailable));
        // Nor can it tell that an object does not exist: it may have been made since.
        let told = answer(
            engine
                .handle(&client, one(Operation::GET, Some("made-elsewhere"), true))
                .await,
        );
        assert_eq!(condition(&told), Some(ServerCondition::Unavailable));
    }

    /// The smallest payload each operation decodes, from its TTLV form.
    fn payload(op: Operation, version: ProtocolVersion) -> RequestPayload {
        let ctx = kmip_messages::Ctx::new(version);
        let items = match op {
            Operation::CREATE => {
                return RequestPayload::Create(CreateRequest {
                    object_type: ObjectType::SYMMETRIC_KEY,
                    template: Default::default(),
                    protection_storage_masks: None,
                });
            }
            Operation::REGISTER => {
                return RequestPayload::Register(RegisterRequest {
                    object_type: ObjectType::OPAQUE_OBJECT,
                    template: Default::default(),
                    object: ManagedObject::OpaqueObject {
                        opaque_data_type: OpaqueDataType(0x8000_0000),
                        value: vec![1, 2, 3].into(),
                    },
                    protection_storage_masks: None,
                });
            }
            Operation::DISCOVER_VERSIONS
            | Operation::QUERY
            | Operation::LOCATE
            | Operation::CREATE_KEY_PAIR
            | Operation::RE_KEY_KEY_PAIR => vec![],
            Operation::INTEROP => vec![Ttlv::enumeration(Tag::INTEROP_FUNCTION, 1u32)],
            Operation::LOG => vec![Ttlv::text(Tag::LOG_MESSAGE, "hello")],
            Operation::RNG_RETRIEVE => vec![Ttlv::integer(Tag::DATA_LENGTH, 16)],
            Operation::RNG_SEED => vec![Ttlv::new(
                Tag::DATA,
                kmip_ttlv::Value::ByteString(kmip_ttlv::ByteString::new(vec![7; 16])),
            )],
            Operation::PKCS_11 => vec![Ttlv::enumeration(Tag::PKCS_11_FUNCTION, 3u32)],
            Operation::DERIVE_KEY => vec![
                Ttlv::enumeration(Tag::OBJECT_TYPE, 2u32),
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, "1"),
                Ttlv::enumeration(Tag::DERIVATION_METHOD, 1u32),
                Ttlv::structure(Tag::DERIVATION_PARAMETERS, vec![]),
            ],
            Operation::HASH => vec![Ttlv::structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![Ttlv::enumeration(Tag::HASHING_ALGORITHM, 6u32)],
            )],
            Operation::REVOKE => vec![Ttlv::structure(
                Tag::REVOCATION_REASON,
                vec![Ttlv::enumeration(Tag::REVOCATION_REASON_CODE, 1u32)],
            )],
            Operation::ADD_ATTRIBUTE | Operation::MODIFY_ATTRIBUTE | Operation::SET_ATTRIBUTE => {
                vec![
                    Ttlv::text(Tag::UNIQUE_IDENTIFIER, "1"),
                    Ttlv::structure(
                        Tag::ATTRIBUTE,
                        vec![
                            Ttlv::text(Tag::ATTRIBUTE_NAME, "x-a"),
                            Ttlv::text(Tag::ATTRIBUTE_VALUE, "b"),
                        ],
                    ),
                ]
            }
            Operation::DELETE_ATTRIBUTE => vec![
                Ttlv::text(Tag::UNIQUE_IDENTIFIER, "1"),
                Ttlv::text(Tag::ATTRIBUTE_NAME, "x-a"),
            ],
            _ => vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, "1")],
        };
        let item = Ttlv::structure(Tag::REQUEST_PAYLOAD, items);
        RequestPayload::read(op, &item, &[], ctx).unwrap()
    }

    /// Every operation the engine implements, each in a batch item of a `version` request
    /// that goes on after failures, answered by an engine without objects.
    async fn answers_to_every_operation(version: ProtocolVersion) -> ResponseMessage {
        let batch_items: Vec<RequestBatchItem> = ops::query::OPERATIONS
            .iter()
            .map(|&operation| RequestBatchItem {
                operation,
                ephemeral: None,
                unique_batch_item_id: None,
                payload: payload(operation, version),
                message_extension: None,
            })
            .collect();
        let mut header = RequestHeader::new(version, i32::try_from(batch_items.len()).unwrap());
        header.batch_error_continuation_option = Some(BatchErrorContinuationOption::CONTINUE);
        let request = RequestMessage {
            header,
            batch_items,
        };
        let client = Client {
            fingerprint: "00".into(),
            identity: "00".into(),
            peer: "127.0.0.1:1".parse().unwrap(),
            chain: CertChain::default(),
        };
        let engine = Engine::new(
            Arc::new(Everyone),
            Arc::new(Empty),
            Keyring::single(RootKey::new(KeyVersion(1), [1; 32])),
        );
        let Reply::Answer(response) = engine.handle(&client, request).await else {
            panic!("hung up");
        };
        assert_eq!(response.batch_items.len(), ops::query::OPERATIONS.len());
        response
    }

    #[tokio::test]
    async fn every_operation_query_announces_is_answered_and_no_other() {
        let version = ProtocolVersion::V1_4;
        let announced = ops::query::run(
            &kmip_messages::payload::query::QueryRequest {
                functions: vec![kmip_ttlv::enums::QueryFunction::QUERY_OPERATIONS],
            },
            version,
        );
        let ResponsePayload::Query(announced) = announced else {
            panic!("{announced:?}")
        };
        for item in &answers_to_every_operation(version).await.batch_items {
            let op = item.operation.unwrap();
            let refused = item.result_reason == Some(ResultReason::OPERATION_NOT_SUPPORTED);
            assert_eq!(
                refused,
                !announced.operations.contains(&op),
                "{op}: announced by Query exactly when answered"
            );
        }
    }

    #[tokio::test]
    async fn an_operation_newer_than_the_requests_version_is_not_supported() {
        let response = answers_to_every_operation(ProtocolVersion::V1_0).await;
        let answer = |op: Operation| {
            response
                .batch_items
                .iter()
                .find(|i| i.operation == Some(op))
                .unwrap()
        };
        // Encrypt is from KMIP 1.2: its answer would carry Data, a tag KMIP 1.0 lacks.
        let encrypt = answer(Operation::ENCRYPT);
        assert_eq!(
            encrypt.result_reason,
            Some(ResultReason::OPERATION_NOT_SUPPORTED)
        );
        assert!(
            encrypt
                .result_message
                .as_deref()
                .unwrap()
                .contains("KMIP 1.2 and later"),
            "{encrypt:?}"
        );
        // Discover Versions (1.1) is how a client of any version negotiates.
        assert_eq!(
            answer(Operation::DISCOVER_VERSIONS).result_status,
            ResultStatus::SUCCESS
        );
        assert_ne!(
            answer(Operation::GET).result_reason,
            Some(ResultReason::OPERATION_NOT_SUPPORTED)
        );
    }

    #[tokio::test]
    async fn with_users_configured_a_request_needs_their_password() {
        use kmip_messages::{Authentication, Credential, CredentialValue, SecretString};
        use kmip_ttlv::enums::CredentialType;

        let hash = crate::credentials::hash_password("pw").unwrap();
        let passwords = Passwords::new([("vcenter".to_owned(), hash)]).unwrap();
        let engine = Engine::new(
            Arc::new(Everyone),
            Arc::new(Empty),
            Keyring::single(RootKey::new(KeyVersion(1), [1; 32])),
        )
        .with_passwords(Arc::new(passwords));
        let client = Client {
            fingerprint: "00".into(),
            identity: "00".into(),
            peer: "127.0.0.1:1".parse().unwrap(),
            chain: CertChain::default(),
        };
        let ask = |password: Option<&str>| {
            let mut header = RequestHeader::new(ProtocolVersion::V1_1, 1);
            header.authentication = password.map(|p| Authentication {
                credentials: vec![Credential {
                    credential_type: CredentialType::USERNAME_AND_PASSWORD,
                    value: CredentialValue::UsernamePassword {
                        username: "vcenter".into(),
                        password: Some(SecretString::new(p.to_owned())),
                    },
                }],
            });
            RequestMessage {
                header,
                batch_items: vec![RequestBatchItem {
                    operation: Operation::DISCOVER_VERSIONS,
                    ephemeral: None,
                    unique_batch_item_id: None,
                    payload: payload(Operation::DISCOVER_VERSIONS, ProtocolVersion::V1_1),
                    message_extension: None,
                }],
            }
        };
        for refused in [None, Some("wrong")] {
            let r = answer(engine.handle(&client, ask(refused)).await);
            assert_eq!(
                r.result_reason,
                Some(ResultReason::AUTHENTICATION_NOT_SUCCESSFUL)
            );
        }
        let r = answer(engine.handle(&client, ask(Some("pw"))).await);
        assert_eq!(r.result_status, ResultStatus::SUCCESS);
    }

    #[tokio::test]
    async fn a_client_over_its_rate_is_refused_and_another_client_is_not() {
        let engine = Engine::new(
            Arc::new(Everyone),
            Arc::new(Empty),
            Keyring::single(RootKey::new(KeyVersion(1), [1; 32])),
        )
        .with_rate_limit(Arc::new(RateLimit::new(crate::rate::RateLimitSettings {
            per_second: std::num::NonZeroU32::MIN,
            burst: std::num::NonZeroU32::MIN,
            max_wait: std::time::Duration::ZERO,
        })));
        let client = |fingerprint: &str| Client {
            fingerprint: fingerprint.into(),
            identity: fingerprint.into(),
            peer: "127.0.0.1:1".parse().unwrap(),
            chain: CertChain::default(),
        };
        let ask = || RequestMessage {
            header: RequestHeader::new(ProtocolVersion::V1_4, 1),
            batch_items: vec![RequestBatchItem {
                operation: Operation::DISCOVER_VERSIONS,
                ephemeral: None,
                unique_batch_item_id: None,
                payload: payload(Operation::DISCOVER_VERSIONS, ProtocolVersion::V1_4),
                message_extension: None,
            }],
        };
        let first = answer(engine.handle(&client("aa"), ask()).await);
        assert_eq!(first.result_status, ResultStatus::SUCCESS);
        let second = answer(engine.handle(&client("aa"), ask()).await);
        assert_eq!(second.result_reason, Some(ResultReason::GENERAL_FAILURE));
        let said = second.result_message.clone().unwrap_or_default();
        assert!(said.contains("retry later"), "{said}");
        let other = answer(engine.handle(&client("bb"), ask()).await);
        assert_eq!(other.result_status, ResultStatus::SUCCESS);
    }
}
