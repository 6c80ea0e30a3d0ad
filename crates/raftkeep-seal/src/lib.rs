//! Sealing of key material with the cluster root key (DESIGN.md invariant 3).
//!
//! Key material is sealed with AES-256-GCM-SIV before it enters the Raft log, so neither the
//! log, the state machine, the snapshots nor the backups ever hold it in clear. The associated
//! data binds each blob to its object's Unique Identifier (a blob moved to another object does
//! not open) and to the root-key version that sealed it. GCM-SIV is chosen over GCM because it
//! stays safe if a random nonce ever repeats (nonce-misuse resistance).
//!
//! The root key itself lives only in each node's memory, loaded from a file or an environment
//! variable ([`RootKey::from_file`], [`RootKey::from_env`]); it never enters the store. Every
//! blob names the version of the root key that sealed it, so a [`Keyring`] holding the old and
//! the new version can re-seal everything during a rotation ([`Keyring::reseal`]).
//!
//! # Blob layout
//!
//! `"RKS1"` (4 bytes) · root-key version (u32, big-endian) · nonce (12 bytes) · ciphertext and
//! 16-byte tag. The associated data is the first 8 bytes followed by the Unique Identifier.
//!
//! # Layout
//!
//! - [`RootKey`], [`KeyVersion`] — one root key and its version; loading and validation.
//! - [`Keyring`] — the root keys a node holds; seal, unseal, re-seal.
//! - [`SealedBlob`] — a sealed value as stored.
//! - [`SealError`] — what can go wrong, without ever quoting key bytes.

mod error;
mod keyring;
mod root_key;

pub use error::SealError;
pub use keyring::{Keyring, SealedBlob};
pub use root_key::{KeyVersion, RootKey};
