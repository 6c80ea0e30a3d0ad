//! The root keys a node holds, and sealing with them.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm_siv::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm_siv::{Aes256GcmSiv, Nonce};
use zeroize::Zeroizing;

use crate::{KeyVersion, RootKey, SealError};

const MAGIC: &[u8; 4] = b"RKS1";
const HEADER_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A sealed value as stored: header, nonce, ciphertext and tag (see the crate docs).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBlob(Vec<u8>);

impl SealedBlob {
    /// Wraps stored bytes; they are checked when unsealed.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        SealedBlob(bytes)
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The root-key version that sealed this blob.
    pub fn version(&self) -> Result<KeyVersion, SealError> {
        let header = self
            .0
            .get(..HEADER_LEN)
            .ok_or(SealError::Malformed("shorter than its header"))?;
        let (magic, version) = header.split_at(4);
        if magic != MAGIC {
            return Err(SealError::Malformed("unknown format"));
        }
        let v: [u8; 4] = version
            .try_into()
            .map_err(|_| SealError::Malformed("header"))?;
        Ok(KeyVersion(u32::from_be_bytes(v)))
    }
}

impl fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version() {
            Ok(v) => write!(f, "SealedBlob({v}, {} bytes)", self.0.len()),
            Err(_) => write!(f, "SealedBlob(malformed, {} bytes)", self.0.len()),
        }
    }
}

/// The root keys a node holds: any of them unseals; new material is sealed with the version
/// the cluster agreed on (see [`Keyring::agree_on`]), the current one until then.
///
/// Clones share the agreed version.
#[derive(Debug, Clone)]
pub struct Keyring {
    current: KeyVersion,
    keys: BTreeMap<KeyVersion, RootKey>,
    /// The version the cluster seals with (0: not known yet, use `current`).
    agreed: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl Keyring {
    /// A keyring with one key, which seals.
    pub fn single(key: RootKey) -> Self {
        let current = key.version();
        Keyring {
            current,
            keys: BTreeMap::from([(current, key)]),
            agreed: Default::default(),
        }
    }

    /// A keyring with several keys (during a rotation); `current` seals.
    pub fn new(current: KeyVersion, keys: Vec<RootKey>) -> Result<Self, SealError> {
        let mut map = BTreeMap::new();
        for k in keys {
            let v = k.version();
            if map.insert(v, k).is_some() {
                return Err(SealError::DuplicateVersion(v));
            }
        }
        if !map.contains_key(&current) {
            return Err(SealError::NoSuchVersion(current));
        }
        Ok(Keyring {
            current,
            keys: map,
            agreed: Default::default(),
        })
    }

    /// The version that seals.
    pub fn current(&self) -> KeyVersion {
        self.current
    }

    /// Every version held.
    pub fn versions(&self) -> impl Iterator<Item = KeyVersion> + '_ {
        self.keys.keys().copied()
    }

    /// Seal new material with `version` from now on: the version every member of the cluster
    /// holds (the one its key check value is sealed with). A node restarted with a newer root
    /// key so keeps sealing with the old one, which its peers can open, until the rotation
    /// switches the whole cluster at once. A version this keyring lacks is ignored.
    pub fn agree_on(&self, version: KeyVersion) {
        if self.keys.contains_key(&version) {
            self.agreed
                .store(version.0, std::sync::atomic::Ordering::Release);
        }
    }

    /// The version new material is sealed with.
    pub fn sealing(&self) -> KeyVersion {
        match self.agreed.load(std::sync::atomic::Ordering::Acquire) {
            0 => self.current,
            v => KeyVersion(v),
        }
    }

    /// Seals `plaintext` for the object `uid` with the agreed root key version
    /// ([`Keyring::sealing`]) and a fresh random nonce.
    pub fn seal(&self, uid: &str, plaintext: &[u8]) -> Result<SealedBlob, SealError> {
        self.seal_as(self.sealing(), uid, plaintext)
    }

    fn seal_as(
        &self,
        version: KeyVersion,
        uid: &str,
        plaintext: &[u8],
    ) -> Result<SealedBlob, SealError> {
        let key = self
            .keys
            .get(&version)
            .ok_or(SealError::NoSuchVersion(version))?;
        let cipher = Aes256GcmSiv::new_from_slice(key.bytes()).map_err(|_| SealError::Seal)?;
        let nonce = Nonce::generate();
        let mut out = Vec::with_capacity(HEADER_LEN + NONCE_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&version.0.to_be_bytes());
        let aad = associated_data(&out, uid);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Seal)?;
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ciphertext);
        Ok(SealedBlob(out))
    }

    /// Opens a blob sealed for the object `uid`, with whichever held key sealed it.
    pub fn unseal(&self, uid: &str, blob: &SealedBlob) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let version = blob.version()?;
        let key = self
            .keys
            .get(&version)
            .ok_or(SealError::UnknownVersion(version))?;
        let (header, rest) = blob.0.split_at(HEADER_LEN);
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed("shorter than nonce and tag"));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).map_err(|_| SealError::Malformed("nonce"))?;
        let cipher =
            Aes256GcmSiv::new_from_slice(key.bytes()).map_err(|_| SealError::Unseal(version))?;
        let aad = associated_data(header, uid);
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| SealError::Unseal(version))
    }

    /// Re-seals a blob with the current root key (root-key rotation); a blob already sealed
    /// with it is returned unchanged.
    pub fn reseal(&self, uid: &str, blob: &SealedBlob) -> Result<SealedBlob, SealError> {
        if blob.version()? == self.current {
            return Ok(blob.clone());
        }
        let plaintext = self.unseal(uid, blob)?;
        self.seal_as(self.current, uid, &plaintext)
    }
}

/// The pseudo-object a key-check value is sealed for; no KMIP Unique Identifier contains ':'
/// followed by this text, so a key check never opens as an object's material or vice versa.
const KEY_CHECK_UID: &str = "raftkeep:root-key-check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"raftkeep root key check v1";

impl Keyring {
    /// A value sealed with the current root key that proves, when it opens, that another node
    /// holds the same key. The cluster stores one; a node whose key does not open it refuses to
    /// start instead of failing on every Get later.
    pub fn key_check(&self) -> Result<SealedBlob, SealError> {
        self.seal_as(self.current, KEY_CHECK_UID, KEY_CHECK_PLAINTEXT)
    }

    /// Checks a key-check value made by [`Keyring::key_check`] on any node of the cluster.
    pub fn verify_key_check(&self, check: &SealedBlob) -> Result<(), SealError> {
        let opened = self.unseal(KEY_CHECK_UID, check)?;
        if opened.as_slice() == KEY_CHECK_PLAINTEXT {
            Ok(())
        } else {
            Err(SealError::Unseal(check.version()?))
        }
    }
}

fn associated_data(header: &[u8], uid: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + uid.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(uid.as_bytes());
    aad
}
