//! `raftkeep clients`: the replicated allow-list of KMIP client certificates. A certificate is
//! named by its SHA-256 fingerprint; allowing or revoking it on one node reaches every node.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use raftkeep_store::{ClientIdentity, Command, CommandResult, TrustedIssuer};
use sha2::{Digest, Sha256};

use crate::cluster::{Connection, Target};

/// `raftkeep clients`.
#[derive(Debug, Args)]
pub struct ClientsArgs {
    /// Connection settings (as for `raftkeep cluster`).
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: ClientsCommand,
}

/// The clients subcommands.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Allow the client presenting this certificate (PEM).
    Allow {
        /// The client's certificate (positional: `--cert` is the operator's own).
        #[arg(value_name = "CERT")]
        certificate: PathBuf,
    },
    /// Revoke a client, by certificate or fingerprint.
    Revoke {
        /// The client's certificate.
        #[arg(
            value_name = "CERT",
            conflicts_with = "fingerprint",
            required_unless_present = "fingerprint"
        )]
        certificate: Option<PathBuf>,
        /// The certificate's SHA-256 fingerprint (hex).
        #[arg(long)]
        fingerprint: Option<String>,
    },
    /// Allow every certificate this CA issues (directly or through intermediates the client
    /// presents) with exactly this subject — "trusted CA plus subject": the client may renew
    /// its certificate without a new allow.
    AllowCa {
        /// The CA certificate (PEM) that issues the clients' certificates (vCenter's VMCA, say;
        /// positional: `--ca` is the cluster CA the connection checks the node against).
        #[arg(value_name = "CA_CERT", id = "client_ca")]
        ca: PathBuf,
        /// The client certificates' subject as `raftkeep clients list` prints subjects
        /// ("CN=vcenter, O=Example").
        #[arg(
            long,
            conflicts_with = "subject_of",
            required_unless_present = "subject_of"
        )]
        subject: Option<String>,
        /// Take the subject from this client certificate (PEM).
        #[arg(long, value_name = "CERT")]
        subject_of: Option<PathBuf>,
    },
    /// Withdraw a CA-plus-subject entry.
    RevokeCa {
        /// The CA certificate (PEM), as allowed (positional: `--ca` is the cluster CA).
        #[arg(value_name = "CA_CERT", id = "client_ca")]
        ca: PathBuf,
        /// The subject, as listed.
        #[arg(long)]
        subject: String,
    },
    /// List the allowed clients and trusted CAs.
    List,
}

/// A client certificate's fingerprint and subject.
pub(crate) fn identity(path: &Path) -> anyhow::Result<ClientIdentity> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a PEM certificate: {e}", path.display()))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| anyhow::anyhow!("{}: not an X.509 certificate: {e}", path.display()))?;
    Ok(ClientIdentity {
        fingerprint: hex::encode(Sha256::digest(&pem.contents)),
        subject: cert.subject().to_string(),
        allowed_at: time::OffsetDateTime::now_utc().unix_timestamp(),
    })
}

/// The DER bytes of a PEM certificate.
fn der(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (_, pem) = x509_parser::pem::parse_x509_pem(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a PEM certificate: {e}", path.display()))?;
    Ok(pem.contents)
}

/// Runs a `raftkeep clients` command.
pub fn run(args: ClientsArgs) -> anyhow::Result<()> {
    let target = Target::from(&args.connection)?;
    let json = args.connection.json;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let peer = target.peer(&target.addr)?;
        let mut out = std::io::stdout();
        let (cmd, done) = match args.command {
            ClientsCommand::List => {
                let list = peer.list_clients(target.timeout).await?;
                if json {
                    writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
                    return Ok(());
                }
                if list.clients.is_empty() && list.issuers.is_empty() {
                    writeln!(out, "no client is allowed yet")?;
                }
                let when = |t: i64| {
                    time::OffsetDateTime::from_unix_timestamp(t)
                        .map(|t| t.to_string())
                        .unwrap_or_else(|_| t.to_string())
                };
                for c in &list.clients {
                    let at = when(c.allowed_at);
                    writeln!(
                        out,
                        "sha256:{}  {}  (allowed {at})",
                        c.fingerprint, c.subject
                    )?;
                }
                for i in &list.issuers {
                    let at = when(i.allowed_at);
                    writeln!(
                        out,
                        "issued by {} (CA sha256:{}) to {}  (allowed {at})",
                        i.ca_subject, i.ca_fingerprint, i.subject
                    )?;
                }
                return Ok(());
            }
            ClientsCommand::AllowCa {
                ca,
                subject,
                subject_of,
            } => {
                let authority = identity(&ca)?;
                let subject = match (subject, subject_of) {
                    (Some(s), _) => s,
                    (None, Some(cert)) => identity(&cert)?.subject,
                    (None, None) => bail!("give --subject or --subject-of"),
                };
                let done = format!(
                    "allowed certificates of {} issued to {subject}",
                    authority.subject
                );
                let issuer = TrustedIssuer {
                    ca_fingerprint: authority.fingerprint,
                    ca_subject: authority.subject,
                    ca_der: der(&ca)?,
                    subject,
                    allowed_at: authority.allowed_at,
                };
                (Command::AllowIssuer(issuer), done)
            }
            ClientsCommand::RevokeCa { ca, subject } => {
                let authority = identity(&ca)?;
                let done = format!(
                    "revoked certificates of {} issued to {subject}",
                    authority.subject
                );
                (
                    Command::RevokeIssuer {
                        ca_fingerprint: authority.fingerprint,
                        subject,
                    },
                    done,
                )
            }
            ClientsCommand::Allow { certificate } => {
                let id = identity(&certificate)?;
                let done = format!("allowed sha256:{} ({})", id.fingerprint, id.subject);
                (Command::AllowClient(id), done)
            }
            ClientsCommand::Revoke {
                certificate,
                fingerprint,
            } => {
                let fingerprint = match (certificate, fingerprint) {
                    (Some(cert), _) => identity(&cert)?.fingerprint,
                    (None, Some(f)) => f.trim_start_matches("sha256:").to_ascii_lowercase(),
                    (None, None) => bail!("give --cert or --fingerprint"),
                };
                let done = format!("revoked sha256:{fingerprint}");
                (Command::RevokeClient { fingerprint }, done)
            }
        };
        match peer.write(&cmd, target.timeout, false).await? {
            Ok((CommandResult::Ok, _)) => writeln!(out, "{done}")?,
            Ok((other, _)) => bail!("the cluster refused: {other:?}"),
            Err(e) => bail!("{e}"),
        }
        Ok(())
    })
}
