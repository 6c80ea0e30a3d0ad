//! Which cipher a request names, and the two entry points.

use kmip_ttlv::enums::{BlockCipherMode, CryptographicAlgorithm, PaddingMethod};
use zeroize::Zeroizing;

use crate::block::{BlockAlg, Direction};
use crate::error::CryptoError;
use crate::{aead, block, stream};

/// The cipher parameters of one request, as KMIP's Cryptographic Parameters name them
/// (request first, then the key's own attribute, resolved by the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipherSpec {
    /// The key's algorithm: AES, 3DES, Blowfish, ChaCha20 or ChaCha20-Poly1305.
    pub algorithm: CryptographicAlgorithm,
    /// The block cipher mode; required for AES, 3DES and Blowfish.
    pub mode: Option<BlockCipherMode>,
    /// The padding method for ECB and CBC; none when absent.
    pub padding: Option<PaddingMethod>,
    /// The authentication tag length in bytes for AEAD modes; 16 when absent.
    pub tag_length: Option<usize>,
    /// The block counter ChaCha20 starts from; 0 when absent.
    pub initial_counter: Option<u64>,
}

/// What an encryption returns: the ciphertext and, for AEAD modes, the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext {
    /// The ciphertext.
    pub data: Vec<u8>,
    /// The authentication tag (AES-GCM, ChaCha20-Poly1305).
    pub tag: Option<Vec<u8>>,
}

/// The scheme a [`CipherSpec`] comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Ecb(BlockAlg),
    Cbc(BlockAlg),
    AesCtr,
    AesXts,
    AesGcm,
    ChaCha20,
    ChaCha20Poly1305,
}

impl CipherSpec {
    pub(crate) fn scheme(&self) -> Result<Scheme, CryptoError> {
        let mode = self.mode;
        match self.algorithm {
            CryptographicAlgorithm::AES => match mode {
                Some(BlockCipherMode::ECB) => Ok(Scheme::Ecb(BlockAlg::Aes)),
                Some(BlockCipherMode::CBC) => Ok(Scheme::Cbc(BlockAlg::Aes)),
                Some(BlockCipherMode::CTR) => Ok(Scheme::AesCtr),
                Some(BlockCipherMode::XTS) => Ok(Scheme::AesXts),
                Some(BlockCipherMode::GCM) => Ok(Scheme::AesGcm),
                None => Err(CryptoError::Missing("Block Cipher Mode for AES")),
                Some(other) => Err(CryptoError::Unsupported(format!("AES in mode {other}"))),
            },
            CryptographicAlgorithm::DES3 => legacy(BlockAlg::TripleDes, mode),
            CryptographicAlgorithm::BLOWFISH => legacy(BlockAlg::Blowfish, mode),
            CryptographicAlgorithm::CHACHA20 if mode.is_none() => Ok(Scheme::ChaCha20),
            CryptographicAlgorithm::CHACHA20POLY1305
                if matches!(mode, None | Some(BlockCipherMode::AEAD)) =>
            {
                Ok(Scheme::ChaCha20Poly1305)
            }
            other => Err(CryptoError::Unsupported(match mode {
                Some(m) => format!("{other} in mode {m}"),
                None => format!("encryption with {other}"),
            })),
        }
    }

    /// The IV or nonce length a server picks when the client asks for a random IV; `None`
    /// for modes without one (ECB).
    pub fn iv_length(&self) -> Result<Option<usize>, CryptoError> {
        Ok(match self.scheme()? {
            Scheme::Ecb(_) => None,
            Scheme::Cbc(alg) => Some(alg.block_len()),
            Scheme::AesCtr | Scheme::AesXts => Some(16),
            Scheme::AesGcm | Scheme::ChaCha20 | Scheme::ChaCha20Poly1305 => Some(12),
        })
    }

    /// For data given in parts: how much of the first `len` bytes has a ciphertext that no
    /// later data changes, so it can be returned before the rest comes. All of it for the
    /// stream-like modes (CTR, GCM, ChaCha20, ChaCha20-Poly1305: the ciphertext is the data
    /// XOR a key stream), whole blocks for ECB and CBC (padding only ever ends the last
    /// block), none for XTS, whose data unit is the whole input.
    pub fn settled_prefix(&self, len: usize) -> Result<usize, CryptoError> {
        Ok(match self.scheme()? {
            Scheme::AesCtr | Scheme::AesGcm | Scheme::ChaCha20 | Scheme::ChaCha20Poly1305 => len,
            Scheme::Ecb(alg) | Scheme::Cbc(alg) => len - len % alg.block_len(),
            Scheme::AesXts => 0,
        })
    }

