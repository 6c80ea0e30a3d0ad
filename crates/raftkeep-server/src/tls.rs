//! TLS for KMIP clients: TLS 1.2 and 1.3 with ECDHE key exchange and AES-GCM or ChaCha20-Poly1305
//! (ring's suites), RSA or ECDSA server certificates with their chain, no SNI needed. A client
//! certificate is required but any is accepted at the handshake: vCenter fetches the server
//! certificate before it is trusted, so trust is decided per request from the allow-list, not
//! by closing the connection. The handshake still proves the client holds the certificate's key.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::ResolvesServerCert;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::ServerError;

/// Requires a client certificate and checks the handshake signature made with its key; who
/// the certificate belongs to is the allow-list's business.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The certificate chain (leaf first) and its key from PEM bytes, ready to present; an error
/// when the key does not belong to the leaf.
fn certified_key(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<CertifiedKey>, ServerError> {
    let chain = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServerError::Tls(format!("server certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(ServerError::Tls(
            "no certificate in the server certificate file".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| ServerError::Tls(format!("server private key: {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider)
        .map_err(|e| ServerError::Tls(format!("server certificate and key: {e}")))?;
    Ok(Arc::new(certified))
}

/// The server side of KMIP TLS presenting whatever `certificate` holds at each handshake.
fn config_with(certificate: Arc<dyn ResolvesServerCert>) -> Result<Arc<ServerConfig>, ServerError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AnyClientCertificate {
        algorithms: provider.signature_verification_algorithms,
    });
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(certificate);
    Ok(Arc::new(config))
}

/// The server side of KMIP TLS from PEM bytes: the certificate chain (leaf first) and its key.
pub fn server_config(chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, ServerError> {
    let fixed = rustls::sign::SingleCertAndKey::from(certified_key(chain_pem, key_pem)?);
    config_with(Arc::new(fixed))
}

/// The KMIP certificate as its files hold it now: [`ReloadingCertificate::reload`] reads
/// them again, and handshakes after a successful reload present the new chain while open
/// connections go on with the one they began with. A renewed certificate therefore takes
/// effect without a restart.
#[derive(Debug)]
pub struct ReloadingCertificate {
    chain_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    certified: Arc<CertifiedKey>,
    /// The file contents it was made from: a reload that reads the same bytes changes nothing.
    pem: (Vec<u8>, Vec<u8>),
}

/// What a reload found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reloaded {
    /// The files hold what is presented already.
    Unchanged,
    /// New handshakes present the certificate with this subject.
    Now(String),
}

fn read_file(p: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(p).map_err(|e| ServerError::Tls(format!("reading {}: {e}", p.display())))
}

impl ReloadingCertificate {
    /// Loads the chain and key files.
    pub fn load(chain_file: &Path, key_file: &Path) -> Result<Arc<Self>, ServerError> {
        let pem = (read_file(chain_file)?, read_file(key_file)?);
        let certified = certified_key(&pem.0, &pem.1)?;
        Ok(Arc::new(ReloadingCertificate {
            chain_file: chain_file.to_owned(),
            key_file: key_file.to_owned(),
            current: RwLock::new(Loaded { certified, pem }),
        }))
    }

    /// Reads the files again. A chain and key that do not load — a renewal caught halfway,
    /// between writing the certificate and its key — leave the current certificate in place
    /// and are an error; the next reload tries again.
    pub fn reload(&self) -> Result<Reloaded, ServerError> {
        let pem = (read_file(&self.chain_file)?, read_file(&self.key_file)?);
        let same = self.current.read().map(|c| c.pem == pem).unwrap_or(false);
        if same {
            return Ok(Reloaded::Unchanged);
        }
        let certified = certified_key(&pem.0, &pem.1)?;
        let leaf = certified
            .end_entity_cert()
            .map(|c| c.to_vec())
            .unwrap_or_default();
        let mut current = self
            .current
            .write()
            .map_err(|_| ServerError::Tls("the certificate lock is poisoned".into()))?;
        *current = Loaded { certified, pem };
        Ok(Reloaded::Now(subject(&leaf).unwrap_or_default()))
    }

    /// The certificate chain and key presented now, as PEM.
    pub fn pem(&self) -> (Vec<u8>, Vec<u8>) {
        self.current
            .read()
            .map(|c| c.pem.clone())
            .unwrap_or_else(|p| p.into_inner().pem.clone())
    }

    /// The server side of KMIP TLS presenting this certificate.
    pub fn server_config(self: &Arc<Self>) -> Result<Arc<ServerConfig>, ServerError> {
        config_with(self.clone())
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.certified.clone())
    }
}

/// [`server_config`] from PEM files.
pub fn server_config_from_files(
    chain: &Path,
    key: &Path,
) -> Result<Arc<ServerConfig>, ServerError> {
    server_config(&read_file(chain)?, &read_file(key)?)
}

/// The SHA-256 fingerprint of a DER certificate, lowercase hex: how the allow-list names a
/// client.
pub fn fingerprint(cert: &[u8]) -> String {
    hex::encode(Sha256::digest(cert))
}

fn parse(der: &[u8]) -> Result<x509_parser::prelude::X509Certificate<'_>, String> {
    use x509_parser::prelude::FromDer;
    x509_parser::prelude::X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| format!("not an X.509 certificate: {e}"))
}

