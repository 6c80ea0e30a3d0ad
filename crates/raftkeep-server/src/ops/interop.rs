//! Interop (KMIP 2.1 §6.1.30): the interoperability-test hook. A test harness marks the
//! begin and end of a test case (and asks for a reset); the server records it in its log —
//! nothing else about its state changes, so the request is always answered Success.

use kmip_messages::ResponsePayload;
use kmip_ttlv::enums::InteropFunction;
use kmip_ttlv::{Tag, Ttlv, Value};

use crate::engine::Client;

/// Answers one Interop; its payload has no typed form, so it is read here.
pub fn run(client: &Client, payload: &Ttlv) -> ResponsePayload {
    let function = match payload.child(Tag::INTEROP_FUNCTION).map(|t| &t.value) {
        Some(Value::Enumeration(f)) => InteropFunction(*f).to_string(),
        _ => "(none)".to_owned(),
    };
    let identifier = match payload.child(Tag::INTEROP_IDENTIFIER).map(|t| &t.value) {
        Some(Value::TextString(s)) => s.as_str(),
        _ => "",
    };
    tracing::info!(client = %client.fingerprint, %function, identifier, "interop test marker");
    ResponsePayload::Other(Ttlv::structure(Tag::RESPONSE_PAYLOAD, Vec::new()))
}
