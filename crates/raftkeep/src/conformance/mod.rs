//! `raftkeep conformance`: runs OASIS KMIP profile test cases (the XML conversations of
//! `tests/fixtures/kmip-testcases/`) against a live server and reports, per file, PASS, FAIL
//! with the first difference, or SKIP with the reason the skip list gives. The last line
//! counts them; any failure makes the command fail.
//!
//! # Layout
//!
//! - [`case`] — one file: requests sent, responses compared.
//! - [`document`] — a file as OASIS published it: notes, several clients, hex messages.
//! - [`compare`] — placeholders, bindings and the comparison rules.
//! - [`reset`] — `--reset`: the objects of one group of cases destroyed before the next.
//! - [`skips`] — the skip list.

pub mod case;
pub mod compare;
pub mod document;
pub mod reset;
pub mod skips;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use kmip_messages::ProtocolVersion;

use crate::kmip_conn::{KmipTarget, Resolved};

/// `raftkeep conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// Directory of test-case XML files (searched recursively).
    #[arg(long)]
    pub dir: PathBuf,
    /// The skip list (TOML); none by default.
    #[arg(long)]
    pub skips: Option<PathBuf>,
    /// Run only files whose path contains this text (may repeat).
    #[arg(long)]
    pub only: Vec<String>,
    /// On a failure, also print the server's whole response.
    #[arg(long, short)]
    pub verbose: bool,
    /// Print one JSON object at the end instead of a line per case: `passed`, `failed`,
    /// `skipped` and `cases` (`case`, `result`: pass, fail or skip, `detail`).
    #[arg(long)]
    pub json: bool,
    /// A fresh object namespace per group of cases, as the OASIS harness resets its server:
    /// every object a group made (`TL-M-1-14` ... `TL-M-3-14` are one group) is revoked and
    /// destroyed before the next group, so that cases naming the same objects, and reruns
    /// on the same cluster, pass.
    #[arg(long)]
    pub reset: bool,
    /// Send every request in this KMIP version (1.0 ... 2.1) instead of the case's own, to
    /// the cases written for the same major version, and check that every response keeps to
    /// it: a response carrying a tag, value, operation or attribute this version does not
    /// define fails the case; a difference from the case's expectations (written for 1.4 or
    /// 2.1) only stops it (STOP).
    #[arg(long, value_parser = parse_version)]
    pub as_version: Option<ProtocolVersion>,
    /// The certificate and key another client of a multi-client case presents:
    /// `B=b.pem,b.key` for the speaker of `# [Client-B]` (may repeat). Clients not named here
    /// present `--cert`/`--key` on their own connections.
    #[arg(long = "client", value_name = "NAME=CERT,KEY")]
    pub clients: Vec<String>,
    /// The server and the client's credentials.
    #[command(flatten)]
    pub target: KmipTarget,
}

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            xml_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The files to run: under `--dir`, matching `--only`, and with `--as-version` those written
/// for the same major version (a KMIP 1.4 case can be sent as 1.0 to 1.3, a 2.1 case as 2.0;
/// the 1.x and 2.x encodings of attributes differ).
fn select(args: &ConformanceArgs) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    xml_files(&args.dir, &mut files)?;
    files.sort();
    files.retain(|f| {
        args.only.is_empty()
            || args
                .only
                .iter()
                .any(|o| f.to_string_lossy().contains(o.as_str()))
    });
    if let Some(v) = args.as_version {
        files.retain(|f| written_major(f) == Some(v.major));
    }
    if files.is_empty() {
        bail!("no test-case files (*.xml) under {}", args.dir.display());
    }
    Ok(files)
}

/// The major version a case is written for, from its name (`SKLC-M-1-14.xml` → 1).
fn written_major(file: &Path) -> Option<i32> {
    let stem = file.file_stem()?.to_string_lossy().into_owned();
    let suffix = stem.rsplit('-').next()?;
    suffix
        .chars()
        .next()?
        .to_digit(10)
        .and_then(|d| i32::try_from(d).ok())
}

