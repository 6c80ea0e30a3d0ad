//! Client configuration: data plus [`ClientConfig::validate`]. The same structure is read
//! from a TOML file (`client.toml`) and filled from command-line flags; paths in a file are
//! relative to the file.
//!
//! ```toml
//! servers = ["kms-a:5696@site1", "kms-b:5696@site1", "kms-d:5696@site2"]
//! site = "site2"                # this client's site: its servers are tried first
//! service_timeout_secs = 60     # wait for an answer before moving to the next server
//! ca = "ca.pem"
//! cert = "client.pem"
//! key = "client.key"
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use kmip_messages::ProtocolVersion;

use crate::error::ClientError;
use crate::servers::{Server, try_order};

/// vCenter waits this long for a server that accepted a connection but does not answer.
pub const DEFAULT_SERVICE_TIMEOUT_SECS: u64 = 60;
/// How long a TCP connect may take before the server counts as down.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u64 = 5;

/// How a client reaches the cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The KMIP servers, in the order to try them (`HOST:PORT` or `HOST:PORT@SITE`).
    pub servers: Vec<Server>,
    /// The client's site: that site's servers are tried first.
    #[serde(default)]
    pub site: Option<String>,
    /// Seconds to wait for an answer from a server that accepted the connection.
    #[serde(default = "default_service_timeout")]
    pub service_timeout_secs: u64,
    /// Seconds a TCP connect may take before the server counts as down.
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Start each operation at the server that answered last, not at the first one.
    #[serde(default)]
    pub sticky: bool,
    /// Keep a connection open per server between operations; `false`: a new TLS connection
    /// for every request, as vCenter and ESXi do.
    #[serde(default = "default_true")]
    pub reuse_connections: bool,
    /// Put an idempotency key in each request's Client Correlation Value (a KMIP 1.4 header
    /// field; never sent at older versions) so a retried Create makes one key. `false` for
    /// servers that speak 1.4 but cannot parse the field (PyKMIP 0.11).
    #[serde(default = "default_true")]
    pub idempotency_keys: bool,
    /// CA certificate (PEM) that issued the servers' certificates.
    pub ca: PathBuf,
    /// Client certificate (PEM, leaf first).
    pub cert: PathBuf,
    /// The client certificate's private key (PEM).
    pub key: PathBuf,
    /// KMIP Username credential, for servers that require one.
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable holding the password for `username` (never the password
    /// itself: a configuration file is not a place for it).
    #[serde(default)]
    pub password_env: Option<String>,
    /// The protocol version to speak (`"1.4"`, `"2.1"`, ...); default: the highest both
    /// sides support, found by Discover Versions.
    #[serde(default)]
    pub version: Option<String>,
}

fn default_service_timeout() -> u64 {
    DEFAULT_SERVICE_TIMEOUT_SECS
}

fn default_true() -> bool {
    true
}

fn default_connect_timeout() -> u64 {
    DEFAULT_CONNECT_TIMEOUT_SECS
}

impl ClientConfig {
    /// A configuration with the defaults for everything but the servers and the TLS files.
    pub fn new(servers: Vec<Server>, ca: PathBuf, cert: PathBuf, key: PathBuf) -> Self {
        ClientConfig {
            servers,
            site: None,
            service_timeout_secs: DEFAULT_SERVICE_TIMEOUT_SECS,
            connect_timeout_secs: DEFAULT_CONNECT_TIMEOUT_SECS,
            sticky: false,
            reuse_connections: true,
            idempotency_keys: true,
            ca,
            cert,
            key,
            username: None,
            password_env: None,
            version: None,
        }
    }

    /// Reads a TOML file; relative paths in it are taken relative to the file.
    pub fn load(path: &Path) -> Result<Self, ClientError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientError::File {
            path: path.to_owned(),
            source,
        })?;
        let mut config: ClientConfig = toml::from_str(&text)
            .map_err(|e| ClientError::Config(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [&mut config.ca, &mut config.cert, &mut config.key] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// Checks what can be checked without the network; errors name the offending value.
    pub fn validate(&self) -> Result<(), ClientError> {
        try_order(&self.servers, self.site.as_deref())?;
        if self.service_timeout_secs == 0 {
            return Err(ClientError::Config(
                "service_timeout_secs must be at least 1".to_owned(),
            ));
        }
        if self.connect_timeout_secs == 0 {
            return Err(ClientError::Config(
                "connect_timeout_secs must be at least 1".to_owned(),
            ));
        }
        if self.password_env.is_some() && self.username.is_none() {
            return Err(ClientError::Config(
                "password_env is set but no username".to_owned(),
            ));
        }
        self.protocol_version()?;
        Ok(())
    }

    /// The configured protocol version, if one is.
    pub fn protocol_version(&self) -> Result<Option<ProtocolVersion>, ClientError> {
        let Some(v) = &self.version else {
            return Ok(None);
        };
        let parsed = v
            .split_once('.')
            .and_then(|(a, b)| Some(ProtocolVersion::new(a.parse().ok()?, b.parse().ok()?)));
        match parsed {
            Some(p) if crate::client::SUPPORTED_VERSIONS.contains(&p) => Ok(Some(p)),
            _ => Err(ClientError::Config(format!(
                "version {v:?}: expected one of 1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1"
            ))),
        }
    }

    /// The service timeout.
    pub fn service_timeout(&self) -> Duration {
        Duration::from_secs(self.service_timeout_secs)
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_gets_defaults_and_paths_relative_to_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.toml");
        std::fs::write(
            &path,
            "servers = [\"a:5696@1\", \"d:5696@2\"]\nsite = \"2\"\nca = \"ca.pem\"\ncert = \"/abs/c.pem\"\nkey = \"c.key\"\n",
        )
        .unwrap();
        let c = ClientConfig::load(&path).unwrap();
        c.validate().unwrap();
        assert_eq!(c.service_timeout_secs, 60);
        assert_eq!(c.ca, dir.path().join("ca.pem"));
        assert_eq!(c.cert, PathBuf::from("/abs/c.pem"));
        assert_eq!(c.servers[1].site.as_deref(), Some("2"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.toml");
        std::fs::write(
            &path,
            "servers = []\nca = \"a\"\ncert = \"b\"\nkey = \"c\"\npasword = \"x\"\n",
        )
        .unwrap();
        let err = ClientConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains("pasword"), "{err}");

        let mut c = ClientConfig::new(
            vec!["a:1".parse().unwrap()],
            "ca".into(),
            "c".into(),
            "k".into(),
        );
        c.version = Some("3.0".to_owned());
        assert!(c.validate().unwrap_err().to_string().contains("3.0"));
        c.version = None;
        c.service_timeout_secs = 0;
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("service_timeout_secs")
        );
    }
}
