//! Query (KMIP 1.4 §4.25, 2.1 §6.1.37): what this server supports, answered truthfully —
//! the operations the engine implements, the object types it can store (none until the key
//! operations land), and who it is. Information the server does not have (extensions,
//! attestation, profiles, capabilities, ...) is omitted, as the specification allows.
//! vCenter asks for Server Information when trust is set up.

use kmip_messages::payload::query::{QueryRequest, QueryResponse};
use kmip_messages::{RequestBatchItem, ResponseBatchItem, ResponsePayload};
use kmip_ttlv::enums::{ObjectType, Operation, QueryFunction};

/// The operations the engine implements (kept beside its dispatch in `engine.rs`).
pub const OPERATIONS: [Operation; 2] = [Operation::DISCOVER_VERSIONS, Operation::QUERY];

/// The object types the server can store.
pub const OBJECT_TYPES: [ObjectType; 0] = [];

/// How the server names itself in Vendor Identification.
pub fn vendor_identification() -> String {
    format!("Raftkeep {}", env!("CARGO_PKG_VERSION"))
}

/// Answers one Query batch item.
pub fn run(item: &RequestBatchItem, req: &QueryRequest) -> ResponseBatchItem {
    let asks = |f: QueryFunction| req.functions.contains(&f);
    let mut response = QueryResponse::default();
    if asks(QueryFunction::QUERY_OPERATIONS) {
        response.operations = OPERATIONS.to_vec();
    }
    if asks(QueryFunction::QUERY_OBJECTS) {
        response.object_types = OBJECT_TYPES.to_vec();
    }
    if asks(QueryFunction::QUERY_SERVER_INFORMATION) {
        response.vendor_identification = Some(vendor_identification());
    }
    crate::response::success(item, ResponsePayload::Query(response))
}
