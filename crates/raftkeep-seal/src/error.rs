//! Sealing errors. None of them carries key bytes or plaintext.

use std::path::PathBuf;

use crate::KeyVersion;

/// What can go wrong loading root keys, sealing and unsealing.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The root-key file cannot be read.
    #[error("cannot read root key file {path}")]
    ReadKeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The root-key environment variable is not set (or not Unicode).
    #[error("root key environment variable {0} is not set")]
    MissingEnv(String),
    /// The root key is not 32 bytes, raw or as 64 hex digits.
    #[error(
        "root key from {origin} is not a 256-bit key: expected 32 raw bytes or 64 hex digits, found {found}"
    )]
    BadKeyFormat {
        /// Where the key came from (a path or a variable name).
        origin: String,
        /// What was found instead, described without its content.
        found: String,
    },
    /// A root-key file readable by others than its owner.
    #[error("root key file {path} is readable by group or others (mode {mode:o}); chmod 600 it")]
    KeyFilePermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A keyring needs at least one key, and its current version among them.
    #[error("the keyring has no root key version {0}")]
    NoSuchVersion(KeyVersion),
    /// Two keys given for one version.
    #[error("root key version {0} is given twice")]
    DuplicateVersion(KeyVersion),
    /// A blob sealed with a root-key version this node does not hold.
    #[error("value sealed with root key version {0}, which this node does not hold")]
    UnknownVersion(KeyVersion),
    /// A blob that is too short or lacks the magic bytes.
    #[error("not a sealed value: {0}")]
    Malformed(&'static str),
    /// Authentication failed: the wrong root key, a blob of another object, or tampering.
    #[error(
        "sealed value does not open with root key version {0} for this object (wrong root key, wrong object, or tampered)"
    )]
    Unseal(KeyVersion),
    /// Encryption failed (only for absurd sizes).
    #[error("sealing failed")]
    Seal,
}
