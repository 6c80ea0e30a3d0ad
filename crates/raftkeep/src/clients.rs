//! `raftkeep clients`: the replicated allow-list of KMIP client certificates. Each entry — a
//! certificate, by its SHA-256 fingerprint, or a trusted CA plus a subject — maps to a named
//! client identity, which owns the objects its certificates create: a renewed certificate,
//! or site 2's vCenter, allowed under the same identity keeps every key. Allowing or revoking
//! on one node reaches every node.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use raftkeep_store::{ClientIdentity, Command, CommandResult, TrustedIssuer};
use sha2::{Digest, Sha256};

use raftkeep_net::AllowListEntries;

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
        /// The client identity it acts as (owns objects as). Default: the certificate's
        /// common name, if no other entry has it; to add a certificate to an existing
        /// identity (a renewed one, a second vCenter), name that identity here.
        #[arg(long)]
        identity: Option<String>,
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
        /// The client identity these certificates act as. Default: the subject's common
        /// name, if no other entry has it.
        #[arg(long)]
        identity: Option<String>,
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
                let listed = Listed::of(&list);
                if json {
                    writeln!(out, "{}", serde_json::to_string_pretty(&listed)?)?;
                    return Ok(());
                }
                listed.print(&mut out)?;
                return Ok(());
            }
            ClientsCommand::AllowCa {
                ca,
                subject,
                subject_of,
                identity: named,
            } => {
                let authority = identity(&ca)?;
                let subject = match (subject, subject_of) {
                    (Some(s), _) => s,
                    (None, Some(cert)) => identity(&cert)?.subject,
                    (None, None) => bail!("give --subject or --subject-of"),
                };
                let key = TrustedIssuer::key(&authority.fingerprint, &subject);
                let list = peer.list_clients(target.timeout).await?;
                let id = choose_identity(&list, named, &subject, &key)?;
                let done = format!(
                    "allowed certificates of {} issued to {subject} as identity {id}",
                    authority.subject
                );
                let issuer = TrustedIssuer {
                    ca_fingerprint: authority.fingerprint,
                    ca_subject: authority.subject,
                    ca_der: der(&ca)?,
                    subject,
                    allowed_at: authority.allowed_at,
                };
                (
                    Command::AllowIssuerAs {
                        issuer,
                        identity: id,
                    },
                    done,
                )
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
            ClientsCommand::Allow {
                certificate,
                identity: named,
            } => {
                refuse_cluster_roles(&certificate)?;
                let client = identity(&certificate)?;
                let list = peer.list_clients(target.timeout).await?;
                let id =
                    choose_identity(&list, named, &client.subject, client.fingerprint.as_bytes())?;
                let done = format!(
                    "allowed sha256:{} ({}) as identity {id}",
                    client.fingerprint, client.subject
                );
                (
                    Command::AllowClientAs {
                        client,
                        identity: id,
                    },
                    done,
                )
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

/// Every identity the allow-list knows, with the entries that map to it. Entries made before
/// identities are their own fingerprint's.
pub(crate) fn identities_of(list: &AllowListEntries) -> Vec<(String, Vec<u8>)> {
    let clients = list.clients.iter().map(|c| {
        (
            list.client_identity(&c.fingerprint),
            c.fingerprint.as_bytes().to_vec(),
        )
    });
    let issuers = list.issuers.iter().filter_map(|i| {
        let key = TrustedIssuer::key(&i.ca_fingerprint, &i.subject);
        Some((list.named_identity(&key)?.to_owned(), key))
    });
    clients.chain(issuers).collect()
}

/// The identity a new entry `key` gets: the one named (which may exist: the entry joins it),
/// or the common name of `subject` when no other entry has it yet.
fn choose_identity(
    list: &AllowListEntries,
    named: Option<String>,
    subject: &str,
    key: &[u8],
) -> anyhow::Result<String> {
    if let Some(name) = named {
        check_identity_name(&name)?;
        return Ok(name);
    }
    let Some(cn) = common_name(subject) else {
        bail!(
            "the subject {subject:?} has no common name: name the client identity with --identity NAME"
        );
    };
    check_identity_name(&cn)?;
    let holders: Vec<String> = identities_of(list)
        .into_iter()
        .filter(|(id, k)| *id == cn && k != key)
        .map(|(_, k)| String::from_utf8_lossy(&k).replace('\0', " "))
        .collect();
    if !holders.is_empty() {
        bail!(
            "the client identity {cn:?} exists already ({}): to add this certificate to it (a renewed certificate, another vCenter of the same key provider), repeat with --identity {cn}; for a separate client, name another one with --identity NAME",
            holders.join("; ")
        );
    }
    Ok(cn)
}

/// A node's or an operator's certificate is not a KMIP client's: refused, so that roles stay
/// apart on the KMIP port too (a node's key leaking would otherwise also be a client's).
fn refuse_cluster_roles(path: &Path) -> anyhow::Result<()> {
    use raftkeep_net::roles::{Marking, Role, marking};
    match marking(&der(path)?) {
        Ok(Marking::Role(role @ (Role::Node | Role::Operator))) => bail!(
            "{} is a certificate of role {}: KMIP clients need their own, from `raftkeep certs issue-client` or `sign-csr` (or their own CA)",
            path.display(),
            role.name()
        ),
        _ => Ok(()),
    }
}

/// The first common name of an RFC 4514 subject ("CN=vcenter, O=Example" → "vcenter").
fn common_name(subject: &str) -> Option<String> {
    subject
        .split(',')
        .map(str::trim)
        .find_map(|rdn| rdn.strip_prefix("CN="))
        .map(str::to_owned)
        .filter(|cn| !cn.is_empty())
}

/// Identity names: printable, at most 128 characters, not a group's grant key.
pub(crate) fn check_identity_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || name.len() > 128
        || name.starts_with("group:")
        || name.chars().any(|c| c.is_control())
    {
        bail!(
            "{name:?} is not a client identity name: 1 to 128 printable characters, not starting with \"group:\""
        );
    }
    Ok(())
}

/// The identity a client certificate acts as, as the allow-list maps it: its fingerprint's
/// entry, else a trusted CA entry that issued it; its fingerprint when neither names one.
pub(crate) fn identity_of_certificate(
    list: &AllowListEntries,
    path: &Path,
) -> anyhow::Result<String> {
    let client = identity(path)?;
    if list
        .clients
        .iter()
        .any(|c| c.fingerprint == client.fingerprint)
    {
        return Ok(list.client_identity(&client.fingerprint));
    }
    let chain = vec![der(path)?];
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for i in &list.issuers {
        if raftkeep_server::tls::chain_issued_by(&chain, &i.ca_der, now)
            .is_ok_and(|s| s == i.subject)
            && let Some(id) =
                list.named_identity(&TrustedIssuer::key(&i.ca_fingerprint, &i.subject))
        {
            return Ok(id.to_owned());
        }
    }
    Ok(client.fingerprint)
}

/// The allow-list as `clients list` shows it (and `--json` prints it).
#[derive(Debug, serde::Serialize)]
struct Listed {
    clients: Vec<ListedClient>,
    trusted_cas: Vec<ListedIssuer>,
    groups: Vec<raftkeep_store::ClientGroup>,
}

#[derive(Debug, serde::Serialize)]
struct ListedClient {
    identity: String,
    fingerprint: String,
    subject: String,
    allowed_at: i64,
}

#[derive(Debug, serde::Serialize)]
struct ListedIssuer {
    identity: Option<String>,
    ca_fingerprint: String,
    ca_subject: String,
    subject: String,
    allowed_at: i64,
}

impl Listed {
    fn of(list: &AllowListEntries) -> Self {
        Listed {
            clients: list
                .clients
                .iter()
                .map(|c| ListedClient {
                    identity: list.client_identity(&c.fingerprint),
                    fingerprint: c.fingerprint.clone(),
                    subject: c.subject.clone(),
                    allowed_at: c.allowed_at,
                })
                .collect(),
            trusted_cas: list
                .issuers
                .iter()
                .map(|i| ListedIssuer {
                    identity: list
                        .named_identity(&TrustedIssuer::key(&i.ca_fingerprint, &i.subject))
                        .map(str::to_owned),
                    ca_fingerprint: i.ca_fingerprint.clone(),
                    ca_subject: i.ca_subject.clone(),
                    subject: i.subject.clone(),
                    allowed_at: i.allowed_at,
                })
                .collect(),
            groups: list.groups.clone(),
        }
    }

    fn print(&self, out: &mut impl std::io::Write) -> anyhow::Result<()> {
        if self.clients.is_empty() && self.trusted_cas.is_empty() {
            writeln!(out, "no client is allowed yet")?;
        }
        let when = |t: i64| {
            time::OffsetDateTime::from_unix_timestamp(t)
                .map(|t| t.to_string())
                .unwrap_or_else(|_| t.to_string())
        };
        for c in &self.clients {
            writeln!(
                out,
                "{}: sha256:{}  {}  (allowed {})",
                c.identity,
                c.fingerprint,
                c.subject,
                when(c.allowed_at)
            )?;
        }
        for i in &self.trusted_cas {
            let id = i
                .identity
                .as_deref()
                .unwrap_or("(each certificate its own)");
            writeln!(
                out,
                "{id}: issued by {} (CA sha256:{}) to {}  (allowed {})",
                i.ca_subject,
                i.ca_fingerprint,
                i.subject,
                when(i.allowed_at)
            )?;
        }
        Ok(())
    }
}
