//! Sign and Signature Verify (KMIP 1.4 §4.31–§4.32, 2.1 §6.1.55–56): RSA PKCS#1 v1.5 and
//! PSS over SHA-1/-2, ECDSA on P-256 with SHA-256, P-384 with SHA-384 and P-521 with SHA-512
//! (DER signatures).
//! The data is hashed here; the signature covers its digest.

use kmip_ttlv::enums::{DigitalSignatureAlgorithm, HashingAlgorithm, PaddingMethod};
use rsa::{Pkcs1v15Sign, Pss};

use crate::error::CryptoError;
use crate::keys::{PrivateKey, PublicKey};

/// The signature scheme a request names (its Cryptographic Parameters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignSpec {
    /// PSS or PKCS1 v1.5 (RSA); PKCS1 v1.5 when absent.
    pub padding: Option<PaddingMethod>,
    /// The digest; SHA-256 for RSA and P-256, SHA-384 for P-384, SHA-512 for P-521 when absent.
    pub hash: Option<HashingAlgorithm>,
    /// A Digital Signature Algorithm naming both (KMIP 1.2+), used when padding and hash
    /// are not given.
    pub algorithm: Option<DigitalSignatureAlgorithm>,
    /// The PSS salt length; the digest's length when absent.
    pub salt_length: Option<usize>,
}

impl SignSpec {
    /// Padding and hash, from the Digital Signature Algorithm where they are not given.
    fn resolved(&self) -> Result<(Option<PaddingMethod>, Option<HashingAlgorithm>), CryptoError> {
        use DigitalSignatureAlgorithm as A;
        use HashingAlgorithm as H;
        let named = match self.algorithm {
            None => (None, None),
            Some(A::SHA_1_WITH_RSA_ENCRYPTION) => (Some(PaddingMethod::PKCS1_V1_5), Some(H::SHA_1)),
            Some(A::SHA_224_WITH_RSA_ENCRYPTION) => {
                (Some(PaddingMethod::PKCS1_V1_5), Some(H::SHA_224))
            }
            Some(A::SHA_256_WITH_RSA_ENCRYPTION) => {
                (Some(PaddingMethod::PKCS1_V1_5), Some(H::SHA_256))
            }
            Some(A::SHA_384_WITH_RSA_ENCRYPTION) => {
                (Some(PaddingMethod::PKCS1_V1_5), Some(H::SHA_384))
            }
            Some(A::SHA_512_WITH_RSA_ENCRYPTION) => {
                (Some(PaddingMethod::PKCS1_V1_5), Some(H::SHA_512))
            }
            Some(A::RSASSA_PSS) => (Some(PaddingMethod::PSS), None),
            Some(A::ECDSA_WITH_SHA256) => (None, Some(H::SHA_256)),
            Some(A::ECDSA_WITH_SHA384) => (None, Some(H::SHA_384)),
            Some(other) => {
                return Err(CryptoError::Unsupported(format!(
                    "signature algorithm {other}"
                )));
            }
        };
        Ok((self.padding.or(named.0), self.hash.or(named.1)))
    }
}

/// Runs `$body` with `$d` bound to the digest type the hashing algorithm names.
macro_rules! with_digest {
    ($alg:expr, $d:ident => $body:expr) => {
        match $alg {
            HashingAlgorithm::SHA_1 => {
                type $d = sha1::Sha1;
                $body
            }
            HashingAlgorithm::SHA_224 => {
                type $d = sha2::Sha224;
                $body
            }
            HashingAlgorithm::SHA_256 => {
                type $d = sha2::Sha256;
                $body
            }
            HashingAlgorithm::SHA_384 => {
                type $d = sha2::Sha384;
                $body
            }
            HashingAlgorithm::SHA_512 => {
                type $d = sha2::Sha512;
                $body
            }
            other => Err(CryptoError::Unsupported(format!(
                "hashing algorithm {other} here"
            ))),
        }
    };
}
pub(crate) use with_digest;

fn rsa_failed(e: rsa::Error) -> CryptoError {
    match e {
        rsa::Error::MessageTooLong => CryptoError::Length {
            what: "data",
            got: 0,
            scheme: "RSA",
            expected: "shorter than the key allows",
        },
        _ => CryptoError::Failed,
    }
}