/// The subject of a certificate as text, if it parses.
pub fn subject(der: &[u8]) -> Option<String> {
    parse(der).ok().map(|c| c.subject().to_string())
}

/// The subject (RFC 4514 text) of the leaf of `chain` if the chain — leaf first, then the
/// intermediates the client presented — leads by valid signatures to `ca_der`, every
/// certificate within its validity period at `now` (seconds since the epoch).
pub fn chain_issued_by(chain: &[Vec<u8>], ca_der: &[u8], now: i64) -> Result<String, String> {
    use x509_parser::prelude::X509Certificate;
    let ca = parse(ca_der)?;
    let certs = chain
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = certs.first().ok_or("no client certificate")?;
    let valid_now = |c: &X509Certificate<'_>| {
        c.validity().not_before.timestamp() <= now && now <= c.validity().not_after.timestamp()
    };
    for (i, cert) in certs.iter().enumerate() {
        if !valid_now(cert) {
            return Err(format!(
                "certificate {i} of the chain is outside its validity period"
            ));
        }
        // Issued by the trusted CA: done.
        if cert.issuer() == ca.subject() && cert.verify_signature(Some(ca.public_key())).is_ok() {
            if !valid_now(&ca) {
                return Err("the trusted CA certificate is outside its validity period".to_owned());
            }
            return Ok(leaf.subject().to_string());
        }
        // Otherwise the next certificate presented must have issued it, as a CA.
        let Some(next) = certs.get(i + 1) else { break };
        let is_ca = next
            .basic_constraints()
            .ok()
            .flatten()
            .is_some_and(|b| b.value.ca);
        if !is_ca
            || cert.issuer() != next.subject()
            || cert.verify_signature(Some(next.public_key())).is_err()
        {
            return Err(format!(
                "certificate {i} of the chain is not signed by the next one"
            ));
        }
    }
    Err("the chain does not lead to the trusted CA".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    use super::chain_issued_by;

    fn params(cn: &str, ca: bool) -> CertificateParams {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        if ca {
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        p
    }

    #[test]
    fn a_chain_through_a_presented_intermediate_leads_to_the_trusted_ca_only() {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (root_p, root_k) = (params("root", true), KeyPair::generate().unwrap());
        let root = root_p.self_signed(&root_k).unwrap();
        let root_issuer = Issuer::from_params(&root_p, &root_k);
        let (mid_p, mid_k) = (params("intermediate", true), KeyPair::generate().unwrap());
        let mid = mid_p.signed_by(&mid_k, &root_issuer).unwrap();
        let mid_issuer = Issuer::from_params(&mid_p, &mid_k);
        let leaf = params("vcenter", false)
            .signed_by(&KeyPair::generate().unwrap(), &mid_issuer)
            .unwrap();
        let chain = vec![leaf.der().to_vec(), mid.der().to_vec()];

        assert_eq!(
            chain_issued_by(&chain, root.der(), now).unwrap(),
            "CN=vcenter"
        );
        assert_eq!(
            chain_issued_by(&chain, mid.der(), now).unwrap(),
            "CN=vcenter"
        );
        // Without the intermediate, the root cannot be reached.
        assert!(chain_issued_by(&chain[..1], root.der(), now).is_err());
        // Another CA with the same name but another key: refused.
        let (fake_p, fake_k) = (params("root", true), KeyPair::generate().unwrap());
        let fake = fake_p.self_signed(&fake_k).unwrap();
        assert!(chain_issued_by(&chain, fake.der(), now).is_err());
        // Outside the validity period (rcgen's certificates start in 1975).
        assert!(chain_issued_by(&chain, root.der(), 0).is_err());
    }

    #[test]
    fn a_reload_presents_new_files_and_keeps_the_old_certificate_while_they_do_not_match() {
        use super::{Reloaded, ReloadingCertificate};

        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("kmip.pem"), dir.path().join("kmip.key"));
        let issue = |cn: &str| {
            let k = KeyPair::generate().unwrap();
            let c = params(cn, false).self_signed(&k).unwrap();
            (c.pem(), k.serialize_pem())
        };
        let presented = |r: &ReloadingCertificate| {
            let chain = r.current.read().unwrap().certified.cert.clone();
            super::subject(chain[0].as_ref()).unwrap()
        };
        let (c1, k1) = issue("first");
        std::fs::write(&cert, &c1).unwrap();
        std::fs::write(&key, &k1).unwrap();
        let r = ReloadingCertificate::load(&cert, &key).unwrap();
        assert_eq!(r.reload().unwrap(), Reloaded::Unchanged);
        // Renewal caught halfway: the new certificate, the old key.
        let (c2, k2) = issue("second");
        std::fs::write(&cert, &c2).unwrap();
        assert!(r.reload().is_err());
        assert_eq!(presented(&r), "CN=first");
        std::fs::write(&key, &k2).unwrap();
        assert_eq!(r.reload().unwrap(), Reloaded::Now("CN=second".to_owned()));
        assert_eq!(presented(&r), "CN=second");
        let _ = r.server_config().unwrap();
    }
}
