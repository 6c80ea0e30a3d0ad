//! How the commands that talk KMIP to the cluster (`raftkeep keys`) find it: flags,
//! environment variables, a client configuration file — or, when none is given,
//! `raftkeep-dev/client.toml` as `raftkeep dev` writes it. Flags override the file.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use raftkeep_client::{ClientConfig, servers};

/// The client configuration `raftkeep dev` writes, used when nothing else is given.
pub const DEV_CLIENT_CONFIG: &str = "raftkeep-dev/client.toml";

/// Connection settings.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
    /// Client configuration file (TOML; docs/client.md). Default: ./raftkeep-dev/client.toml
    /// if it exists.
    #[arg(long, env = "RAFTKEEP_CLIENT_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// KMIP servers in the order to try them: HOST:PORT[@SITE],...
    #[arg(long, env = "RAFTKEEP_SERVERS", global = true)]
    pub servers: Option<String>,
    /// This client's site: its servers are tried first.
    #[arg(long, env = "RAFTKEEP_SITE", global = true)]
    pub site: Option<String>,
    /// Seconds to wait for a server that accepted the connection but does not answer
    /// (default 60, as vCenter).
    #[arg(long, env = "RAFTKEEP_SERVICE_TIMEOUT", global = true)]
    pub service_timeout: Option<u64>,
    /// CA certificate (PEM) of the servers.
    #[arg(long, env = "RAFTKEEP_CA", global = true)]
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM).
    #[arg(long, env = "RAFTKEEP_CERT", global = true)]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, env = "RAFTKEEP_KEY", global = true)]
    pub key: Option<PathBuf>,
    /// KMIP Username, for servers that require one.
    #[arg(long, global = true)]
    pub username: Option<String>,
    /// The environment variable that holds the password.
    #[arg(long, global = true)]
    pub password_env: Option<String>,
    /// KMIP version to speak (1.0 ... 2.1); default: negotiated.
    #[arg(long, global = true)]
    pub kmip_version: Option<String>,
    /// Start at the server that answered last instead of the first one.
    #[arg(long, global = true)]
    pub sticky: bool,
    /// Send no idempotency key (for servers that cannot parse the Client Correlation Value,
    /// e.g. PyKMIP 0.11); a retried Create may then make two keys.
    #[arg(long, global = true)]
    pub no_idempotency_keys: bool,
}

impl ConnectArgs {
    /// The client configuration these settings give.
    pub fn client_config(&self) -> anyhow::Result<ClientConfig> {
        let file = match &self.config {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from(DEV_CLIENT_CONFIG)).filter(|p| p.exists()),
        };
        let mut config = match &file {
            Some(path) => ClientConfig::load(path)
                .with_context(|| format!("client configuration {}", path.display()))?,
            None => self.flags_only()?,
        };
        if let Some(list) = &self.servers {
            config.servers = servers::parse_list(list)?;
        }
        for (slot, flag) in [
            (&mut config.ca, &self.ca),
            (&mut config.cert, &self.cert),
            (&mut config.key, &self.key),
        ] {
            if let Some(path) = flag {
                slot.clone_from(path);
            }
        }
        if self.site.is_some() {
            config.site.clone_from(&self.site);
        }
        if let Some(t) = self.service_timeout {
            config.service_timeout_secs = t;
        }
        if self.username.is_some() {
            config.username.clone_from(&self.username);
        }
        if self.password_env.is_some() {
            config.password_env.clone_from(&self.password_env);
        }
        if self.kmip_version.is_some() {
            config.version.clone_from(&self.kmip_version);
        }
        config.sticky |= self.sticky;
        config.idempotency_keys &= !self.no_idempotency_keys;
        config.validate()?;
        Ok(config)
    }

    fn flags_only(&self) -> anyhow::Result<ClientConfig> {
        let (Some(list), Some(ca), Some(cert), Some(key)) =
            (&self.servers, &self.ca, &self.cert, &self.key)
        else {
            bail!(
                "no cluster to talk to: give --config FILE, or --servers, --ca, --cert and --key \
                 (or run `raftkeep dev` here, which writes {DEV_CLIENT_CONFIG})"
            );
        };
        Ok(ClientConfig::new(
            servers::parse_list(list)?,
            ca.clone(),
            cert.clone(),
            key.clone(),
        ))
    }
}

/// Writes a client configuration file (`raftkeep dev`): paths relative to the file.
pub fn write_client_config(
    path: &Path,
    servers: &[String],
    ca: &str,
    cert: &str,
    key: &str,
) -> anyhow::Result<()> {
    let list = servers
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "# KMIP client settings for `raftkeep keys` (docs/client.md). Paths are relative to this file.\n\
         servers = [{list}]\n\
         # site = \"site1\"             # with servers written HOST:PORT@SITE: this client's site\n\
         service_timeout_secs = 60    # wait this long for a server that accepted but does not answer\n\
         ca = {ca:?}\ncert = {cert:?}\nkey = {key:?}\n"
    );
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
