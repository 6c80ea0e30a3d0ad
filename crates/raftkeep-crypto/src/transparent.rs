//! The Transparent key formats (KMIP 1.4 §2.1.7.6–§2.1.7.9, §2.1.7.14–15): a key's components
//! as Big Integers and Byte Strings inside the Key Material structure — RSA (modulus,
//! exponents, primes, CRT values) and EC (Recommended Curve with D, or the Q String, a SEC1
//! point).

use kmip_ttlv::enums::{KeyFormatType, RecommendedCurve};
use kmip_ttlv::{BigInteger, Tag, Ttlv, Value};
use rsa::BoxedUint;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use zeroize::Zeroizing;

use crate::error::CryptoError;
use crate::keys::{PrivateKey, PublicKey};

/// A non-negative integer as a Big Integer: a zero byte ahead of a set top bit keeps it
/// positive in two's complement.
fn unsigned(bytes: &[u8]) -> Value {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let trimmed = bytes.get(first..).unwrap_or_default();
    let mut out = Zeroizing::new(Vec::with_capacity(trimmed.len() + 1));
    if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
    Value::BigInteger(BigInteger::from_be_bytes(&out))
}

fn uint(n: &BoxedUint) -> Value {
    unsigned(&Zeroizing::new(n.to_be_bytes().to_vec()))
}

fn bad(format: KeyFormatType, why: &str) -> CryptoError {
    CryptoError::Unsupported(format!("a {format} key whose {why}"))
}

/// The component `tag` of a Transparent key, as an unsigned integer.
fn component(items: &[Ttlv], tag: Tag, format: KeyFormatType) -> Result<BoxedUint, CryptoError> {
    match items.iter().find(|t| t.tag == tag).map(|t| &t.value) {
        Some(Value::BigInteger(b)) => {
            if b.as_bytes().first().is_some_and(|x| x & 0x80 != 0) {
                return Err(bad(format, "components include a negative integer"));
            }
            Ok(BoxedUint::from_be_slice_vartime(b.as_bytes()))
        }
        _ => Err(bad(format, "components are incomplete")),
    }
}

fn curve_of(items: &[Ttlv], format: KeyFormatType) -> Result<RecommendedCurve, CryptoError> {
    match items
        .iter()
        .find(|t| t.tag == Tag::RECOMMENDED_CURVE)
        .map(|t| &t.value)
    {
        Some(Value::Enumeration(c)) => Ok(RecommendedCurve(*c)),
        _ => Err(bad(format, "Recommended Curve is missing")),
    }
}

fn curve_item(curve: RecommendedCurve) -> Ttlv {
    Ttlv::enumeration(Tag::RECOMMENDED_CURVE, curve.0)
}

fn curve_error(curve: RecommendedCurve) -> CryptoError {
    CryptoError::Unsupported(format!("EC keys on curve {curve}"))
}

impl PrivateKey {
    /// The key's components in its Transparent format: Transparent RSA Private Key or
    /// Transparent EC Private Key.
    pub fn to_transparent(&self) -> Result<(KeyFormatType, Vec<Ttlv>), CryptoError> {
        let scalar = |curve, d: &[u8]| {
            vec![
                curve_item(curve),
                Ttlv::new(Tag::D, unsigned(&Zeroizing::new(d.to_vec()))),
            ]
        };
        Ok(match self {
            PrivateKey::Rsa(k) => {
                let mut items = vec![
                    Ttlv::new(Tag::MODULUS, uint(k.n().as_ref())),
                    Ttlv::new(Tag::PRIVATE_EXPONENT, uint(k.d())),
                    Ttlv::new(Tag::PUBLIC_EXPONENT, uint(k.e())),
                ];
                if let [p, q] = k.primes() {
                    items.push(Ttlv::new(Tag::P, uint(p.as_ref())));
                    items.push(Ttlv::new(Tag::Q, uint(q.as_ref())));
                }
                let crt = [
                    (Tag::PRIME_EXPONENT_P, k.dp().cloned()),
                    (Tag::PRIME_EXPONENT_Q, k.dq().cloned()),
                    (Tag::CRT_COEFFICIENT, k.crt_coefficient()),
                ];
                for (tag, value) in crt {
                    if let Some(v) = value {
                        items.push(Ttlv::new(tag, uint(&v)));
                    }
                }
                (KeyFormatType::TRANSPARENT_RSA_PRIVATE_KEY, items)
            }
            PrivateKey::P256(k) => (
                KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY,
                scalar(RecommendedCurve::P_256, &k.to_bytes()),
            ),
            PrivateKey::P384(k) => (
                KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY,
                scalar(RecommendedCurve::P_384, &k.to_bytes()),
            ),
            PrivateKey::P521(k) => (
                KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY,
                scalar(RecommendedCurve::P_521, &k.to_bytes()),
            ),
        })
    }

