//! The rules the typed layer enforces and the layout conversions it makes.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use kmip_messages::Message as _;
use kmip_messages::{
    Attribute, AttributeName, Ctx, MessageErrorKind, ProtocolVersion, RequestMessage,
    RequestPayload,
};
use kmip_ttlv::enums::Operation;
use kmip_ttlv::{Tag, Ttlv, Value};

fn request(version: (i32, i32), count: i32, items: Vec<Ttlv>) -> Ttlv {
    let mut children = vec![Ttlv::structure(
        Tag::REQUEST_HEADER,
        vec![
            Ttlv::structure(
                Tag::PROTOCOL_VERSION,
                vec![
                    Ttlv::integer(Tag::PROTOCOL_VERSION_MAJOR, version.0),
                    Ttlv::integer(Tag::PROTOCOL_VERSION_MINOR, version.1),
                ],
            ),
            Ttlv::integer(Tag::BATCH_COUNT, count),
        ],
    )];
    children.extend(items);
    Ttlv::structure(Tag::REQUEST_MESSAGE, children)
}

fn item(op: u32, payload: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(
        Tag::BATCH_ITEM,
        vec![
            Ttlv::enumeration(Tag::OPERATION, op),
            Ttlv::structure(Tag::REQUEST_PAYLOAD, payload),
        ],
    )
}

#[test]
fn unknown_operation_decodes_as_a_generic_payload() {
    let payload = vec![Ttlv::text(Tag(0x540010), "vendor stuff")];
    let msg = request((1, 4), 1, vec![item(0x8000_0042, payload.clone())]);
    let typed = RequestMessage::from_ttlv(&msg).unwrap();
    assert_eq!(typed.batch_items[0].operation, Operation(0x8000_0042));
    assert_eq!(
        typed.batch_items[0].payload,
        RequestPayload::Other(Ttlv::structure(Tag::REQUEST_PAYLOAD, payload))
    );
    assert_eq!(typed.to_ttlv(), msg);
}

#[test]
fn field_a_payload_does_not_define_is_rejected_with_its_path() {
    let payload = vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "1"),
        Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 1),
    ];
    let e = RequestMessage::from_ttlv(&request(
        (1, 1),
        1,
        vec![item(Operation::ACTIVATE.0, payload)],
    ))
    .unwrap_err();
    assert_eq!(
        e.kind,
        MessageErrorKind::UnexpectedField(Tag::CRYPTOGRAPHIC_LENGTH)
    );
    assert_eq!(
        e.path.to_string(),
        "RequestMessage/BatchItem/RequestPayload"
    );
}

#[test]
fn wrong_item_type_names_expected_and_found() {
    let payload = vec![Ttlv::integer(Tag::OBJECT_TYPE, 2)];
    let e = RequestMessage::from_ttlv(&request(
        (1, 1),
        1,
        vec![item(Operation::CREATE.0, payload)],
    ))
    .unwrap_err();
    assert!(
        matches!(
            e.kind,
            MessageErrorKind::WrongType {
                tag: Tag::OBJECT_TYPE,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn missing_required_field_is_named() {
    let e = RequestMessage::from_ttlv(&request((1, 1), 1, vec![item(Operation::CREATE.0, vec![])]))
        .unwrap_err();
    assert_eq!(e.kind, MessageErrorKind::MissingField(Tag::OBJECT_TYPE));
}

#[test]
fn batch_count_must_match_the_items() {
    let e = RequestMessage::from_ttlv(&request(
        (1, 1),
        2,
        vec![item(Operation::ACTIVATE.0, vec![])],
    ))
    .unwrap_err();
    assert_eq!(
        e.kind,
        MessageErrorKind::BatchCountMismatch {
            declared: 2,
            actual: 1
        }
    );
}

#[test]
fn custom_attribute_maps_between_1x_names_and_2x_vendor_attributes() {
    let a = Attribute::new("x-Product_Version", Value::TextString("7.0.3".into()));
    let v1 = a.write(Ctx::new(ProtocolVersion::V1_1));
    assert_eq!(
        v1.child(Tag::ATTRIBUTE_NAME).unwrap().value,
        Value::TextString("x-Product_Version".into())
    );
    let v2 = a.write(Ctx::new(ProtocolVersion::V2_1));
    assert_eq!(
        v2.child(Tag::VENDOR_IDENTIFICATION).unwrap().value,
        Value::TextString("x".into())
    );
    assert_eq!(
        v2.child(Tag::ATTRIBUTE_NAME).unwrap().value,
        Value::TextString("Product_Version".into())
    );
    assert_eq!(
        Attribute::read(&v2, &[], Ctx::new(ProtocolVersion::V2_1)).unwrap(),
        a
    );
}

#[test]
fn standard_attribute_maps_between_1x_names_and_2x_tags() {
    let a = Attribute::new("Cryptographic Algorithm", Value::Enumeration(3));
    let v2 = a.write(Ctx::new(ProtocolVersion::V2_0));
    assert_eq!(v2, Ttlv::enumeration(Tag::CRYPTOGRAPHIC_ALGORITHM, 3u32));
    assert_eq!(
        Attribute::read(&v2, &[], Ctx::new(ProtocolVersion::V2_0)).unwrap(),
        a
    );
    assert_eq!(
        AttributeName::new("Cryptographic Algorithm").tag(),
        Some(Tag::CRYPTOGRAPHIC_ALGORITHM)
    );
    assert_eq!(AttributeName::new("x-Cryptographic Algorithm").tag(), None);
    assert_eq!(
        AttributeName::new("CryptographicAlgorithm").tag(),
        None,
        "1.x names are spec names"
    );
}
