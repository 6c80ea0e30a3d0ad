//! The TTLV tree: an item is a tag and a typed value; a Structure value holds items.

use std::fmt;

use zeroize::Zeroize;

use crate::{ItemType, Tag};

/// One TTLV item (KMIP 1.4 §9.1.1): a tag and a value whose variant is the item type.
#[derive(Clone, PartialEq, Eq)]
pub struct Ttlv {
    /// The item's tag.
    pub tag: Tag,
    /// The item's value; its variant gives the item type.
    pub value: Value,
}

/// The value of a TTLV item, one variant per item type.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Structure: the items it contains, in order.
    Structure(Vec<Ttlv>),
    /// Integer: 32-bit signed.
    Integer(i32),
    /// Long Integer: 64-bit signed.
    LongInteger(i64),
    /// Big Integer: big-endian two's complement, a multiple of 8 bytes.
    BigInteger(BigInteger),
    /// Enumeration: the raw value; its names depend on the tag (see [`crate::registry`]).
    Enumeration(u32),
    /// Boolean.
    Boolean(bool),
    /// Text String: UTF-8.
    TextString(String),
    /// Byte String: opaque bytes, wiped from memory on drop since they often hold key material.
    ByteString(ByteString),
    /// Date-Time: seconds since the POSIX epoch.
    DateTime(i64),
    /// Interval: seconds.
    Interval(u32),
    /// Date-Time Extended (KMIP 2.0): microseconds since the POSIX epoch.
    DateTimeExtended(i64),
    /// A placeholder from a KMIP profile test case (`$NOW`, `$UNIQUE_IDENTIFIER_0`, ...) that
    /// stands for a value of the given type chosen at run time. It exists only in trees read
    /// from test cases; the binary encoder refuses it.
    Placeholder(Placeholder),
}

/// A test-case placeholder and the item type it stands in for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The type of the value the placeholder stands for.
    pub item_type: ItemType,
    /// The placeholder as written, including the `$` ("$NOW-3600").
    pub text: String,
}

/// Bytes wiped from memory when dropped. `Debug` shows only the length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ByteString(Vec<u8>);

impl ByteString {
    /// Takes ownership of the bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        ByteString(bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Moves the bytes out, leaving nothing to wipe behind.
    pub fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

impl Drop for ByteString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl From<Vec<u8>> for ByteString {
    fn from(v: Vec<u8>) -> Self {
        ByteString(v)
    }
}

impl From<&[u8]> for ByteString {
    fn from(v: &[u8]) -> Self {
        ByteString(v.to_vec())
    }
}

impl AsRef<[u8]> for ByteString {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ByteString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

/// A Big Integer: big-endian two's-complement bytes whose length is a multiple of 8
/// (KMIP 1.4 §9.1.1.4), sign-extended on construction. Wiped from memory on drop since it often
/// holds a private-key component.
#[derive(Clone, PartialEq, Eq)]
pub struct BigInteger(Vec<u8>);

impl BigInteger {
    /// Builds a Big Integer from big-endian two's-complement bytes of any length, sign-extending
    /// to a multiple of 8 bytes. An empty input is zero.
    pub fn from_be_bytes(bytes: &[u8]) -> Self {
        let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
        let len = bytes.len().max(1).div_ceil(8) * 8;
        let mut out = vec![if negative { 0xFF } else { 0x00 }; len - bytes.len()];
        out.extend_from_slice(bytes);
        BigInteger(out)
    }

    /// Builds a Big Integer from an `i64`.
    pub fn from_i64(v: i64) -> Self {
        BigInteger(v.to_be_bytes().to_vec())
    }

    /// Wraps bytes that are already a multiple of 8 long, as read from the wire.
    pub(crate) fn from_wire(bytes: Vec<u8>) -> Self {
        BigInteger(bytes)
    }

