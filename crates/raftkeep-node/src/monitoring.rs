//! The monitoring endpoint (plain HTTP, for a management network): `/healthz` (the process
//! serves), `/readyz` (this node can serve reads; the body says whether writes are possible
//! now) and `/metrics` (Prometheus text). Raft's state is mirrored into gauges whenever it
//! changes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use openraft::ServerState;
use raftkeep_store::RaftNode;
use serde::Serialize;
use tokio::sync::{oneshot, watch};

use crate::NodeStartError;
use crate::reads::{ReadPolicy, Serving};

/// Latency buckets (seconds) for every `*_seconds` histogram: from a local read (~100 µs) to
/// the client's service timeout (60 s). Buckets, not summaries, so nodes aggregate.
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use. `None` when the process
/// already has another recorder (a test harness): `/metrics` then says so.
pub fn recorder() -> Option<PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
                .map(PrometheusBuilder::build_recorder);
            let recorder = match recorder {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    return None;
                }
            };
            let handle = recorder.handle();
            match metrics::set_global_recorder(recorder) {
                Ok(()) => Some(handle),
                Err(_) => {
                    tracing::info!("another metrics recorder is installed: /metrics is empty");
                    None
                }
            }
        })
        .clone()
}

/// What `/readyz` answers, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// The node can serve reads (from its own copy): it is a member of an initialized cluster
    /// and found no reason to stop.
    pub ready: bool,
    /// Writes can be committed now: a leader is known and was heard from recently.
    pub writes: bool,
    /// This node's id.
    pub node_id: u64,
    /// The leader this node knows, if any.
    pub leader: Option<u64>,
    /// The current Raft term.
    pub term: u64,
    /// The last log index applied to this node's copy.
    pub applied_index: Option<u64>,
    /// Why not ready, or why writes are not possible; empty when all is well.
    pub reason: String,
}

/// What the endpoint reads.
#[derive(Clone)]
struct Monitor {
    node: RaftNode,
    node_id: u64,
    fatal: watch::Receiver<bool>,
    /// When the node may serve reads.
    reads: ReadPolicy,
}

impl Monitor {
    fn readiness(&self) -> Readiness {
        let m = self.node.raft().metrics().borrow().clone();
        let member = m
            .membership_config
            .membership()
            .nodes()
            .any(|(id, _)| *id == self.node_id);
        let serving = self.reads.serving(&self.node);
        let heard = serving == Serving::Everything;
        let disk = self.node.disk_refusal();
        let writes = m.current_leader.is_some() && heard && disk.is_none();
        // Cut off from the leader, a node serves reads only where the operator allows it.
        let reads = matches!(serving, Serving::Everything | Serving::Reads { .. });
        let reason = if *self.fatal.borrow() {
            "the root key does not open this cluster's key check value".to_owned()
        } else if !member {
            "not a member of a cluster yet: `raftkeep cluster init` to form one, or `raftkeep cluster add-learner` then `promote` to join one".to_owned()
        } else {
            match &serving {
                Serving::Everything if disk.is_some() => {
                    disk.map(|d| format!("{d}; reads are served")).unwrap_or_default()
                }
                Serving::Everything if m.current_leader.is_some() => String::new(),
                Serving::Everything => "no leader known (an election): reads from this node's copy, writes wait for the new leader".to_owned(),
                Serving::Reads { stale_by } => format!(
                    "cut off: no leader heard for {:.1} s: reads of Active keys from this node's copy only, writes refused",
                    stale_by.as_secs_f64()
                ),
                Serving::Nothing(why) => format!("cut off: {why}: no reads either"),
            }
        };
        Readiness {
            ready: member && !*self.fatal.borrow() && reads,
            writes,
            node_id: self.node_id,
            leader: m.current_leader,
            term: m.current_term,
            applied_index: m.last_applied.map(|l| l.index),
            reason,
        }
    }
}

/// Files whose state is exported as gauges.
#[derive(Debug, Clone)]
pub(crate) struct WatchedFiles {
    /// The current snapshot (its age).
    pub(crate) snapshot: PathBuf,
    /// The audit log (its size), if the node serves KMIP.
    pub(crate) audit_log: Option<PathBuf>,
}

/// How often the file gauges are refreshed.
const FILE_WATCH: Duration = Duration::from_secs(15);

/// The running endpoint.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) local_addr: SocketAddr,
    pub(crate) stop: oneshot::Sender<()>,
}

