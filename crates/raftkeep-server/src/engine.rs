//! The operation engine: checks the client against the replicated allow-list, then answers
//! the batch items of a request in order, in the request's protocol version: each item's
//! operation runs in its own file under [`crate::ops`], the ID Placeholder passes from item to
//! item, and the Batch Error Continuation Option decides what follows a failure. Operations
//! this server does not implement are answered "Operation Not Supported", never by dropping
//! the connection.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use kmip_messages::vendor::ServerCondition;
use kmip_messages::{
    RequestBatchItem, RequestMessage, RequestPayload, ResponseBatchItem, ResponseMessage,
    ResponsePayload, UniqueIdentifier,
};
use kmip_ttlv::enums::{BatchErrorContinuationOption, Operation, ResultStatus};
use raftkeep_seal::Keyring;
use raftkeep_store::Command;

use crate::audit::{AuditSink, Event};
use crate::credentials::Passwords;
use crate::error::OpError;
use crate::ops::context::OpCtx;
use crate::rate::RateLimit;
use crate::store::{KeyStore, ReadMode, StoreFailure};
use crate::{ops, response};

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// SHA-256 of the client's certificate, lowercase hex (how the allow-list names it).
    pub fingerprint: String,
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

/// Answers decoded requests; a session calls it once per request message.
pub trait Handler: Send + Sync + 'static {
    /// The response to `request` from `client`.
    fn handle(
        &self,
        client: &Client,
        request: RequestMessage,
    ) -> impl Future<Output = ResponseMessage> + Send;

    /// A message that could not be decoded was answered with `response` (Invalid Message);
    /// the engine records it in the audit log.
    fn invalid(&self, client: &Client, response: &ResponseMessage) {
        let _ = (client, response);
    }
}

/// Which client certificates may use the server (the replicated allow-list on a node).
pub trait AllowList: Send + Sync + 'static {
    /// Whether the client's certificate is allowed — by its fingerprint, or by a trusted CA
    /// and its subject; `Err` with a reason when the list cannot be read.
    fn allowed(&self, client: &Client) -> Result<bool, String>;
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

    /// Why this client may not go on, if it may not: its certificate, its credential, its
    /// rate.
    async fn refusal(&self, client: &Client, request: &RequestMessage) -> Option<OpError> {
        match self.allow.allowed(client) {
            Ok(true) => {}
            Ok(false) => {
                // A node without the cluster's state knows no client: not a refusal, another
                // server can answer.
                if let ReadMode::Refuse(why) = self.store.read_mode() {
                    return Some(OpError::Store(StoreFailure::Unavailable(why)));
                }
                let subject = client
                    .chain
                    .0
                    .first()
                    .and_then(|der| crate::tls::subject(der))
                    .unwrap_or_default();
                tracing::warn!(client = %client.fingerprint, %subject, peer = %client.peer, "request from a client certificate that is not allowed");
                return Some(OpError::Denied(format!(
                    "client certificate sha256:{} is not allowed on this cluster (an operator allows it with `raftkeep clients allow CERT.pem`)",
                    client.fingerprint
                )));
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the allow-list");
                return Some(OpError::Store(crate::store::StoreFailure::Internal(
                    "the server cannot read its allow-list".to_owned(),
                )));
            }
        }
        if let Some(Err(why)) = self.passwords.as_ref().map(|p| p.check(&request.header)) {
            tracing::warn!(client = %client.fingerprint, peer = %client.peer, %why, "authentication failed");
            return Some(OpError::Unauthenticated(why));
        }
        let rate = self.rate.as_ref()?;
        let refused = rate.admit(&client.fingerprint).await.err();
        if let Some(e) = &refused {
            tracing::warn!(client = %client.fingerprint, peer = %client.peer, error = %e, "request refused: rate limit");
        }
        refused
    }

    /// Every item of `request` answered with `refusal`.
    fn refuse(request: &RequestMessage, refusal: &OpError) -> ResponseMessage {
        let reason = refusal.reason(request.header.protocol_version);
        let items = request
            .batch_items
            .iter()
            .map(|item| {
                let mut failed = response::failure(Some(item), reason, refusal.to_string());
                // "Ask another server" when this one cannot judge (it has no state yet).
                failed.message_extension = refusal.condition().map(ServerCondition::to_extension);
                failed
            })
            .collect();
        response::message(request.header.protocol_version, items)
    }
}

