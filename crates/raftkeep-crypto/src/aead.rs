//! AES-GCM and ChaCha20-Poly1305. Tags are computed at full length (16 bytes) and truncated
//! to the length asked for (SP 800-38D §5.2.1.2); a truncated tag is checked against the
//! first bytes of the full tag in constant time.

use aes::{Aes128, Aes192, Aes256};
use aes_gcm::AesGcm;
use aes_gcm::aead::array::{Array, ArraySize};
use aes_gcm::aead::consts::{U8, U12, U16, U24, U32, U60, U64};
use aes_gcm::aead::{AeadCore, AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, XChaCha20Poly1305};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::block::with_aes;
use crate::cipher::Scheme;
use crate::error::CryptoError;

/// The GCM IV lengths this build takes: the recommended 12 bytes and the lengths of NIST's
/// GCM test vectors (SP 800-38D allows any; each length is its own type underneath).
const GCM_IV_LENGTHS: &str = "8, 12, 16, 24, 32, 60 or 64 bytes";

/// Runs `$body` with `$n` bound to the type-level length of a GCM IV.
macro_rules! with_gcm_iv {
    ($iv:expr, $n:ident => $body:expr) => {
        match $iv.len() {
            8 => {
                type $n = U8;
                $body
            }
            12 => {
                type $n = U12;
                $body
            }
            16 => {
                type $n = U16;
                $body
            }
            24 => {
                type $n = U24;
                $body
            }
            32 => {
                type $n = U32;
                $body
            }
            60 => {
                type $n = U60;
                $body
            }
            64 => {
                type $n = U64;
                $body
            }
            n => Err(CryptoError::Length {
                what: "IV",
                got: n,
                scheme: "AES-GCM",
                expected: GCM_IV_LENGTHS,
            }),
        }
    };
}

fn key_error<E>(_: E) -> CryptoError {
    CryptoError::Length {
        what: "key",
        got: 0,
        scheme: "the AEAD",
        expected: "its key length",
    }
}

fn nonce<A: AeadCore>(
    iv: &[u8],
    scheme: &'static str,
    expected: &'static str,
) -> Result<Array<u8, A::NonceSize>, CryptoError> {
    Array::try_from(iv).map_err(|_| CryptoError::Length {
        what: "nonce",
        got: iv.len(),
        scheme,
        expected,
    })
}

/// Encrypts `buf` in place with any AEAD of 16-byte tags; returns the full tag.
fn seal_in_place<A>(
    cipher: &A,
    iv: &Array<u8, A::NonceSize>,
    aad: &[u8],
    buf: &mut [u8],
) -> Result<Array<u8, U16>, CryptoError>
where
    A: AeadInOut<TagSize = U16>,
{
    let len = buf.len();
    cipher
        .encrypt_inout_detached(iv, aad, buf.into())
        .map_err(|_| CryptoError::Length {
            what: "data",
            got: len,
            scheme: "the AEAD",
            expected: "within the mode's limit",
        })
}

