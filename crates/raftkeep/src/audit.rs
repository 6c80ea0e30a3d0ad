//! `raftkeep audit`: check a node's audit log for tampering, and read its latest records.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use raftkeep_server::audit::{self, Record, Verified, segments};

/// The audit log's active file in a node's data directory.
const ACTIVE: &str = "audit.jsonl";

/// The audit subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain of an audit log through all its segments: any changed, removed or
    /// reordered line or segment is found, and the log must start at its first record or
    /// where the node recorded removing older segments.
    Verify {
        /// The log: its active file (`audit.jsonl` in a node's data directory by default) or
        /// the directory holding it; a sealed segment (`audit.jsonl.<first record>`) is
        /// checked alone.
        path: PathBuf,
    },
    /// Print the last records of an audit log, reading back through its sealed segments.
    Tail {
        /// The log's active file, or the directory holding it.
        path: PathBuf,
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
    match cmd {
        AuditCommand::Verify { path } => verify(&path),
        AuditCommand::Tail { path, lines, json } => tail(&active_file(&path), lines, json),
    }
}

/// The active file a path names: the file itself, or `audit.jsonl` in a directory.
fn active_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(ACTIVE)
    } else {
        path.to_owned()
    }
}

fn verify(path: &Path) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if segments::sealed_number(path).is_some() {
        let v = audit::verify_segment(path)?;
        return say(&mut out, path, "segment chain intact", &v);
    }
    let active = active_file(path);
    if segments::files(&active)?.is_empty() {
        anyhow::bail!("{}: no audit log there", active.display());
    }
    let v = audit::verify_log(&active)?;
    say(&mut out, &active, "chain intact", &v)
}

fn say(
    out: &mut impl std::io::Write,
    path: &Path,
    intact: &str,
    v: &Verified,
) -> anyhow::Result<()> {
    let (Some(first), Some(last)) = (&v.first, &v.last) else {
        writeln!(out, "{}: empty", path.display())?;
        return Ok(());
    };
    let start = if first.seq == 0 {
        String::new()
    } else {
        format!(" (records before {} removed by the retention)", first.seq)
    };
    writeln!(
        out,
        "{}: {} records in {} file(s), {intact}: records {} to {}{start}; last {} at {}",
        path.display(),
        v.records(),
        v.files,
        first.seq,
        last.seq,
        last.operation,
        last.time
    )?;
    Ok(())
}

/// The newest `n` lines of the log, newest file first until there are enough.
fn last_lines(active: &Path, n: usize) -> anyhow::Result<VecDeque<String>> {
    let files = segments::files(active)?;
    if files.is_empty() {
        anyhow::bail!("{}: no audit log there", active.display());
    }
    let mut out = VecDeque::new();
    for file in files.iter().rev() {
        let reader = BufReader::new(
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        );
        let mut last = VecDeque::new();
        for line in reader.lines() {
            last.push_back(line?);
            if last.len() > n - out.len() {
                last.pop_front();
            }
        }
        while let Some(line) = last.pop_back() {
            out.push_front(line);
        }
        if out.len() >= n {
            break;
        }
    }
    Ok(out)
}

fn tail(active: &Path, n: usize, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if n == 0 {
        return Ok(());
    }
    for line in last_lines(active, n)? {
        if json {
            writeln!(out, "{line}")?;
            continue;
        }
        let r: Record = serde_json::from_str(&line)
            .with_context(|| format!("{}: not an audit record: {line:.60}", active.display()))?;
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
    Ok(())
}