    /// The tag length an AEAD mode uses: 12 to 16 bytes, 16 when not given.
    pub(crate) fn tag_len(&self) -> Result<usize, CryptoError> {
        match self.tag_length.unwrap_or(16) {
            n @ 12..=16 => Ok(n),
            n => Err(CryptoError::TagLength(n)),
        }
    }
}

/// 3DES and Blowfish, kept for data encrypted long ago: ECB and CBC only.
fn legacy(alg: BlockAlg, mode: Option<BlockCipherMode>) -> Result<Scheme, CryptoError> {
    match mode {
        Some(BlockCipherMode::ECB) => Ok(Scheme::Ecb(alg)),
        Some(BlockCipherMode::CBC) => Ok(Scheme::Cbc(alg)),
        None => Err(CryptoError::Missing("Block Cipher Mode")),
        Some(other) => Err(CryptoError::Unsupported(format!(
            "{} in mode {other}",
            CryptographicAlgorithm::from(alg)
        ))),
    }
}

impl From<BlockAlg> for CryptographicAlgorithm {
    fn from(alg: BlockAlg) -> Self {
        match alg {
            BlockAlg::Aes => CryptographicAlgorithm::AES,
            BlockAlg::TripleDes => CryptographicAlgorithm::DES3,
            BlockAlg::Blowfish => CryptographicAlgorithm::BLOWFISH,
        }
    }
}

/// Encrypts `data` with `key`. `iv` is the IV, counter block or nonce the mode needs; `aad`
/// is authenticated, not encrypted (AEAD modes only).
pub fn encrypt(
    spec: &CipherSpec,
    key: &[u8],
    iv: Option<&[u8]>,
    aad: &[u8],
    data: &[u8],
) -> Result<Ciphertext, CryptoError> {
    let scheme = spec.scheme()?;
    let needs_iv = || iv.ok_or(CryptoError::Missing("IV / Counter / Nonce"));
    let plain = |data: Vec<u8>| Ciphertext { data, tag: None };
    match scheme {
        Scheme::Ecb(alg) => block::ecb_encrypt(alg, key, spec.padding, data).map(plain),
        Scheme::Cbc(alg) => {
            block::cbc_encrypt(alg, key, needs_iv()?, spec.padding, data).map(plain)
        }
        Scheme::AesCtr => block::ctr_apply(key, needs_iv()?, data).map(|d| plain(d.to_vec())),
        Scheme::AesXts => {
            block::xts_apply(Direction::Encrypt, key, needs_iv()?, data).map(|d| plain(d.to_vec()))
        }
        Scheme::ChaCha20 => stream::chacha20_apply(key, needs_iv()?, spec.initial_counter, data)
            .map(|d| plain(d.to_vec())),
        Scheme::AesGcm | Scheme::ChaCha20Poly1305 => {
            let tag_len = spec.tag_len()?;
            let (data, mut tag) = aead::seal(scheme, key, needs_iv()?, aad, data)?;
            tag.truncate(tag_len);
            Ok(Ciphertext {
                data,
                tag: Some(tag),
            })
        }
    }
}

/// Decrypts `data` with `key`; `tag` is required for AEAD modes and must have the spec's tag
/// length. Fails as [`CryptoError::Failed`] when the data does not authenticate or unpad.
pub fn decrypt(
    spec: &CipherSpec,
    key: &[u8],
    iv: Option<&[u8]>,
    aad: &[u8],
    data: &[u8],
    tag: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let scheme = spec.scheme()?;
    let needs_iv = || iv.ok_or(CryptoError::Missing("IV / Counter / Nonce"));
    match scheme {
        Scheme::Ecb(alg) => block::ecb_decrypt(alg, key, spec.padding, data),
        Scheme::Cbc(alg) => block::cbc_decrypt(alg, key, needs_iv()?, spec.padding, data),
        Scheme::AesCtr => block::ctr_apply(key, needs_iv()?, data),
        Scheme::AesXts => block::xts_apply(Direction::Decrypt, key, needs_iv()?, data),
        Scheme::ChaCha20 => stream::chacha20_apply(key, needs_iv()?, spec.initial_counter, data),
        Scheme::AesGcm | Scheme::ChaCha20Poly1305 => {
            let tag = tag.ok_or(CryptoError::Missing("Authenticated Encryption Tag"))?;
            // Without a Tag Length the tag given says how long it is.
            let tag_len = CipherSpec {
                tag_length: Some(spec.tag_length.unwrap_or(tag.len())),
                ..*spec
            }
            .tag_len()?;
            if tag.len() != tag_len {
                return Err(CryptoError::Length {
                    what: "tag",
                    got: tag.len(),
                    scheme: "the Tag Length asked for",
                    expected: "the Tag Length",
                });
            }
            aead::open(scheme, key, needs_iv()?, aad, data, tag)
        }
    }
}