    /// Reads a Transparent RSA or EC private key (Transparent ECDSA Private Key too).
    pub fn from_transparent(format: KeyFormatType, items: &[Ttlv]) -> Result<Self, CryptoError> {
        match format {
            KeyFormatType::TRANSPARENT_RSA_PRIVATE_KEY => {
                let get = |tag| component(items, tag, format);
                let (p, q) = (get(Tag::P)?, get(Tag::Q)?);
                rsa::PrivateKey::from_components(
                    get(Tag::MODULUS)?,
                    get(Tag::PUBLIC_EXPONENT)?,
                    get(Tag::PRIVATE_EXPONENT)?,
                    vec![p, q],
                )
                .map(PrivateKey::Rsa)
                .map_err(|_| bad(format, "components do not make an RSA key"))
            }
            KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY
            | KeyFormatType::TRANSPARENT_ECDSA_PRIVATE_KEY => {
                let curve = curve_of(items, format)?;
                let d = component(items, Tag::D, format)?;
                let field = match curve {
                    RecommendedCurve::P_256 => 32,
                    RecommendedCurve::P_384 => 48,
                    RecommendedCurve::P_521 => 66,
                    other => return Err(curve_error(other)),
                };
                // D as the curve's fixed-width big-endian scalar.
                let bytes = Zeroizing::new(d.to_be_bytes().to_vec());
                let skip = bytes.len().checked_sub(field);
                let scalar = match skip {
                    Some(skip) if bytes.iter().take(skip).all(|b| *b == 0) => {
                        Zeroizing::new(bytes.get(skip..).unwrap_or_default().to_vec())
                    }
                    Some(_) => return Err(bad(format, "D is larger than the curve")),
                    None => {
                        let mut padded = Zeroizing::new(vec![0u8; field - bytes.len()]);
                        padded.extend_from_slice(&bytes);
                        padded
                    }
                };
                let invalid = |_| bad(format, "D is not a valid scalar");
                match curve {
                    RecommendedCurve::P_256 => p256::ecdsa::SigningKey::from_slice(&scalar)
                        .map(PrivateKey::P256)
                        .map_err(invalid),
                    RecommendedCurve::P_384 => p384::ecdsa::SigningKey::from_slice(&scalar)
                        .map(PrivateKey::P384)
                        .map_err(invalid),
                    _ => p521::ecdsa::SigningKey::from_slice(&scalar)
                        .map(PrivateKey::P521)
                        .map_err(invalid),
                }
            }
            other => Err(CryptoError::Unsupported(format!(
                "{other} is not a Transparent private key format"
            ))),
        }
    }
}

impl PublicKey {
    /// The key's components in its Transparent format: Transparent RSA Public Key or
    /// Transparent EC Public Key (the Q String is the uncompressed SEC1 point).
    pub fn to_transparent(&self) -> (KeyFormatType, Vec<Ttlv>) {
        let point =
            |curve, q: &[u8]| vec![curve_item(curve), Ttlv::bytes(Tag::Q_STRING, q.to_vec())];
        match self {
            PublicKey::Rsa(k) => (
                KeyFormatType::TRANSPARENT_RSA_PUBLIC_KEY,
                vec![
                    Ttlv::new(Tag::MODULUS, uint(k.n().as_ref())),
                    Ttlv::new(Tag::PUBLIC_EXPONENT, uint(k.e())),
                ],
            ),
            PublicKey::P256(k) => (
                KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY,
                point(RecommendedCurve::P_256, k.to_sec1_point(false).as_bytes()),
            ),
            PublicKey::P384(k) => (
                KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY,
                point(RecommendedCurve::P_384, k.to_sec1_point(false).as_bytes()),
            ),
            PublicKey::P521(k) => (
                KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY,
                point(RecommendedCurve::P_521, k.to_sec1_point(false).as_bytes()),
            ),
        }
    }

    /// Reads a Transparent RSA or EC public key (Transparent ECDSA Public Key too).
    pub fn from_transparent(format: KeyFormatType, items: &[Ttlv]) -> Result<Self, CryptoError> {
        match format {
            KeyFormatType::TRANSPARENT_RSA_PUBLIC_KEY => {
                let get = |tag| component(items, tag, format);
                rsa::PublicKey::new(get(Tag::MODULUS)?, get(Tag::PUBLIC_EXPONENT)?)
                    .map(PublicKey::Rsa)
                    .map_err(|_| bad(format, "components do not make an RSA key"))
            }
            KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY
            | KeyFormatType::TRANSPARENT_ECDSA_PUBLIC_KEY => {
                let curve = curve_of(items, format)?;
                let q = match items
                    .iter()
                    .find(|t| t.tag == Tag::Q_STRING)
                    .map(|t| &t.value)
                {
                    Some(Value::ByteString(q)) => q.as_slice(),
                    _ => return Err(bad(format, "Q String is missing")),
                };
                let invalid = |_| bad(format, "Q String is not a point on the curve");
                match curve {
                    RecommendedCurve::P_256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(q)
                        .map(PublicKey::P256)
                        .map_err(invalid),
                    RecommendedCurve::P_384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(q)
                        .map(PublicKey::P384)
                        .map_err(invalid),
                    RecommendedCurve::P_521 => p521::ecdsa::VerifyingKey::from_sec1_bytes(q)
                        .map(PublicKey::P521)
                        .map_err(invalid),
                    other => Err(curve_error(other)),
                }
            }
            other => Err(CryptoError::Unsupported(format!(
                "{other} is not a Transparent public key format"
            ))),
        }
    }
}