/// Starts the endpoint on `listen` and the task that mirrors Raft's state into gauges.
pub(crate) async fn start(
    listen: SocketAddr,
    node: RaftNode,
    node_id: u64,
    fatal: watch::Receiver<bool>,
    reads: ReadPolicy,
    files: WatchedFiles,
) -> Result<Endpoint, NodeStartError> {
    let handle = recorder();
    let (listener, local_addr) = crate::start::bind(listen).await?;
    tokio::spawn(mirror_raft(node.clone()));
    tokio::spawn(watch_files(node.clone(), files));
    if let Some(h) = handle.clone() {
        // One drain loop per process, however many nodes it runs.
        static UPKEEP: std::sync::Once = std::sync::Once::new();
        UPKEEP.call_once(|| {
            tokio::spawn(upkeep(h));
        });
    }
    let monitor = Monitor {
        node,
        node_id,
        fatal,
        reads,
    };
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(move || render(handle.clone())))
        .with_state(Arc::new(monitor));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "monitoring endpoint stopped");
        }
    });
    tracing::info!(%local_addr, "monitoring endpoint started (/healthz, /readyz, /metrics)");
    Ok(Endpoint { local_addr, stop })
}

async fn healthz(State(m): State<Arc<Monitor>>) -> Response {
    if *m.fatal.borrow() {
        return (StatusCode::SERVICE_UNAVAILABLE, "the node is stopping\n").into_response();
    }
    (StatusCode::OK, "ok\n").into_response()
}

async fn readyz(State(m): State<Arc<Monitor>>) -> Response {
    let r = m.readiness();
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(r)).into_response()
}

async fn render(handle: Option<PrometheusHandle>) -> Response {
    match handle {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "this process has another metrics recorder\n",
        )
            .into_response(),
    }
}

/// Histogram samples wait in buckets until drained; without a scrape they would pile up
/// under load. Draining every few seconds bounds that memory whether or not Prometheus
/// scrapes.
async fn upkeep(handle: PrometheusHandle) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        handle.run_upkeep();
    }
}

/// Keeps the snapshot-age and audit-size gauges current, until Raft shuts down. A snapshot
/// that stops getting younger under writes means snapshots fail; an audit log that only grows
/// needs a retention before its disk fills.
async fn watch_files(node: RaftNode, files: WatchedFiles) {
    let raft = node.raft().metrics();
    let mut tick = tokio::time::interval(FILE_WATCH);
    loop {
        tick.tick().await;
        if raft.has_changed().is_err() {
            return;
        }
        let age = std::fs::metadata(&files.snapshot)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok());
        if let Some(age) = age {
            metrics::gauge!("raftkeep_raft_snapshot_age_seconds").set(age.as_secs_f64());
        }
        if let Some(active) = &files.audit_log {
            metrics::gauge!("raftkeep_audit_log_bytes").set(audit_bytes(active) as f64);
        }
    }
}

/// The audit log's size on disk: the active file and its sealed segments.
fn audit_bytes(active: &std::path::Path) -> u64 {
    raftkeep_server::audit::segments::files(active)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Keeps the Raft gauges equal to the node's Raft metrics, until Raft shuts down.
async fn mirror_raft(node: RaftNode) {
    let mut rx = node.raft().metrics();
    loop {
        let m = rx.borrow_and_update().clone();
        let index = |i: Option<u64>| i.unwrap_or(0) as f64;
        metrics::gauge!("raftkeep_raft_term").set(m.current_term as f64);
        metrics::gauge!("raftkeep_raft_leader_id").set(m.current_leader.unwrap_or(0) as f64);
        metrics::gauge!("raftkeep_raft_is_leader")
            .set(f64::from(u8::from(m.state == ServerState::Leader)));
        metrics::gauge!("raftkeep_raft_last_log_index").set(index(m.last_log_index));
        metrics::gauge!("raftkeep_raft_applied_index").set(index(m.last_applied.map(|l| l.index)));
        metrics::gauge!("raftkeep_raft_snapshot_index").set(index(m.snapshot.map(|l| l.index)));
        metrics::gauge!("raftkeep_raft_voters")
            .set(m.membership_config.membership().voter_ids().count() as f64);
        if let Some(replication) = &m.replication {
            let last = m.last_log_index.unwrap_or(0);
            for (follower, matched) in replication.iter() {
                if *follower == m.id {
                    continue;
                }
                let lag = last.saturating_sub(matched.map_or(0, |l| l.index));
                metrics::gauge!("raftkeep_raft_replication_lag_entries", "follower" => follower.to_string())
                    .set(lag as f64);
            }
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}
