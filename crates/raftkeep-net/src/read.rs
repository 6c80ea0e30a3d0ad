//! Reads of one object, as the `Cluster` service carries them.

use raftkeep_store::{LocalReadInfo, StoredObject};
use serde::{Deserialize, Serialize};

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Consistency {
    /// Everything committed before the read is seen (a read index through the leader).
    Linearizable,
    /// The node's own copy, whatever it holds; the reply says how stale it may be. Answers
    /// without a quorum.
    Local,
}

/// A read of one object by Unique Identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRequest {
    /// The object.
    pub uid: String,
    /// How fresh.
    pub consistency: Consistency,
}

/// The object (if it exists) and, for a local read, its freshness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReply {
    /// The object, material still sealed.
    pub object: Option<StoredObject>,
    /// For a local read: what the node knows of its own lag.
    pub local: Option<LocalReadInfo>,
}

/// The client allow-list as `raftkeep clients list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowListEntries {
    /// Clients allowed by certificate fingerprint.
    pub clients: Vec<raftkeep_store::ClientIdentity>,
    /// CAs whose certificates with one subject are allowed.
    pub issuers: Vec<raftkeep_store::TrustedIssuer>,
    /// Client groups (for grants on objects).
    #[serde(default)]
    pub groups: Vec<raftkeep_store::ClientGroup>,
    /// The named identities entries map to: the entry's key (a fingerprint, or
    /// [`raftkeep_store::TrustedIssuer::key`]) and the identity. Entries without one (made
    /// before identities) are their certificate's fingerprint.
    pub identities: Vec<(Vec<u8>, String)>,
    /// Every recorded move of objects between identities, oldest first.
    pub moves: Vec<raftkeep_store::OwnershipMove>,
    /// How far a Name must be unique (`raftkeep cluster name-scope`).
    pub name_scope: raftkeep_store::NameScope,
}

impl AllowListEntries {
    /// The identity an allow-list entry (a fingerprint, or a
    /// [`raftkeep_store::TrustedIssuer::key`]) is mapped to, if it was given one.
    pub fn named_identity(&self, entry: &[u8]) -> Option<&str> {
        self.identities
            .iter()
            .find(|(k, _)| k == entry)
            .map(|(_, v)| v.as_str())
    }

    /// The identity of the certificate with this fingerprint: its entry's name, or the
    /// fingerprint itself (entries made before identities), as the nodes decide it.
    pub fn client_identity(&self, fingerprint: &str) -> String {
        self.named_identity(fingerprint.as_bytes())
            .map_or_else(|| fingerprint.to_owned(), str::to_owned)
    }
}
