//! `raftkeep backup`: take a consistent backup from a running cluster, check a backup file,
//! restore one into a stopped node as a new cluster. The file format is
//! `raftkeep_store::backup`'s; the node seals it, this command only carries and checks it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use raftkeep_node::NodeConfig;
use raftkeep_store::backup::BackupFile;
use serde::Serialize;

use crate::cluster::{Connection, Target};

/// `raftkeep backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The node to take a backup from (`create`), or whose configuration holds the root key
    /// (`--config`: `verify` also opens every chunk, `restore` restores into that node).
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: BackupCommand,
}

/// The backup subcommands.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Take a backup from a running node, without downtime. It holds every write acknowledged
    /// before it starts, sealed with the cluster root key; the file is checked once written.
    Create {
        /// The file to write (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Check a backup file: its digest and structure (no key needed); with --config (a node
    /// configuration holding the root key) every sealed chunk too. Prints what it holds.
    Verify {
        /// The backup file.
        file: PathBuf,
        /// With --config: also ask the cluster which of the keys whose material the backup
        /// holds it has destroyed (or no longer has) since — material that crypto-shredding
        /// cannot reach while the backup and its root key exist.
        #[arg(long)]
        against_cluster: bool,
    },
    /// Restore a backup into the stopped node of --config, whose data directory holds no store
    /// yet, as a new one-node cluster (new cluster id). Start the node, then join others to it.
    Restore {
        /// The backup file.
        file: PathBuf,
    },
}

/// Runs a `raftkeep backup` command.
pub fn run(args: BackupArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let connection = args.connection;
    let json = connection.json;
    match args.command {
        BackupCommand::Create { out } => {
            let created = runtime.block_on(create(&connection, &out))?;
            report(&created.file, &out, Some(created.elapsed), json)
        }
        BackupCommand::Verify {
            file,
            against_cluster,
        } => {
            if against_cluster && connection.config.is_none() {
                bail!(
                    "--against-cluster opens the backup: give --config with a node configuration holding its root key"
                );
            }
            let checked = match &connection.config {
                Some(config) => {
                    let config = NodeConfig::load(config)?;
                    let keyring = runtime.block_on(raftkeep_node::start::load_keyring(&config))?;
                    let bar = bytes_bar(&file, "opening", json)?;
                    let f = raftkeep_node::offline::backup_with_material(&file, &keyring, |b| {
                        bar.set_position(b);
                    });
                    bar.finish_and_clear();
                    let (f, sealed) = f?;
                    if against_cluster {
                        let target = Target::from(&connection)?;
                        let gone = runtime.block_on(destroyed_since(&target, sealed))?;
                        report(&f, &file, None, json)?;
                        return report_destroyed(&gone, json);
                    }
                    f
                }
                None => {
                    let bar = bytes_bar(&file, "checking", json)?;
                    let f = raftkeep_node::offline::verify_backup(&file, |b| bar.set_position(b));
                    bar.finish_and_clear();
                    f?
                }
            };
            report(&checked, &file, None, json)
        }
        BackupCommand::Restore { file } => {
            let config = connection
                .config
                .context("give --config with the configuration of the node to restore into")?;
            let config = NodeConfig::load(&config)?;
            let keyring = runtime.block_on(raftkeep_node::start::load_keyring(&config))?;
            let started = Instant::now();
            let bar = bytes_bar(&file, "checking", json)?;
            let mut pass = 1;
            let restored = raftkeep_node::offline::restore(&config, &keyring, &file, |p, b| {
                if p != pass {
                    pass = p;
                    bar.set_message("restoring");
                }
                bar.set_position(b);
            });
            bar.finish_and_clear();
            let restored = restored?;
            restore_report(&config, &restored, started.elapsed(), json)
        }
    }
}

/// How long a backup stream may stay silent (a hung node) before it is abandoned.
const IDLE: Duration = Duration::from_secs(120);