/// Encrypts with any AEAD of 16-byte tags; returns the ciphertext and the full tag.
fn seal_with<A>(
    cipher: &A,
    iv: &Array<u8, A::NonceSize>,
    aad: &[u8],
    data: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError>
where
    A: AeadInOut<TagSize = U16>,
{
    let mut buf = data.to_vec();
    let tag = seal_in_place(cipher, iv, aad, &mut buf)?;
    Ok((buf, tag.to_vec()))
}

/// Decrypts with any AEAD of 16-byte tags, checking a full or truncated tag.
fn open_with<A>(
    cipher: &A,
    iv: &Array<u8, A::NonceSize>,
    aad: &[u8],
    data: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError>
where
    A: AeadInOut<TagSize = U16>,
{
    let mut buf = Zeroizing::new(data.to_vec());
    if let Ok(full) = Array::<u8, U16>::try_from(tag) {
        cipher
            .decrypt_inout_detached(iv, aad, buf.as_mut_slice().into(), &full)
            .map_err(|_| CryptoError::Failed)?;
        return Ok(buf);
    }
    // Both modes encrypt by XOR with a keystream, so encrypting the ciphertext yields the
    // candidate plaintext, and encrypting that again yields this ciphertext's full tag.
    seal_in_place(cipher, iv, aad, &mut buf)?;
    let mut again = Zeroizing::new(buf.to_vec());
    let full = seal_in_place(cipher, iv, aad, &mut again)?;
    let tag_ok: bool = full.get(..tag.len()).is_some_and(|f| f.ct_eq(tag).into());
    if !tag_ok {
        return Err(CryptoError::Failed);
    }
    Ok(buf)
}

/// AES-GCM keyed with `key`, and `iv` as its nonce type.
#[allow(
    clippy::type_complexity,
    reason = "a cipher and its nonce, both generic"
)]
fn gcm<C, N>(key: &[u8], iv: &[u8]) -> Result<(AesGcm<C, N>, Array<u8, N>), CryptoError>
where
    AesGcm<C, N>: AeadInOut<TagSize = U16, NonceSize = N> + KeyInit,
    N: ArraySize,
{
    let cipher = AesGcm::<C, N>::new_from_slice(key).map_err(key_error)?;
    let iv = nonce::<AesGcm<C, N>>(iv, "AES-GCM", GCM_IV_LENGTHS)?;
    Ok((cipher, iv))
}

const CHACHA_NONCES: &str = "12 bytes (or 24 for XChaCha20-Poly1305)";

fn chacha_key(key: &[u8]) -> Result<(), CryptoError> {
    if key.len() != 32 {
        return Err(CryptoError::Length {
            what: "key",
            got: key.len(),
            scheme: "ChaCha20-Poly1305",
            expected: "32 bytes",
        });
    }
    Ok(())
}

/// Runs `$body` with `$c` the ChaCha20-Poly1305 cipher (XChaCha20-Poly1305 for a 24-byte
/// nonce) and `$n` its nonce.
macro_rules! with_chacha {
    ($key:expr, $iv:expr, $c:ident, $n:ident => $body:expr) => {{
        chacha_key($key)?;
        if $iv.len() == 24 {
            let $c = XChaCha20Poly1305::new_from_slice($key).map_err(key_error)?;
            let $n = nonce::<XChaCha20Poly1305>($iv, "XChaCha20-Poly1305", CHACHA_NONCES)?;
            $body
        } else {
            let $c = ChaCha20Poly1305::new_from_slice($key).map_err(key_error)?;
            let $n = nonce::<ChaCha20Poly1305>($iv, "ChaCha20-Poly1305", CHACHA_NONCES)?;
            $body
        }
    }};
}

/// Encrypts under an AEAD scheme; returns the ciphertext and the full 16-byte tag.
pub(crate) fn seal(
    scheme: Scheme,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    data: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), CryptoError> {
    match scheme {
        Scheme::ChaCha20Poly1305 => with_chacha!(key, iv, c, n => seal_with(&c, &n, aad, data)),
        _ => with_aes!(key, C => with_gcm_iv!(iv, N => {
            let (c, n) = gcm::<C, N>(key, iv)?;
            seal_with(&c, &n, aad, data)
        })),
    }
}

/// Decrypts under an AEAD scheme, checking `tag` (12 to 16 bytes).
pub(crate) fn open(
    scheme: Scheme,
    key: &[u8],
    iv: &[u8],
    aad: &[u8],
    data: &[u8],
    tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    match scheme {
        Scheme::ChaCha20Poly1305 => {
            with_chacha!(key, iv, c, n => open_with(&c, &n, aad, data, tag))
        }
        _ => with_aes!(key, C => with_gcm_iv!(iv, N => {
            let (c, n) = gcm::<C, N>(key, iv)?;
            open_with(&c, &n, aad, data, tag)
        })),
    }
}
