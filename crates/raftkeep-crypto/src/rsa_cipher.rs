//! RSA encryption (KMIP Encrypt with a public key, Decrypt with a private key): OAEP with
//! any pair of SHA-1/-2 digests for the label hash and MGF1, and an optional label (P
//! Source); PKCS#1 v1.5 for legacy clients.

use kmip_ttlv::enums::{HashingAlgorithm, PaddingMethod};
use rsa::{Oaep, Pkcs1v15Encrypt};
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::signature::with_digest;

/// The RSA encryption scheme a request names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RsaSpec {
    /// OAEP or PKCS1 v1.5; OAEP when absent.
    pub padding: Option<PaddingMethod>,
    /// OAEP's hash; SHA-256 when absent.
    pub hash: Option<HashingAlgorithm>,
    /// MGF1's hash; OAEP's hash when absent.
    pub mgf_hash: Option<HashingAlgorithm>,
    /// OAEP's label; empty when absent.
    pub label: Option<Vec<u8>>,
}

fn failed(e: rsa::Error) -> CryptoError {
    match e {
        rsa::Error::MessageTooLong => CryptoError::Length {
            what: "data",
            got: 0,
            scheme: "RSA encryption",
            expected: "shorter than the key and padding allow",
        },
        _ => CryptoError::Failed,
    }
}

/// Encrypts `data` to `key`.
pub fn encrypt(key: &rsa::PublicKey, spec: &RsaSpec, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut rng = getrandom04::SysRng;
    match spec.padding {
        None | Some(PaddingMethod::OAEP) => {
            let hash = spec.hash.unwrap_or(HashingAlgorithm::SHA_256);
            let label = spec.label.clone().unwrap_or_default();
            with_digest!(hash, D => with_digest!(spec.mgf_hash.unwrap_or(hash), M => {
                key.encrypt(&mut rng, Oaep::<D, M>::new_with_mgf_hash_and_label(label.clone()), data).map_err(failed)
            }))
        }
        Some(PaddingMethod::PKCS1_V1_5) => {
            key.encrypt(&mut rng, Pkcs1v15Encrypt, data).map_err(failed)
        }
        Some(other) => Err(CryptoError::Unsupported(format!(
            "RSA encryption with padding {other}"
        ))),
    }
}

/// Decrypts `data` with `key` (with blinding).
pub fn decrypt(
    key: &rsa::PrivateKey,
    spec: &RsaSpec,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut rng = getrandom04::SysRng;
    let plain = match spec.padding {
        None | Some(PaddingMethod::OAEP) => {
            let hash = spec.hash.unwrap_or(HashingAlgorithm::SHA_256);
            let label = spec.label.clone().unwrap_or_default();
            with_digest!(hash, D => with_digest!(spec.mgf_hash.unwrap_or(hash), M => {
                key.decrypt_blinded(&mut rng, Oaep::<D, M>::new_with_mgf_hash_and_label(label.clone()), data).map_err(failed)
            }))?
        }
        Some(PaddingMethod::PKCS1_V1_5) => key
            .decrypt_blinded(&mut rng, Pkcs1v15Encrypt, data)
            .map_err(failed)?,
        Some(other) => {
            return Err(CryptoError::Unsupported(format!(
                "RSA decryption with padding {other}"
            )));
        }
    };
    Ok(Zeroizing::new(plain))
}
