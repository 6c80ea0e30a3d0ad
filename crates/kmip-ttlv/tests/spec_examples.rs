//! The TTLV encoding examples of KMIP 1.4 §9.1.2, each decoded and re-encoded.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly by design"
)]

use kmip_ttlv::{BigInteger, Limits, Tag, Ttlv, Value, decode, encode};

const T: Tag = Tag(0x420020);

fn check(hex: &str, expected: Ttlv) {
    let bytes = hex::decode(hex.replace([' ', '|'], "")).unwrap();
    assert_eq!(decode(&bytes, &Limits::default()).unwrap(), expected);
    assert_eq!(encode(&expected).unwrap(), bytes);
}

#[test]
fn spec_9_1_2_integer_8() {
    check(
        "420020 | 02 | 00000004 | 00000008 00000000",
        Ttlv::integer(T, 8),
    );
}

#[test]
fn spec_9_1_2_long_integer() {
    check(
        "420020 | 03 | 00000008 | 01B69B4BA5749200",
        Ttlv::long_integer(T, 123_456_789_000_000_000),
    );
}

#[test]
fn spec_9_1_2_big_integer() {
    let v = hex::decode("0000000003FD35EB6BC2DF4618080000").unwrap();
    check(
        "420020 | 04 | 00000010 | 0000000003FD35EB6BC2DF4618080000",
        Ttlv::new(T, Value::BigInteger(BigInteger::from_be_bytes(&v))),
    );
}

#[test]
fn spec_9_1_2_enumeration_255() {
    check(
        "420020 | 05 | 00000004 | 000000FF 00000000",
        Ttlv::enumeration(T, 255u32),
    );
}

#[test]
fn spec_9_1_2_boolean_true() {
    check(
        "420020 | 06 | 00000008 | 0000000000000001",
        Ttlv::boolean(T, true),
    );
}

#[test]
fn spec_9_1_2_text_string_hello_world() {
    check(
        "420020 | 07 | 0000000B | 48656C6C6F20576F726C6400000000 00",
        Ttlv::text(T, "Hello World"),
    );
}

#[test]
fn spec_9_1_2_byte_string() {
    check(
        "420020 | 08 | 00000003 | 0102030000000000",
        Ttlv::bytes(T, vec![1, 2, 3]),
    );
}

#[test]
fn spec_9_1_2_date_time_march_14_2008() {
    // Friday, March 14, 2008, 11:56:40 GMT
    check(
        "420020 | 09 | 00000008 | 0000000047DA67F8",
        Ttlv::date_time(T, 0x47DA_67F8),
    );
}

#[test]
fn spec_9_1_2_interval_ten_days() {
    check(
        "420020 | 0A | 00000004 | 000D2F00 00000000",
        Ttlv::interval(T, 864_000),
    );
}

#[test]
fn spec_9_1_2_structure() {
    check(
        "420020 | 01 | 00000020 | 420004 | 05 | 00000004 | 000000FE00000000 | 420005 | 02 | 00000004 | 000000FF00000000",
        Ttlv::structure(
            T,
            vec![
                Ttlv::enumeration(Tag(0x420004), 254u32),
                Ttlv::integer(Tag(0x420005), 255),
            ],
        ),
    );
}

#[test]
fn kmip_2_0_date_time_extended() {
    check(
        "420020 | 0B | 00000008 | 0004E7BFDB2BF3C0",
        Ttlv::new(T, Value::DateTimeExtended(0x0004_E7BF_DB2B_F3C0)),
    );
}
