//! Key material in and out of the store: a managed object is sealed with the cluster root key
//! as its TTLV encoding (KMIP 1.4 layout, whatever version the client spoke), bound to its
//! UID, before it enters the Raft log; it is unsealed only to answer a Get.

use kmip_messages::{Ctx, KeyBlock, KeyMaterial, KeyValue, ManagedObject, ProtocolVersion};
use kmip_ttlv::enums::KeyFormatType;
use kmip_ttlv::{ByteString, Limits, Tag, Ttlv, Value};
use raftkeep_seal::{Keyring, SealedBlob};
use zeroize::Zeroizing;

use crate::error::OpError;

fn layout() -> Ctx {
    Ctx::new(ProtocolVersion::V1_4)
}

/// Seals an object for `uid`.
pub fn seal(keyring: &Keyring, uid: &str, object: &ManagedObject) -> Result<Vec<u8>, OpError> {
    let plain = Zeroizing::new(
        kmip_ttlv::encode(&object.write(layout()))
            .map_err(|e| OpError::InvalidField(format!("the object does not encode: {e}")))?,
    );
    keyring
        .seal(uid, &plain)
        .map(|b| b.as_bytes().to_vec())
        .map_err(|e| OpError::Seal(e.to_string()))
}

/// Unseals the object of `uid`.
pub fn unseal(keyring: &Keyring, uid: &str, sealed: &[u8]) -> Result<ManagedObject, OpError> {
    let plain = keyring
        .unseal(uid, &SealedBlob::from_bytes(sealed.to_vec()))
        .map_err(|e| OpError::Seal(e.to_string()))?;
    let item = kmip_ttlv::decode(&plain, &Limits::default())
        .map_err(|e| OpError::Seal(format!("unsealed material does not decode: {e}")))?;
    ManagedObject::read(&item, &[], layout())
        .map_err(|e| OpError::Seal(format!("unsealed material is not an object: {e}")))
}

/// The Digest attribute of an object (KMIP 1.4 §3.17): SHA-256 over its key material (or the
/// certificate / opaque value) as stored, with the key format for keys.
pub fn digest(object: &ManagedObject) -> Option<Value> {
    use sha2::{Digest as _, Sha256};
    let (bytes, format): (Zeroizing<Vec<u8>>, Option<KeyFormatType>) = match object {
        ManagedObject::SymmetricKey(kb)
        | ManagedObject::PublicKey(kb)
        | ManagedObject::PrivateKey(kb)
        | ManagedObject::SecretData { key_block: kb, .. } => {
            let bytes = match &kb.key_value {
                Some(KeyValue::Plain {
                    key_material: KeyMaterial::Bytes(b),
                    ..
                }) => b.as_slice().to_vec(),
                Some(KeyValue::Plain {
                    key_material: KeyMaterial::Structure(items),
                    ..
                }) => kmip_ttlv::encode(&Ttlv::structure(Tag::KEY_MATERIAL, items.clone())).ok()?,
                // Wrapped material: its digest would be over what the server cannot see.
                _ => return None,
            };
            (Zeroizing::new(bytes), Some(kb.key_format_type))
        }
        ManagedObject::Certificate { value, .. } | ManagedObject::OpaqueObject { value, .. } => {
            (Zeroizing::new(value.as_slice().to_vec()), None)
        }
        ManagedObject::Other(_) => return None,
    };
    let mut items = vec![
        Ttlv::enumeration(
            Tag::HASHING_ALGORITHM,
            kmip_ttlv::enums::HashingAlgorithm::SHA_256.0,
        ),
        Ttlv::new(
            Tag::DIGEST_VALUE,
            Value::ByteString(ByteString::new(Sha256::digest(&*bytes).to_vec())),
        ),
    ];
    if let Some(f) = format {
        items.push(Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, f.0));
    }
    Some(Value::Structure(items))
}

/// The Random Number Generator attribute of generated keys: the operating system's
/// generator (getrandom), which KMIP has no name for.
pub fn rng_attribute() -> Value {
    Value::Structure(vec![Ttlv::enumeration(
        Tag::RNG_ALGORITHM,
        kmip_ttlv::enums::RngAlgorithm::UNSPECIFIED.0,
    )])
}

/// `bytes` fresh random bytes from the operating system.
pub fn random(bytes: usize) -> Result<Zeroizing<Vec<u8>>, OpError> {
    let mut buf = Zeroizing::new(vec![0u8; bytes]);
    getrandom::getrandom(&mut buf)
        .map_err(|e| OpError::Seal(format!("the system random generator failed: {e}")))?;
    Ok(buf)
}

