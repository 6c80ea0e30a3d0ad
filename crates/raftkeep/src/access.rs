//! `raftkeep access`: who besides its owner may use an object. Every object belongs to the
//! client that created or registered it; an operator grants another client — or a client
//! group, for every member at once — chosen operations on it, or takes every grant back.
//! Grants and groups are replicated like the objects themselves.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kmip_ttlv::enums::Operation;
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

/// Who is granted: a client (certificate or fingerprint) or a client group.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Grantee {
    /// The client's certificate (PEM).
    #[arg(long = "client", value_name = "CERT")]
    pub certificate: Option<PathBuf>,
    /// The client certificate's SHA-256 fingerprint (hex, as `raftkeep clients list` shows).
    #[arg(long)]
    pub fingerprint: Option<String>,
    /// A client group (`raftkeep access group`).
    #[arg(long)]
    pub group: Option<String>,
}

impl Grantee {
    /// The key grants are stored under, and how to name it for people.
    fn key(&self) -> anyhow::Result<(String, String)> {
        match (&self.certificate, &self.fingerprint, &self.group) {
            (Some(cert), _, _) => {
                let f = crate::clients::identity(cert)?.fingerprint;
                Ok((f.clone(), format!("sha256:{f}")))
            }
            (None, Some(f), _) => {
                let f = fingerprint(f);
                Ok((f.clone(), format!("sha256:{f}")))
            }
            (None, None, Some(g)) => Ok((ClientGroup::grantee(g), format!("group {g}"))),
            (None, None, None) => bail!("give --client CERT, --fingerprint or --group"),
        }
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
        /// A member's certificate (PEM); may repeat.
        #[arg(long = "client", value_name = "CERT")]
        certificates: Vec<PathBuf>,
        /// A member's fingerprint; may repeat.
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

fn list_groups(target: &Target) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let list = runtime.block_on(async {
        let peer = target.peer(&target.addr)?;
        anyhow::Ok(peer.list_clients(target.timeout).await?)
    })?;
    let mut out = std::io::stdout().lock();
    if list.groups.is_empty() {
        writeln!(out, "no client group")?;
    }
    for g in &list.groups {
        writeln!(
            out,
            "{}: {}",
            g.name,
            g.members
                .iter()
                .map(|m| format!("sha256:{m}"))
                .collect::<Vec<_>>()
                .join(" ")
        )?;
    }
    Ok(())
}

/// Runs a `raftkeep access` command.
pub fn run(args: AccessArgs) -> anyhow::Result<()> {
    let target = Target::from(&args.connection)?;
    let (cmd, done) = match &args.command {
        AccessCommand::Grant {
            uid,
            client,
            operations: names,
        } => {
            let (key, who) = client.key()?;
            let done = format!("granted {} on {uid} to {who}", names.join(","));
            let cmd = Command::Grant {
                uid: uid.clone(),
                client: key,
                operations: operations(names)?,
            };
            (cmd, done)
        }
        AccessCommand::Revoke { uid, client } => {
            let (key, who) = client.key()?;
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
            certificates,
            fingerprints,
        } => {
            let mut members = Vec::new();
            for cert in certificates {
                members.push(crate::clients::identity(cert)?.fingerprint);
            }
            members.extend(fingerprints.iter().map(|f| fingerprint(f)));
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
        AccessCommand::Groups => return list_groups(&target),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let peer = target.peer(&target.addr)?;
        match peer.write(&cmd, target.timeout, false).await? {
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
