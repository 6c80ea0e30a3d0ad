//! Query (KMIP 1.4 §4.25, 2.1 §6.1.37): what this server supports, answered truthfully —
//! the operations the engine implements, the object types it can store, and who it is.
//! Information the server does not have (extensions, attestation, profiles, capabilities, ...)
//! is omitted, as the specification allows.
//! vCenter asks for Server Information when trust is set up.

use kmip_messages::payload::query::{QueryRequest, QueryResponse};
use kmip_messages::{ProtocolVersion, ResponsePayload, since};
use kmip_ttlv::enums::{ObjectType, Operation, QueryFunction};

/// The operations the engine implements (kept beside its dispatch in `engine.rs`).
pub const OPERATIONS: [Operation; 36] = [
    Operation::DISCOVER_VERSIONS,
    Operation::QUERY,
    Operation::CREATE,
    Operation::CREATE_KEY_PAIR,
    Operation::DERIVE_KEY,
    Operation::REGISTER,
    Operation::RE_KEY,
    Operation::RE_KEY_KEY_PAIR,
    Operation::LOCATE,
    Operation::GET,
    Operation::GET_ATTRIBUTES,
    Operation::GET_ATTRIBUTE_LIST,
    Operation::ADD_ATTRIBUTE,
    Operation::MODIFY_ATTRIBUTE,
    Operation::DELETE_ATTRIBUTE,
    Operation::SET_ATTRIBUTE,
    Operation::ACTIVATE,
    Operation::REVOKE,
    Operation::DESTROY,
    Operation::ENCRYPT,
    Operation::DECRYPT,
    Operation::MAC,
    Operation::MAC_VERIFY,
    Operation::HASH,
    Operation::SIGN,
    Operation::SIGNATURE_VERIFY,
    Operation::PKCS_11,
    Operation::RNG_RETRIEVE,
    Operation::RNG_SEED,
    Operation::INTEROP,
    Operation::LOG,
    Operation::CHECK,
    Operation::OBTAIN_LEASE,
    Operation::GET_USAGE_ALLOCATION,
    Operation::ARCHIVE,
    Operation::RECOVER,
];

/// The object types the server can store: symmetric keys are generated, the others
/// registered.
pub const OBJECT_TYPES: [ObjectType; 6] = [
    ObjectType::SYMMETRIC_KEY,
    ObjectType::SECRET_DATA,
    ObjectType::OPAQUE_OBJECT,
    ObjectType::CERTIFICATE,
    ObjectType::PUBLIC_KEY,
    ObjectType::PRIVATE_KEY,
];

/// How the server names itself in Vendor Identification.
pub fn vendor_identification() -> String {
    format!("Raftkeep {}", env!("CARGO_PKG_VERSION"))
}

/// Answers one Query batch item of a `version` request: only operations and object types
/// that version defines (`kmip_messages::since`).
pub fn run(req: &QueryRequest, version: ProtocolVersion) -> ResponsePayload {
    let asks = |f: QueryFunction| req.functions.contains(&f);
    let mut response = QueryResponse::default();
    if asks(QueryFunction::QUERY_OPERATIONS) {
        response.operations = OPERATIONS
            .into_iter()
            .filter(|op| since::defined(since::operation(*op), version))
            .collect();
    }
    if asks(QueryFunction::QUERY_OBJECTS) {
        response.object_types = OBJECT_TYPES
            .into_iter()
            .filter(|t| since::defined(since::object_type(*t), version))
            .collect();
    }
    if asks(QueryFunction::QUERY_SERVER_INFORMATION) {
        response.vendor_identification = Some(vendor_identification());
    }
    ResponsePayload::Query(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::panic, reason = "test")]

    use super::*;

    fn ask(version: ProtocolVersion) -> QueryResponse {
        let req = QueryRequest {
            functions: vec![
                QueryFunction::QUERY_OPERATIONS,
                QueryFunction::QUERY_OBJECTS,
            ],
        };
        match run(&req, version) {
            ResponsePayload::Query(q) => q,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn query_lists_only_what_the_requests_version_defines() {
        for version in ProtocolVersion::ALL {
            let q = ask(version);
            for op in &q.operations {
                assert!(
                    since::defined(since::operation(*op), version),
                    "{op} listed at {version}"
                );
            }
            for t in &q.object_types {
                assert!(since::defined(since::object_type(*t), version));
            }
            assert!(q.operations.contains(&Operation::QUERY));
        }
        // Nothing the engine implements is hidden from the versions that define it.
        assert_eq!(ask(ProtocolVersion::V2_1).operations, OPERATIONS.to_vec());
        // NLnet Labs' kmip-protocol negotiates 1.2: no Set Attribute, Log, PKCS#11, Interop.
        let old = ask(ProtocolVersion::V1_2).operations;
        for newer in [
            Operation::SET_ATTRIBUTE,
            Operation::LOG,
            Operation::PKCS_11,
            Operation::INTEROP,
        ] {
            assert!(!old.contains(&newer), "{newer}");
        }
        assert!(
            old.contains(&Operation::ENCRYPT)
                && !ask(ProtocolVersion::V1_1)
                    .operations
                    .contains(&Operation::ENCRYPT)
        );
    }
}
