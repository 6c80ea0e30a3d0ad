//! Block ciphers in ECB and CBC with a padding method — AES, Triple DES and Blowfish — and
//! AES in CTR and XTS.

use aes::cipher::block_padding::{AnsiX923, Iso10126, NoPadding, Padding, Pkcs7, ZeroPadding};
use aes::cipher::{
    BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, BlockSizeUser, KeyInit, KeyIvInit,
    StreamCipher,
};
use aes::{Aes128, Aes192, Aes256};
use kmip_ttlv::enums::PaddingMethod;
use zeroize::Zeroizing;

use crate::error::CryptoError;

/// The block ciphers ECB and CBC run over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockAlg {
    /// AES, 16-byte blocks.
    Aes,
    /// Triple DES (EDE) with a two- or three-part key, 8-byte blocks: for legacy data.
    TripleDes,
    /// Blowfish with a 4- to 56-byte key, 8-byte blocks: for legacy data.
    Blowfish,
}

impl BlockAlg {
    /// The block length in bytes, which is also the IV length in CBC.
    pub(crate) fn block_len(self) -> usize {
        match self {
            BlockAlg::Aes => 16,
            BlockAlg::TripleDes | BlockAlg::Blowfish => 8,
        }
    }

    fn name(self) -> &'static str {
        match self {
            BlockAlg::Aes => "AES",
            BlockAlg::TripleDes => "3DES",
            BlockAlg::Blowfish => "Blowfish",
        }
    }
}

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

/// Runs `$body` with `$c` bound to the cipher `$alg` names at the key's length.
macro_rules! with_block_cipher {
    ($alg:expr, $key:expr, $c:ident => $body:expr) => {
        match ($alg, $key.len()) {
            (BlockAlg::Aes, _) => with_aes!($key, $c => $body),
            (BlockAlg::TripleDes, 16) => {
                type $c = des::TdesEde2;
                $body
            }
            (BlockAlg::TripleDes, 24) => {
                type $c = des::TdesEde3;
                $body
            }
            (BlockAlg::TripleDes, n) => Err(CryptoError::Length {
                what: "key",
                got: n,
                scheme: "3DES",
                expected: "16 or 24 bytes (two or three DES keys)",
            }),
            (BlockAlg::Blowfish, 4..=56) => {
                type $c = blowfish::Blowfish;
                $body
            }
            (BlockAlg::Blowfish, n) => Err(CryptoError::Length {
                what: "key",
                got: n,
                scheme: "Blowfish",
                expected: "4 to 56 bytes",
            }),
        }
    };
}

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
    alg: BlockAlg,
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<(), CryptoError> {
    let unpadded = matches!(padding, None | Some(PaddingMethod::NONE));
    if unpadded && !data.len().is_multiple_of(alg.block_len()) {
        return Err(CryptoError::Length {
            what: "data",
            got: data.len(),
            scheme: alg.name(),
            expected: "whole blocks without a padding method",
        });
    }
    Ok(())
}

fn iv_block(iv: &[u8], len: usize, scheme: &'static str) -> Result<(), CryptoError> {
    if iv.len() != len {
        return Err(CryptoError::Length {
            what: "IV",
            got: iv.len(),
            scheme,
            expected: "one block (16 bytes for AES, 8 for 3DES and Blowfish)",
        });
    }
    Ok(())
}

fn pad_into<M: BlockModeEncrypt, P: Padding>(mode: M, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; data.len() + M::block_size()];
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
    if !data.len().is_multiple_of(M::block_size()) {
        return Err(CryptoError::Length {
            what: "ciphertext",
            got: data.len(),
            scheme: "a block cipher",
            expected: "whole blocks",
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
        scheme: "the block cipher",
        expected: "a key and IV of the cipher's lengths",
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

/// ECB encryption.
pub(crate) fn ecb_encrypt(
    alg: BlockAlg,
    key: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    whole_blocks(alg, padding, data)?;
    with_block_cipher!(alg, key, C => ecb_enc::<ecb::Encryptor<C>>(key, padding, data))
}

/// ECB decryption.
pub(crate) fn ecb_decrypt(
    alg: BlockAlg,
    key: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    with_block_cipher!(alg, key, C => ecb_dec::<ecb::Decryptor<C>>(key, padding, data))
}

/// CBC encryption under a one-block IV.
pub(crate) fn cbc_encrypt(
    alg: BlockAlg,
    key: &[u8],
    iv: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    iv_block(iv, alg.block_len(), alg.name())?;
    whole_blocks(alg, padding, data)?;
    with_block_cipher!(alg, key, C => cbc_enc::<cbc::Encryptor<C>>(key, iv, padding, data))
}

/// CBC decryption under a one-block IV.
pub(crate) fn cbc_decrypt(
    alg: BlockAlg,
    key: &[u8],
    iv: &[u8],
    padding: Option<PaddingMethod>,
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    iv_block(iv, alg.block_len(), alg.name())?;
    with_block_cipher!(alg, key, C => cbc_dec::<cbc::Decryptor<C>>(key, iv, padding, data))
}

/// AES-CTR (encryption and decryption are one) from a 16-byte initial counter block, the
/// whole block counting big-endian.
pub(crate) fn ctr_apply(
    key: &[u8],
    iv: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    iv_block(iv, 16, "AES-CTR")?;
    with_aes!(key, C => ctr::<ctr::Ctr128BE<C>>(key, iv, data))
}

/// Which way XTS runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Encrypt,
    Decrypt,
}

/// XTS-AES (IEEE 1619, NIST SP 800-38E) over one data unit: the key is two AES keys (32 or
/// 64 bytes), the IV is the 16-byte tweak, and the data unit is at least one block long; a
/// partial last block is handled by ciphertext stealing.
pub(crate) fn xts_apply(
    direction: Direction,
    key: &[u8],
    tweak: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    iv_block(tweak, 16, "XTS-AES")?;
    if data.len() < 16 {
        return Err(CryptoError::Length {
            what: "data",
            got: data.len(),
            scheme: "XTS-AES",
            expected: "at least one 16-byte block",
        });
    }
    let half = key.len() / 2;
    let (k1, k2) = key.split_at(half);
    match key.len() {
        32 => xts::<Aes128>(direction, k1, k2, tweak, data),
        64 => xts::<Aes256>(direction, k1, k2, tweak, data),
        n => Err(CryptoError::Length {
            what: "key",
            got: n,
            scheme: "XTS-AES",
            expected: "32 or 64 bytes (two AES-128 or two AES-256 keys)",
        }),
    }
}

fn xts<C>(
    direction: Direction,
    k1: &[u8],
    k2: &[u8],
    tweak: &[u8],
    data: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError>
where
    C: KeyInit + BlockCipherEncrypt + aes::cipher::BlockCipherDecrypt,
    C: BlockSizeUser<BlockSize = aes::cipher::consts::U16>,
{
    let c1 = C::new_from_slice(k1).map_err(key_error)?;
    let c2 = C::new_from_slice(k2).map_err(key_error)?;
    let tweak = xts_mode::Array::try_from(tweak).map_err(key_error)?;
    let xts = xts_mode::Xts128::new(c1, c2);
    let mut out = Zeroizing::new(data.to_vec());
    // The length was checked above: the crate asserts at least one block.
    match direction {
        Direction::Encrypt => xts.encrypt_sector(&mut out, tweak),
        Direction::Decrypt => xts.decrypt_sector(&mut out, tweak),
    }
    Ok(out)
}
