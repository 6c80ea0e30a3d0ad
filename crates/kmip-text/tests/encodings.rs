//! XML and JSON carry every TTLV value exactly, including what the test cases never use:
//! vendor tags, unknown enumeration values, awkward text, wide integers, negative big integers.

#![allow(clippy::unwrap_used, reason = "test")]

use kmip_text::{Mode, ParseErrorKind, from_json, from_xml, to_json, to_xml};
use kmip_ttlv::{BigInteger, ItemType, Tag, Ttlv, Value};

fn both_ways(item: &Ttlv) {
    let xml = to_xml(item);
    assert_eq!(&from_xml(&xml, Mode::Message).unwrap(), item, "{xml}");
    let json = to_json(item);
    assert_eq!(&from_json(&json, Mode::Message).unwrap(), item, "{json}");
}

#[test]
fn vendor_tags_and_unknown_enumeration_values_survive_as_hex() {
    let item = Ttlv::structure(
        Tag::REQUEST_MESSAGE,
        vec![
            Ttlv::text(Tag(0x54_0001), "vendor"),
            Ttlv::enumeration(Tag::OBJECT_TYPE, 0x8000_0001u32),
            Ttlv::enumeration(Tag(0x54_0002), 7u32),
            Ttlv::structure(Tag(0x42_FFFF), vec![]),
        ],
    );
    both_ways(&item);
    let xml = to_xml(&item);
    assert!(
        xml.contains(r#"<TTLV tag="0x540001" type="TextString" value="vendor"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<ObjectType type="Enumeration" value="0x80000001"/>"#),
        "{xml}"
    );
}

#[test]
fn awkward_text_survives_xml_escaping_and_attribute_normalization() {
    let item = Ttlv::text(Tag::NAME_VALUE, "a <b> & \"c\" 'd'\n\ttab\r\u{1}é✓ ");
    both_ways(&item);
}

#[test]
fn wide_and_signed_numbers_survive() {
    let item = Ttlv::structure(
        Tag::REQUEST_MESSAGE,
        vec![
            Ttlv::long_integer(Tag::USAGE_LIMITS_TOTAL, i64::MIN),
            Ttlv::long_integer(Tag::USAGE_LIMITS_TOTAL, (1 << 52) + 1),
            Ttlv::long_integer(Tag::USAGE_LIMITS_TOTAL, -5),
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, i32::MIN),
            Ttlv::integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, -1),
            Ttlv::new(
                Tag::MODULUS,
                Value::BigInteger(BigInteger::from_be_bytes(&[0x80, 0, 1])),
            ),
            Ttlv::new(
                Tag::LAST_CHANGE_DATE,
                Value::DateTimeExtended(1_700_000_000_123_456),
            ),
            Ttlv::date_time(Tag::LAST_CHANGE_DATE, -1),
            Ttlv::interval(Tag::LEASE_TIME, u32::MAX),
            Ttlv::boolean(Tag::SENSITIVE, false),
            Ttlv::bytes(Tag::KEY_MATERIAL, Vec::new()),
        ],
    );
    both_ways(&item);
    let json = to_json(&item);
    assert!(
        json.contains(r#""value": "0x8000000000000000""#),
        "wide Long Integers are hex in JSON: {json}"
    );
    assert!(json.contains(r#""value": -5"#), "{json}");
}

#[test]
fn placeholders_are_kept_only_in_test_case_mode() {
    let xml = r#"<ResponseHeader><TimeStamp type="DateTime" value="$NOW-3600"/><UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/></ResponseHeader>"#;
    let t = from_xml(xml, Mode::TestCase).unwrap();
    let items = t.items().unwrap();
    assert!(
        matches!(&items[0].value, Value::Placeholder(p) if p.item_type == ItemType::DATE_TIME && p.text == "$NOW-3600")
    );
    assert!(matches!(&items[1].value, Value::Placeholder(p) if p.text == "$UNIQUE_IDENTIFIER_0"));
    assert_eq!(from_xml(&to_xml(&t), Mode::TestCase).unwrap(), t);
    assert_eq!(from_json(&to_json(&t), Mode::TestCase).unwrap(), t);

    let e = from_xml(xml, Mode::Message).unwrap_err();
    assert!(matches!(
        e.kind,
        ParseErrorKind::InvalidValue {
            item_type: ItemType::DATE_TIME,
            ..
        }
    ));
    assert_eq!(e.path.to_string(), "ResponseHeader/TimeStamp");
    let text_only = r#"<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>"#;
    assert_eq!(
        from_xml(text_only, Mode::Message).unwrap(),
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, "$UNIQUE_IDENTIFIER_0")
    );
}

#[test]
fn xml_errors_name_what_and_where() {
    let e = from_xml(
        r#"<RequestMessage><Bogus type="Integer" value="1"/></RequestMessage>"#,
        Mode::Message,
    )
    .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnknownTag("Bogus".into()));
    assert_eq!(e.path.to_string(), "RequestMessage");
    assert!(e.offset.is_some());

    let e = from_xml(
        r#"<RequestMessage><BatchCount type="Integer"/></RequestMessage>"#,
        Mode::Message,
    )
    .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::MissingValue(ItemType::INTEGER));
    assert_eq!(e.path.to_string(), "RequestMessage/BatchCount");

    let e = from_xml(
        r#"<Operation type="Enumeration" value="Fly"/>"#,
        Mode::Message,
    )
    .unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::InvalidValue { .. }), "{e}");

    let e = from_xml("<RequestMessage><BatchCount", Mode::Message).unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::Xml(_)), "{e}");

    let e = from_xml(
        r#"<BatchCount type="Integer" value="1">text</BatchCount>"#,
        Mode::Message,
    )
    .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::ChildrenInScalar(ItemType::INTEGER));
}

#[test]
fn json_errors_name_what_and_where() {
    let e = from_json(
        r#"{"tag":"RequestMessage","value":[{"tag":"BatchCount","type":"Integer","value":[1]}]}"#,
        Mode::Message,
    )
    .unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::JsonShape(_)), "{e}");
    assert_eq!(e.path.to_string(), "RequestMessage/BatchCount");
    let e = from_json(
        r#"{"tag":"RequestMessage","value":[{"tag":"BatchCount","type":"Int","value":1}]}"#,
        Mode::Message,
    )
    .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnknownType("Int".into()));
    let e = from_json("{", Mode::Message).unwrap_err();
    assert!(matches!(e.kind, ParseErrorKind::Json(_)));
}

#[test]
fn enumeration_names_follow_the_attribute_name_in_json_too() {
    let attr = Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![
            Ttlv::text(Tag::ATTRIBUTE_NAME, "State"),
            Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, 1u32),
        ],
    );
    let json = to_json(&attr);
    assert!(json.contains(r#""value": "PreActive""#), "{json}");
    both_ways(&attr);
}
