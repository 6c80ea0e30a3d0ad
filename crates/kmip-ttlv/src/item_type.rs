//! Item types (KMIP 1.4 §9.1.1.2; Date-Time Extended from KMIP 2.0 §9.1.1.2).

use std::fmt;

/// The one-byte item type of a TTLV item. An open newtype so that an unknown type can be named
/// in an error; the decoder accepts only the types below.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemType(pub u8);

impl ItemType {
    /// A sequence of items.
    pub const STRUCTURE: ItemType = ItemType(0x01);
    /// A 32-bit signed integer.
    pub const INTEGER: ItemType = ItemType(0x02);
    /// A 64-bit signed integer.
    pub const LONG_INTEGER: ItemType = ItemType(0x03);
    /// A big-endian two's-complement integer, a multiple of 8 bytes long.
    pub const BIG_INTEGER: ItemType = ItemType(0x04);
    /// A 32-bit unsigned enumeration value.
    pub const ENUMERATION: ItemType = ItemType(0x05);
    /// A boolean, encoded in 8 bytes.
    pub const BOOLEAN: ItemType = ItemType(0x06);
    /// UTF-8 text.
    pub const TEXT_STRING: ItemType = ItemType(0x07);
    /// Opaque bytes.
    pub const BYTE_STRING: ItemType = ItemType(0x08);
    /// Seconds since the POSIX epoch, 64-bit signed.
    pub const DATE_TIME: ItemType = ItemType(0x09);
    /// A 32-bit unsigned number of seconds.
    pub const INTERVAL: ItemType = ItemType(0x0A);
    /// Microseconds since the POSIX epoch, 64-bit signed (KMIP 2.0).
    pub const DATE_TIME_EXTENDED: ItemType = ItemType(0x0B);

    const NAMES: [(ItemType, &'static str); 11] = [
        (Self::STRUCTURE, "Structure"),
        (Self::INTEGER, "Integer"),
        (Self::LONG_INTEGER, "LongInteger"),
        (Self::BIG_INTEGER, "BigInteger"),
        (Self::ENUMERATION, "Enumeration"),
        (Self::BOOLEAN, "Boolean"),
        (Self::TEXT_STRING, "TextString"),
        (Self::BYTE_STRING, "ByteString"),
        (Self::DATE_TIME, "DateTime"),
        (Self::INTERVAL, "Interval"),
        (Self::DATE_TIME_EXTENDED, "DateTimeExtended"),
    ];

    /// The name used in the XML and JSON encodings ("TextString"), if the type is known.
    pub fn name(self) -> Option<&'static str> {
        Self::NAMES
            .iter()
            .find(|(t, _)| *t == self)
            .map(|(_, n)| *n)
    }

    /// Parses a type name as written in the XML and JSON encodings.
    pub fn from_name(name: &str) -> Option<ItemType> {
        Self::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(t, _)| *t)
    }

    /// True for the types this codec knows.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:#04x}", self.0),
        }
    }
}

impl fmt::Debug for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
