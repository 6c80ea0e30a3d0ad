//! Every decode error names its kind, its byte offset and its tag path.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly by design"
)]

use kmip_ttlv::{DecodeErrorKind, ItemType, Limits, Tag, decode, decode_message, frame_len};

fn bytes(hex: &str) -> Vec<u8> {
    hex::decode(hex.replace([' ', '|'], "")).unwrap()
}

/// RequestMessage { RequestHeader { BatchCount <inner> } } with a caller-chosen innermost item.
fn nested(inner: &str) -> Vec<u8> {
    let inner = bytes(inner);
    let mut header = bytes("42000D 02 00000004 00000001 00000000");
    header.extend_from_slice(&inner);
    let mut rh = bytes("420077 01");
    rh.extend_from_slice(&(header.len() as u32).to_be_bytes());
    rh.extend_from_slice(&header);
    let mut msg = bytes("420078 01");
    msg.extend_from_slice(&(rh.len() as u32).to_be_bytes());
    msg.extend_from_slice(&rh);
    msg
}

#[test]
fn integer_with_wrong_length_reports_type_offset_and_path() {
    let msg = nested("420050 02 00000008 0000000000000001");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::InvalidLength {
            item_type: ItemType::INTEGER,
            length: 8
        }
    );
    assert_eq!(e.offset, 32);
    assert_eq!(
        e.path.to_string(),
        "RequestMessage/RequestHeader/MaximumResponseSize"
    );
}

#[test]
fn non_zero_padding_is_rejected_at_the_padding_byte() {
    let msg = nested("420050 02 00000004 00000001 00000100");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::NonZeroPadding);
    assert_eq!(e.offset, 44);
    assert_eq!(
        e.path.0,
        vec![
            Tag::REQUEST_MESSAGE,
            Tag::REQUEST_HEADER,
            Tag::MAXIMUM_RESPONSE_SIZE
        ]
    );
}

#[test]
fn boolean_other_than_zero_or_one_is_rejected() {
    let msg = nested("420007 06 00000008 0000000000000002");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::InvalidBoolean(2));
    assert_eq!(
        e.path.to_string(),
        "RequestMessage/RequestHeader/AsynchronousIndicator"
    );
}

#[test]
fn invalid_utf8_is_rejected() {
    let msg = nested("420094 07 00000002 C328000000000000");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::InvalidUtf8);
    assert_eq!(e.offset, 32);
}

#[test]
fn child_overrunning_its_structure_is_truncated_inside_the_structure() {
    // The text claims 16 bytes but the header structure only holds 8 after it.
    let msg = nested("420094 07 00000010 4142434400000000");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            e.kind,
            DecodeErrorKind::Truncated {
                needed: 24,
                available: 16
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.path.to_string(),
        "RequestMessage/RequestHeader/UniqueIdentifier"
    );
}

#[test]
fn trailing_bytes_after_the_message_are_rejected() {
    let mut msg = nested("");
    let end = msg.len();
    msg.extend_from_slice(&[0; 8]);
    let e = decode(&msg, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { count: 8 });
    assert_eq!(e.offset, end);
}

#[test]
fn unknown_item_type_is_rejected() {
    let msg = nested("420094 0C 00000000");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::UnknownItemType(ItemType(0x0C)));
}

#[test]
fn tag_outside_kmip_ranges_is_rejected() {
    let msg = nested("430000 02 00000004 0000000100000000");
    let e = decode_message(&msg, &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::ReservedTag(Tag(0x430000)));
}

#[test]
fn depth_limit_counts_the_message_as_level_one() {
    let msg = nested("");
    let limits = Limits {
        max_depth: 1,
        ..Limits::default()
    };
    let e = decode_message(&msg, &limits).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TooDeep { max: 1 });
    assert_eq!(e.path.to_string(), "RequestMessage/RequestHeader");
    assert!(
        decode_message(
            &msg,
            &Limits {
                max_depth: 2,
                ..Limits::default()
            }
        )
        .is_ok()
    );
}

#[test]
fn item_limit_counts_every_item() {
    let msg = nested("");
    assert!(
        decode_message(
            &msg,
            &Limits {
                max_items: 3,
                ..Limits::default()
            }
        )
        .is_ok()
    );
    let e = decode_message(
        &msg,
        &Limits {
            max_items: 2,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::TooManyItems { max: 2 });
}

#[test]
fn frame_len_waits_for_more_bytes_without_error() {
    let msg = nested("");
    let limits = Limits::default();
    assert_eq!(frame_len(&msg[..7], &limits).unwrap(), None);
    assert_eq!(frame_len(&msg[..msg.len() - 1], &limits).unwrap(), None);
    assert_eq!(frame_len(&msg, &limits).unwrap(), Some(msg.len()));
}

#[test]
fn frame_len_rejects_oversized_messages_from_the_header_alone() {
    let header = bytes("420078 01 7FFFFFF8");
    let e = frame_len(&header, &Limits::default()).unwrap_err();
    assert_eq!(
        e.kind,
        DecodeErrorKind::MessageTooLarge {
            length: 0x8000_0000,
            max: 1 << 20
        }
    );
}

#[test]
fn frame_len_rejects_non_kmip_input_at_once() {
    let e = frame_len(b"GET / HTTP/1.1\r\n", &Limits::default()).unwrap_err();
    assert!(matches!(e.kind, DecodeErrorKind::ReservedTag(_)));
    let e = frame_len(&bytes("420078 02 00000004"), &Limits::default()).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::NotAStructure(ItemType::INTEGER));
}
