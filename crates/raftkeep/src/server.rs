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
    /// Check the configuration and exit.
    #[arg(long)]
    pub check_config: bool,
}

/// Runs a node.
pub fn run(args: &ServerArgs) -> anyhow::Result<()> {
    let config = NodeConfig::load(&args.config)?;
    if args.check_config {
        std::io::Write::write_fmt(
            &mut std::io::stdout(),
            format_args!("{}: valid\n", args.config.display()),
        )?;
        return Ok(());
    }
    init_logging();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let node = raftkeep_node::start(&config).await?;
        node.run_until(shutdown_signal()).await?;
        anyhow::Ok(())
    })
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAFTKEEP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
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
