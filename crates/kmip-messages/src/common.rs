//! Small structures shared by several payloads: Unique Identifier, Name, Revocation Reason,
//! and a secret string for passwords.

use std::fmt;

use kmip_ttlv::enums::{NameType, RevocationReasonCode};
use kmip_ttlv::{ItemType, Tag, Ttlv, Value};
use zeroize::Zeroize;

use crate::codec::{Body, Ctx, Field, Reader, Writer};
use crate::error::{MessageError, MessageErrorKind};

/// Implements [`Field`] for a [`Body`] type, so it can be a Structure field.
macro_rules! body_field {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::codec::Field for $t {
            fn read(item: &kmip_ttlv::Ttlv, path: &[kmip_ttlv::Tag], ctx: $crate::codec::Ctx) -> Result<Self, $crate::error::MessageError> {
                <$t as $crate::codec::Body>::read_item(item, path, ctx)
            }
            fn write(&self, tag: kmip_ttlv::Tag, ctx: $crate::codec::Ctx) -> kmip_ttlv::Ttlv {
                <$t as $crate::codec::Body>::write_item(self, tag, ctx)
            }
        }
    )*};
}
pub(crate) use body_field;

/// A Unique Identifier (KMIP 1.4 §3.1). In KMIP 2.x it may also be an enumeration (ID
/// Placeholder, ...) or an integer index into the batch's results (KMIP 2.1 §7.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UniqueIdentifier {
    /// The server-assigned identifier.
    Text(String),
    /// A KMIP 2.x reference such as ID Placeholder.
    Enum(kmip_ttlv::enums::UniqueIdentifier),
    /// A KMIP 2.x index.
    Index(i32),
}

impl fmt::Display for UniqueIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UniqueIdentifier::Text(s) => f.write_str(s),
            UniqueIdentifier::Enum(e) => write!(f, "{e}"),
            UniqueIdentifier::Index(i) => write!(f, "#{i}"),
        }
    }
}

impl From<&str> for UniqueIdentifier {
    fn from(s: &str) -> Self {
        UniqueIdentifier::Text(s.to_owned())
    }
}

impl Field for UniqueIdentifier {
    fn read(item: &Ttlv, path: &[Tag], _: Ctx) -> Result<Self, MessageError> {
        match &item.value {
            Value::TextString(s) => Ok(UniqueIdentifier::Text(s.clone())),
            Value::Enumeration(v) => Ok(UniqueIdentifier::Enum((*v).into())),
            Value::Integer(i) => Ok(UniqueIdentifier::Index(*i)),
            other => {
                let mut p = path.to_vec();
                p.push(item.tag);
                Err(MessageError::new(
                    MessageErrorKind::WrongType {
                        tag: item.tag,
                        expected: ItemType::TEXT_STRING,
                        found: other.item_type(),
                    },
                    &p,
                ))
            }
        }
    }

    fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
        match self {
            UniqueIdentifier::Text(s) => Ttlv::text(tag, s.clone()),
            UniqueIdentifier::Enum(e) => Ttlv::enumeration(tag, e.0),
            UniqueIdentifier::Index(i) => Ttlv::integer(tag, *i),
        }
    }
}

/// A Name attribute value (KMIP 1.4 §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name {
    /// The name.
    pub value: String,
    /// How to read it.
    pub name_type: NameType,
}

impl Body for Name {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Name {
            value: r.required(Tag::NAME_VALUE, ctx)?,
            name_type: r.required(Tag::NAME_TYPE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::NAME_VALUE, &self.value, ctx);
        w.field(Tag::NAME_TYPE, &self.name_type, ctx);
    }
}

/// A Revocation Reason (KMIP 1.4 §3.31).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationReason {
    /// Why.
    pub code: RevocationReasonCode,
    /// Free text.
    pub message: Option<String>,
}

impl Body for RevocationReason {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(RevocationReason {
            code: r.required(Tag::REVOCATION_REASON_CODE, ctx)?,
            message: r.optional(Tag::REVOCATION_MESSAGE, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::REVOCATION_REASON_CODE, &self.code, ctx);
        w.optional(Tag::REVOCATION_MESSAGE, &self.message, ctx);
    }
}

body_field!(Name, RevocationReason);

/// A password or other secret text: wiped on drop, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(s: String) -> Self {
        SecretString(s)
    }

    /// The secret, for the code that must check it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Field for SecretString {
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        String::read(item, path, ctx).map(SecretString)
    }
    fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
        Ttlv::text(tag, self.0.clone())
    }
}