fn ec_hash(
    spec_hash: Option<HashingAlgorithm>,
    curve_hash: HashingAlgorithm,
    curve: &str,
) -> Result<(), CryptoError> {
    match spec_hash {
        None => Ok(()),
        Some(h) if h == curve_hash => Ok(()),
        Some(h) => Err(CryptoError::Unsupported(format!(
            "ECDSA on {curve} with {h} (this server pairs {curve} with {curve_hash})"
        ))),
    }
}

/// What is signed: the data (hashed here), or its digest computed by the client (KMIP
/// Digested Data), which must have the digest's length.
#[derive(Debug, Clone, Copy)]
pub enum Signed<'a> {
    /// The message.
    Data(&'a [u8]),
    /// The message's digest.
    Digest(&'a [u8]),
}

impl Signed<'_> {
    /// The digest under `D`.
    fn digest<D: sha2::Digest>(self) -> Result<Vec<u8>, CryptoError> {
        match self {
            Signed::Data(d) => Ok(D::digest(d).to_vec()),
            Signed::Digest(h) if h.len() == <D as sha2::Digest>::output_size() => Ok(h.to_vec()),
            Signed::Digest(h) => Err(CryptoError::Length {
                what: "Digested Data",
                got: h.len(),
                scheme: "the hashing algorithm",
                expected: "the digest's length",
            }),
        }
    }
}

/// The signature by `ring`, for the common schemes — PKCS#1 v1.5 or PSS with a salt of the
/// digest's length, over SHA-256/384/512, of data rather than a digest — and keys `ring`
/// takes (2048 to 8192 bits, public exponent at least 65537); `None` for the rest, which
/// `rsa` signs. Both are constant-time; `ring` is 2.4 times as fast (docs/benchmarks.md), and
/// PKCS#1 v1.5 signatures are the same bytes either way.
fn ring_sign(
    k: &rsa::PrivateKey,
    padding: Option<PaddingMethod>,
    hash: HashingAlgorithm,
    salt: Option<usize>,
    input: Signed<'_>,
) -> Option<Vec<u8>> {
    use ring::signature as rs;
    let Signed::Data(data) = input else {
        return None;
    };
    let digest_len = match hash {
        HashingAlgorithm::SHA_256 => 32,
        HashingAlgorithm::SHA_384 => 48,
        HashingAlgorithm::SHA_512 => 64,
        _ => return None,
    };
    let scheme: &'static dyn rs::RsaEncoding = match (padding, hash) {
        (Some(PaddingMethod::PSS), _) if salt.is_some_and(|s| s != digest_len) => return None,
        (Some(PaddingMethod::PSS), HashingAlgorithm::SHA_256) => &rs::RSA_PSS_SHA256,
        (Some(PaddingMethod::PSS), HashingAlgorithm::SHA_384) => &rs::RSA_PSS_SHA384,
        (Some(PaddingMethod::PSS), _) => &rs::RSA_PSS_SHA512,
        (None | Some(PaddingMethod::PKCS1_V1_5), HashingAlgorithm::SHA_256) => {
            &rs::RSA_PKCS1_SHA256
        }
        (None | Some(PaddingMethod::PKCS1_V1_5), HashingAlgorithm::SHA_384) => {
            &rs::RSA_PKCS1_SHA384
        }
        (None | Some(PaddingMethod::PKCS1_V1_5), _) => &rs::RSA_PKCS1_SHA512,
        _ => return None,
    };
    let der = rsa::pkcs1::EncodeRsaPrivateKey::to_pkcs1_der(k).ok()?;
    let pair = rs::RsaKeyPair::from_der(der.as_bytes()).ok()?;
    let mut signature = vec![0u8; pair.public().modulus_len()];
    pair.sign(
        scheme,
        &ring::rand::SystemRandom::new(),
        data,
        &mut signature,
    )
    .ok()?;
    Some(signature)
}

/// Signs `data` (hashing it first).
pub fn sign(key: &PrivateKey, spec: &SignSpec, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
    sign_input(key, spec, Signed::Data(data))
}

