//! `raftkeep access`: who besides its owner may use an object. Every object belongs to the
//! client that created or registered it; an operator grants another client chosen operations
//! on it, or takes every grant back. Grants are replicated like the objects themselves.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kmip_ttlv::enums::Operation;
use raftkeep_store::{Command, CommandResult};

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

/// Which client: its certificate or its fingerprint.
#[derive(Debug, Args)]
pub struct ClientRef {
    /// The client's certificate (PEM).
    #[arg(
        long = "client",
        value_name = "CERT",
        conflicts_with = "fingerprint",
        required_unless_present = "fingerprint"
    )]
    pub certificate: Option<PathBuf>,
    /// The client certificate's SHA-256 fingerprint (hex, as `raftkeep clients list` shows).
    #[arg(long)]
    pub fingerprint: Option<String>,
}

impl ClientRef {
    fn fingerprint(&self) -> anyhow::Result<String> {
        match (&self.certificate, &self.fingerprint) {
            (Some(cert), _) => Ok(crate::clients::identity(cert)?.fingerprint),
            (None, Some(f)) => Ok(f.trim_start_matches("sha256:").to_ascii_lowercase()),
            (None, None) => bail!("give --client CERT or --fingerprint"),
        }
    }
}

/// The access subcommands.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Let a client perform operations on an object.
    Grant {
        /// The object's Unique Identifier.
        uid: String,
        /// The client.
        #[command(flatten)]
        client: ClientRef,
        /// KMIP operations, comma-separated (Get,GetAttributes,Locate,Activate,Revoke,Destroy,...).
        #[arg(long, value_delimiter = ',', required = true)]
        operations: Vec<String>,
    },
    /// Take back every grant a client has on an object.
    Revoke {
        /// The object's Unique Identifier.
        uid: String,
        /// The client.
        #[command(flatten)]
        client: ClientRef,
    },
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

/// Runs a `raftkeep access` command.
pub fn run(args: AccessArgs) -> anyhow::Result<()> {
    let target = Target::from(&args.connection)?;
    let (cmd, done) = match &args.command {
        AccessCommand::Grant {
            uid,
            client,
            operations: names,
        } => {
            let client = client.fingerprint()?;
            let done = format!("granted {} on {uid} to sha256:{client}", names.join(","));
            let cmd = Command::Grant {
                uid: uid.clone(),
                client,
                operations: operations(names)?,
            };
            (cmd, done)
        }
        AccessCommand::Revoke { uid, client } => {
            let client = client.fingerprint()?;
            let done = format!("revoked every grant of sha256:{client} on {uid}");
            (
                Command::Revoke {
                    uid: uid.clone(),
                    client,
                },
                done,
            )
        }
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
