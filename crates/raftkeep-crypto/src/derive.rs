//! Derive Key (KMIP 1.4 §4.6, 2.1 §6.1.13): key bytes derived from a base key or secret.
//! PBKDF2 (RFC 8018) over HMAC; HMAC derivation as HKDF (RFC 5869: salt, base key, the
//! derivation data as info — as PyKMIP does, since KMIP does not spell out the construction);
//! NIST SP 800-108 in counter mode with HMAC (a 32-bit counter before the derivation data);
//! a hash of the derivation data; encryption of the derivation data under the base key.

use hmac::{KeyInit, Mac};
use kmip_ttlv::enums::{DerivationMethod, HashingAlgorithm};
use zeroize::Zeroizing;

use crate::cipher::{CipherSpec, encrypt};
use crate::error::CryptoError;
use crate::signature::with_digest;

/// The most PBKDF2 iterations one request may ask for: 10 million takes seconds of CPU.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// What a derivation needs besides the base key.
#[derive(Debug, Clone, Default)]
pub struct Derivation<'a> {
    /// The digest PBKDF2, HMAC, hash and counter-mode derivations use; SHA-256 when absent.
    pub hash: Option<HashingAlgorithm>,
    /// The salt (PBKDF2, HMAC).
    pub salt: Option<&'a [u8]>,
    /// PBKDF2's iteration count.
    pub iterations: Option<u32>,
    /// The derivation data (HMAC info, counter-mode fixed input, the data hashed or encrypted).
    pub data: Option<&'a [u8]>,
    /// For derivation by encryption: the cipher and its IV.
    pub cipher: Option<(CipherSpec, Option<&'a [u8]>)>,
}

fn missing(what: &'static str) -> CryptoError {
    CryptoError::Missing(what)
}

/// NIST SP 800-108 counter mode: K(i) = HMAC(key, [i]₃₂ ‖ fixed), i = 1, 2, ...
fn counter_mode<M: Mac + KeyInit + Clone>(
    key: &[u8],
    fixed: &[u8],
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let prf = <M as KeyInit>::new_from_slice(key).map_err(|_| missing("a base key"))?;
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut i: u32 = 1;
    while out.len() < len {
        let mut m = prf.clone();
        m.update(&i.to_be_bytes());
        m.update(fixed);
        out.extend_from_slice(&m.finalize().into_bytes());
        i = i.checked_add(1).ok_or(CryptoError::Length {
            what: "derived key",
            got: len,
            scheme: "NIST SP 800-108 counter mode",
            expected: "fewer than 2^32 blocks",
        })?;
    }
    out.truncate(len);
    Ok(out)
}

/// `len` bytes derived from `key` by `method`.
pub fn derive(
    method: DerivationMethod,
    key: &[u8],
    d: &Derivation<'_>,
    len: usize,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let hash = d.hash.unwrap_or(HashingAlgorithm::SHA_256);
    let too_long = |limit: &'static str| CryptoError::Length {
        what: "derived key",
        got: len,
        scheme: "this derivation",
        expected: limit,
    };
    let out = match method {
        DerivationMethod::PBKDF2 => {
            let salt = d.salt.ok_or(missing("a Salt for PBKDF2"))?;
            let rounds = d
                .iterations
                .ok_or(missing("an Iteration Count for PBKDF2"))?;
            if rounds == 0 || rounds > MAX_ITERATIONS {
                return Err(CryptoError::Unsupported(format!(
                    "PBKDF2 with {rounds} iterations (1 to {MAX_ITERATIONS})"
                )));
            }
            let mut out = Zeroizing::new(vec![0u8; len]);
            with_digest!(hash, D => { pbkdf2::pbkdf2_hmac::<D>(key, salt, rounds, &mut out); Ok::<(), CryptoError>(()) })?;
            out
        }
        DerivationMethod::HMAC => {
            let mut out = Zeroizing::new(vec![0u8; len]);
            let info = d.data.unwrap_or_default();
            with_digest!(hash, D => hkdf::Hkdf::<D>::new(d.salt, key).expand(info, &mut out).map_err(|_| too_long("at most 255 digests")))?;
            out
        }
        DerivationMethod::NIST800_108_C => {
            let fixed = d
                .data
                .ok_or(missing("Derivation Data for NIST SP 800-108"))?;
            with_digest!(hash, D => counter_mode::<hmac::Hmac<D>>(key, fixed, len))?
        }
        DerivationMethod::HASH => {
            let data = d.data.ok_or(missing("Derivation Data to hash"))?;
            let mut out = Zeroizing::new(crate::hash::hash(hash, data)?);
            if out.len() < len {
                return Err(too_long("at most the digest's length"));
            }
            out.truncate(len);
            out
        }
        DerivationMethod::ENCRYPT => {
            let data = d.data.ok_or(missing("Derivation Data to encrypt"))?;
            let (spec, iv) = d
                .cipher
                .as_ref()
                .ok_or(missing("Cryptographic Parameters for the encryption"))?;
            let mut out = Zeroizing::new(encrypt(spec, key, *iv, &[], data)?.data);
            if out.len() < len {
                return Err(too_long("at most the ciphertext's length"));
            }
            out.truncate(len);
            out
        }
        other => {
            return Err(CryptoError::Unsupported(format!(
                "derivation method {other}"
            )));
        }
    };
    Ok(out)
}