/// Signs what `input` gives: the data, hashed here, or a digest the client computed.
pub fn sign_input(
    key: &PrivateKey,
    spec: &SignSpec,
    input: Signed<'_>,
) -> Result<Vec<u8>, CryptoError> {
    use p256::ecdsa::signature::hazmat::PrehashSigner as _;
    let (padding, hash) = spec.resolved()?;
    match key {
        PrivateKey::Rsa(k) => {
            let hash = hash.unwrap_or(HashingAlgorithm::SHA_256);
            if let Some(signature) = ring_sign(k, padding, hash, spec.salt_length, input) {
                return Ok(signature);
            }
            let mut rng = getrandom04::SysRng;
            match padding {
                Some(PaddingMethod::PSS) => with_digest!(hash, D => {
                    let salt = spec.salt_length.unwrap_or(<D as sha2::Digest>::output_size());
                    k.sign_with_rng(&mut rng, Pss::<D>::new_with_salt(salt), &input.digest::<D>()?).map_err(rsa_failed)
                }),
                None | Some(PaddingMethod::PKCS1_V1_5) => with_digest!(hash, D => {
                    k.sign_with_rng(&mut rng, Pkcs1v15Sign::new::<D>(), &input.digest::<D>()?).map_err(rsa_failed)
                }),
                Some(other) => Err(CryptoError::Unsupported(format!(
                    "RSA signatures with padding {other}"
                ))),
            }
        }
        PrivateKey::P256(k) => {
            ec_hash(hash, HashingAlgorithm::SHA_256, "P-256")?;
            let digest = input.digest::<sha2::Sha256>()?;
            let sig: p256::ecdsa::Signature =
                k.sign_prehash(&digest).map_err(|_| CryptoError::Failed)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
        PrivateKey::P384(k) => {
            ec_hash(hash, HashingAlgorithm::SHA_384, "P-384")?;
            let digest = input.digest::<sha2::Sha384>()?;
            let sig: p384::ecdsa::Signature =
                k.sign_prehash(&digest).map_err(|_| CryptoError::Failed)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
        PrivateKey::P521(k) => {
            ec_hash(hash, HashingAlgorithm::SHA_512, "P-521")?;
            let digest = input.digest::<sha2::Sha512>()?;
            let sig: p521::ecdsa::Signature =
                k.sign_prehash(&digest).map_err(|_| CryptoError::Failed)?;
            Ok(sig.to_der().as_bytes().to_vec())
        }
    }
}

/// True when `signature` is a valid signature of `data` (hashing it first). PSS signatures
/// of any salt length verify unless the spec names one.
pub fn verify(
    key: &PublicKey,
    spec: &SignSpec,
    data: &[u8],
    signature: &[u8],
) -> Result<bool, CryptoError> {
    verify_input(key, spec, Signed::Data(data), signature)
}

/// [`verify`] over what `input` gives.
pub fn verify_input(
    key: &PublicKey,
    spec: &SignSpec,
    input: Signed<'_>,
    signature: &[u8],
) -> Result<bool, CryptoError> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
    let (padding, hash) = spec.resolved()?;
    match key {
        PublicKey::Rsa(k) => {
            let hash = hash.unwrap_or(HashingAlgorithm::SHA_256);
            match padding {
                Some(PaddingMethod::PSS) => with_digest!(hash, D => {
                    let mut pss = Pss::<D>::new();
                    pss.salt_len = spec.salt_length;
                    Ok(k.verify(pss, &input.digest::<D>()?, signature).is_ok())
                }),
                None | Some(PaddingMethod::PKCS1_V1_5) => with_digest!(hash, D => {
                    Ok(k.verify(Pkcs1v15Sign::new::<D>(), &input.digest::<D>()?, signature).is_ok())
                }),
                Some(other) => Err(CryptoError::Unsupported(format!(
                    "RSA signatures with padding {other}"
                ))),
            }
        }
        PublicKey::P256(k) => {
            ec_hash(hash, HashingAlgorithm::SHA_256, "P-256")?;
            let digest = input.digest::<sha2::Sha256>()?;
            Ok(p256::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok()))
        }
        PublicKey::P384(k) => {
            ec_hash(hash, HashingAlgorithm::SHA_384, "P-384")?;
            let digest = input.digest::<sha2::Sha384>()?;
            Ok(p384::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok()))
        }
        PublicKey::P521(k) => {
            ec_hash(hash, HashingAlgorithm::SHA_512, "P-521")?;
            let digest = input.digest::<sha2::Sha512>()?;
            Ok(p521::ecdsa::Signature::from_der(signature)
                .is_ok_and(|s| k.verify_prehash(&digest, &s).is_ok()))
        }
    }
}
