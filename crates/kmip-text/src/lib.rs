//! The text encodings of KMIP messages: the XML and JSON encodings of the KMIP Profiles
//! (1.4 §5.4, §5.5; used by the OASIS profile test cases and by KMIP over HTTPS), and a
//! readable tree dump for people.
//!
//! Both encodings carry exactly the TTLV tree, so XML → tree → JSON → tree → XML loses nothing.
//! Enumeration values are written by name ("SymmetricKey") and masks by their names
//! ("Encrypt Decrypt"); for a KMIP 1.x Attribute Value the names come from the Attribute Name
//! before it ("Cryptographic Algorithm" → "AES"). Unknown tags and values are written as hex.
//!
//! # Layout
//!
//! - [`xml`] — [`to_xml`], [`from_xml`], [`from_xml_test_case`].
//! - [`json`] — [`to_json`], [`from_json`].
//! - [`dump`] — [`to_text`], the readable tree.
//! - [`encoding`] — [`Encoding`]: whole messages between TTLV, XML and JSON bytes.
//! - [`placeholders`] — binding test-case placeholders to values.
//! - [`naming`] — which enumeration or mask names apply to an item.
//! - [`error`] — [`ParseError`].

pub mod dump;
pub mod encoding;
pub mod error;
pub mod json;
pub mod naming;
pub mod placeholders;
mod scalar;
mod value;
pub mod xml;

pub use dump::{attribute_value_text, to_text};
pub use encoding::{Encoding, EncodingError};
pub use error::{ParseError, ParseErrorKind};
pub use json::{from_json, from_json_value, to_json, to_json_value};
pub use xml::{from_xml, from_xml_test_case, to_xml};

/// How a reader treats `$`-placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A message from a client: `$NOW` is text in a Text String and an error elsewhere.
    Message,
    /// A profile test case: `$NOW`, `$UNIQUE_IDENTIFIER_0`, ... become placeholders.
    TestCase,
}