    /// The padded big-endian two's-complement bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value as an `i64`, if it fits.
    pub fn to_i64(&self) -> Option<i64> {
        let negative = self.0.first().is_some_and(|b| b & 0x80 != 0);
        let fill = if negative { 0xFF } else { 0x00 };
        let split = self.0.len().saturating_sub(8);
        let (high, low) = self.0.split_at(split);
        if high.iter().any(|b| *b != fill) {
            return None;
        }
        let mut buf = [fill; 8];
        let start = 8 - low.len();
        buf.get_mut(start..)?.copy_from_slice(low);
        let v = i64::from_be_bytes(buf);
        // The sign of the low 8 bytes must match the sign of the whole.
        (negative == (v < 0)).then_some(v)
    }
}

impl Drop for BigInteger {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for BigInteger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl Value {
    /// The item type of this value (for a placeholder, the type it stands for).
    pub fn item_type(&self) -> ItemType {
        match self {
            Value::Structure(_) => ItemType::STRUCTURE,
            Value::Integer(_) => ItemType::INTEGER,
            Value::LongInteger(_) => ItemType::LONG_INTEGER,
            Value::BigInteger(_) => ItemType::BIG_INTEGER,
            Value::Enumeration(_) => ItemType::ENUMERATION,
            Value::Boolean(_) => ItemType::BOOLEAN,
            Value::TextString(_) => ItemType::TEXT_STRING,
            Value::ByteString(_) => ItemType::BYTE_STRING,
            Value::DateTime(_) => ItemType::DATE_TIME,
            Value::Interval(_) => ItemType::INTERVAL,
            Value::DateTimeExtended(_) => ItemType::DATE_TIME_EXTENDED,
            Value::Placeholder(p) => p.item_type,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Structure(items) => f.debug_list().entries(items).finish(),
            Value::Integer(v) => write!(f, "Integer({v})"),
            Value::LongInteger(v) => write!(f, "LongInteger({v})"),
            Value::BigInteger(v) => write!(f, "BigInteger({v:?})"),
            Value::Enumeration(v) => write!(f, "Enumeration({v:#010x})"),
            Value::Boolean(v) => write!(f, "Boolean({v})"),
            Value::TextString(v) => write!(f, "TextString({v:?})"),
            Value::ByteString(v) => write!(f, "ByteString({v:?})"),
            Value::DateTime(v) => write!(f, "DateTime({v})"),
            Value::Interval(v) => write!(f, "Interval({v})"),
            Value::DateTimeExtended(v) => write!(f, "DateTimeExtended({v})"),
            Value::Placeholder(p) => write!(f, "Placeholder({}, {:?})", p.item_type, p.text),
        }
    }
}

impl fmt::Debug for Ttlv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_secret_text(self.tag) && matches!(self.value, Value::TextString(_)) {
            return write!(f, "{}: TextString(<redacted>)", self.tag);
        }
        write!(f, "{}: {:?}", self.tag, self.value)
    }
}

/// Text items that carry credentials; `Debug` never prints them.
pub fn is_secret_text(tag: Tag) -> bool {
    tag == Tag::PASSWORD || tag == Tag::ONE_TIME_PASSWORD || tag == Tag::HASHED_PASSWORD
}

impl Ttlv {
    /// An item with the given tag and value.
    pub fn new(tag: Tag, value: Value) -> Self {
        Ttlv { tag, value }
    }

    /// A Structure item.
    pub fn structure(tag: Tag, items: Vec<Ttlv>) -> Self {
        Ttlv::new(tag, Value::Structure(items))
    }

    /// An Integer item.
    pub fn integer(tag: Tag, v: i32) -> Self {
        Ttlv::new(tag, Value::Integer(v))
    }

    /// A Long Integer item.
    pub fn long_integer(tag: Tag, v: i64) -> Self {
        Ttlv::new(tag, Value::LongInteger(v))
    }

    /// An Enumeration item.
    pub fn enumeration(tag: Tag, v: impl Into<u32>) -> Self {
        Ttlv::new(tag, Value::Enumeration(v.into()))
    }

    /// A Boolean item.
    pub fn boolean(tag: Tag, v: bool) -> Self {
        Ttlv::new(tag, Value::Boolean(v))
    }

    /// A Text String item.
    pub fn text(tag: Tag, v: impl Into<String>) -> Self {
        Ttlv::new(tag, Value::TextString(v.into()))
    }

    /// A Byte String item.
    pub fn bytes(tag: Tag, v: impl Into<ByteString>) -> Self {
        Ttlv::new(tag, Value::ByteString(v.into()))
    }

    /// A Date-Time item (seconds since the epoch).
    pub fn date_time(tag: Tag, v: i64) -> Self {
        Ttlv::new(tag, Value::DateTime(v))
    }

    /// An Interval item (seconds).
    pub fn interval(tag: Tag, v: u32) -> Self {
        Ttlv::new(tag, Value::Interval(v))
    }

    /// The items of a Structure, or `None` for any other type.
    pub fn items(&self) -> Option<&[Ttlv]> {
        match &self.value {
            Value::Structure(items) => Some(items),
            _ => None,
        }
    }

    /// The first item with `tag` inside this Structure.
    pub fn child(&self, tag: Tag) -> Option<&Ttlv> {
        self.items()?.iter().find(|i| i.tag == tag)
    }

    /// Visits this item and every item below it, depth first, in order.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Ttlv)) {
        visit(self);
        if let Value::Structure(items) = &self.value {
            for i in items {
                i.walk(visit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_bytes_or_passwords() {
        let t = Ttlv::structure(
            Tag::CREDENTIAL_VALUE,
            vec![
                Ttlv::text(Tag::USERNAME, "alice"),
                Ttlv::text(Tag::PASSWORD, "hunter2"),
                Ttlv::bytes(Tag::KEY_MATERIAL, vec![0xAB; 32]),
                Ttlv::new(
                    Tag::MODULUS,
                    Value::BigInteger(BigInteger::from_be_bytes(&[0xCD; 16])),
                ),
            ],
        );
        let s = format!("{t:?}");
        assert!(s.contains("alice"));
        assert!(!s.contains("hunter2"));
        assert!(!s.to_lowercase().contains("ab, ") && !s.contains("171"));
        assert!(s.contains("<32 bytes>") && s.contains("<16 bytes>"));
    }

    #[test]
    fn big_integer_sign_extends_to_a_multiple_of_eight() {
        assert_eq!(
            BigInteger::from_be_bytes(&[0x01]).as_bytes(),
            &[0, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(BigInteger::from_be_bytes(&[0xFF]).to_i64(), Some(-1));
        assert_eq!(BigInteger::from_be_bytes(&[0x80; 9]).as_bytes().len(), 16);
        assert_eq!(BigInteger::from_be_bytes(&[]).as_bytes().len(), 8);
        assert_eq!(BigInteger::from_i64(-5).to_i64(), Some(-5));
        assert_eq!(BigInteger::from_be_bytes(&[0x7F; 9]).to_i64(), None);
    }
}