/// The targets of `--client NAME=CERT,KEY`, by speaker name.
fn client_targets(
    args: &ConformanceArgs,
    target: &Resolved,
) -> anyhow::Result<HashMap<String, Resolved>> {
    let mut out = HashMap::new();
    for spec in &args.clients {
        let parsed = spec
            .split_once('=')
            .and_then(|(name, files)| Some((name, files.split_once(',')?)));
        let Some((name, (cert, key))) = parsed else {
            bail!("--client {spec}: expected NAME=CERT,KEY, e.g. B=pki/b.pem,pki/b.key");
        };
        for file in [cert, key] {
            if !Path::new(file).is_file() {
                bail!("--client {spec}: {file} is not a file");
            }
        }
        out.insert(
            name.to_owned(),
            target.as_client(PathBuf::from(cert), PathBuf::from(key)),
        );
    }
    Ok(out)
}

/// Parses `--as-version 1.2`.
fn parse_version(s: &str) -> Result<ProtocolVersion, String> {
    ProtocolVersion::ALL
        .into_iter()
        .find(|v| v.to_string() == s)
        .ok_or_else(|| {
            format!(
                "{s} is not a KMIP version this client speaks (1.0, 1.1, 1.2, 1.3, 1.4, 2.0, 2.1)"
            )
        })
}

/// Runs the command.
pub fn run(args: &ConformanceArgs) -> anyhow::Result<()> {
    let files = select(args)?;
    let skips = match &args.skips {
        Some(path) => skips::SkipList::load(path)?,
        None => skips::SkipList::default(),
    };
    let target = args.target.resolve()?;
    let clients = client_targets(args, &target)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut out = std::io::stdout().lock();
    let mut cases = Vec::new();
    let mut group = String::new();
    let mut seen = case::Seen::default();
    for file in &files {
        let name = file
            .strip_prefix(&args.dir)
            .unwrap_or(file)
            .display()
            .to_string();
        let base = file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if args.reset && reset::group(&base) != group {
            runtime
                .block_on(reset::destroy_all(&target, &seen.objects))
                .map_err(anyhow::Error::msg)?;
            seen.objects.clear();
            group = reset::group(&base);
        }
        let (result, detail) = if let Some(reason) = skips.reason(file) {
            ("skip", reason.to_owned())
        } else {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {name}"))?;
            let options = case::Options {
                target: &target,
                clients: &clients,
                transport: case::transport_for(&base),
                verbose: args.verbose,
                as_version: args.as_version,
            };
            match runtime.block_on(case::run(&text, options, &mut seen)) {
                case::Outcome::Pass { exchanges } => ("pass", format!("{exchanges} exchanges")),
                case::Outcome::Fail(why) => ("fail", why),
                case::Outcome::Stopped {
                    exchanges,
                    ran,
                    why,
                } => ("stop", format!("{ran} of {exchanges} exchanges; {why}")),
            }
        };
        if !args.json {
            match result {
                "pass" => writeln!(out, "PASS {name} ({detail})")?,
                "fail" => writeln!(out, "FAIL {name}: {detail}")?,
                "stop" => writeln!(out, "STOP {name}: {detail}")?,
                _ => writeln!(out, "SKIP {name}: {detail}")?,
            }
        }
        cases.push(serde_json::json!({"case": name, "result": result, "detail": detail}));
    }
    if args.reset {
        runtime
            .block_on(reset::destroy_all(&target, &seen.objects))
            .map_err(anyhow::Error::msg)?;
    }
    summarize(&mut out, args, &cases, &seen)
}

fn summarize(
    out: &mut impl std::io::Write,
    args: &ConformanceArgs,
    cases: &[serde_json::Value],
    seen: &case::Seen,
) -> anyhow::Result<()> {
    let count = |r: &str| cases.iter().filter(|c| c["result"] == r).count();
    let (passed, failed, skipped, stopped) =
        (count("pass"), count("fail"), count("skip"), count("stop"));
    if args.json {
        let summary = serde_json::json!({
            "passed": passed, "failed": failed, "skipped": skipped, "stopped": stopped,
            "responses": seen.responses, "operations": seen.operations, "cases": cases,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        if let Some(v) = args.as_version {
            writeln!(
                out,
                "{} responses, every one in KMIP {v}; {stopped} cases stopped where KMIP {v} differs from the version they were written for; operations answered: {}",
                seen.responses,
                seen.operations
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        writeln!(out, "{passed} passed, {failed} failed, {skipped} skipped")?;
    }
    if failed > 0 {
        bail!("{failed} test case(s) failed");
    }
    Ok(())
}
