//! Every request and response of a real vCenter 7.0.3 session decodes into typed messages and
//! re-encodes byte for byte.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use kmip_messages::Message as _;
use kmip_messages::{RequestMessage, RequestPayload, ResponseMessage, ResponsePayload};
use kmip_ttlv::Limits;
use kmip_ttlv::enums::{
    CryptographicAlgorithm, CryptographicUsageMask, KeyFormatType, ObjectType, Operation,
};
use raftkeep_tests::vcenter_messages;

#[test]
fn every_vcenter_message_decodes_typed_and_reencodes_byte_identical() {
    let messages = vcenter_messages().unwrap();
    assert_eq!(messages.len(), 40);
    let (mut requests, mut responses) = (0, 0);
    for m in &messages {
        let bytes = if m.is_request {
            requests += 1;
            let typed = RequestMessage::decode(&m.bytes, &Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", m.label));
            for item in &typed.batch_items {
                assert!(
                    !matches!(item.payload, RequestPayload::Other(_)),
                    "{}: untyped {}",
                    m.label,
                    item.operation
                );
            }
            typed.encode().unwrap()
        } else {
            responses += 1;
            let typed = ResponseMessage::decode(&m.bytes, &Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", m.label));
            for item in &typed.batch_items {
                let untyped = matches!(item.payload, Some(ResponsePayload::Other(_)));
                assert!(!untyped, "{}: untyped response payload", m.label);
            }
            typed.encode().unwrap()
        };
        assert_eq!(hex::encode(&bytes), hex::encode(&m.bytes), "{}", m.label);
    }
    assert_eq!((requests, responses), (26, 14));
}

#[test]
fn vcenter_create_is_aes_256_encrypt_decrypt_at_kmip_1_1() {
    let m = vcenter_messages()
        .unwrap()
        .into_iter()
        .find(|m| m.label.contains("REQ ops=CREATE"))
        .unwrap();
    let req = RequestMessage::decode(&m.bytes, &Limits::default()).unwrap();
    assert_eq!(
        req.header.protocol_version,
        kmip_messages::ProtocolVersion::V1_1
    );
    let item = &req.batch_items[0];
    assert_eq!(item.operation, Operation::CREATE);
    assert_eq!(
        item.unique_batch_item_id.as_ref().unwrap().as_slice(),
        hex::decode("514c4b4301000000").unwrap()
    );
    let RequestPayload::Create(create) = &item.payload else {
        panic!("not a Create")
    };
    assert_eq!(create.object_type, ObjectType::SYMMETRIC_KEY);
    let attrs = &create.template.attributes;
    assert_eq!(
        attrs.cryptographic_algorithm(),
        Some(CryptographicAlgorithm::AES)
    );
    assert_eq!(attrs.cryptographic_length(), Some(256));
    assert_eq!(
        attrs.cryptographic_usage_mask(),
        Some(CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT)
    );
}

#[test]
fn vcenter_get_response_carries_a_raw_aes_key() {
    let m = vcenter_messages()
        .unwrap()
        .into_iter()
        .find(|m| m.label.contains("RSP ops=GET") && !m.label.contains("ATTR"))
        .unwrap();
    let rsp = ResponseMessage::decode(&m.bytes, &Limits::default()).unwrap();
    let Some(ResponsePayload::Get(get)) = &rsp.batch_items[0].payload else {
        panic!("not a Get")
    };
    let kmip_messages::ManagedObject::SymmetricKey(kb) = &get.object else {
        panic!("not a symmetric key")
    };
    assert_eq!(kb.key_format_type, KeyFormatType::RAW);
    let Some(kmip_messages::KeyValue::Plain {
        key_material: kmip_messages::KeyMaterial::Bytes(k),
        ..
    }) = &kb.key_value
    else {
        panic!("no raw key material")
    };
    assert_eq!(k.as_slice().len(), 32);
    // Debug output of the whole response never shows the key.
    let debug = format!("{rsp:?}");
    assert!(debug.contains("<32 bytes>"), "{debug}");
    assert!(!debug.contains(&format!("{:?}", k.as_slice())));
}
