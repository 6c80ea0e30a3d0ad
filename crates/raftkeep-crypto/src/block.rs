//! AES in ECB and CBC with a padding method, and in CTR.

use aes::cipher::block_padding::{AnsiX923, Iso10126, NoPadding, Padding, Pkcs7, ZeroPadding};
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit, StreamCipher};
use aes::{Aes128, Aes192, Aes256};
use kmip_ttlv::enums::PaddingMethod;
use zeroize::Zeroizing;

use crate::error::CryptoError;

const BLOCK: usize = 16;

/// Runs `$body` with `$c` bound to the AES variant for the key's length.
macro_rules! with_aes {
    ($key:expr, $c:ident => $body:expr) => {
        match $key.len() {
            16 => {
                type $c = Aes128;
                $body
            }
            24 => {
                type $c = Aes192;
                $body
            }
            32 => {
                type $c = Aes256;
                $body
            }
            n => Err(crate::error::CryptoError::Length {
                what: "key",
                got: n,
                scheme: "AES",
                expected: "16, 24 or 32 bytes",
            }),
        }
    };
}
pub(crate) use with_aes;

/// Runs `$body` with `$p` bound to the padding the method names.
macro_rules! with_padding {
    ($method:expr, $p:ident => $body:expr) => {
        match $method {
            None | Some(PaddingMethod::NONE) => {
                type $p = NoPadding;
                $body
            }
            Some(PaddingMethod::PKCS5) => {
                type $p = Pkcs7;
                $body
            }
            Some(PaddingMethod::ANSI_X9_23) => {
                type $p = AnsiX923;
                $body
            }
            Some(PaddingMethod::ISO_10126) => {
                type $p = Iso10126;
                $body
            }
            Some(PaddingMethod::ZEROS) => {
                type $p = ZeroPadding;
                $body
            }
            Some(other) => Err(CryptoError::Unsupported(format!(
                "padding method {other} for a block cipher"
            ))),
        }
    };
}

/// Without padding, only whole blocks can be encrypted or decrypted.
fn whole_blocks(
    padding: Option<PaddingMethod>,
    data: &[u8],
    scheme: &'static str,
) -> Result<(), CryptoError> {
    let unpadded = matches!(padding, None | Some(PaddingMethod::NONE));
    if unpadded && !data.len().is_multiple_of(BLOCK) {
        return Err(CryptoError::Length {
            what: "data",
            got: data.len(),
            scheme,
            expected: "a multiple of 16 bytes without a padding method",
        });
    }
    Ok(())
}

fn iv_block(iv: &[u8], scheme: &'static str) -> Result<(), CryptoError> {
    if iv.len() != BLOCK {
        return Err(CryptoError::Length {
            what: "IV",
            got: iv.len(),
            scheme,
            expected: "16 bytes",
        });
    }
    Ok(())
}

fn pad_into<M: BlockModeEncrypt, P: Padding>(mode: M, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; data.len() + BLOCK];
    let n = mode
        .encrypt_padded_b2b::<P>(data, &mut out)
        .map_err(|_| CryptoError::Failed)?
        .len();
    out.truncate(n);
    Ok(out)
}

fn unpad_into<M: BlockModeDecrypt, P: Padding>(
    mode: M,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if !data.len().is_multiple_of(BLOCK) {
        return Err(CryptoError::Length {
            what: "ciphertext",
            got: data.len(),
            scheme: "AES",
            expected: "a multiple of 16 bytes",
        });
    }
    let mut out = Zeroizing::new(vec![0u8; data.len()]);
    let n = mode
        .decrypt_padded_b2b::<P>(data, &mut out)
        .map_err(|_| CryptoError::Failed)?
        .len();
    out.truncate(n);
    Ok(out)
}

fn key_error(_: impl std::fmt::Debug) -> CryptoError {
    CryptoError::Length {
        what: "key or IV",
        got: 0,
        scheme: "AES",
        expected: "16, 24 or 32 bytes of key and a 16-byte IV",
    }
}

fn ecb_enc<M: BlockModeEncrypt + KeyInit>(
    key: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mode = M::new_from_slice(key).map_err(key_error)?;
    with_padding!(padding, P => pad_into::<_, P>(mode, data))
}

fn ecb_dec<M: BlockModeDecrypt + KeyInit>(
    key: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mode = M::new_from_slice(key).map_err(key_error)?;
    with_padding!(padding, P => unpad_into::<_, P>(mode, data))
}

fn cbc_enc<M: BlockModeEncrypt + KeyIvInit>(
    key: &[u8],
    iv: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mode = M::new_from_slices(key, iv).map_err(key_error)?;
    with_padding!(padding, P => pad_into::<_, P>(mode, data))
}

fn cbc_dec<M: BlockModeDecrypt + KeyIvInit>(
    key: &[u8],
    iv: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mode = M::new_from_slices(key, iv).map_err(key_error)?;
    with_padding!(padding, P => unpad_into::<_, P>(mode, data))
}

fn ctr<S: StreamCipher + KeyIvInit>(
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut cipher = S::new_from_slices(key, iv).map_err(key_error)?;
    let mut out = Zeroizing::new(data.to_vec());
    cipher
        .try_apply_keystream(&mut out)
        .map_err(|_| CryptoError::Length {
            what: "data",
            got: data.len(),
            scheme: "AES-CTR",
            expected: "no more than the counter covers",
        })?;
    Ok(out)
}

/// AES-ECB encryption.
pub(crate) fn ecb_encrypt(
    key: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    whole_blocks(padding, data, "AES-ECB")?;
    with_aes!(key, C => ecb_enc::<ecb::Encryptor<C>>(key, padding, data))
}

/// AES-ECB decryption.
pub(crate) fn ecb_decrypt(
    key: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    with_aes!(key, C => ecb_dec::<ecb::Decryptor<C>>(key, padding, data))
}

/// AES-CBC encryption under a 16-byte IV.
pub(crate) fn cbc_encrypt(
    key: &[u8],
    iv: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    iv_block(iv, "AES-CBC")?;
    whole_blocks(padding, data, "AES-CBC")?;
    with_aes!(key, C => cbc_enc::<cbc::Encryptor<C>>(key, iv, padding, data))
}

/// AES-CBC decryption under a 16-byte IV.
pub(crate) fn cbc_decrypt(
    key: &[u8],
    iv: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    iv_block(iv, "AES-CBC")?;
    with_aes!(key, C => cbc_dec::<cbc::Decryptor<C>>(key, iv, padding, data))
}

/// AES-CTR (encryption and decryption are one) from a 16-byte initial counter block, the
/// whole block counting big-endian.
pub(crate) fn ctr_apply(
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    iv_block(iv, "AES-CTR")?;
    with_aes!(key, C => ctr::<ctr::Ctr128BE<C>>(key, iv, data))
}