/// A backup written by `create`.
pub(crate) struct Created {
    pub(crate) file: BackupFile,
    pub(crate) elapsed: Duration,
}

/// Streams a backup from the node into `out` (through a `.partial` file renamed once the
/// whole file is there and checks out).
pub(crate) async fn create(connection: &Connection, out: &Path) -> anyhow::Result<Created> {
    if out.exists() {
        bail!("{} exists already; choose another file", out.display());
    }
    let started = Instant::now();
    let target = Target::from(connection)?;
    let timeout = Duration::from_secs(connection.timeout.unwrap_or(3600));
    let peer = target.peer(&target.addr)?;
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let result = stream_into(&peer, timeout, &partial, connection.json).await;
    let file = result.and_then(|()| {
        raftkeep_node::offline::verify_backup(&partial, |_| {})
            .context("the backup received does not check out")
    });
    match file {
        Ok(file) => {
            std::fs::rename(&partial, out)
                .with_context(|| format!("cannot rename to {}", out.display()))?;
            Ok(Created {
                file,
                elapsed: started.elapsed(),
            })
        }
        Err(e) => {
            // A half-written backup must not be mistaken for one.
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

async fn stream_into(
    peer: &raftkeep_net::Peer,
    timeout: Duration,
    path: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Sealed, but still the whole key store: readable by its owner only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = std::io::BufWriter::new(
        options
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?,
    );
    let mut stream = peer.backup(timeout).await?;
    let bar = progress(quiet, 0);
    bar.set_style(style(
        "{spinner} backup [{bar:30}] {pos}/~{len} records, {msg} {elapsed}",
    ));
    let mut bytes = 0_u64;
    loop {
        let next = tokio::time::timeout(IDLE, stream.message())
            .await
            .with_context(|| {
                format!(
                    "{} sent nothing for {} s: the backup is abandoned",
                    peer.addr(),
                    IDLE.as_secs()
                )
            })?;
        let Some(chunk) =
            next.with_context(|| format!("the backup from {} broke off", peer.addr()))?
        else {
            break;
        };
        file.write_all(&chunk.data)
            .with_context(|| format!("cannot write {}", path.display()))?;
        bytes = bytes.saturating_add(chunk.data.len() as u64);
        bar.set_length(chunk.estimated_records.max(chunk.records));
        bar.set_position(chunk.records);
        bar.set_message(indicatif::HumanBytes(bytes).to_string());
    }
    bar.finish_and_clear();
    let file = file
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_all()
        .with_context(|| format!("cannot sync {}", path.display()))?;
    Ok(())
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// A progress bar on stderr, hidden for machine-readable output (and when stderr is not a
/// terminal, by indicatif itself).
fn progress(quiet: bool, len: u64) -> ProgressBar {
    if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    }
}

fn bytes_bar(file: &Path, what: &str, quiet: bool) -> anyhow::Result<ProgressBar> {
    let len = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let bar = progress(quiet, len);
    bar.set_style(style(
        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
    ));
    bar.set_message(what.to_owned());
    Ok(bar)
}

#[derive(Serialize)]
struct Report<'a> {
    file: &'a Path,
    header: &'a raftkeep_store::backup::BackupHeader,
    counts: &'a raftkeep_store::backup::BackupCounts,
    bytes: u64,
    digest_ok: bool,
    opened_with_root_key: bool,
    elapsed_ms: Option<u128>,
}

fn report(
    file: &BackupFile,
    path: &Path,
    elapsed: Option<Duration>,
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let r = Report {
            file: path,
            header: &file.header,
            counts: &file.counts,
            bytes: file.bytes,
            digest_ok: true,
            opened_with_root_key: file.opened,
            elapsed_ms: elapsed.map(|e| e.as_millis()),
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&r)?)?;
        return Ok(());
    }
    let h = &file.header;
    let c = &file.counts;
    writeln!(out, "backup {} ({})", h.backup_id, path.display())?;
    writeln!(
        out,
        "  cluster {}, taken by node {} ({}) at {} (log index {})",
        h.cluster_id.as_deref().unwrap_or("(no id)"),
        h.node,
        h.node_addr,
        utc(h.created_unix_millis),
        h.applied.map_or("-".to_owned(), |l| l.index.to_string()),
    )?;
    writeln!(
        out,
        "  {} objects ({} with key material), {} allow-list entries, {} index entries, {} records in {} chunks, {}",
        c.objects,
        c.with_material,
        c.allow_list_entries,
        c.index_entries,
        c.records,
        c.chunks,
        indicatif::HumanBytes(file.bytes),
    )?;
    writeln!(out, "  integrity: ok (SHA-256 over the whole file)")?;
    if file.opened {
        writeln!(
            out,
            "  authenticity: ok (every chunk opened with root key version {})",
            h.root_key_version
        )?;
    } else if elapsed.is_none() {
        writeln!(
            out,
            "  authenticity: not checked (give --config with a node configuration holding root key version {})",
            h.root_key_version
        )?;
    }
    if let Some(e) = elapsed {
        writeln!(out, "  took {:.1} s", e.as_secs_f64())?;
    }
    Ok(())
}

