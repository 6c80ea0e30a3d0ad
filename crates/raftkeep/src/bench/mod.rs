//! `raftkeep bench`: a KMIP load generator on the client library, bounded by count and
//! time. N workers, each with its own client (one persistent connection, or a new TLS
//! connection per request as vCenter makes them), run one workload; latencies go into
//! HdrHistograms (microseconds), throughput into one-second buckets. It talks to any KMIP
//! server: ours, PyKMIP, another vendor's.

mod plot;
mod workload;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use hdrhistogram::Histogram;
use raftkeep_client::Client;

use workload::BenchKey;
pub use workload::Workload;

use crate::connect::ConnectArgs;

/// `raftkeep bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// What each operation is.
    #[arg(long, value_enum, default_value_t = Workload::Get)]
    pub workload: Workload,
    /// Operations in flight at once (one client each).
    #[arg(long, default_value_t = 8)]
    pub concurrency: u32,
    /// Seconds to run (after the keys for get, mixed and locate are made).
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// Stop after this many operations, if sooner.
    #[arg(long, default_value_t = 10_000_000)]
    pub max_ops: u64,
    /// Keys made before a get, mixed or locate run (named, so Locate finds each).
    #[arg(long, default_value_t = 100)]
    pub keys: u32,
    /// Activate the keys made before the run (they are Pre-Active otherwise, as a Create
    /// leaves them and as vCenter first fetches them).
    #[arg(long)]
    pub activate_keys: bool,
    /// A new TLS connection for every request (vCenter and ESXi), not one per client.
    #[arg(long)]
    pub new_connection_per_op: bool,
    /// Print one JSON object instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Also draw the latency distribution and the throughput over time into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub report: Option<std::path::PathBuf>,
    /// Connection settings.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// The result of a run.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// The workload.
    pub workload: Workload,
    /// Clients at once.
    pub concurrency: u32,
    /// A new TLS connection per request.
    pub new_connection_per_op: bool,
    /// Operations that succeeded.
    pub ops: u64,
    /// Operations that failed (not in the latencies).
    pub errors: u64,
    /// Wall time of the run, seconds.
    pub seconds: f64,
    /// Successful operations per second.
    pub ops_per_sec: f64,
    /// Latency percentiles of successful operations, microseconds.
    pub latency_us: Percentiles,
    /// Successful operations completed in each second of the run (the last one is partial:
    /// what was in flight at the deadline).
    pub per_second: Vec<u64>,
    /// The first error, if any.
    pub first_error: Option<String>,
}

/// Latency percentiles, microseconds.
#[derive(Debug, serde::Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

/// One worker's tally.
struct Tally {
    latencies: Histogram<u64>,
    per_second: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn new() -> anyhow::Result<Self> {
        Ok(Tally {
            latencies: histogram()?,
            per_second: Vec::new(),
            errors: 0,
            first_error: None,
        })
    }
}

/// 1 µs to 10 min at 3 significant digits.
fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 600_000_000, 3).context("latency histogram")
}

/// Runs `raftkeep bench`.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let (report, latencies) = runtime.block_on(bench(args))?;
    if let Some(path) = &args.report {
        plot::write_svg(path, &report, &latencies)?;
    }
    let mut out = std::io::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        print_summary(&mut out, &report)?;
    }
    Ok(())
}

async fn bench(args: &BenchArgs) -> anyhow::Result<(Report, Histogram<u64>)> {
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    let mut config = args.connect.client_config()?;
    // Negotiate once: the workers then speak that version without a Discover Versions each.
    let setup = Client::new(&config)?;
    let version = setup.version().await?;
    config.version = Some(format!("{}.{}", version.major, version.minor));
    let keys = if args.workload.needs_keys() {
        make_keys(&setup, args.keys.max(1), args.workload, args.activate_keys).await?
    } else {
        Vec::new()
    };
    config.reuse_connections = !args.new_connection_per_op;
    let keys = Arc::new(keys);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let issued = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let client = Client::new(&config)?;
        let tally = Tally::new()?;
        let (keys, issued, done) = (keys.clone(), issued.clone(), done.clone());
        let (workload, max_ops) = (args.workload, args.max_ops);
        workers.spawn(async move {
            let bounds = (started, deadline, max_ops);
            worker(client, tally, workload, &keys, bounds, &issued, &done).await
        });
    }
    let progress = tokio::spawn(show_progress(done.clone(), started, deadline, args.json));
    let mut tallies = Vec::new();
    while let Some(t) = workers.join_next().await {
        tallies.push(t.context("a benchmark worker failed")?);
    }
    progress.abort();
    report(args, tallies, started.elapsed())
}

