//! The managed-object model every node stores (KMIP 1.4 §2.2, §3).
//!
//! Attributes are kept generically — name, index, and the value's TTLV encoding — so every
//! standard and custom (`x-`/`y-`) attribute of every object type fits, and typed access stays
//! with the KMIP layer that understands them. Object type and state are attributes too; the
//! secondary indexes are derived from them on apply.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One stored object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredObject {
    /// The Unique Identifier, chosen by the proposing node.
    pub uid: String,
    /// KMIP Object Type (enumeration value).
    pub object_type: u32,
    /// KMIP State (enumeration value).
    pub state: u32,
    /// The client identity that created it (a certificate fingerprint).
    pub owner: String,
    /// Every attribute, in the order they were set.
    pub attributes: Vec<StoredAttribute>,
    /// The key material, sealed, or why there is none.
    pub material: Material,
    /// Operations other clients may perform: client identity → KMIP Operation values.
    pub grants: BTreeMap<String, Vec<u32>>,
}

/// One attribute instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAttribute {
    /// KMIP 1.x attribute name ("Cryptographic Algorithm", "x-Vendor").
    pub name: String,
    /// Instance index among attributes of the same name.
    pub index: u32,
    /// The value, TTLV-encoded as an Attribute Value item.
    #[serde(with = "crate::codec::bytes")]
    pub value: Vec<u8>,
}

/// An object's key material.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Material {
    /// Sealed with the cluster root key (a [`raftkeep_seal::SealedBlob`]'s bytes).
    Sealed(#[serde(with = "crate::codec::bytes")] Vec<u8>),
    /// Destroyed (crypto-shredded): the metadata stays, the material is gone for good.
    Destroyed,
    /// Objects without material (templates and the like).
    None,
}

impl fmt::Debug for Material {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Material::Sealed(b) => write!(f, "Sealed(<{} bytes>)", b.len()),
            Material::Destroyed => f.write_str("Destroyed"),
            Material::None => f.write_str("None"),
        }
    }
}

/// A client allowed to use the KMIP service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientIdentity {
    /// SHA-256 fingerprint of the client certificate, lowercase hex.
    pub fingerprint: String,
    /// The certificate subject, for people.
    pub subject: String,
    /// When it was allowed (seconds since the epoch, chosen by the proposer).
    pub allowed_at: i64,
}

/// A CA whose certificates with one subject are allowed ("trusted CA plus subject"): any
/// certificate issued, directly or through the intermediates the client presents, by this
/// CA and carrying exactly this subject may use the KMIP service — a client can renew its
/// certificate without a new allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    /// SHA-256 fingerprint of the CA certificate, lowercase hex.
    pub ca_fingerprint: String,
    /// The CA's subject, for people.
    pub ca_subject: String,
    /// The CA certificate (DER), to verify signatures with.
    #[serde(with = "crate::codec::bytes")]
    pub ca_der: Vec<u8>,
    /// The client certificates' subject, as RFC 4514 text ("CN=vcenter, O=Example").
    pub subject: String,
    /// When it was allowed (seconds since the epoch, chosen by the proposer).
    pub allowed_at: i64,
}

impl TrustedIssuer {
    /// Its key in the allow-list's column family (kept apart from fingerprints, which are
    /// 64 hex digits).
    pub fn key(ca_fingerprint: &str, subject: &str) -> Vec<u8> {
        let mut k = b"issuer\0".to_vec();
        k.extend_from_slice(ca_fingerprint.as_bytes());
        k.push(0);
        k.extend_from_slice(subject.as_bytes());
        k
    }
}

/// A named group of clients: a grant to `group:<name>` on an object holds for every member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientGroup {
    /// The group's name.
    pub name: String,
    /// Its members' certificate fingerprints.
    pub members: Vec<String>,
}

impl ClientGroup {
    /// Its key in the allow-list's column family.
    pub fn key(name: &str) -> Vec<u8> {
        let mut k = b"group\0".to_vec();
        k.extend_from_slice(name.as_bytes());
        k
    }

    /// The grant key that names this group on an object.
    pub fn grantee(name: &str) -> String {
        format!("group:{name}")
    }
}
