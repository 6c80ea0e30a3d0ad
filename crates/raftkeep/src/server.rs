//! `raftkeep server`: runs one node until SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use raftkeep_node::NodeConfig;

/// `raftkeep server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The node's configuration file (TOML).
    #[arg(long, short)]
    pub config: PathBuf,
    /// Check the configuration and exit: its syntax and settings, and what the node itself
    /// would refuse at start — its certificates (readable, matching their keys, valid now)
    /// and root key files (present, 256 bits, mode 0600).
    #[arg(long)]
    pub check_config: bool,
    /// With `--check-config`: check the file alone, not the files it names (for a
    /// configuration written on another machine).
    #[arg(long, requires = "check_config")]
    pub syntax_only: bool,
    /// This node's id, instead of the file's `node_id` (one file for every replica, e.g. a
    /// Kubernetes StatefulSet computing the id from the pod's ordinal).
    #[arg(long, env = "RAFTKEEP_NODE_ID", value_name = "ID")]
    pub node_id: Option<u64>,
    /// The address other nodes reach this one at, instead of the file's `cluster.advertise`.
    #[arg(long, env = "RAFTKEEP_ADVERTISE", value_name = "HOST:PORT")]
    pub advertise: Option<String>,
    /// Log lines as readable text or as JSON objects, one per line (for a log collector).
    #[arg(long, env = "RAFTKEEP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How `raftkeep server` writes its log to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Readable lines (colored on a terminal).
    Text,
    /// One JSON object per line: time, level, target, message and fields.
    Json,
}

/// Runs a node.
pub fn run(args: &ServerArgs) -> anyhow::Result<()> {
    let mut config = NodeConfig::load(&args.config)?;
    if let Some(id) = args.node_id {
        config.node_id = id;
    }
    if let Some(advertise) = &args.advertise {
        config.cluster.advertise = Some(advertise.clone());
    }
    if args.check_config {
        // What the node itself would refuse at start: certificates, root key files.
        let notes = if args.syntax_only {
            Vec::new()
        } else {
            raftkeep_node::start::check_start_files(&config)?
        };
        let mut out = std::io::stdout();
        for note in notes {
            std::io::Write::write_fmt(&mut out, format_args!("note: {note}\n"))?;
        }
        std::io::Write::write_fmt(&mut out, format_args!("{}: valid\n", args.config.display()))?;
        return Ok(());
    }
    init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let node = raftkeep_node::start(&config).await?;
        node.run_until(shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAFTKEEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=error"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
