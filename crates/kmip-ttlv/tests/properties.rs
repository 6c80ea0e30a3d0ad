//! Property tests: any tree round-trips through the binary encoding, and no input makes the
//! decoder panic or exceed its limits.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers fail loudly by design"
)]

use kmip_ttlv::{BigInteger, Limits, Tag, Ttlv, Value, decode, encode, encoded_len};
use proptest::prelude::*;

fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        (0x420000u32..=0x42FFFF).prop_map(Tag),
        (0x540000u32..=0x54FFFF).prop_map(Tag)
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| Value::BigInteger(BigInteger::from_be_bytes(&b))),
        any::<u32>().prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,40}".prop_map(Value::TextString),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::ByteString(b.into())),
        any::<i64>().prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

pub fn ttlv() -> impl Strategy<Value = Ttlv> {
    let leaf = (tag(), leaf()).prop_map(|(tag, value)| Ttlv { tag, value });
    leaf.prop_recursive(6, 64, 8, |inner| {
        (tag(), proptest::collection::vec(inner, 0..8))
            .prop_map(|(t, items)| Ttlv::structure(t, items))
    })
}

proptest! {
    #[test]
    fn any_tree_round_trips_through_bytes(item in ttlv()) {
        let bytes = encode(&item).unwrap();
        prop_assert_eq!(bytes.len(), encoded_len(&item));
        prop_assert_eq!(bytes.len() % 8, 0);
        prop_assert_eq!(decode(&bytes, &Limits::default()).unwrap(), item);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode(&bytes, &Limits::default());
        let _ = kmip_ttlv::frame_len(&bytes, &Limits::default());
    }

    #[test]
    fn mutated_valid_messages_never_panic(item in ttlv(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut bytes = encode(&item).unwrap();
        for (i, b) in flips {
            let n = bytes.len();
            bytes[i % n] ^= b;
        }
        let limits = Limits { max_depth: 4, max_items: 50, ..Limits::default() };
        if let Ok(t) = decode(&bytes, &limits) {
            // Whatever decodes under the limits re-encodes to the same bytes.
            prop_assert_eq!(encode(&t).unwrap(), bytes);
        }
    }
}
