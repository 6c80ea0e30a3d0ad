//! `raftkeep access`: who besides its owner may use an object. Every object belongs to the
//! client identity that created or registered it; an operator grants another identity — or a
//! client group, for every member at once — chosen operations on it, or takes every grant
//! back. A certificate given here stands for the identity the allow-list maps it to. Grants
//! and groups are replicated like the objects themselves.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kmip_ttlv::enums::Operation;
use raftkeep_net::AllowListEntries;
use raftkeep_store::{ClientGroup, Command, CommandResult};

use crate::cluster::{Connection, Target};

/// `raftkeep access`.
#[derive(Debug, Args)]
pub struct AccessArgs {
    /// Connection settings (as for `raftkeep cluster`).
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: AccessCommand,
}

/// Who is granted: a client identity (by name, or by a certificate or fingerprint the
/// allow-list maps to it) or a client group.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Grantee {
    /// A client identity, as `raftkeep clients list` shows it.
    #[arg(long)]
    pub identity: Option<String>,
    /// The identity of the client presenting this certificate (PEM).
    #[arg(long = "client", value_name = "CERT")]
    pub certificate: Option<PathBuf>,
    /// The identity of the certificate with this SHA-256 fingerprint (hex).
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// A client group (`raftkeep access group`).
    #[arg(long)]
    pub group: Option<String>,
}

impl Grantee {
    /// The key grants are stored under, and how to name it for people.
    fn key(&self, list: &AllowListEntries) -> anyhow::Result<(String, String)> {
        if let Some(g) = &self.group {
            return Ok((ClientGroup::grantee(g), format!("group {g}")));
        }
        let id = member(
            list,
            self.identity.as_deref(),
            self.certificate.as_deref(),
            self.fingerprint.as_deref(),
        )?;
        Ok((id.clone(), format!("identity {id}")))
    }
}

/// The identity named directly, or through a certificate or fingerprint.
fn member(
    list: &AllowListEntries,
    identity: Option<&str>,
    certificate: Option<&std::path::Path>,
    fingerprint_text: Option<&str>,
) -> anyhow::Result<String> {
    match (identity, certificate, fingerprint_text) {
        (Some(id), _, _) => {
            crate::clients::check_identity_name(id)?;
            Ok(id.to_owned())
        }
        (None, Some(cert), _) => crate::clients::identity_of_certificate(list, cert),
        (None, None, Some(f)) => Ok(list.client_identity(&fingerprint(f))),
        (None, None, None) => bail!("give --identity, --client CERT, --fingerprint or --group"),
    }
}

fn fingerprint(text: &str) -> String {
    text.trim_start_matches("sha256:").to_ascii_lowercase()
}

/// The access subcommands.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Let a client perform operations on an object.
    Grant {
        /// The object's Unique Identifier.
        uid: String,
        /// Who.
        #[command(flatten)]
        client: Grantee,
        /// KMIP operations, comma-separated (Get,GetAttributes,Locate,Activate,Revoke,Destroy,...).
        #[arg(long, value_delimiter = ',', required = true)]
        operations: Vec<String>,
    },
    /// Take back every grant a client has on an object.
    Revoke {
        /// The object's Unique Identifier.
        uid: String,
        /// Who.
        #[command(flatten)]
        client: Grantee,
    },
    /// Set the members of a client group (replacing them); no member removes the group.
    Group {
        /// The group's name.
        name: String,
        /// A member identity; may repeat.
        #[arg(long = "identity")]
        identities: Vec<String>,
        /// The identity of a member's certificate (PEM); may repeat.
        #[arg(long = "client", value_name = "CERT")]
        certificates: Vec<PathBuf>,
        /// The identity of a member certificate's fingerprint; may repeat.
        #[arg(long = "fingerprint")]
        fingerprints: Vec<String>,
    },
    /// List the client groups.
    Groups,
}

fn operations(names: &[String]) -> anyhow::Result<Vec<u32>> {
    names
        .iter()
        .map(|n| {
            Operation::from_name(n.trim())
                .map(|o| o.0)
                .with_context(|| {
                    format!("{n:?} is not a KMIP operation (try Get, Locate, Destroy, ...)")
                })
        })
        .collect()
}

fn list_groups(target: &Target, json: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let list = runtime.block_on(async {
        let peer = target.peer(&target.addr)?;
        anyhow::Ok(peer.list_clients(target.timeout).await?)
    })?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&list.groups)?)?;
        return Ok(());
    }
    if list.groups.is_empty() {
        writeln!(out, "no client group")?;
    }
    for g in &list.groups {
        writeln!(out, "{}: {}", g.name, g.members.join(" "))?;
    }
    Ok(())
}

/// Runs a `raftkeep access` command.
pub fn run(args: AccessArgs) -> anyhow::Result<()> {
    let target = Target::from(&args.connection)?;
    let json = args.connection.json;
    if let AccessCommand::Groups = args.command {
        return list_groups(&target, json);
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let list = runtime.block_on(async {
        let peer = target.peer(&target.addr)?;
        anyhow::Ok(peer.list_clients(target.timeout).await?)
    })?;
    let (cmd, done) = match &args.command {
        AccessCommand::Grant {
            uid,
            client,
            operations: names,
        } => {
            let (key, who) = client.key(&list)?;
            let done = format!("granted {} on {uid} to {who}", names.join(","));
            let cmd = Command::Grant {
                uid: uid.clone(),
                client: key,
                operations: operations(names)?,
            };
            (cmd, done)
        }
        AccessCommand::Revoke { uid, client } => {
            let (key, who) = client.key(&list)?;
            let done = format!("revoked every grant of {who} on {uid}");
            (
                Command::Revoke {
                    uid: uid.clone(),
                    client: key,
                },
                done,
            )
        }
        AccessCommand::Group {
            name,
            identities,
            certificates,
            fingerprints,
        } => {
            let mut members = Vec::new();
            for id in identities {
                members.push(member(&list, Some(id), None, None)?);
            }
            for cert in certificates {
                members.push(member(&list, None, Some(cert), None)?);
            }
            for f in fingerprints {
                members.push(member(&list, None, None, Some(f))?);
            }
            let done = if members.is_empty() {
                format!("removed group {name}")
            } else {
                format!("group {name}: {} members", members.len())
            };
            let group = ClientGroup {
                name: name.clone(),
                members,
            };
            (Command::SetGroup(group), done)
        }
        AccessCommand::Groups => return list_groups(&target, json),
    };
    runtime.block_on(async {
        let peer = target.peer(&target.addr)?;
        match peer.write(&cmd, target.timeout, false).await? {
            Ok((CommandResult::Ok, _)) if json => writeln!(
                std::io::stdout(),
                "{}",
                serde_json::json!({"result": "ok", "message": done})
            )?,
            Ok((CommandResult::Ok, _)) => writeln!(std::io::stdout(), "{done}")?,
            Ok((CommandResult::NotFound(uid), _)) => {
                bail!("no object with Unique Identifier {uid}")
            }
            Ok((other, _)) => bail!("the cluster refused: {other:?}"),
            Err(e) => bail!("{e}"),
        }
        Ok(())
    })
}
