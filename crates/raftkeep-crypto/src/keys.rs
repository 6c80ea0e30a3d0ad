//! Asymmetric keys in the formats KMIP carries them (PKCS#1, PKCS#8, SEC1 ECPrivateKey,
//! X.509 SubjectPublicKeyInfo), and their generation.

use kmip_ttlv::enums::{KeyFormatType, RecommendedCurve};
use rsa::pkcs1::{
    DecodeRsaPrivateKey, DecodeRsaPublicKey, EncodeRsaPrivateKey, EncodeRsaPublicKey,
};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use crate::error::CryptoError;

/// A private key this build can use. Its `Debug` shows the kind and size, never the key.
pub enum PrivateKey {
    /// RSA.
    Rsa(rsa::PrivateKey),
    /// ECDSA on NIST P-256.
    P256(p256::ecdsa::SigningKey),
    /// ECDSA on NIST P-384.
    P384(p384::ecdsa::SigningKey),
    /// ECDSA on NIST P-521.
    P521(p521::ecdsa::SigningKey),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            PrivateKey::Rsa(_) => "RSA",
            PrivateKey::P256(_) => "ECDSA P-256",
            PrivateKey::P384(_) => "ECDSA P-384",
            PrivateKey::P521(_) => "ECDSA P-521",
        };
        write!(f, "PrivateKey({kind}, {} bits)", self.bits())
    }
}

/// A public key this build can use.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// RSA.
    Rsa(rsa::PublicKey),
    /// ECDSA on NIST P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// ECDSA on NIST P-384.
    P384(p384::ecdsa::VerifyingKey),
    /// ECDSA on NIST P-521.
    P521(p521::ecdsa::VerifyingKey),
}

fn unreadable(what: &'static str, format: KeyFormatType) -> CryptoError {
    CryptoError::Unsupported(format!("{what} in format {format} (or it is damaged)"))
}

impl PrivateKey {
    /// Reads a private key: PKCS#1 (RSA), PKCS#8 (RSA, P-256, P-384, P-521), or ECPrivateKey.
    pub fn from_der(format: KeyFormatType, der: &[u8]) -> Result<Self, CryptoError> {
        let bad = || unreadable("a private key", format);
        match format {
            KeyFormatType::PKCS_1 => rsa::PrivateKey::from_pkcs1_der(der)
                .map(PrivateKey::Rsa)
                .map_err(|_| bad()),
            KeyFormatType::PKCS_8 => rsa::PrivateKey::from_pkcs8_der(der)
                .map(PrivateKey::Rsa)
                .or_else(|_| p256::ecdsa::SigningKey::from_pkcs8_der(der).map(PrivateKey::P256))
                .or_else(|_| p384::ecdsa::SigningKey::from_pkcs8_der(der).map(PrivateKey::P384))
                .or_else(|_| p521::ecdsa::SigningKey::from_pkcs8_der(der).map(PrivateKey::P521))
                .map_err(|_| bad()),
            KeyFormatType::ECPRIVATEKEY => p256::SecretKey::from_sec1_der(der)
                .map(|k| PrivateKey::P256(k.into()))
                .or_else(|_| {
                    p384::SecretKey::from_sec1_der(der).map(|k| PrivateKey::P384(k.into()))
                })
                .or_else(|_| {
                    p521::SecretKey::from_sec1_der(der).map(|k| PrivateKey::P521(k.into()))
                })
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
            PrivateKey::P256(k) => PublicKey::P256(*k.verifying_key()),
            PrivateKey::P384(k) => PublicKey::P384(*k.verifying_key()),
            PrivateKey::P521(k) => PublicKey::P521(*k.verifying_key()),
        }
    }

    /// The key in `format`: PKCS#1 (RSA only) or PKCS#8.
    pub fn to_der(&self, format: KeyFormatType) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let fail = || unreadable("a private key", format);
        let doc = match (self, format) {
            (PrivateKey::Rsa(k), KeyFormatType::PKCS_1) => k.to_pkcs1_der().map_err(|_| fail())?,
            (PrivateKey::Rsa(k), KeyFormatType::PKCS_8) => k.to_pkcs8_der().map_err(|_| fail())?,
            (PrivateKey::P256(k), KeyFormatType::PKCS_8) => k.to_pkcs8_der().map_err(|_| fail())?,
            (PrivateKey::P384(k), KeyFormatType::PKCS_8) => k.to_pkcs8_der().map_err(|_| fail())?,
            (PrivateKey::P521(k), KeyFormatType::PKCS_8) => k.to_pkcs8_der().map_err(|_| fail())?,
            _ => return Err(fail()),
        };
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The key's length in bits (the RSA modulus, the curve's order).
    pub fn bits(&self) -> usize {
        self.public().bits()
    }
}

