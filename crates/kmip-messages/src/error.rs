//! Errors of the typed layer: a tree that is valid TTLV but not a valid KMIP message.

use kmip_ttlv::{DecodeError, EncodeError, ItemType, Tag, TagPath};

/// A message that does not fit the KMIP message structure: which rule it breaks and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}", path.suffix())]
pub struct MessageError {
    /// What is wrong.
    pub kind: MessageErrorKind,
    /// Tags from the message down to the offending item.
    pub path: TagPath,
}

/// The kinds of typed-layer failure. The server maps them to KMIP result reasons in one place
/// (Invalid Message for structural faults, Invalid Field for bad values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageErrorKind {
    /// The bytes are not valid TTLV.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The tree cannot be written as TTLV.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A required field is absent.
    #[error("missing required field {0}")]
    MissingField(Tag),
    /// A field the structure does not define, or one too many of a field.
    #[error("unexpected field {0}")]
    UnexpectedField(Tag),
    /// A field of the wrong item type.
    #[error("{tag} must be {expected}, found {found}")]
    WrongType {
        /// The field.
        tag: Tag,
        /// The type the specification gives it.
        expected: ItemType,
        /// The type found.
        found: ItemType,
    },
    /// A field whose value the specification does not allow here.
    #[error("invalid value for {tag}: {reason}")]
    InvalidValue {
        /// The field.
        tag: Tag,
        /// Why.
        reason: String,
    },
    /// Batch Count differs from the number of batch items.
    #[error("Batch Count is {declared} but the message has {actual} batch items")]
    BatchCountMismatch {
        /// The header's Batch Count.
        declared: i32,
        /// Batch items present.
        actual: usize,
    },
}

impl MessageError {
    pub(crate) fn new(kind: MessageErrorKind, path: &[Tag]) -> Self {
        MessageError {
            kind,
            path: TagPath(path.to_vec()),
        }
    }
}
