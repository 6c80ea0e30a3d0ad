//! Reading typed fields out of a Structure and writing them back, in specification order.
//!
//! [`Reader`] finds fields by tag in any order (clients differ in field order), consumes each
//! at most once, and [`Reader::finish`] rejects whatever was not consumed, so nothing a client
//! sends is silently dropped. [`Writer`] emits fields in the order the specification lists
//! them, which is the order real clients use, so a decoded message re-encodes byte for byte.

use kmip_ttlv::{BigInteger, ByteString, ItemType, Tag, Ttlv, Value};

use crate::ProtocolVersion;
use crate::error::{MessageError, MessageErrorKind};

/// What decoding and encoding depend on besides the tree: the message's protocol version
/// (KMIP 1.x and 2.x lay out attributes differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ctx {
    /// The protocol version from the message header.
    pub version: ProtocolVersion,
}

impl Ctx {
    /// A context for the given version.
    pub fn new(version: ProtocolVersion) -> Self {
        Ctx { version }
    }

    /// True when attributes use the KMIP 2.x layout (Attributes structure, tags as names).
    pub fn v2(self) -> bool {
        self.version.major >= 2
    }
}

/// A typed value that is one field of a Structure.
pub trait Field: Sized {
    /// Reads the value from its item.
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError>;
    /// Writes the value as an item with the given tag.
    fn write(&self, tag: Tag, ctx: Ctx) -> Ttlv;
}

/// A typed Structure body: a payload, a header, an object.
pub trait Body: Sized {
    /// Reads the fields out of `r`; the caller checks that none are left.
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError>;
    /// Writes the fields, in specification order.
    fn write(&self, w: &mut Writer, ctx: Ctx);

    /// Reads a whole Structure item.
    fn read_item(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        let mut r = Reader::new(item, path)?;
        let v = Self::read(&mut r, ctx)?;
        r.finish()?;
        Ok(v)
    }

    /// Writes a whole Structure item with the given tag.
    fn write_item(&self, tag: Tag, ctx: Ctx) -> Ttlv {
        let mut w = Writer::default();
        self.write(&mut w, ctx);
        w.into_structure(tag)
    }
}

/// Reads the fields of one Structure.
#[derive(Debug)]
pub struct Reader<'a> {
    items: &'a [Ttlv],
    used: Vec<bool>,
    path: Vec<Tag>,
    ctx_tag: Tag,
}

impl<'a> Reader<'a> {
    /// A reader over `item`, which must be a Structure; `parent` is the path above it.
    pub fn new(item: &'a Ttlv, parent: &[Tag]) -> Result<Self, MessageError> {
        let mut path = parent.to_vec();
        path.push(item.tag);
        match &item.value {
            Value::Structure(items) => Ok(Reader {
                items,
                used: vec![false; items.len()],
                path,
                ctx_tag: item.tag,
            }),
            other => Err(MessageError::new(
                MessageErrorKind::WrongType {
                    tag: item.tag,
                    expected: ItemType::STRUCTURE,
                    found: other.item_type(),
                },
                parent,
            )),
        }
    }

    /// The path down to this Structure.
    pub fn path(&self) -> &[Tag] {
        &self.path
    }

    /// The Structure's own tag.
    pub fn tag(&self) -> Tag {
        self.ctx_tag
    }

    /// An error located at this Structure.
    pub fn error(&self, kind: MessageErrorKind) -> MessageError {
        MessageError::new(kind, &self.path)
    }

    /// True if an unconsumed field with this tag is present.
    pub fn has(&self, tag: Tag) -> bool {
        self.items
            .iter()
            .zip(&self.used)
            .any(|(i, u)| !u && i.tag == tag)
    }

