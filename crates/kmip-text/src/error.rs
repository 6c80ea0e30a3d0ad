//! Errors of the XML and JSON readers.

use kmip_ttlv::{ItemType, TagPath};

/// A failure to read an XML or JSON message: what, where (byte offset into the text when the
/// reader knows it) and under which tags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}{}", offset.map(|o| format!(" at byte {o}")).unwrap_or_default(), path.suffix())]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the input text, when known.
    pub offset: Option<usize>,
    /// Tags from the message down to the offending element.
    pub path: TagPath,
}

/// The kinds of XML/JSON read failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The text is not well-formed XML.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// The text is not well-formed JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The JSON is well-formed but not shaped like a KMIP item.
    #[error("not a KMIP JSON item: {0}")]
    JsonShape(String),
    /// An element or `tag` that names no known tag and is not a hex tag.
    #[error("unknown tag {0:?}")]
    UnknownTag(String),
    /// A `type` that names no item type.
    #[error("unknown item type {0:?}")]
    UnknownType(String),
    /// A non-Structure item without a value.
    #[error("{0} item has no value")]
    MissingValue(ItemType),
    /// A value that does not parse as its item type.
    #[error("invalid {item_type} value {value:?}: {reason}")]
    InvalidValue {
        /// The declared type.
        item_type: ItemType,
        /// The value as written.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// Child elements or text inside an item that is not a Structure.
    #[error("{0} item cannot have children")]
    ChildrenInScalar(ItemType),
    /// The input holds no message, or more than one where one was expected.
    #[error("expected one message, found {0}")]
    MessageCount(usize),
}
