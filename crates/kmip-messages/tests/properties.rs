//! Property tests: typed requests of every typed operation, in KMIP 1.4 and 2.1 layouts, and
//! requests for unknown operations, survive tree and byte round trips unchanged.

#![allow(clippy::unwrap_used, reason = "test")]

use kmip_messages::Message as _;
use kmip_messages::payload::{
    activate::ActivateRequest, create::CreateRequest, delete_attribute::DeleteAttributeRequest,
    discover_versions::DiscoverVersionsRequest, get::GetRequest,
    get_attributes::GetAttributesRequest, id::NewAttributeRequest, locate::LocateRequest,
    modify_attribute::ModifyAttributeRequest,
};
use kmip_messages::{
    Attribute, AttributeName, Attributes, ProtocolVersion, RequestBatchItem, RequestHeader,
    RequestMessage, RequestPayload, TemplateAttribute, UniqueIdentifier,
};
use kmip_ttlv::enums::{KeyFormatType, ObjectType, Operation};
use kmip_ttlv::{Limits, Tag, Ttlv, Value};
use proptest::prelude::*;

fn uid() -> impl Strategy<Value = UniqueIdentifier> + Clone {
    prop_oneof![
        "[a-f0-9-]{1,36}".prop_map(UniqueIdentifier::Text),
        (0i32..5).prop_map(UniqueIdentifier::Index)
    ]
}

fn attribute(v2: bool) -> impl Strategy<Value = Attribute> {
    let standard = prop_oneof![
        (1u32..30).prop_map(|v| Attribute::new("Cryptographic Algorithm", Value::Enumeration(v))),
        (1i32..4096).prop_map(|v| Attribute::new("Cryptographic Length", Value::Integer(v))),
        any::<i32>().prop_map(|v| Attribute::new("Cryptographic Usage Mask", Value::Integer(v))),
        "[a-zA-Z0-9 ]{0,20}".prop_map(|n| Attribute::new(
            "Name",
            Value::Structure(vec![
                Ttlv::text(Tag::NAME_VALUE, n),
                Ttlv::enumeration(Tag::NAME_TYPE, 1u32)
            ])
        )),
    ];
    let custom = ("[xy]", "[A-Za-z_]{1,12}", ".{0,20}").prop_map(|(p, n, v)| {
        Attribute::new(AttributeName::new(format!("{p}-{n}")), Value::TextString(v))
    });
    (prop_oneof![standard, custom], proptest::option::of(0i32..3)).prop_map(
        move |(mut a, index)| {
            a.index = if v2 { None } else { index };
            a
        },
    )
}

fn attributes(v2: bool) -> impl Strategy<Value = Attributes> {
    proptest::collection::vec(attribute(v2), 0..5).prop_map(Attributes)
}

fn opt_uid() -> impl Strategy<Value = Option<UniqueIdentifier>> {
    proptest::option::of(uid())
}

