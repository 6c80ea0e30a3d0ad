//! AES Key Wrap (RFC 3394, NIST SP 800-38F KW) and AES Key Wrap with Padding (RFC 5649, KWP):
//! how a key leaves the server encrypted under another key (Get with a Key Wrapping
//! Specification, Block Cipher Mode NIST Key Wrap or AES Key Wrap Padding).

use aes::{Aes128, Aes192, Aes256};
use aes_kw::{AesKw, AesKwp, KeyInit};
use kmip_ttlv::enums::BlockCipherMode;
use zeroize::Zeroizing;

use crate::block::with_aes;
use crate::error::CryptoError;

/// The integrity check value and padding block of both schemes.
const OVERHEAD: usize = 16;

fn kek_error<E>(_: E) -> CryptoError {
    CryptoError::Length {
        what: "wrapping key",
        got: 0,
        scheme: "AES key wrap",
        expected: "16, 24 or 32 bytes",
    }
}

fn too_short(got: usize) -> CryptoError {
    CryptoError::Length {
        what: "key to wrap",
        got,
        scheme: "AES key wrap (RFC 3394)",
        expected: "a multiple of 8 bytes, at least 16",
    }
}

/// Wraps `key` under `kek`: KW (the default) or KWP for `mode` AES Key Wrap Padding.
pub fn wrap(kek: &[u8], mode: Option<BlockCipherMode>, key: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; key.len() + OVERHEAD];
    let n = match mode {
        None | Some(BlockCipherMode::NISTKEYWRAP) => {
            if key.len() < 16 || !key.len().is_multiple_of(8) {
                return Err(too_short(key.len()));
            }
            with_aes!(kek, C => AesKw::<C>::new_from_slice(kek).map_err(kek_error)?.wrap_key(key, &mut out).map(<[u8]>::len).map_err(|_| too_short(key.len())))?
        }
        Some(BlockCipherMode::AESKEYWRAPPADDING) => {
            with_aes!(kek, C => AesKwp::<C>::new_from_slice(kek).map_err(kek_error)?.wrap_key(key, &mut out).map(<[u8]>::len).map_err(|_| too_short(key.len())))?
        }
        Some(other) => {
            return Err(CryptoError::Unsupported(format!(
                "key wrapping in mode {other}"
            )));
        }
    };
    out.truncate(n);
    Ok(out)
}

/// Unwraps `wrapped` under `kek`; fails as [`CryptoError::Failed`] when the integrity check
/// does not hold (wrong key, altered data).
pub fn unwrap(
    kek: &[u8],
    mode: Option<BlockCipherMode>,
    wrapped: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut out = Zeroizing::new(vec![0u8; wrapped.len()]);
    let n = match mode {
        None | Some(BlockCipherMode::NISTKEYWRAP) => {
            with_aes!(kek, C => AesKw::<C>::new_from_slice(kek).map_err(kek_error)?.unwrap_key(wrapped, &mut out).map(<[u8]>::len).map_err(|_| CryptoError::Failed))?
        }
        Some(BlockCipherMode::AESKEYWRAPPADDING) => {
            with_aes!(kek, C => AesKwp::<C>::new_from_slice(kek).map_err(kek_error)?.unwrap_key(wrapped, &mut out).map(<[u8]>::len).map_err(|_| CryptoError::Failed))?
        }
        Some(other) => {
            return Err(CryptoError::Unsupported(format!(
                "key unwrapping in mode {other}"
            )));
        }
    };
    out.truncate(n);
    Ok(out)
}
