//! The operation engine: answers each batch item of a request in the request's protocol
//! version. Built so far: Discover Versions. Every other operation — known or not — is
//! answered "Operation Not Supported" with its name, never by dropping the connection; the
//! store-backed operations join as the server issue (#4) continues.

use std::future::Future;
use std::net::SocketAddr;

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

/// The operation engine.
#[derive(Debug, Clone, Default)]
pub struct Engine;

impl Handler for Engine {
    async fn handle(&self, client: &Client, request: RequestMessage) -> ResponseMessage {
        let version = request.header.protocol_version;
        let items = request
            .batch_items
            .iter()
            .map(|item| match &item.payload {
                RequestPayload::DiscoverVersions(req) => ops::discover_versions::run(item, req),
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