/// The key block in the format the client asked for: as stored (Raw for generated keys),
/// Transparent Symmetric Key for a symmetric key, and any format of
/// [`crate::asymmetric`] for a private or public key.
pub fn in_format(
    object: ManagedObject,
    format: Option<KeyFormatType>,
) -> Result<ManagedObject, OpError> {
    let Some(format) = format else {
        return Ok(object);
    };
    let convert = |kb: KeyBlock| -> Result<KeyBlock, OpError> {
        if kb.key_format_type == format {
            return Ok(kb);
        }
        let raw = match (&kb.key_value, kb.key_format_type) {
            (
                Some(KeyValue::Plain {
                    key_material: KeyMaterial::Bytes(b),
                    ..
                }),
                KeyFormatType::RAW,
            ) => b.clone(),
            _ => {
                return Err(OpError::FormatNotSupported(format!(
                    "this key is stored as {} and cannot be returned as {format}",
                    kb.key_format_type
                )));
            }
        };
        let material = match format {
            KeyFormatType::TRANSPARENT_SYMMETRIC_KEY => {
                KeyMaterial::Structure(vec![Ttlv::new(Tag::KEY, Value::ByteString(raw))])
            }
            _ => {
                return Err(OpError::FormatNotSupported(format!(
                    "symmetric keys are served as Raw or Transparent Symmetric Key, not {format}"
                )));
            }
        };
        Ok(KeyBlock {
            key_format_type: format,
            key_value: Some(KeyValue::Plain {
                key_material: material,
                attributes: Default::default(),
            }),
            ..kb
        })
    };
    match object {
        ManagedObject::SymmetricKey(kb) => convert(kb).map(ManagedObject::SymmetricKey),
        other if format_of(&other) == Some(format) => Ok(other),
        ManagedObject::PrivateKey(kb) => {
            crate::asymmetric::private_in(kb, format).map(ManagedObject::PrivateKey)
        }
        ManagedObject::PublicKey(kb) => {
            crate::asymmetric::public_in(kb, format).map(ManagedObject::PublicKey)
        }
        _ => Err(OpError::FormatNotSupported(format!(
            "this object cannot be returned as {format}"
        ))),
    }
}

/// The key format of an object's key block, if it has one.
pub fn format_of(o: &ManagedObject) -> Option<KeyFormatType> {
    key_block(o).map(|kb| kb.key_format_type)
}

/// An object's key block, if it has one.
pub fn key_block(o: &ManagedObject) -> Option<&KeyBlock> {
    match o {
        ManagedObject::SymmetricKey(kb)
        | ManagedObject::PublicKey(kb)
        | ManagedObject::PrivateKey(kb)
        | ManagedObject::SecretData { key_block: kb, .. } => Some(kb),
        _ => None,
    }
}

/// The same, to change.
pub fn key_block_mut(o: &mut ManagedObject) -> Option<&mut KeyBlock> {
    match o {
        ManagedObject::SymmetricKey(kb)
        | ManagedObject::PublicKey(kb)
        | ManagedObject::PrivateKey(kb)
        | ManagedObject::SecretData { key_block: kb, .. } => Some(kb),
        _ => None,
    }
}

/// A Raw symmetric key block.
pub fn raw_key_block(
    bytes: &[u8],
    algorithm: kmip_ttlv::enums::CryptographicAlgorithm,
    length: i32,
) -> KeyBlock {
    KeyBlock {
        key_format_type: KeyFormatType::RAW,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(ByteString::new(bytes.to_vec())),
            attributes: Default::default(),
        }),
        cryptographic_algorithm: Some(algorithm),
        cryptographic_length: Some(length),
        key_wrapping_data: None,
    }
}

/// The KMIP 2.x certificate name attributes of an X.509 certificate (KMIP 2.1 §4.9–4.10):
/// Certificate Subject CN, O, OU, C, ST, L, Email and the same for the Issuer, one instance
/// per value present. Nothing when the bytes are not an X.509 certificate.
pub fn x509_name_attributes(der: &[u8]) -> Vec<(String, Value)> {
    use x509_parser::prelude::{FromDer, X509Certificate, X509Name};
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |role: &str, name: &X509Name<'_>| {
        let fields: [(&str, Vec<&x509_parser::x509::AttributeTypeAndValue<'_>>); 7] = [
            ("CN", name.iter_common_name().collect()),
            ("O", name.iter_organization().collect()),
            ("OU", name.iter_organizational_unit().collect()),
            ("C", name.iter_country().collect()),
            ("ST", name.iter_state_or_province().collect()),
            ("L", name.iter_locality().collect()),
            ("Email", name.iter_email().collect()),
        ];
        for (field, values) in fields {
            for v in values {
                if let Ok(text) = v.as_str() {
                    out.push((
                        format!("Certificate {role} {field}"),
                        Value::TextString(text.to_owned()),
                    ));
                }
            }
        }
    };
    add("Subject", cert.subject());
    add("Issuer", cert.issuer());
    out
}
