//! The cryptographic services Raftkeep performs with stored keys — Encrypt / Decrypt, MAC /
//! MAC Verify, Sign / Signature Verify and Hash (KMIP 1.4 §4.29–§4.34, 2.1 §6.1.17–§6.1.29)
//! — over RustCrypto primitives, and `ring` for RSA signing. Schemes are chosen by KMIP's own
//! code points (Cryptographic Algorithm, Block Cipher Mode, Padding Method, Hashing
//! Algorithm), so the server maps nothing; what a build does not offer fails as
//! [`CryptoError::Unsupported`] instead of falling back.
//!
//! Nothing here touches storage or the network: the caller unseals the key, calls one
//! function, and drops the key. Outputs that hold plaintext are [`zeroize::Zeroizing`].
//!
//! # Layout
//! - [`cipher`] — [`CipherSpec`], the scheme a request names, and [`encrypt`] / [`decrypt`].
//! - `block` — AES, 3DES and Blowfish in ECB and CBC (with padding); AES in CTR and XTS.
//! - `aead` — AES-GCM and ChaCha20-Poly1305, with tag lengths 12–16.
//! - `stream` — ChaCha20 alone.
//! - [`mac`](mod@mac) — HMAC-SHA-1/-2 and AES-CMAC, and their constant-time check.
//! - [`hash`](mod@hash) — SHA-1 and SHA-2.
//! - [`keys`] — RSA and EC (P-256, P-384, P-521) keys in PKCS#1, PKCS#8, SEC1 and X.509 form;
//!   key generation.
//! - [`signature`] — Sign / Signature Verify: RSA PKCS#1 v1.5 and PSS (by `ring` where it can,
//!   else `rsa`), ECDSA P-256/P-384/P-521.
//! - [`rsa_cipher`] — RSA OAEP and PKCS#1 v1.5 encryption.
//! - [`transparent`] — the Transparent RSA and EC key formats (key components).
//! - [`wrap`] — AES Key Wrap (RFC 3394) and with padding (RFC 5649).
//! - [`derive`](mod@derive) — Derive Key: PBKDF2, HKDF, SP 800-108 counter mode, hash, encryption.
//! - [`error`] — [`CryptoError`].
//!
//! Known-answer tests over NIST, IEEE and RFC vectors are in `tests/known_answers.rs` and
//! `tests/asymmetric_known_answers.rs`.

mod aead;
mod block;
pub mod cipher;
pub mod derive;
pub mod error;
pub mod hash;
pub mod keys;
pub mod mac;
pub mod rsa_cipher;
pub mod signature;
mod stream;
pub mod transparent;
pub mod wrap;

pub use cipher::{CipherSpec, Ciphertext, decrypt, encrypt};
pub use error::CryptoError;
pub use hash::hash;
pub use keys::{PrivateKey, PublicKey};
pub use mac::{mac, mac_verify};
pub use rsa_cipher::RsaSpec;
pub use signature::SignSpec;
