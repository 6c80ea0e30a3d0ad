//! ChaCha20 alone (RFC 8439 with a 12-byte nonce, or the original construction with an 8-byte
//! nonce and a 64-bit counter).

use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::{ChaCha20, ChaCha20Legacy};
use zeroize::Zeroizing;

use crate::error::CryptoError;

/// ChaCha20 keystream bytes per block.
const BLOCK: u64 = 64;

fn run<C: StreamCipher + StreamCipherSeek>(
    mut cipher: C,
    counter: Option<u64>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let too_long = || CryptoError::Length {
        what: "data",
        got: data.len(),
        scheme: "ChaCha20",
        expected: "no more than the block counter covers",
    };
    if let Some(block) = counter {
        let at = block.checked_mul(BLOCK).ok_or_else(too_long)?;
        cipher.try_seek(at).map_err(|_| too_long())?;
    }
    let mut out = Zeroizing::new(data.to_vec());
    cipher
        .try_apply_keystream(&mut out)
        .map_err(|_| too_long())?;
    Ok(out)
}

/// ChaCha20 (encryption and decryption are one) from block `counter` (0 when absent).
pub(crate) fn chacha20_apply(
    key: &[u8],
    nonce: &[u8],
    counter: Option<u64>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let bad_key = |_| CryptoError::Length {
        what: "key",
        got: key.len(),
        scheme: "ChaCha20",
        expected: "32 bytes",
    };
    match nonce.len() {
        12 => run(
            ChaCha20::new_from_slices(key, nonce).map_err(bad_key)?,
            counter,
            data,
        ),
        8 => run(
            ChaCha20Legacy::new_from_slices(key, nonce).map_err(bad_key)?,
            counter,
            data,
        ),
        n => Err(CryptoError::Length {
            what: "nonce",
            got: n,
            scheme: "ChaCha20",
            expected: "12 bytes (RFC 8439) or 8 bytes (original)",
        }),
    }
}
