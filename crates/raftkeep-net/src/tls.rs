//! Mutual TLS between nodes: every node holds a certificate issued by the cluster CA and
//! accepts only peers (nodes and `raftkeep cluster`) that present one too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

use crate::NetError;

/// The PEM files of a node's (or an operator's) cluster identity.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The cluster CA certificate.
    pub ca: PathBuf,
    /// This node's certificate, issued by the cluster CA.
    pub cert: PathBuf,
    /// This node's private key.
    pub key: PathBuf,
}

/// A loaded cluster identity; cheap to clone. Its certificate and key can be replaced while
/// the node runs ([`ClusterTls::renew`]): connections made after that present the new pair.
#[derive(Clone)]
pub struct ClusterTls(Arc<Shared>);

struct Shared {
    ca: Vec<u8>,
    identity: RwLock<Arc<Pair>>,
    /// Raised at every renewal: a cached connection made under an older one is replaced.
    generation: AtomicU64,
}

struct Pair {
    cert: Vec<u8>,
    key: Vec<u8>,
}

impl std::fmt::Debug for ClusterTls {
    // The private key never goes to a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTls").finish_non_exhaustive()
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, NetError> {
    std::fs::read(path).map_err(|source| NetError::ReadPem {
        what,
        path: path.to_owned(),
        source,
    })
}

impl ClusterTls {
    /// Reads the three PEM files.
    pub fn load(files: &TlsFiles) -> Result<Self, NetError> {
        Ok(Self::from_pem(
            read(&files.ca, "cluster CA certificate")?,
            read(&files.cert, "certificate")?,
            read(&files.key, "private key")?,
        ))
    }

    /// A cluster identity from PEM bytes.
    pub fn from_pem(ca: Vec<u8>, cert: Vec<u8>, key: Vec<u8>) -> Self {
        ClusterTls(Arc::new(Shared {
            ca,
            identity: RwLock::new(Arc::new(Pair { cert, key })),
            generation: AtomicU64::new(0),
        }))
    }

    /// Presents `cert` and `key` (PEM, a pair the caller has checked) on connections made from
    /// now on; unchanged bytes change nothing.
    pub fn renew(&self, cert: Vec<u8>, key: Vec<u8>) {
        let mut current = self
            .0
            .identity
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if current.cert == cert && current.key == key {
            return;
        }
        *current = Arc::new(Pair { cert, key });
        self.0.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// How many renewals there have been: a connection made at an older count presents an
    /// older certificate.
    pub fn generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    fn identity(&self) -> Identity {
        let pair = self
            .0
            .identity
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        Identity::from_pem(&pair.cert, &pair.key)
    }

    /// The server side: present our certificate, require one issued by the cluster CA.
    pub fn server(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(self.identity())
            .client_ca_root(Certificate::from_pem(&self.0.ca))
    }

    /// The client side toward `host` (a DNS name or an IP address the peer's certificate
    /// names): trust only the cluster CA, present our certificate.
    pub fn client(&self, host: &str) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.0.ca))
            .identity(self.identity())
            .domain_name(host)
    }
}
