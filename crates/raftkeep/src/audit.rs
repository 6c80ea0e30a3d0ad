//! `raftkeep audit`: check a node's audit log for tampering, and read its latest records.

use std::io::{BufRead, BufReader, Write as _};
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use raftkeep_server::audit::{self, Record};

/// The audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of an audit log: any changed, removed or reordered line is found.
    Verify {
        /// The audit log (`audit.jsonl` in a node's data directory by default).
        file: PathBuf,
    },
    /// Print the last records of an audit log.
    Tail {
        /// The audit log.
        file: PathBuf,
        /// How many records.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// The records as they are stored (JSON lines).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `raftkeep audit` command.
pub fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        AuditCommand::Verify { file } => {
            let last = audit::verify(&file)?;
            match last {
                Some(r) => writeln!(
                    out,
                    "{}: {} records, chain intact; last {} at {}",
                    file.display(),
                    r.seq + 1,
                    r.operation,
                    r.time
                )?,
                None => writeln!(out, "{}: empty", file.display())?,
            }
        }
        AuditCommand::Tail { file, lines, json } => {
            let reader = BufReader::new(
                std::fs::File::open(&file)
                    .with_context(|| format!("opening {}", file.display()))?,
            );
            let mut last: std::collections::VecDeque<String> = std::collections::VecDeque::new();
            for line in reader.lines() {
                last.push_back(line?);
                if last.len() > lines {
                    last.pop_front();
                }
            }
            for line in last {
                if json {
                    writeln!(out, "{line}")?;
                    continue;
                }
                let r: Record = serde_json::from_str(&line).with_context(|| {
                    format!("{}: not an audit record: {line:.60}", file.display())
                })?;
                let reason = r.reason.map(|x| format!(" ({x})")).unwrap_or_default();
                writeln!(
                    out,
                    "{} #{} node {} {} {} {}{} uids=[{}] client=sha256:{:.16}…{} peer={}",
                    r.time,
                    r.seq,
                    r.node,
                    r.operation,
                    r.status,
                    r.request_id.get(..8).unwrap_or(&r.request_id),
                    reason,
                    r.uids.join(","),
                    r.client,
                    r.identity
                        .as_deref()
                        .map(|i| format!(" identity={i}"))
                        .unwrap_or_default(),
                    r.peer
                )?;
            }
        }
    }
    Ok(())
}
