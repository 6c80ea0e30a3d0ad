//! Every configuration we show people is one that works: each node file under `deploy/` passes
//! `raftkeep server --check-config`, each client file parses and validates, and so do the
//! TOML snippets of the README and `docs/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_raftkeep");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            toml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// Checks one file: a node configuration or a client configuration.
fn check(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    if text.lines().any(|l| l.trim_start().starts_with("node_id")) {
        let out = Command::new(BIN)
            .args(["server", "--check-config", "--config"])
            .arg(path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        let config = raftkeep_client::ClientConfig::load(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        config
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn every_example_configuration_in_deploy_is_valid() {
    let mut files = Vec::new();
    toml_files(&repo().join("deploy"), &mut files);
    assert!(files.len() >= 17, "examples went missing: {files:?}");
    for f in &files {
        check(f);
    }
}

#[test]
fn the_toml_snippets_of_the_docs_are_valid_configurations() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    let mut checked = 0;
    for doc in docs {
        let text = std::fs::read_to_string(&doc).unwrap();
        for rest in text.split("```toml\n").skip(1) {
            let block = rest.split("```").next().unwrap();
            let file = dir.path().join(format!("snippet{checked}.toml"));
            std::fs::write(&file, block).unwrap();
            let origin = format!("{} (snippet {checked})", doc.display());
            let result = std::panic::catch_unwind(|| check(&file));
            assert!(result.is_ok(), "{origin} is not a valid configuration");
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "the docs have fewer TOML snippets than expected: {checked}"
    );
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let unit = std::fs::read_to_string(repo().join("deploy/systemd/raftkeep.service")).unwrap();
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else {
        // Skipped on machines without systemd (containers, macOS); CI has it.
        eprintln!("skipped: systemd-analyze is not installed");
        return;
    };
    assert!(probe.status.success());
    let dir = tempfile::tempdir().unwrap();
    // verify checks that ExecStart's binary exists: point it at the one under test.
    let path = dir.path().join("raftkeep.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/raftkeep", BIN)).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}
