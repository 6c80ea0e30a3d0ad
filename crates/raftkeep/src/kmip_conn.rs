//! A KMIP connection to one server for the command line (`raftkeep conformance`): TTLV over
//! TLS with a client certificate, one message out, one message in, no failover — the client
//! library's connection, with its failures as errors — or KMIP over HTTPS, the message POSTed
//! as TTLV, XML or JSON (the MSGENC profiles).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use kmip_text::Encoding;
use raftkeep_client::Server;
use raftkeep_client::connection::{Connection, Timeouts, connector};

/// Where a KMIP server is and how to authenticate to it: flags, or a client configuration
/// (`client.toml`, as `raftkeep keys` reads it) for what the flags leave out.
#[derive(Debug, Clone, Args)]
pub struct KmipTarget {
    /// A client configuration file (TOML, docs/client.md): its first server and its TLS
    /// files, for whatever the flags below do not give.
    #[arg(long, env = "RAFTKEEP_CLIENT_CONFIG")]
    pub config: Option<PathBuf>,
    /// The KMIP server, HOST:PORT (default: the configuration's first, else 127.0.0.1:5696).
    #[arg(long, env = "RAFTKEEP_SERVER")]
    pub server: Option<String>,
    /// CA certificate (PEM) that signed the server's certificate.
    #[arg(long, env = "RAFTKEEP_CA")]
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM) presented to the server.
    #[arg(long, env = "RAFTKEEP_CERT")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, env = "RAFTKEEP_KEY")]
    pub key: Option<PathBuf>,
    /// How long to wait for a response.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
    /// The server's KMIP over HTTPS address, HOST:PORT (`https_listen`), for the test
    /// cases of the HTTPS, XML and JSON message encodings.
    #[arg(long, env = "RAFTKEEP_HTTPS_SERVER")]
    pub https: Option<String>,
}

/// A [`KmipTarget`] with every part known.
#[derive(Debug, Clone)]
pub struct Resolved {
    server: String,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    timeout_secs: u64,
    https: Option<String>,
}

impl KmipTarget {
    /// The flags, completed from the configuration file; an error says what is missing.
    pub fn resolve(&self) -> anyhow::Result<Resolved> {
        let config = self
            .config
            .as_deref()
            .map(raftkeep_client::ClientConfig::load)
            .transpose()?;
        let from_config =
            |pick: fn(&raftkeep_client::ClientConfig) -> PathBuf| config.as_ref().map(pick);
        let missing = |what: &str| {
            anyhow::anyhow!(
                "no {what}: give --{what} (with --ca, --cert and --key), or --config client.toml"
            )
        };
        Ok(Resolved {
            server: self
                .server
                .clone()
                .or_else(|| {
                    config
                        .as_ref()
                        .and_then(|c| c.servers.first())
                        .map(|s| s.address.clone())
                })
                .unwrap_or_else(|| "127.0.0.1:5696".to_owned()),
            ca: self
                .ca
                .clone()
                .or_else(|| from_config(|c| c.ca.clone()))
                .ok_or_else(|| missing("ca"))?,
            cert: self
                .cert
                .clone()
                .or_else(|| from_config(|c| c.cert.clone()))
                .ok_or_else(|| missing("cert"))?,
            key: self
                .key
                .clone()
                .or_else(|| from_config(|c| c.key.clone()))
                .ok_or_else(|| missing("key"))?,
            timeout_secs: self.timeout_secs,
            https: self.https.clone(),
        })
    }
}

impl Resolved {
    /// The same server, presenting another client certificate.
    pub fn as_client(&self, cert: PathBuf, key: PathBuf) -> Resolved {
        Resolved {
            cert,
            key,
            ..self.clone()
        }
    }
}

/// How messages travel to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Framed TTLV on the TLS stream.
    Ttlv,
    /// POSTed over HTTPS in this encoding.
    Https(Encoding),
}

/// One TLS connection to a KMIP server.
#[derive(Debug)]
pub struct KmipConnection {
    link: Link,
    server: Server,
    timeout: Duration,
}

#[derive(Debug)]
enum Link {
    Ttlv(Box<Connection>),
    Https {
        sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
        encoding: Encoding,
    },
}

impl KmipConnection {
    /// Connects and completes the TLS handshake (and, over HTTPS, the HTTP/1.1 one).
    pub async fn connect(target: &Resolved, transport: Transport) -> anyhow::Result<Self> {
        let Transport::Https(encoding) = transport else {
            return Self::connect_ttlv(target).await;
        };
        let address = target.https.as_deref().ok_or_else(|| {
            anyhow::anyhow!("this test case runs over KMIP over HTTPS: give --https HOST:PORT")
        })?;
        let server: Server = address.parse()?;
        let tls = connector(&target.ca, &target.cert, &target.key)?;
        let timeout = Duration::from_secs(target.timeout_secs);
        let connect = async {
            let tcp = tokio::net::TcpStream::connect(server.address.as_str()).await?;
            let name = rustls::pki_types::ServerName::try_from(server.host().to_owned())?;
            let stream = tls.connect(name, tcp).await?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(conn);
            anyhow::Ok(sender)
        };
        let sender = tokio::time::timeout(timeout, connect)
            .await
            .map_err(|_| anyhow::anyhow!("{server}: no connection within {timeout:?}"))?
            .with_context(|| format!("connecting to {server} over HTTPS"))?;
        Ok(KmipConnection {
            link: Link::Https { sender, encoding },
            server,
            timeout,
        })
    }

    async fn connect_ttlv(target: &Resolved) -> anyhow::Result<Self> {
        let server: Server = target.server.parse()?;
        let tls = connector(&target.ca, &target.cert, &target.key)?;
        let timeout = Duration::from_secs(target.timeout_secs);
        let timeouts = Timeouts {
            connect: timeout,
            service: timeout,
        };
        let conn = Connection::open(&server, &tls, timeouts)
            .await
            .map_err(|outcome| anyhow::anyhow!("{server}: {outcome}"))?;
        Ok(KmipConnection {
            link: Link::Ttlv(Box::new(conn)),
            server,
            timeout,
        })
    }

    /// Sends one message (TTLV) and reads the response's bytes (TTLV).
    pub async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Vec<u8>> {
        let server = self.server.clone();
        match &mut self.link {
            Link::Ttlv(conn) => conn
                .exchange(request, self.timeout)
                .await
                .map_err(|outcome| anyhow::anyhow!("{outcome}"))
                .with_context(|| format!("exchanging a message with {server}")),
            Link::Https { sender, encoding } => {
                let encoding = *encoding;
                let body = encoding.render(request, &kmip_ttlv::Limits::default())?;
                let post = hyper::Request::post("/kmip")
                    .header(hyper::header::HOST, server.to_string())
                    .header(hyper::header::CONTENT_TYPE, encoding.media_type())
                    .body(Full::new(Bytes::from(body)))?;
                let exchange = async {
                    let response = sender.send_request(post).await?;
                    let status = response.status();
                    let bytes = response.into_body().collect().await?.to_bytes();
                    if !status.is_success() {
                        anyhow::bail!("HTTP {status}: {}", String::from_utf8_lossy(&bytes).trim());
                    }
                    Ok(encoding.to_ttlv(&bytes)?)
                };
                tokio::time::timeout(self.timeout, exchange)
                    .await
                    .map_err(|_| anyhow::anyhow!("no response within {:?}", self.timeout))?
                    .with_context(|| format!("POSTing a message to {server}"))
            }
        }
    }
}
