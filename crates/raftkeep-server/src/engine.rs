//! The operation engine: checks the client against the replicated allow-list, then answers
//! each batch item of a request in the request's protocol version. Built so far: Discover
//! Versions and Query. Every other operation — known or not — is
//! answered "Operation Not Supported" with its name, never by dropping the connection; the
//! store-backed operations join as the server issue (#4) continues.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use kmip_messages::{RequestMessage, RequestPayload, ResponseMessage};
use kmip_ttlv::enums::ResultReason;

use crate::{ops, response};

/// Who sent a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// SHA-256 of the client's certificate, lowercase hex (how the allow-list names it).
    pub fingerprint: String,
    /// The TCP peer.
    pub peer: SocketAddr,
}

/// Answers decoded requests; a session calls it once per request message.
pub trait Handler: Send + Sync + 'static {
    /// The response to `request` from `client`.
    fn handle(
        &self,
        client: &Client,
        request: RequestMessage,
    ) -> impl Future<Output = ResponseMessage> + Send;
}

/// Which client certificates may use the server (the replicated allow-list on a node).
pub trait AllowList: Send + Sync + 'static {
    /// Whether the certificate with this fingerprint is allowed; `Err` with a reason when the
    /// list cannot be read.
    fn allowed(&self, fingerprint: &str) -> Result<bool, String>;
}

/// The operation engine.
#[derive(Clone)]
pub struct Engine {
    allow: Arc<dyn AllowList>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine serving the clients `allow` admits.
    pub fn new(allow: Arc<dyn AllowList>) -> Self {
        Engine { allow }
    }

    /// Every item refused, with the reason; `None` when the client may go on.
    fn refuse(&self, client: &Client, request: &RequestMessage) -> Option<ResponseMessage> {
        let (reason, text) = match self.allow.allowed(&client.fingerprint) {
            Ok(true) => return None,
            Ok(false) => {
                tracing::warn!(client = %client.fingerprint, peer = %client.peer, "request from a client certificate that is not allowed");
                (
                    ResultReason::PERMISSION_DENIED,
                    format!(
                        "client certificate sha256:{} is not allowed on this cluster (an operator allows it with `raftkeep clients allow CERT.pem`)",
                        client.fingerprint
                    ),
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the allow-list");
                (
                    ResultReason::GENERAL_FAILURE,
                    "the server cannot read its allow-list".to_owned(),
                )
            }
        };
        let items = request
            .batch_items
            .iter()
            .map(|item| response::failure(Some(item), reason, text.clone()))
            .collect();
        Some(response::message(request.header.protocol_version, items))
    }
}

impl Handler for Engine {
    async fn handle(&self, client: &Client, request: RequestMessage) -> ResponseMessage {
        if let Some(refused) = self.refuse(client, &request) {
            return refused;
        }
        let version = request.header.protocol_version;
        let items = request
            .batch_items
            .iter()
            .map(|item| match &item.payload {
                // Keep `ops::query::OPERATIONS` in step with this list.
                RequestPayload::DiscoverVersions(req) => ops::discover_versions::run(item, req),
                RequestPayload::Query(req) => ops::query::run(item, req),
                _ => {
                    tracing::info!(client = %client.fingerprint, operation = %item.operation, "operation not supported");
                    response::failure(
                        Some(item),
                        ResultReason::OPERATION_NOT_SUPPORTED,
                        format!("{} is not supported by this server", item.operation),
                    )
                }
            })
            .collect();
        response::message(version, items)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

    use kmip_messages::{ProtocolVersion, RequestBatchItem, RequestHeader};
    use kmip_ttlv::enums::Operation;

    use super::*;

    struct Everyone;

    impl AllowList for Everyone {
        fn allowed(&self, _: &str) -> Result<bool, String> {
            Ok(true)
        }
    }

    fn payload(op: Operation) -> RequestPayload {
        match op {
            Operation::DISCOVER_VERSIONS => RequestPayload::DiscoverVersions(Default::default()),
            Operation::QUERY => RequestPayload::Query(Default::default()),
            other => panic!("give {other} a minimal payload here"),
        }
    }

    #[tokio::test]
    async fn every_operation_query_announces_is_answered() {
        let batch_items: Vec<RequestBatchItem> = ops::query::OPERATIONS
            .iter()
            .map(|&operation| RequestBatchItem {
                operation,
                ephemeral: None,
                unique_batch_item_id: None,
                payload: payload(operation),
                message_extension: None,
            })
            .collect();
        let request = RequestMessage {
            header: RequestHeader::new(
                ProtocolVersion::V1_4,
                i32::try_from(batch_items.len()).unwrap(),
            ),
            batch_items,
        };
        let client = Client {
            fingerprint: "00".into(),
            peer: "127.0.0.1:1".parse().unwrap(),
        };
        let response = Engine::new(Arc::new(Everyone))
            .handle(&client, request)
            .await;
        for item in &response.batch_items {
            assert_ne!(
                item.result_reason,
                Some(ResultReason::OPERATION_NOT_SUPPORTED),
                "{:?} is announced by Query but not answered",
                item.operation
            );
        }
    }
}
