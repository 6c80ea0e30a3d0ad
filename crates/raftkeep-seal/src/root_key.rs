//! One root key: 256 bits, wiped on drop, never printed.

use std::fmt;
use std::path::Path;

use zeroize::Zeroizing;

use crate::SealError;

/// The version of a root key; every sealed blob names the version that sealed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyVersion(pub u32);

impl fmt::Display for KeyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A 256-bit root key of a given version. `Debug` shows only the version.
#[derive(Clone)]
pub struct RootKey {
    version: KeyVersion,
    bytes: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootKey({}, <redacted>)", self.version)
    }
}

impl RootKey {
    /// A root key from its 32 bytes.
    pub fn new(version: KeyVersion, bytes: [u8; 32]) -> Self {
        RootKey {
            version,
            bytes: Zeroizing::new(bytes),
        }
    }

    /// Reads a root key from a file holding 32 raw bytes or 64 hex digits (surrounding
    /// whitespace ignored). On Unix the file must not be readable by group or others.
    pub fn from_file(version: KeyVersion, path: &Path) -> Result<Self, SealError> {
        check_permissions(path)?;
        let content =
            Zeroizing::new(
                std::fs::read(path).map_err(|source| SealError::ReadKeyFile {
                    path: path.to_owned(),
                    source,
                })?,
            );
        Self::parse(version, &content, &path.display().to_string())
    }

    /// Reads a root key from an environment variable holding 64 hex digits.
    pub fn from_env(version: KeyVersion, var: &str) -> Result<Self, SealError> {
        let value =
            Zeroizing::new(std::env::var(var).map_err(|_| SealError::MissingEnv(var.to_owned()))?);
        Self::parse(version, value.as_bytes(), &format!("${var}"))
    }

    /// Parses 32 raw bytes or 64 hex digits.
    pub fn parse(version: KeyVersion, content: &[u8], origin: &str) -> Result<Self, SealError> {
        let bad = |found: String| SealError::BadKeyFormat {
            origin: origin.to_owned(),
            found,
        };
        if let Ok(raw) = <[u8; 32]>::try_from(content)
            && !looks_like_hex_text(content)
        {
            return Ok(Self::new(version, raw));
        }
        let text = std::str::from_utf8(content)
            .map_err(|_| bad(format!("{} bytes of binary", content.len())))?;
        let digits = text.trim();
        if digits.len() != 64 {
            return Err(bad(format!("{} characters of text", digits.len())));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(digits, bytes.as_mut_slice())
            .map_err(|_| bad("text that is not hex".to_owned()))?;
        Ok(RootKey { version, bytes })
    }

    /// The key's version.
    pub fn version(&self) -> KeyVersion {
        self.version
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// 32 bytes that are all hex digits are the first half of a hex key, not a raw key.
fn looks_like_hex_text(content: &[u8]) -> bool {
    content.iter().all(u8::is_ascii_hexdigit)
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), SealError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| SealError::ReadKeyFile {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(SealError::KeyFilePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path) -> Result<(), SealError> {
    Ok(())
}
