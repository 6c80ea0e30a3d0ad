//! `raftkeep conformance`: runs OASIS KMIP profile test cases (the XML conversations of
//! `tests/fixtures/kmip-testcases/`) against a live server and reports, per file, PASS, FAIL
//! with the first difference, or SKIP with the reason the skip list gives. The last line
//! counts them; any failure makes the command fail.
//!
//! # Layout
//!
//! - [`case`] — one file: requests sent, responses compared.
//! - [`compare`] — placeholders, bindings and the comparison rules.
//! - [`reset`] — `--reset`: the objects of one group of cases destroyed before the next.
//! - [`skips`] — the skip list.

pub mod case;
pub mod compare;
pub mod reset;
pub mod skips;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use crate::kmip_conn::KmipTarget;

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

/// Runs the command.
pub fn run(args: &ConformanceArgs) -> anyhow::Result<()> {
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
    if files.is_empty() {
        bail!("no test-case files (*.xml) under {}", args.dir.display());
    }
    let skips = match &args.skips {
        Some(path) => skips::SkipList::load(path)?,
        None => skips::SkipList::default(),
    };
    let target = args.target.resolve()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut out = std::io::stdout().lock();
    let mut cases = Vec::new();
    let mut group = String::new();
    let mut made = std::collections::BTreeSet::new();
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
                .block_on(reset::destroy_all(&target, &made))
                .map_err(anyhow::Error::msg)?;
            made.clear();
            group = reset::group(&base);
        }
        let (result, detail) = if let Some(reason) = skips.reason(file) {
            ("skip", reason.to_owned())
        } else {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {name}"))?;
            let transport = case::transport_for(&base);
            match runtime.block_on(case::run(
                &text,
                &target,
                transport,
                args.verbose,
                &mut made,
            )) {
                case::Outcome::Pass { exchanges } => ("pass", format!("{exchanges} exchanges")),
                case::Outcome::Fail(why) => ("fail", why),
            }
        };
        if !args.json {
            match result {
                "pass" => writeln!(out, "PASS {name} ({detail})")?,
                "fail" => writeln!(out, "FAIL {name}: {detail}")?,
                _ => writeln!(out, "SKIP {name}: {detail}")?,
            }
        }
        cases.push(serde_json::json!({"case": name, "result": result, "detail": detail}));
    }
    if args.reset {
        runtime
            .block_on(reset::destroy_all(&target, &made))
            .map_err(anyhow::Error::msg)?;
    }
    let count = |r: &str| cases.iter().filter(|c| c["result"] == r).count();
    let (passed, failed, skipped) = (count("pass"), count("fail"), count("skip"));
    if args.json {
        let summary = serde_json::json!({
            "passed": passed, "failed": failed, "skipped": skipped, "cases": cases,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        writeln!(out, "{passed} passed, {failed} failed, {skipped} skipped")?;
    }
    if failed > 0 {
        bail!("{failed} test case(s) failed");
    }
    Ok(())
}
