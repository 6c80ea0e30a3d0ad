//! The one error type of the cryptographic layer. Messages name lengths and algorithms, never
//! key material, data or tags.

/// Why a cryptographic operation was refused or failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The algorithm, mode, padding or hash is not one this build offers.
    #[error("{0} is not supported")]
    Unsupported(String),
    /// The request lacks what the scheme needs (an IV, a tag, a mode).
    #[error("missing {0}")]
    Missing(&'static str),
    /// A length the scheme cannot take: key, IV or nonce, data.
    #[error("{what} of {got} bytes does not fit {scheme}: {expected}")]
    Length {
        /// What has the wrong length ("key", "IV", "data").
        what: &'static str,
        /// Its length in bytes.
        got: usize,
        /// The scheme.
        scheme: &'static str,
        /// What the scheme takes.
        expected: &'static str,
    },
    /// An authentication tag length outside what the scheme allows.
    #[error("a tag of {0} bytes is not allowed: tags are 12 to 16 bytes")]
    TagLength(usize),
    /// The data did not authenticate (AEAD tag) or did not unpad.
    #[error("the data did not authenticate or unpad under this key")]
    Failed,
}
