//! Managed objects as carried by Register and Get (KMIP 1.4 §2.2, §2.1.3–§2.1.5).
//!
//! Key material is held in [`ByteString`]s and [`kmip_ttlv::BigInteger`]s, which wipe
//! themselves on drop and never show their bytes in `Debug` output.

use kmip_ttlv::enums::{
    CertificateType, CryptographicAlgorithm, KeyCompressionType, KeyFormatType, ObjectType,
    OpaqueDataType, SecretDataType,
};
use kmip_ttlv::{ByteString, Tag, Ttlv, Value};

use crate::attribute::Attributes;
use crate::codec::{Body, Ctx, Field, Reader, Writer};
use crate::common::body_field;
use crate::error::MessageError;

/// The tags a managed object can have in a payload, with its Object Type.
const OBJECTS: [(Tag, ObjectType); 10] = [
    (Tag::CERTIFICATE, ObjectType::CERTIFICATE),
    (Tag::SYMMETRIC_KEY, ObjectType::SYMMETRIC_KEY),
    (Tag::PUBLIC_KEY, ObjectType::PUBLIC_KEY),
    (Tag::PRIVATE_KEY, ObjectType::PRIVATE_KEY),
    (Tag::SPLIT_KEY, ObjectType::SPLIT_KEY),
    (Tag::TEMPLATE, ObjectType::TEMPLATE),
    (Tag::SECRET_DATA, ObjectType::SECRET_DATA),
    (Tag::OPAQUE_OBJECT, ObjectType::OPAQUE_OBJECT),
    (Tag::PGP_KEY, ObjectType::PGP_KEY),
    (Tag::CERTIFICATE_REQUEST, ObjectType::CERTIFICATE_REQUEST),
];

/// A managed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManagedObject {
    /// A symmetric key.
    SymmetricKey(KeyBlock),
    /// A public key.
    PublicKey(KeyBlock),
    /// A private key.
    PrivateKey(KeyBlock),
    /// Secret data such as a password or a seed.
    SecretData {
        /// What the data is.
        secret_data_type: SecretDataType,
        /// The data.
        key_block: KeyBlock,
    },
    /// A certificate.
    Certificate {
        /// X.509 or PGP.
        certificate_type: CertificateType,
        /// The encoded certificate.
        value: ByteString,
    },
    /// Data the server does not interpret.
    OpaqueObject {
        /// What the data is.
        opaque_data_type: OpaqueDataType,
        /// The data.
        value: ByteString,
    },
    /// Split keys, templates, PGP keys and certificate requests, kept as sent.
    Other(Ttlv),
}

impl ManagedObject {
    /// The tags a managed object may have.
    pub fn tags() -> [Tag; 10] {
        OBJECTS.map(|(t, _)| t)
    }

    /// The object's tag in a payload.
    pub fn tag(&self) -> Tag {
        match self {
            ManagedObject::SymmetricKey(_) => Tag::SYMMETRIC_KEY,
            ManagedObject::PublicKey(_) => Tag::PUBLIC_KEY,
            ManagedObject::PrivateKey(_) => Tag::PRIVATE_KEY,
            ManagedObject::SecretData { .. } => Tag::SECRET_DATA,
            ManagedObject::Certificate { .. } => Tag::CERTIFICATE,
            ManagedObject::OpaqueObject { .. } => Tag::OPAQUE_OBJECT,
            ManagedObject::Other(t) => t.tag,
        }
    }

    /// The object's Object Type.
    pub fn object_type(&self) -> ObjectType {
        let tag = self.tag();
        OBJECTS
            .iter()
            .find(|(t, _)| *t == tag)
            .map_or(ObjectType(0), |(_, o)| *o)
    }

    /// Reads the object item (one of [`ManagedObject::tags`]).
    pub fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        let mut r = Reader::new(item, path)?;
        let obj = match item.tag {
            Tag::SYMMETRIC_KEY => ManagedObject::SymmetricKey(r.required(Tag::KEY_BLOCK, ctx)?),
            Tag::PUBLIC_KEY => ManagedObject::PublicKey(r.required(Tag::KEY_BLOCK, ctx)?),
            Tag::PRIVATE_KEY => ManagedObject::PrivateKey(r.required(Tag::KEY_BLOCK, ctx)?),
            Tag::SECRET_DATA => ManagedObject::SecretData {
                secret_data_type: r.required(Tag::SECRET_DATA_TYPE, ctx)?,
                key_block: r.required(Tag::KEY_BLOCK, ctx)?,
            },
            Tag::CERTIFICATE => ManagedObject::Certificate {
                certificate_type: r.required(Tag::CERTIFICATE_TYPE, ctx)?,
                value: r.required(Tag::CERTIFICATE_VALUE, ctx)?,
            },
            Tag::OPAQUE_OBJECT => ManagedObject::OpaqueObject {
                opaque_data_type: r.required(Tag::OPAQUE_DATA_TYPE, ctx)?,
                value: r.required(Tag::OPAQUE_DATA_VALUE, ctx)?,
            },
            _ => return Ok(ManagedObject::Other(item.clone())),
        };
        r.finish()?;
        Ok(obj)
    }

    /// Writes the object item.
    pub fn write(&self, ctx: Ctx) -> Ttlv {
        let mut w = Writer::default();
        match self {
            ManagedObject::SymmetricKey(kb)
            | ManagedObject::PublicKey(kb)
            | ManagedObject::PrivateKey(kb) => {
                w.field(Tag::KEY_BLOCK, kb, ctx);
            }
            ManagedObject::SecretData {
                secret_data_type,
                key_block,
            } => {
                w.field(Tag::SECRET_DATA_TYPE, secret_data_type, ctx);
                w.field(Tag::KEY_BLOCK, key_block, ctx);
            }
            ManagedObject::Certificate {
                certificate_type,
                value,
            } => {
                w.field(Tag::CERTIFICATE_TYPE, certificate_type, ctx);
                w.field(Tag::CERTIFICATE_VALUE, value, ctx);
            }
            ManagedObject::OpaqueObject {
                opaque_data_type,
                value,
            } => {
                w.field(Tag::OPAQUE_DATA_TYPE, opaque_data_type, ctx);
                w.field(Tag::OPAQUE_DATA_VALUE, value, ctx);
            }
            ManagedObject::Other(t) => return t.clone(),
        }
        w.into_structure(self.tag())
    }

    /// Reads the one managed object a payload carries, if any.
    pub fn read_from(r: &mut Reader<'_>, ctx: Ctx) -> Result<Option<Self>, MessageError> {
        match r.optional_any(&Self::tags()) {
            Some(item) => Self::read(item, r.path(), ctx).map(Some),
            None => Ok(None),
        }
    }
}