    /// Takes the first unconsumed field with this tag.
    pub fn optional_item(&mut self, tag: Tag) -> Option<&'a Ttlv> {
        let idx = self
            .items
            .iter()
            .zip(&self.used)
            .position(|(i, u)| !u && i.tag == tag)?;
        if let Some(u) = self.used.get_mut(idx) {
            *u = true;
        }
        self.items.get(idx)
    }

    /// Takes the first unconsumed field with this tag, which must be present.
    pub fn required_item(&mut self, tag: Tag) -> Result<&'a Ttlv, MessageError> {
        self.optional_item(tag)
            .ok_or_else(|| self.error(MessageErrorKind::MissingField(tag)))
    }

    /// Takes every unconsumed field with this tag, in order.
    pub fn repeated_items(&mut self, tag: Tag) -> Vec<&'a Ttlv> {
        let mut out = Vec::new();
        while let Some(i) = self.optional_item(tag) {
            out.push(i);
        }
        out
    }

    /// Takes the first unconsumed field with one of these tags.
    pub fn optional_any(&mut self, tags: &[Tag]) -> Option<&'a Ttlv> {
        let idx = self
            .items
            .iter()
            .zip(&self.used)
            .position(|(i, u)| !u && tags.contains(&i.tag))?;
        if let Some(u) = self.used.get_mut(idx) {
            *u = true;
        }
        self.items.get(idx)
    }

    /// Reads an optional typed field.
    pub fn optional<T: Field>(&mut self, tag: Tag, ctx: Ctx) -> Result<Option<T>, MessageError> {
        match self.optional_item(tag) {
            Some(i) => T::read(i, &self.path, ctx).map(Some),
            None => Ok(None),
        }
    }

    /// Reads a required typed field.
    pub fn required<T: Field>(&mut self, tag: Tag, ctx: Ctx) -> Result<T, MessageError> {
        let i = self.required_item(tag)?;
        T::read(i, &self.path, ctx)
    }

    /// Reads every field with this tag.
    pub fn repeated<T: Field>(&mut self, tag: Tag, ctx: Ctx) -> Result<Vec<T>, MessageError> {
        self.repeated_items(tag)
            .into_iter()
            .map(|i| T::read(i, &self.path, ctx))
            .collect()
    }

    /// Fails on the first field nobody consumed.
    pub fn finish(self) -> Result<(), MessageError> {
        match self.items.iter().zip(&self.used).find(|(_, u)| !**u) {
            Some((i, _)) => Err(MessageError::new(
                MessageErrorKind::UnexpectedField(i.tag),
                &self.path,
            )),
            None => Ok(()),
        }
    }
}

/// Collects the fields of one Structure.
#[derive(Debug, Default)]
pub struct Writer(Vec<Ttlv>);

impl Writer {
    /// Appends an item.
    pub fn item(&mut self, item: Ttlv) {
        self.0.push(item);
    }

    /// Appends a typed field.
    pub fn field<T: Field>(&mut self, tag: Tag, v: &T, ctx: Ctx) {
        self.0.push(v.write(tag, ctx));
    }

    /// Appends an optional typed field.
    pub fn optional<T: Field>(&mut self, tag: Tag, v: &Option<T>, ctx: Ctx) {
        if let Some(v) = v {
            self.field(tag, v, ctx);
        }
    }

    /// Appends every value as a field with the tag.
    pub fn repeated<T: Field>(&mut self, tag: Tag, vs: &[T], ctx: Ctx) {
        for v in vs {
            self.field(tag, v, ctx);
        }
    }

    /// The fields, as a Structure with the given tag.
    pub fn into_structure(self, tag: Tag) -> Ttlv {
        Ttlv::structure(tag, self.0)
    }
}

fn wrong_type(item: &Ttlv, expected: ItemType, path: &[Tag]) -> MessageError {
    let mut p = path.to_vec();
    p.push(item.tag);
    MessageError::new(
        MessageErrorKind::WrongType {
            tag: item.tag,
            expected,
            found: item.value.item_type(),
        },
        &p,
    )
}