impl Handler for Engine {
    fn invalid(&self, client: &Client, response: &ResponseMessage) {
        let request_id = uuid::Uuid::new_v4().to_string();
        for answer in &response.batch_items {
            self.audit(client, &request_id, None, answer, Vec::new(), None);
        }
    }

    async fn handle(&self, client: &Client, request: RequestMessage) -> ResponseMessage {
        let request_id = uuid::Uuid::new_v4().to_string();
        let version = request.header.protocol_version;
        if let Some(refusal) = self.refusal(client, &request).await {
            let refused = Self::refuse(&request, &refusal);
            // Rare: the UIDs asked for are read from the encoded request.
            let ctx = kmip_messages::Ctx::new(version);
            for (asked, answer) in request.batch_items.iter().zip(&refused.batch_items) {
                let mut uids = Vec::new();
                unique_identifiers(&asked.payload.write(ctx), &mut uids);
                self.audit(
                    client,
                    &request_id,
                    Some(asked.operation),
                    answer,
                    uids,
                    None,
                );
            }
            return refused;
        }
        let max_response = request.header.maximum_response_size;
        let option = request
            .header
            .batch_error_continuation_option
            .unwrap_or(BatchErrorContinuationOption::STOP);
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
            stale: None,
            streams: &self.streams,
            groups: self.store.groups_of(&client.fingerprint).unwrap_or_else(|e| {
                // Without its groups the client keeps what it owns and was granted itself.
                tracing::warn!(client = %client.fingerprint, error = %e, "cannot read the client groups");
                Vec::new()
            }),
        };
        let mut mode = self.store.read_mode();
        if mode == ReadMode::NoLeaderYet {
            self.store.wait_for_leader().await;
            mode = match self.store.read_mode() {
                ReadMode::NoLeaderYet => ReadMode::Refuse(
                    "no leader heard since this node started (the cluster is starting or has no quorum)".to_owned(),
                ),
                heard => heard,
            };
        }
        if let ReadMode::Stale { stale_by } = &mode {
            ctx.stale = Some(*stale_by);
        }
        let mut items = Vec::with_capacity(request.batch_items.len());
        let mut touched = Vec::with_capacity(request.batch_items.len());
        for (position, item) in request.batch_items.iter().enumerate() {
            ctx.touched.clear();
            ctx.item = position;
            let started = std::time::Instant::now();
            let outcome = match refusal(&mode, item.operation) {
                Some(refused) => Err(refused),
                None => dispatch(&mut ctx, item).await,
            };
            let answer = match outcome {
                Ok(payload) => response::success(item, payload),
                Err(e) => {
                    let reason = e.reason(version);
                    tracing::info!(client = %client.fingerprint, operation = %item.operation, %reason, error = %e, "operation failed");
                    let mut failed = response::failure(Some(item), reason, e.to_string());
                    failed.message_extension = e.condition().map(ServerCondition::to_extension);
                    failed
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
            let stale_ms = match &mode {
                ReadMode::Stale { stale_by } if stale_readable(asked.operation) => {
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
        response::within(response::message(version, items), max_response)
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

/// The reads a node cut off from the leader may serve, where allowed.
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

/// Why this node refuses `op` in read mode `mode`, if it does: without quorum only the reads
/// the operator allowed are served; anything else is "unavailable" at once, so the client
/// tries the next server instead of waiting for a write that cannot commit.
fn refusal(mode: &ReadMode, op: Operation) -> Option<OpError> {
    let unavailable = |why: String| Some(OpError::Store(StoreFailure::Unavailable(why)));
    match mode {
        // Not left by `handle`, which waits for a leader first; as a write would be.
        ReadMode::Current | ReadMode::NoLeaderYet => None,
        _ if storeless(op) => None,
        ReadMode::Refuse(why) => unavailable(why.clone()),
        ReadMode::Stale { .. } if stale_readable(op) => None,
        ReadMode::Stale { stale_by } => unavailable(format!(
            "this node cannot reach a quorum (no leader heard for {} s): it serves only Get, Get Attributes, Get Attribute List, Locate and the cryptographic operations with Active keys meanwhile",
            stale_by.as_secs()
        )),
    }
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

/// Runs one batch item. Keep `ops::query::OPERATIONS` in step with this list.
async fn dispatch(
    ctx: &mut OpCtx<'_>,
    item: &RequestBatchItem,
) -> Result<ResponsePayload, OpError> {
    match &item.payload {
        RequestPayload::DiscoverVersions(req) => Ok(ops::discover_versions::run(req)),
        RequestPayload::Query(req) => Ok(ops::query::run(req)),
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

    #[test]
    fn a_cut_off_node_answers_storeless_operations_and_only_allowed_reads() {
        let stale = ReadMode::Stale {
            stale_by: std::time::Duration::from_secs(7),
        };
        let refuse = ReadMode::Refuse("cut off".into());
        for op in [Operation::DISCOVER_VERSIONS, Operation::QUERY] {
            assert!(refusal(&refuse, op).is_none(), "{op}");
            assert!(refusal(&stale, op).is_none(), "{op}");
        }
        for op in [Operation::GET, Operation::GET_ATTRIBUTES, Operation::LOCATE] {
            assert!(refusal(&stale, op).is_none(), "{op}");
            assert!(refusal(&ReadMode::Current, op).is_none(), "{op}");
            let e = refusal(&refuse, op).unwrap();
            assert_eq!(
                e.to_string(),
                "the cluster cannot serve this request now: cut off"
            );
            assert!(e.condition().is_some(), "a client must be sent on");
        }
        for op in [Operation::CREATE, Operation::ACTIVATE, Operation::DESTROY] {
            let e = refusal(&stale, op).unwrap();
            assert!(e.to_string().contains("no leader heard for 7 s"), "{e}");
            assert!(e.condition().is_some());
        }
    }

    struct Everyone;

    impl AllowList for Everyone {
        fn allowed(&self, _: &Client) -> Result<bool, String> {
            Ok(true)
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
        fn object_from_leader(&self, _: &str) -> StoreFuture<'_, Option<StoredObject>> {
            Box::pin(async { Ok(None) })
        }
        fn write(&self, _: Command) -> StoreFuture<'_, CommandResult> {
            Box::pin(async { Err(StoreFailure::Unavailable("empty".to_owned())) })
        }
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

    #[tokio::test]
    async fn every_operation_query_announces_is_answered() {
        let version = ProtocolVersion::V1_4;
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
            peer: "127.0.0.1:1".parse().unwrap(),
            chain: CertChain::default(),
        };
        let engine = Engine::new(
            Arc::new(Everyone),
            Arc::new(Empty),
            Keyring::single(RootKey::new(KeyVersion(1), [1; 32])),
        );
        let response = engine.handle(&client, request).await;
        assert_eq!(response.batch_items.len(), ops::query::OPERATIONS.len());
        for item in &response.batch_items {
            assert_ne!(
                item.result_reason,
                Some(ResultReason::OPERATION_NOT_SUPPORTED),
                "{:?} is announced by Query but not answered",
                item.operation
            );
        }
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
            let r = engine.handle(&client, ask(refused)).await;
            assert_eq!(
                r.batch_items[0].result_reason,
                Some(ResultReason::AUTHENTICATION_NOT_SUCCESSFUL)
            );
        }
        let r = engine.handle(&client, ask(Some("pw"))).await;
        assert_eq!(r.batch_items[0].result_status, ResultStatus::SUCCESS);
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
        let first = engine.handle(&client("aa"), ask()).await;
        assert_eq!(first.batch_items[0].result_status, ResultStatus::SUCCESS);
        let second = engine.handle(&client("aa"), ask()).await;
        assert_eq!(
            second.batch_items[0].result_reason,
            Some(ResultReason::GENERAL_FAILURE)
        );
        let said = second.batch_items[0]
            .result_message
            .clone()
            .unwrap_or_default();
        assert!(said.contains("retry later"), "{said}");
        let other = engine.handle(&client("bb"), ask()).await;
        assert_eq!(other.batch_items[0].result_status, ResultStatus::SUCCESS);
    }
}