/// A Key Block (KMIP 1.4 §2.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBlock {
    /// How the key value is encoded.
    pub key_format_type: KeyFormatType,
    /// How an elliptic-curve public key is compressed.
    pub key_compression_type: Option<KeyCompressionType>,
    /// The key value; absent when only metadata is returned.
    pub key_value: Option<KeyValue>,
    /// The algorithm.
    pub cryptographic_algorithm: Option<CryptographicAlgorithm>,
    /// The length in bits.
    pub cryptographic_length: Option<i32>,
    /// How the key value is wrapped, kept as sent (typed with key wrapping).
    pub key_wrapping_data: Option<Ttlv>,
}

impl Body for KeyBlock {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(KeyBlock {
            key_format_type: r.required(Tag::KEY_FORMAT_TYPE, ctx)?,
            key_compression_type: r.optional(Tag::KEY_COMPRESSION_TYPE, ctx)?,
            key_value: r.optional(Tag::KEY_VALUE, ctx)?,
            cryptographic_algorithm: r.optional(Tag::CRYPTOGRAPHIC_ALGORITHM, ctx)?,
            cryptographic_length: r.optional(Tag::CRYPTOGRAPHIC_LENGTH, ctx)?,
            key_wrapping_data: r.optional(Tag::KEY_WRAPPING_DATA, ctx)?,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::KEY_FORMAT_TYPE, &self.key_format_type, ctx);
        w.optional(Tag::KEY_COMPRESSION_TYPE, &self.key_compression_type, ctx);
        w.optional(Tag::KEY_VALUE, &self.key_value, ctx);
        w.optional(
            Tag::CRYPTOGRAPHIC_ALGORITHM,
            &self.cryptographic_algorithm,
            ctx,
        );
        w.optional(Tag::CRYPTOGRAPHIC_LENGTH, &self.cryptographic_length, ctx);
        w.optional(Tag::KEY_WRAPPING_DATA, &self.key_wrapping_data, ctx);
    }
}

/// A Key Value (KMIP 1.4 §2.1.4): the material and attributes, or, when wrapped, the
/// encrypted bytes of both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    /// Not wrapped.
    Plain {
        /// The key material.
        key_material: KeyMaterial,
        /// Attributes bound to the key.
        attributes: Attributes,
    },
    /// Wrapped: the encrypted Key Value structure.
    Wrapped(ByteString),
}

/// Key Material (KMIP 1.4 §2.1.4): raw bytes, or a Transparent structure of key components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// Raw, PKCS#1, PKCS#8, ... bytes.
    Bytes(ByteString),
    /// Transparent formats: the key components (Big Integers, Byte Strings).
    Structure(Vec<Ttlv>),
}

impl Field for KeyValue {
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        if let Value::ByteString(b) = &item.value {
            return Ok(KeyValue::Wrapped(b.clone()));
        }
        let mut r = Reader::new(item, path)?;
        let material = r.required_item(Tag::KEY_MATERIAL)?;
        let key_material = match &material.value {
            Value::ByteString(b) => KeyMaterial::Bytes(b.clone()),
            Value::Structure(items) => KeyMaterial::Structure(items.clone()),
            other => {
                return Err(r.error(crate::MessageErrorKind::WrongType {
                    tag: Tag::KEY_MATERIAL,
                    expected: kmip_ttlv::ItemType::BYTE_STRING,
                    found: other.item_type(),
                }));
            }
        };
        let attributes = Attributes::read_list(&mut r, ctx)?;
        r.finish()?;
        Ok(KeyValue::Plain {
            key_material,
            attributes,
        })
    }

    fn write(&self, tag: Tag, ctx: Ctx) -> Ttlv {
        match self {
            KeyValue::Wrapped(b) => Ttlv::new(tag, Value::ByteString(b.clone())),
            KeyValue::Plain {
                key_material,
                attributes,
            } => {
                let mut w = Writer::default();
                w.item(match key_material {
                    KeyMaterial::Bytes(b) => {
                        Ttlv::new(Tag::KEY_MATERIAL, Value::ByteString(b.clone()))
                    }
                    KeyMaterial::Structure(items) => {
                        Ttlv::structure(Tag::KEY_MATERIAL, items.clone())
                    }
                });
                if !(ctx.v2() && attributes.0.is_empty()) {
                    attributes.write_list(&mut w, ctx);
                }
                w.into_structure(tag)
            }
        }
    }
}

body_field!(KeyBlock);