fn payload(v2: bool) -> impl Strategy<Value = (Operation, RequestPayload)> {
    prop_oneof![
        proptest::collection::vec((1i32..3, 0i32..5), 0..4).prop_map(|vs| (
            Operation::DISCOVER_VERSIONS,
            RequestPayload::DiscoverVersions(DiscoverVersionsRequest {
                versions: vs
                    .into_iter()
                    .map(|(a, b)| ProtocolVersion::new(a, b))
                    .collect()
            })
        )),
        attributes(v2).prop_map(|attributes| (
            Operation::CREATE,
            RequestPayload::Create(CreateRequest {
                object_type: ObjectType::SYMMETRIC_KEY,
                template: TemplateAttribute {
                    template_names: Vec::new(),
                    attributes
                },
                protection_storage_masks: None,
            })
        )),
        (opt_uid(), proptest::option::of(1u32..25)).prop_map(|(u, f)| (
            Operation::GET,
            RequestPayload::Get(GetRequest {
                unique_identifier: u,
                key_format_type: f.map(KeyFormatType),
                ..GetRequest::default()
            })
        )),
        (opt_uid(), proptest::collection::vec(attribute(v2), 0..4)).prop_map(|(u, attrs)| (
            Operation::GET_ATTRIBUTES,
            RequestPayload::GetAttributes(GetAttributesRequest {
                unique_identifier: u,
                names: attrs.into_iter().map(|a| a.name).collect()
            })
        )),
        (opt_uid(), attribute(v2)).prop_map(|(u, a)| (
            Operation::ADD_ATTRIBUTE,
            RequestPayload::AddAttribute(NewAttributeRequest {
                unique_identifier: u,
                attribute: a
            })
        )),
        (
            opt_uid(),
            proptest::option::of(attribute(v2)),
            attribute(v2)
        )
            .prop_map(move |(u, c, a)| (
                Operation::MODIFY_ATTRIBUTE,
                RequestPayload::ModifyAttribute(ModifyAttributeRequest {
                    unique_identifier: u,
                    current: if v2 { c } else { None },
                    attribute: a
                })
            )),
        (opt_uid(), attribute(v2), proptest::option::of(0i32..3)).prop_map(move |(u, a, i)| (
            Operation::DELETE_ATTRIBUTE,
            RequestPayload::DeleteAttribute(DeleteAttributeRequest {
                unique_identifier: u,
                current: None,
                name: Some(a.name),
                index: if v2 { None } else { i }
            })
        )),
        opt_uid().prop_map(|u| (
            Operation::ACTIVATE,
            RequestPayload::Activate(ActivateRequest {
                unique_identifier: u
            })
        )),
        (proptest::option::of(1i32..100), attributes(v2)).prop_map(|(m, attributes)| (
            Operation::LOCATE,
            RequestPayload::Locate(LocateRequest {
                maximum_items: m,
                attributes,
                ..LocateRequest::default()
            })
        )),
        (
            0x8000_0000u32..0x8000_00FF,
            proptest::collection::vec(any::<i32>(), 0..3)
        )
            .prop_map(|(op, ints)| (
                Operation(op),
                RequestPayload::Other(Ttlv::structure(
                    Tag::REQUEST_PAYLOAD,
                    ints.into_iter()
                        .map(|i| Ttlv::integer(Tag(0x540001), i))
                        .collect()
                ))
            )),
    ]
}

fn request() -> impl Strategy<Value = RequestMessage> {
    any::<bool>().prop_flat_map(|v2| {
        let version = if v2 {
            ProtocolVersion::V2_1
        } else {
            ProtocolVersion::V1_4
        };
        (
            proptest::collection::vec(
                (
                    payload(v2),
                    proptest::option::of(proptest::collection::vec(any::<u8>(), 8)),
                ),
                1..4,
            ),
            proptest::option::of(1024i32..65536),
        )
            .prop_map(move |(items, max)| {
                let batch_items: Vec<RequestBatchItem> = items
                    .into_iter()
                    .map(|((operation, payload), id)| RequestBatchItem {
                        operation,
                        ephemeral: None,
                        unique_batch_item_id: id.map(Into::into),
                        payload,
                        message_extension: None,
                    })
                    .collect();
                RequestMessage {
                    header: RequestHeader {
                        maximum_response_size: max,
                        ..RequestHeader::new(version, i32::try_from(batch_items.len()).unwrap())
                    },
                    batch_items,
                }
            })
    })
}

proptest! {
    #[test]
    fn typed_requests_round_trip_through_tree_and_bytes(msg in request()) {
        let tree = msg.to_ttlv();
        prop_assert_eq!(&RequestMessage::from_ttlv(&tree).unwrap(), &msg);
        let bytes = msg.encode().unwrap();
        prop_assert_eq!(RequestMessage::decode(&bytes, &Limits::default()).unwrap(), msg);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_typed_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = RequestMessage::decode(&bytes, &Limits::default());
        let _ = kmip_messages::ResponseMessage::decode(&bytes, &Limits::default());
    }
}
