//! The `raftkeep` command line: one binary for operators, with a subcommand per job.
//! Today: `raftkeep kmip decode|encode`, converting KMIP messages between TTLV, hex, XML, JSON
//! and a readable tree. Later issues add `server`, `dev`, `keys`, `cluster`, ...
//!
//! # Layout
//!
//! - [`kmip`] — `raftkeep kmip`: message conversion.

pub mod kmip;

use clap::{Parser, Subcommand};

/// Raftkeep: a replicated KMIP key management server.
#[derive(Debug, Parser)]
#[command(name = "raftkeep", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Inspect and convert KMIP messages (TTLV, hex, XML, JSON, readable text).
    #[command(subcommand)]
    Kmip(kmip::KmipCommand),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Kmip(cmd) => kmip::run(cmd),
    }
}