macro_rules! scalar_field {
    ($t:ty, $variant:ident, $item_type:ident, |$v:ident| $to:expr, |$w:ident| $from:expr) => {
        impl Field for $t {
            fn read(item: &Ttlv, path: &[Tag], _: Ctx) -> Result<Self, MessageError> {
                match &item.value {
                    Value::$variant($v) => Ok($to),
                    _ => Err(wrong_type(item, ItemType::$item_type, path)),
                }
            }
            fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
                let $w = self;
                Ttlv::new(tag, Value::$variant($from))
            }
        }
    };
}

scalar_field!(i32, Integer, INTEGER, |v| *v, |w| *w);
scalar_field!(i64, LongInteger, LONG_INTEGER, |v| *v, |w| *w);
scalar_field!(bool, Boolean, BOOLEAN, |v| *v, |w| *w);
scalar_field!(String, TextString, TEXT_STRING, |v| v.clone(), |w| w
    .clone());
scalar_field!(ByteString, ByteString, BYTE_STRING, |v| v.clone(), |w| w
    .clone());
scalar_field!(BigInteger, BigInteger, BIG_INTEGER, |v| v.clone(), |w| w
    .clone());
scalar_field!(Interval, Interval, INTERVAL, |v| Interval(*v), |w| w.0);
scalar_field!(DateTime, DateTime, DATE_TIME, |v| DateTime(*v), |w| w.0);

/// A Date-Time: seconds since the POSIX epoch (KMIP 1.4 §9.1.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub i64);

/// An Interval: a number of seconds (KMIP 1.4 §9.1.1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval(pub u32);

/// A field kept as its TTLV item: structures this layer passes through without typing
/// (extension information, key wrapping specifications, ...).
impl Field for Ttlv {
    fn read(item: &Ttlv, _: &[Tag], _: Ctx) -> Result<Self, MessageError> {
        Ok(item.clone())
    }
    fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
        Ttlv::new(tag, self.value.clone())
    }
}

/// Implements [`Field`] for generated enumeration newtypes.
macro_rules! enum_fields {
    ($($t:ty),* $(,)?) => {$(
        impl Field for $t {
            fn read(item: &Ttlv, path: &[Tag], _: Ctx) -> Result<Self, MessageError> {
                match &item.value {
                    Value::Enumeration(v) => Ok(<$t>::from(*v)),
                    _ => Err(wrong_type(item, ItemType::ENUMERATION, path)),
                }
            }
            fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
                Ttlv::new(tag, Value::Enumeration(self.0))
            }
        }
    )*};
}

use kmip_ttlv::enums as e;
enum_fields!(
    e::AttestationType,
    e::BatchErrorContinuationOption,
    e::BlockCipherMode,
    e::CertificateType,
    e::ClientRegistrationMethod,
    e::CredentialType,
    e::DigitalSignatureAlgorithm,
    e::EncodingOption,
    e::HashingAlgorithm,
    e::CryptographicAlgorithm,
    e::DerivationMethod,
    e::KeyCompressionType,
    e::KeyFormatType,
    e::KeyRoleType,
    e::KeyWrapType,
    e::MaskGenerator,
    e::NameType,
    e::ObjectGroupMember,
    e::ObjectType,
    e::OpaqueDataType,
    e::Operation,
    e::PaddingMethod,
    e::Pkcs11Function,
    e::Pkcs11ReturnCode,
    e::QueryFunction,
    e::ResultReason,
    e::ResultStatus,
    e::RevocationReasonCode,
    e::SecretDataType,
    e::State,
    e::ValidityIndicator,
    e::WrappingMethod,
);

/// Masks are Integers on the wire.
impl Field for e::CryptographicUsageMask {
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        i32::read(item, path, ctx).map(Self::from_i32)
    }
    fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
        Ttlv::integer(tag, self.to_i32())
    }
}

/// Masks are Integers on the wire.
impl Field for e::StorageStatusMask {
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        i32::read(item, path, ctx).map(Self::from_i32)
    }
    fn write(&self, tag: Tag, _: Ctx) -> Ttlv {
        Ttlv::integer(tag, self.to_i32())
    }
}
