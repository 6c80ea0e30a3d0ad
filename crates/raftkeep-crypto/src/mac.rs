//! MAC and MAC Verify (KMIP 1.4 §4.33, 2.1 §6.1.31–32): HMAC over SHA-1 and SHA-2, and
//! AES-CMAC (Cryptographic Algorithm AES with Block Cipher Mode CMAC).

use aes::{Aes128, Aes192, Aes256};
use cmac::Cmac;
use hmac::Hmac;

use kmip_ttlv::enums::{BlockCipherMode, CryptographicAlgorithm};
use subtle::ConstantTimeEq;

use crate::block::with_aes;
use crate::error::CryptoError;

fn hmac<M: hmac::Mac + hmac::digest::KeyInit>(
    key: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    // HMAC takes keys of any length; the error cannot come, but is not unwrapped.
    let mut m =
        <M as hmac::digest::KeyInit>::new_from_slice(key).map_err(|_| CryptoError::Length {
            what: "key",
            got: key.len(),
            scheme: "HMAC",
            expected: "any length",
        })?;
    m.update(data);
    Ok(m.finalize().into_bytes().to_vec())
}

fn cmac<M: cmac::Mac + cmac::KeyInit>(key: &[u8], data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut m = <M as cmac::KeyInit>::new_from_slice(key).map_err(|_| CryptoError::Length {
        what: "key",
        got: key.len(),
        scheme: "AES-CMAC",
        expected: "16, 24 or 32 bytes",
    })?;
    cmac::Mac::update(&mut m, data);
    Ok(cmac::Mac::finalize(m).into_bytes().to_vec())
}

/// The MAC of `data` under `key` with `algorithm` (an HMAC algorithm, or AES with `mode`
/// CMAC).
pub fn mac(
    algorithm: CryptographicAlgorithm,
    mode: Option<BlockCipherMode>,
    key: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    match algorithm {
        CryptographicAlgorithm::HMAC_SHA1 => hmac::<Hmac<sha1::Sha1>>(key, data),
        CryptographicAlgorithm::HMAC_SHA224 => hmac::<Hmac<sha2::Sha224>>(key, data),
        CryptographicAlgorithm::HMAC_SHA256 => hmac::<Hmac<sha2::Sha256>>(key, data),
        CryptographicAlgorithm::HMAC_SHA384 => hmac::<Hmac<sha2::Sha384>>(key, data),
        CryptographicAlgorithm::HMAC_SHA512 => hmac::<Hmac<sha2::Sha512>>(key, data),
        CryptographicAlgorithm::AES if mode == Some(BlockCipherMode::CMAC) => {
            with_aes!(key, C => cmac::<Cmac<C>>(key, data))
        }
        CryptographicAlgorithm::AES => Err(CryptoError::Missing(
            "Block Cipher Mode CMAC for a MAC with an AES key",
        )),
        other => Err(CryptoError::Unsupported(format!("MAC with {other}"))),
    }
}

/// True when `expected` is the MAC of `data` under `key` (compared in constant time).
pub fn mac_verify(
    algorithm: CryptographicAlgorithm,
    mode: Option<BlockCipherMode>,
    key: &[u8],
    data: &[u8],
    expected: &[u8],
) -> Result<bool, CryptoError> {
    let computed = mac(algorithm, mode, key, data)?;
    Ok(computed.ct_eq(expected).into())
}
