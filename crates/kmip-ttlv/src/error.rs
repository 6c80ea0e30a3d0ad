//! Decode and encode errors: what went wrong, at which byte, under which tags.

use std::fmt;

use crate::{ItemType, Tag};

/// The tags from the outermost item down to the item an error is about.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TagPath(pub Vec<Tag>);

impl TagPath {
    /// True for the path of the outermost item's parent (nothing read yet).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// " in A/B/C", or nothing for an empty path: the suffix error messages use.
    pub fn suffix(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!(" in {self}")
        }
    }
}

impl fmt::Display for TagPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TagPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A TTLV decode failure: its kind, the byte offset of the offending item (or of the first
/// surplus byte), and the tag path down to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}{}", path.suffix())]
pub struct DecodeError {
    /// What went wrong.
    pub kind: DecodeErrorKind,
    /// Byte offset from the start of the input.
    pub offset: usize,
    /// Tags from the message down to the offending item (the item itself included when its
    /// header could be read).
    pub path: TagPath,
}

/// The kinds of TTLV decode failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The input ends inside an item header or value.
    #[error("truncated: needed {needed} bytes, {available} available")]
    Truncated {
        /// Bytes the item needs from its offset.
        needed: usize,
        /// Bytes left in the input (or in the enclosing structure).
        available: usize,
    },
    /// The message is longer than the configured maximum.
    #[error("message of {length} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// Declared length including the 8-byte header.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// Structures are nested deeper than the configured maximum.
    #[error("structures nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// The message holds more items than the configured maximum.
    #[error("more than {max} items")]
    TooManyItems {
        /// The limit.
        max: usize,
    },
    /// A tag outside the KMIP (0x42xxxx) and extension (0x54xxxx) ranges.
    #[error("tag {0} is outside the 0x42xxxx and 0x54xxxx ranges")]
    ReservedTag(Tag),
    /// A message that is not a Structure.
    #[error("a message must be a Structure, found {0}")]
    NotAStructure(ItemType),
    /// An item type byte this codec does not know.
    #[error("unknown item type {0}")]
    UnknownItemType(ItemType),
    /// A length that the item type does not allow (e.g. an Integer that is not 4 bytes).
    #[error("length {length} is invalid for {item_type}")]
    InvalidLength {
        /// The item's type.
        item_type: ItemType,
        /// The declared length.
        length: u32,
    },
    /// Padding bytes that are not zero (KMIP 1.4 §9.1.1.3 requires zeros).
    #[error("non-zero padding")]
    NonZeroPadding,
    /// A Boolean whose value is neither 0 nor 1.
    #[error("Boolean value {0:#x} is neither 0 nor 1")]
    InvalidBoolean(u64),
    /// A Text String that is not UTF-8.
    #[error("Text String is not valid UTF-8")]
    InvalidUtf8,
    /// Bytes left over after the message.
    #[error("{count} bytes after the end of the message")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
}

/// A TTLV encode failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", path.suffix())]
pub struct EncodeError {
    /// What went wrong.
    pub kind: EncodeErrorKind,
    /// Tags from the message down to the offending item.
    pub path: TagPath,
}

/// The kinds of TTLV encode failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeErrorKind {
    /// A test-case placeholder has no binary form; bind it to a value first.
    #[error("placeholder {0} has no binary encoding")]
    Placeholder(String),
    /// A tag does not fit in three bytes.
    #[error("tag {0:#x} does not fit in three bytes")]
    TagOutOfRange(u32),
    /// A value longer than the 32-bit length field allows.
    #[error("value of {0} bytes is too long for TTLV")]
    TooLong(usize),
}