/// Of the UIDs whose material a backup holds, those the cluster has destroyed or no longer
/// has.
async fn destroyed_since(target: &Target, sealed: Vec<String>) -> anyhow::Result<Vec<String>> {
    let mut held: std::collections::BTreeSet<String> = sealed.into_iter().collect();
    let mut live = std::collections::BTreeSet::new();
    crate::objects::pages(target, async |page| {
        for o in page {
            if matches!(o.material, raftkeep_store::Material::Sealed(_)) {
                live.insert(o.uid);
            }
        }
        Ok(())
    })
    .await?;
    held.retain(|uid| !live.contains(uid));
    Ok(held.into_iter().collect())
}

fn report_destroyed(gone: &[String], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({ "destroyed_since": gone });
        writeln!(out, "{v}")?;
        return Ok(());
    }
    if gone.is_empty() {
        writeln!(
            out,
            "  destroyed since: none (every key whose material it holds is live in the cluster)"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "  destroyed since: it still holds the sealed material of {} keys the cluster has destroyed or removed; delete the backup, or retire its root key version, to shred them:",
        gone.len()
    )?;
    for uid in gone {
        writeln!(out, "    {uid}")?;
    }
    Ok(())
}

fn restore_report(
    config: &NodeConfig,
    restored: &raftkeep_node::offline::Restored,
    elapsed: Duration,
    json: bool,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let h = &restored.file.header;
    if json {
        let v = serde_json::json!({
            "backup_id": h.backup_id,
            "from_cluster_id": h.cluster_id,
            "cluster_id": restored.cluster_id,
            "node_id": config.node_id,
            "index": restored.at.index,
            "counts": restored.file.counts,
            "elapsed_ms": elapsed.as_millis(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "restored backup {} (cluster {}, log index {}) into node {} in {:.1} s: {} objects, {} allow-list entries",
        h.backup_id,
        h.cluster_id.as_deref().unwrap_or("(no id)"),
        restored.at.index,
        config.node_id,
        elapsed.as_secs_f64(),
        restored.file.counts.objects,
        restored.file.counts.allow_list_entries,
    )?;
    writeln!(
        out,
        "new cluster {}: node {} ({}) is its only member.",
        restored.cluster_id,
        config.node_id,
        config.advertise()
    )?;
    writeln!(
        out,
        "next: start it (raftkeep server --config ...), then add each other node, started with an empty data directory:\n  raftkeep cluster add-learner HOST:PORT && raftkeep cluster promote ID"
    )?;
    Ok(())
}

/// A time in milliseconds since the Unix epoch, as RFC 3339 in UTC.
pub(crate) fn utc(unix_millis: u64) -> String {
    let nanos = i128::from(unix_millis).saturating_mul(1_000_000);
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{unix_millis} ms after the epoch"))
}