impl PublicKey {
    /// Reads a public key: PKCS#1 RSAPublicKey or X.509 SubjectPublicKeyInfo.
    pub fn from_der(format: KeyFormatType, der: &[u8]) -> Result<Self, CryptoError> {
        let bad = || unreadable("a public key", format);
        match format {
            KeyFormatType::PKCS_1 => rsa::PublicKey::from_pkcs1_der(der)
                .map(PublicKey::Rsa)
                .map_err(|_| bad()),
            KeyFormatType::X_509 => rsa::PublicKey::from_public_key_der(der)
                .map(PublicKey::Rsa)
                .or_else(|_| {
                    p256::ecdsa::VerifyingKey::from_public_key_der(der).map(PublicKey::P256)
                })
                .or_else(|_| {
                    p384::ecdsa::VerifyingKey::from_public_key_der(der).map(PublicKey::P384)
                })
                .or_else(|_| {
                    p521::ecdsa::VerifyingKey::from_public_key_der(der).map(PublicKey::P521)
                })
                .map_err(|_| bad()),
            _ => Err(bad()),
        }
    }

    /// The key in `format`: PKCS#1 (RSA only) or X.509 SubjectPublicKeyInfo.
    pub fn to_der(&self, format: KeyFormatType) -> Result<Vec<u8>, CryptoError> {
        let fail = || unreadable("a public key", format);
        let bytes = match (self, format) {
            (PublicKey::Rsa(k), KeyFormatType::PKCS_1) => {
                k.to_pkcs1_der().map_err(|_| fail())?.into_vec()
            }
            (PublicKey::Rsa(k), KeyFormatType::X_509) => {
                k.to_public_key_der().map_err(|_| fail())?.into_vec()
            }
            (PublicKey::P256(k), KeyFormatType::X_509) => {
                k.to_public_key_der().map_err(|_| fail())?.into_vec()
            }
            (PublicKey::P384(k), KeyFormatType::X_509) => {
                k.to_public_key_der().map_err(|_| fail())?.into_vec()
            }
            (PublicKey::P521(k), KeyFormatType::X_509) => {
                k.to_public_key_der().map_err(|_| fail())?.into_vec()
            }
            _ => return Err(fail()),
        };
        Ok(bytes)
    }

    /// The key's length in bits.
    pub fn bits(&self) -> usize {
        match self {
            PublicKey::Rsa(k) => usize::try_from(k.n().bit_width()).unwrap_or(usize::MAX),
            PublicKey::P256(_) => 256,
            PublicKey::P384(_) => 384,
            PublicKey::P521(_) => 521,
        }
    }
}

/// RSA key sizes this build generates.
pub const RSA_BITS: std::ops::RangeInclusive<usize> = 2048..=4096;

/// A new RSA key of `bits` (2048 to 4096, a multiple of 8).
pub fn generate_rsa(bits: usize) -> Result<PrivateKey, CryptoError> {
    if !RSA_BITS.contains(&bits) || !bits.is_multiple_of(8) {
        return Err(CryptoError::Unsupported(format!(
            "RSA keys of {bits} bits (this server makes 2048 to 4096, in whole bytes)"
        )));
    }
    let mut rng = getrandom04::SysRng;
    rsa::PrivateKey::new(&mut rng, bits)
        .map(PrivateKey::Rsa)
        .map_err(|e| CryptoError::Unsupported(format!("RSA key generation: {e}")))
}

/// A new EC key on `curve` (P-256, P-384 or P-521).
pub fn generate_ec(curve: RecommendedCurve) -> Result<PrivateKey, CryptoError> {
    // A uniformly random scalar: 2^-128 odds that it is out of range, then another is drawn.
    for _ in 0..4 {
        let mut bytes = Zeroizing::new([0u8; 66]);
        let n = match curve {
            RecommendedCurve::P_256 => 32,
            RecommendedCurve::P_384 => 48,
            RecommendedCurve::P_521 => 66,
            other => {
                return Err(CryptoError::Unsupported(format!(
                    "EC keys on curve {other}"
                )));
            }
        };
        let scalar = bytes.get_mut(..n).ok_or(CryptoError::Failed)?;
        getrandom04::fill(scalar)
            .map_err(|e| CryptoError::Unsupported(format!("the system random generator: {e}")))?;
        if let Some(top) = scalar.first_mut()
            && curve == RecommendedCurve::P_521
        {
            // The order of P-521 has 521 bits: a random top byte would almost always be out
            // of range, so only its lowest bit is kept.
            *top &= 0x01;
        }
        let made = match curve {
            RecommendedCurve::P_256 => {
                p256::ecdsa::SigningKey::from_slice(scalar).map(PrivateKey::P256)
            }
            RecommendedCurve::P_384 => {
                p384::ecdsa::SigningKey::from_slice(scalar).map(PrivateKey::P384)
            }
            _ => p521::ecdsa::SigningKey::from_slice(scalar).map(PrivateKey::P521),
        };
        if let Ok(k) = made {
            return Ok(k);
        }
    }
    Err(CryptoError::Failed)
}
