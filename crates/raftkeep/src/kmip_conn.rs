//! A KMIP connection for the command line: TTLV over TLS with a client certificate, one
//! message out, one message in. (The client library with failover is issue #5's.)

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use kmip_ttlv::Limits;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Where a KMIP server is and how to authenticate to it.
#[derive(Debug, Clone, Args)]
pub struct KmipTarget {
    /// The KMIP server, HOST:PORT.
    #[arg(long, env = "RAFTKEEP_SERVER", default_value = "127.0.0.1:5696")]
    pub server: String,
    /// CA certificate (PEM) that signed the server's certificate.
    #[arg(long, env = "RAFTKEEP_CA")]
    pub ca: PathBuf,
    /// Client certificate (PEM) presented to the server.
    #[arg(long, env = "RAFTKEEP_CERT")]
    pub cert: PathBuf,
    /// The client certificate's private key (PEM).
    #[arg(long, env = "RAFTKEEP_KEY")]
    pub key: PathBuf,
    /// How long to wait for a response.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
}

/// One TLS connection to a KMIP server.
#[derive(Debug)]
pub struct KmipConnection {
    tls: TlsStream<TcpStream>,
    timeout: Duration,
    limits: Limits,
}

fn read_pem_certs(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading {}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: not PEM certificates", path.display()))
}

impl KmipConnection {
    /// Connects and completes the TLS handshake.
    pub async fn connect(target: &KmipTarget) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        for c in read_pem_certs(&target.ca)? {
            roots.add(c).context("adding the CA certificate")?;
        }
        let key = PrivateKeyDer::from_pem_file(&target.key)
            .with_context(|| format!("reading the private key {}", target.key.display()))?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_client_auth_cert(read_pem_certs(&target.cert)?, key)
        .context("the client certificate and key do not match")?;
        let addr = target
            .server
            .to_socket_addrs()
            .with_context(|| format!("resolving {}", target.server))?
            .next()
            .with_context(|| format!("{} has no address", target.server))?;
        let host = target
            .server
            .rsplit_once(':')
            .map_or(target.server.as_str(), |(h, _)| h)
            .trim_matches(['[', ']']);
        let name = ServerName::try_from(host.to_owned())
            .with_context(|| format!("{host} is not a valid server name"))?;
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        tcp.set_nodelay(true)?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .with_context(|| format!("TLS handshake with {addr}"))?;
        Ok(KmipConnection {
            tls,
            timeout: Duration::from_secs(target.timeout_secs),
            limits: Limits::default(),
        })
    }

    /// Sends one message and reads the response's bytes.
    pub async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.tls.write_all(request).await.context("sending")?;
        let timeout = self.timeout;
        match tokio::time::timeout(timeout, self.read_message()).await {
            Ok(r) => r,
            Err(_) => bail!("no response within {timeout:?}"),
        }
    }

    async fn read_message(&mut self) -> anyhow::Result<Vec<u8>> {
        let mut message = vec![0_u8; kmip_ttlv::HEADER_LEN];
        self.tls
            .read_exact(&mut message)
            .await
            .context("the server closed the connection")?;
        let len = kmip_ttlv::message_len(&message, &self.limits)?;
        message.resize(len, 0);
        let body = message
            .get_mut(kmip_ttlv::HEADER_LEN..)
            .context("message shorter than its header")?;
        self.tls
            .read_exact(body)
            .await
            .context("the server closed the connection in the middle of a response")?;
        Ok(message)
    }
}
