//! A KMIP connection to one server for the command line (`raftkeep conformance`): TTLV over
//! TLS with a client certificate, one message out, one message in, no failover — the client
//! library's connection, with its failures as errors.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use raftkeep_client::Server;
use raftkeep_client::connection::{Connection, Timeouts, connector};

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
    conn: Connection,
    server: Server,
    timeout: Duration,
}

impl KmipConnection {
    /// Connects and completes the TLS handshake.
    pub async fn connect(target: &KmipTarget) -> anyhow::Result<Self> {
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
            conn,
            server,
            timeout,
        })
    }

    /// Sends one message and reads the response's bytes.
    pub async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.conn
            .exchange(request, self.timeout)
            .await
            .map_err(|outcome| anyhow::anyhow!("{outcome}"))
            .with_context(|| format!("exchanging a message with {}", self.server))
    }
}
