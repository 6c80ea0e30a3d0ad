//! One TLS connection to one KMIP server, and how each way it can fail is classified: a
//! server that refuses, resets or fails the handshake is *down*; one that accepted but does
//! not answer within the service timeout *hangs*; a connection that breaks after the request
//! was sent *lost* the request (it may or may not have been carried out).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kmip_ttlv::Limits;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::error::ClientError;
use crate::failover::Outcome;
use crate::servers::Server;

/// The TLS client setup from PEM files: the CA to trust, the certificate to present.
pub fn connector(ca: &Path, cert: &Path, key: &Path) -> Result<TlsConnector, ClientError> {
    let mut roots = rustls::RootCertStore::empty();
    for c in read_certs(ca)? {
        roots
            .add(c)
            .map_err(|e| ClientError::Tls(format!("CA certificate {}: {e}", ca.display())))?;
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ClientError::Tls(format!("private key {}: {e}", key.display())))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| ClientError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_client_auth_cert(read_certs(cert)?, key)
    .map_err(|e| {
        ClientError::Tls(format!(
            "client certificate {} and its key do not go together: {e}",
            cert.display()
        ))
    })?;
    Ok(TlsConnector::from(Arc::new(config)))
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ClientError::Tls(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ClientError::Tls(format!(
            "{}: no PEM certificate in it",
            path.display()
        )));
    }
    Ok(certs)
}

/// How long each phase may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP connect: past it the server counts as down.
    pub connect: Duration,
    /// TLS handshake and each response: past it the server counts as hung.
    pub service: Duration,
}

/// An open connection.
#[derive(Debug)]
pub struct Connection {
    tls: TlsStream<TcpStream>,
    limits: Limits,
}

impl Connection {
    /// Connects and completes the TLS handshake.
    pub async fn open(
        server: &Server,
        tls: &TlsConnector,
        timeouts: Timeouts,
    ) -> Result<Self, Outcome> {
        let name = ServerName::try_from(server.host().to_owned()).map_err(|e| {
            Outcome::Down(format!("{} is not a valid server name: {e}", server.host()))
        })?;
        let tcp = match tokio::time::timeout(timeouts.connect, TcpStream::connect(&server.address))
            .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Err(Outcome::Down(format!("connect: {e}"))),
            Err(_) => {
                return Err(Outcome::Down(format!(
                    "connect: no answer within {:?}",
                    timeouts.connect
                )));
            }
        };
        // Requests are small and answered at once; Nagle would only add latency.
        tcp.set_nodelay(true)
            .map_err(|e| Outcome::Down(format!("socket: {e}")))?;
        match tokio::time::timeout(timeouts.service, tls.connect(name, tcp)).await {
            Ok(Ok(tls)) => Ok(Connection {
                tls,
                limits: Limits::default(),
            }),
            Ok(Err(e)) => Err(Outcome::Down(format!("TLS handshake: {e}"))),
            // The server accepted the connection but does not take part in the handshake.
            Err(_) => Err(Outcome::Hung(timeouts.service)),
        }
    }

    /// Sends one request and reads its response.
    pub async fn exchange(
        &mut self,
        request: &[u8],
        service: Duration,
    ) -> Result<Vec<u8>, Outcome> {
        if let Err(e) = self.tls.write_all(request).await {
            return Err(Outcome::Lost(format!("sending: {e}")));
        }
        if let Err(e) = self.tls.flush().await {
            return Err(Outcome::Lost(format!("sending: {e}")));
        }
        match tokio::time::timeout(service, self.read_message()).await {
            Ok(r) => r,
            Err(_) => Err(Outcome::Hung(service)),
        }
    }

    async fn read_message(&mut self) -> Result<Vec<u8>, Outcome> {
        let mut message = vec![0_u8; kmip_ttlv::HEADER_LEN];
        self.tls
            .read_exact(&mut message)
            .await
            .map_err(|e| Outcome::Lost(format!("the connection ended before a response: {e}")))?;
        let len = kmip_ttlv::message_len(&message, &self.limits)
            .map_err(|e| Outcome::Invalid(format!("response header: {e}")))?;
        message.resize(len, 0);
        let body = message
            .get_mut(kmip_ttlv::HEADER_LEN..)
            .ok_or_else(|| Outcome::Invalid("response shorter than its header".to_owned()))?;
        self.tls
            .read_exact(body)
            .await
            .map_err(|e| Outcome::Lost(format!("the connection ended in a response: {e}")))?;
        Ok(message)
    }
}