/// Makes the keys a run reads (Active keys or key pairs for the cryptographic workloads),
/// named `raftkeep-bench-<run>-<i>` so Locate finds exactly one.
async fn make_keys(
    client: &Client,
    n: u32,
    workload: Workload,
    activate: bool,
) -> anyhow::Result<Vec<BenchKey>> {
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    let mut keys = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
    for i in 0..n {
        let name = format!("raftkeep-bench-{run}-{i}");
        // The cryptographic workloads' keys are Active already.
        let uid = match workload::crypto_key(workload, client, &name)
            .await
            .context("making the keys the run uses")?
        {
            Some(uid) => uid,
            None => {
                let uid = workload::create(client, vec![workload::name_attribute(&name)])
                    .await
                    .context("making the keys the run reads")?;
                if activate {
                    client
                        .activate(&uid)
                        .await
                        .context("activating the keys the run reads")?;
                }
                uid
            }
        };
        keys.push(BenchKey { uid, name });
    }
    Ok(keys)
}

/// Runs operations until the deadline or `max_ops` operations issued by all workers.
async fn worker(
    client: Client,
    mut tally: Tally,
    workload: Workload,
    keys: &[BenchKey],
    (started, deadline, max_ops): (Instant, Instant, u64),
    issued: &AtomicU64,
    done: &AtomicU64,
) -> Tally {
    loop {
        let n = issued.fetch_add(1, Ordering::Relaxed);
        if n >= max_ops || Instant::now() >= deadline {
            return tally;
        }
        let t0 = Instant::now();
        match workload::run_one(workload, &client, keys, n).await {
            Ok(()) => {
                let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                tally.latencies.saturating_record(us.max(1));
                let second = usize::try_from(started.elapsed().as_secs()).unwrap_or(0);
                if tally.per_second.len() <= second {
                    tally.per_second.resize(second + 1, 0);
                }
                if let Some(slot) = tally.per_second.get_mut(second) {
                    *slot += 1;
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// A line a second on standard error while the run lasts (not with --json unless on a
/// terminal, so that scripts get clean output).
async fn show_progress(done: Arc<AtomicU64>, started: Instant, deadline: Instant, json: bool) {
    if json && !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return;
    }
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = 0;
    loop {
        tick.tick().await;
        let now = done.load(Ordering::Relaxed);
        let left = deadline.saturating_duration_since(Instant::now()).as_secs();
        let _ = writeln!(
            std::io::stderr(),
            "{:>4} s: {:>8} ops/s, {now} done, {left} s left",
            started.elapsed().as_secs(),
            now - last
        );
        last = now;
    }
}

fn report(
    args: &BenchArgs,
    tallies: Vec<Tally>,
    took: Duration,
) -> anyhow::Result<(Report, Histogram<u64>)> {
    let mut latencies = histogram()?;
    let mut per_second: Vec<u64> = Vec::new();
    let (mut errors, mut first_error) = (0, None);
    for t in tallies {
        let _ = latencies.add(&t.latencies);
        if per_second.len() < t.per_second.len() {
            per_second.resize(t.per_second.len(), 0);
        }
        for (total, n) in per_second.iter_mut().zip(&t.per_second) {
            *total += n;
        }
        errors += t.errors;
        first_error = first_error.or(t.first_error);
    }
    let ops = latencies.len();
    let seconds = took.as_secs_f64();
    let report = Report {
        workload: args.workload,
        concurrency: args.concurrency,
        new_connection_per_op: args.new_connection_per_op,
        ops,
        errors,
        seconds,
        ops_per_sec: if seconds > 0.0 {
            ops as f64 / seconds
        } else {
            0.0
        },
        latency_us: Percentiles {
            p50: latencies.value_at_quantile(0.5),
            p90: latencies.value_at_quantile(0.9),
            p99: latencies.value_at_quantile(0.99),
            p999: latencies.value_at_quantile(0.999),
            max: latencies.max(),
            mean: latencies.mean(),
        },
        per_second,
        first_error,
    };
    Ok((report, latencies))
}

fn print_summary(out: &mut impl Write, r: &Report) -> anyhow::Result<()> {
    let ms = |us: u64| us as f64 / 1000.0;
    writeln!(
        out,
        "{:?}, {} clients, {}: {} ops in {:.1} s = {:.0} ops/s, {} errors",
        r.workload,
        r.concurrency,
        if r.new_connection_per_op {
            "new connection per request"
        } else {
            "persistent connections"
        },
        r.ops,
        r.seconds,
        r.ops_per_sec,
        r.errors
    )?;
    let l = &r.latency_us;
    writeln!(
        out,
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max)
    )?;
    if let Some(e) = &r.first_error {
        writeln!(out, "first error: {e}")?;
    }
    Ok(())
}
