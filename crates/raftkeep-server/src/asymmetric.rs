//! Private and public key blocks in every format the server reads and serves: PKCS#1,
//! PKCS#8, ECPrivateKey and X.509 (DER bytes), and the Transparent RSA and EC formats (key
//! components). Get converts between them; the cryptographic operations read any of them.

use kmip_messages::{KeyBlock, KeyMaterial, KeyValue};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::KeyFormatType;
use raftkeep_crypto::{PrivateKey, PublicKey};
use zeroize::Zeroizing;

use crate::error::OpError;

fn unreadable(kb: &KeyBlock) -> OpError {
    OpError::FormatNotSupported(format!(
        "a key stored as {} cannot be read: this server uses asymmetric keys in PKCS#1, PKCS#8, ECPrivateKey, X.509 or a Transparent RSA / EC format",
        kb.key_format_type
    ))
}

/// The private key a key block holds.
pub fn private_key(kb: &KeyBlock) -> Result<PrivateKey, OpError> {
    match &kb.key_value {
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(b),
            ..
        }) => Ok(PrivateKey::from_der(
            kb.key_format_type,
            &Zeroizing::new(b.as_slice().to_vec()),
        )?),
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Structure(items),
            ..
        }) => Ok(PrivateKey::from_transparent(kb.key_format_type, items)?),
        _ => Err(unreadable(kb)),
    }
}

/// The public key a key block holds.
pub fn public_key(kb: &KeyBlock) -> Result<PublicKey, OpError> {
    match &kb.key_value {
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(b),
            ..
        }) => Ok(PublicKey::from_der(kb.key_format_type, b.as_slice())?),
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Structure(items),
            ..
        }) => Ok(PublicKey::from_transparent(kb.key_format_type, items)?),
        _ => Err(unreadable(kb)),
    }
}

fn transparent(format: KeyFormatType) -> bool {
    [
        KeyFormatType::TRANSPARENT_RSA_PRIVATE_KEY,
        KeyFormatType::TRANSPARENT_RSA_PUBLIC_KEY,
        KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY,
        KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY,
    ]
    .contains(&format)
}

/// `kb` with its private key in `format`.
pub fn private_in(kb: KeyBlock, format: KeyFormatType) -> Result<KeyBlock, OpError> {
    let key = private_key(&kb)?;
    let material = if transparent(format) {
        let (has, items) = key.to_transparent().map_err(not_offered)?;
        same(has, format)?;
        KeyMaterial::Structure(items)
    } else {
        KeyMaterial::Bytes(ByteString::new(
            key.to_der(format).map_err(not_offered)?.to_vec(),
        ))
    };
    Ok(with(kb, format, material))
}

/// `kb` with its public key in `format`.
pub fn public_in(kb: KeyBlock, format: KeyFormatType) -> Result<KeyBlock, OpError> {
    let key = public_key(&kb)?;
    let material = if transparent(format) {
        let (has, items) = key.to_transparent();
        same(has, format)?;
        KeyMaterial::Structure(items)
    } else {
        KeyMaterial::Bytes(ByteString::new(key.to_der(format).map_err(not_offered)?))
    };
    Ok(with(kb, format, material))
}

/// Refuses a Transparent RSA key asked for as Transparent EC, or the other way round.
fn same(has: KeyFormatType, asked: KeyFormatType) -> Result<(), OpError> {
    if has == asked {
        return Ok(());
    }
    Err(OpError::FormatNotSupported(format!(
        "this key is served as {has}, not {asked}"
    )))
}

/// A format this key cannot be served in (PKCS#1 for an EC key, ...).
fn not_offered(e: raftkeep_crypto::CryptoError) -> OpError {
    OpError::FormatNotSupported(e.to_string())
}

fn with(kb: KeyBlock, format: KeyFormatType, key_material: KeyMaterial) -> KeyBlock {
    let attributes = match kb.key_value {
        Some(KeyValue::Plain { attributes, .. }) => attributes,
        _ => Default::default(),
    };
    KeyBlock {
        key_format_type: format,
        key_value: Some(KeyValue::Plain {
            key_material,
            attributes,
        }),
        ..kb
    }
}
