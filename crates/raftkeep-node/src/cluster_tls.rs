//! The server side of the cluster port's mutual TLS, accepted by the node itself rather than
//! by tonic, so that a renewed node certificate is presented without a restart: the
//! certificate comes from a [`ReloadingCertificate`], and peers must present one issued by
//! the cluster CA (their role is checked per call, `raftkeep_net::roles`). tonic reads the
//! peer's certificates from the accepted stream as it does from its own TLS.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use raftkeep_server::tls::ReloadingCertificate;
use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::server::WebPkiClientVerifier;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;

use crate::NodeStartError;

/// How long a peer may take to finish its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for the gRPC server.
const QUEUE: usize = 64;

/// TLS 1.2 and 1.3 for HTTP/2, presenting `certificate`, requiring a client certificate the
/// cluster CA (`ca`) issued.
pub(crate) fn server_config(
    ca: &Path,
    certificate: &Arc<ReloadingCertificate>,
) -> Result<Arc<ServerConfig>, NodeStartError> {
    let fail = |reason: String| NodeStartError::Certificate {
        role: "cluster CA",
        path: ca.to_owned(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| fail(e.to_string()))? {
        roots
            .add(cert.map_err(|e| fail(e.to_string()))?)
            .map_err(|e| fail(e.to_string()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| fail(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(certificate.clone());
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// The connections `listener` accepts, each after its TLS handshake. Handshakes run side by
/// side, so a slow or silent peer holds up no one; one that fails or takes longer than 10 s
/// is dropped. Ends when the receiving server is gone.
pub(crate) fn incoming(
    listener: TcpListener,
    config: Arc<ServerConfig>,
) -> ReceiverStream<Result<TlsStream<TcpStream>, std::io::Error>> {
    let (send, receive) = tokio::sync::mpsc::channel(QUEUE);
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "cluster port: cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Raft's small messages must not wait for Nagle's algorithm: without TCP_NODELAY
            // an append-entries reply could sit ~40 ms behind the peer's delayed ACK.
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
            let (acceptor, handshaken) = (acceptor.clone(), send.clone());
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => {
                        let _ = handshaken.send(Ok(tls)).await;
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "cluster port: TLS handshake failed")
                    }
                    Err(_) => tracing::debug!(%peer, "cluster port: TLS handshake timed out"),
                }
            });
            if send.is_closed() {
                return;
            }
        }
    });
    ReceiverStream::new(receive)
}
