//! `raftkeep dev` and `raftkeep keys` as a user runs them: `raftkeep dev` in an empty
//! directory brings up three node processes and writes the client settings; `raftkeep keys`
//! with no flags finds them; killing a node leaves the CLI working; Ctrl-C (SIGTERM) stops
//! every node; a second run serves the same keys. Exit codes say what went wrong.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_raftkeep");

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "gave up waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running `raftkeep dev`; dropped (a failed test), it and its nodes are killed.
struct Dev {
    child: Option<Child>,
    dir: std::path::PathBuf,
}

impl Drop for Dev {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
            for n in 1..=3 {
                if let Ok(p) =
                    std::fs::read_to_string(self.dir.join(format!("raftkeep-dev/node{n}/pid")))
                {
                    let _ = Command::new("kill").args(["-9", p.trim()]).status();
                }
            }
        }
    }
}

/// Starts `raftkeep dev` in `cwd` and waits until it prints that the cluster runs.
fn start_dev(cwd: &Path) -> Dev {
    let out = std::fs::File::create(cwd.join("dev.out")).unwrap();
    let child = Command::new(BIN)
        .args(["dev", "--base-port", "0", "--cluster-base-port", "0"])
        .current_dir(cwd)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let dev = Dev {
        child: Some(child),
        dir: cwd.to_owned(),
    };
    wait_for("raftkeep dev to be ready", || {
        std::fs::read_to_string(cwd.join("dev.out")).is_ok_and(|t| t.contains("Ctrl-C stops"))
    });
    dev
}

fn stop_dev(mut dev: Dev) {
    let mut child = dev.child.take().unwrap();
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = child.wait().unwrap();
    assert!(status.success(), "raftkeep dev exited with {status}");
}

fn keys(cwd: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("keys")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pid(dir: &Path, node: usize) -> String {
    std::fs::read_to_string(dir.join(format!("raftkeep-dev/node{node}/pid")))
        .unwrap()
        .trim()
        .to_owned()
}

fn alive(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

#[test]
fn dev_cluster_serves_the_cli_through_a_node_kill_and_a_restart() {
    let cwd = tempfile::tempdir().unwrap();
    let dev = start_dev(cwd.path());
    for f in [
        "ca.pem",
        "client.pem",
        "client.key",
        "client.toml",
        "pykmip.conf",
    ] {
        assert!(cwd.path().join("raftkeep-dev").join(f).exists(), "{f}");
    }
    let pykmip = std::fs::read_to_string(cwd.path().join("raftkeep-dev/pykmip.conf")).unwrap();
    assert!(pykmip.contains("[raftkeep]") && pykmip.contains("certfile="));

    let created: serde_json::Value = serde_json::from_str(&ok(&keys(
        cwd.path(),
        &["create", "--name", "first-key", "--activate", "--json"],
    )))
    .unwrap();
    let uid = created["uid"].as_str().unwrap().to_owned();
    let got: serde_json::Value =
        serde_json::from_str(&ok(&keys(cwd.path(), &["get", &uid, "--json"]))).unwrap();
    assert_eq!(got["material_bytes"], 32);
    assert_eq!(
        got["material_hex"],
        serde_json::Value::Null,
        "material shown unasked"
    );

    // Operator commands find the dev cluster too.
    let status = Command::new(BIN)
        .args(["cluster", "status"])
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(ok(&status).contains("Leader"));

    let missing = keys(cwd.path(), &["get", "no-such-key"]);
    assert_eq!(missing.status.code(), Some(3), "KMIP refusal exit code");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-key"));

    // Node 1 is first in client.toml: killed, the CLI goes to node 2 at once.
    let node1 = pid(cwd.path(), 1);
    assert!(
        Command::new("kill")
            .args(["-9", &node1])
            .status()
            .unwrap()
            .success()
    );
    wait_for("raftkeep dev to report node 1 stopped", || {
        std::fs::read_to_string(cwd.path().join("dev.out"))
            .is_ok_and(|t| t.contains("node 1 stopped"))
    });
    assert!(!alive(&node1));
    let verbose = keys(cwd.path(), &["attrs", &uid, "State", "--verbose"]);
    assert_eq!(ok(&verbose).trim(), "State: Active");
    let log = String::from_utf8_lossy(&verbose.stderr);
    assert!(
        log.contains("outcome=\"down\"") && log.contains("answered after failover"),
        "{log}"
    );

    let others = [pid(cwd.path(), 2), pid(cwd.path(), 3)];
    stop_dev(dev);
    for p in &others {
        assert!(!alive(p), "node process {p} outlived raftkeep dev");
    }

    // A second run reuses certificates, configuration and data.
    let dev = start_dev(cwd.path());
    let found = ok(&keys(cwd.path(), &["locate", "--name", "first-key"]));
    assert_eq!(found.trim(), uid);
    let listed = ok(&keys(cwd.path(), &["list"]));
    assert!(
        listed.contains(&uid) && listed.contains("first-key") && listed.contains("Active"),
        "{listed}"
    );
    stop_dev(dev);
}

#[test]
fn exit_codes_tell_unreachable_from_misconfigured() {
    let cwd = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pem = cwd.path().join("x.pem");
    std::fs::write(&pem, "").unwrap();
    let servers = format!("127.0.0.1:{port}");
    let pem = pem.to_str().unwrap();
    let tls = ["--ca", pem, "--cert", pem, "--key", pem];

    let no_config = keys(cwd.path(), &["list"]);
    assert_eq!(no_config.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_config.stderr).contains("raftkeep dev"));

    let bad_list = keys(
        cwd.path(),
        &[&["list", "--servers", "kms-a"][..], &tls].concat(),
    );
    assert_eq!(
        bad_list.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&bad_list.stderr)
    );
    assert!(String::from_utf8_lossy(&bad_list.stderr).contains("HOST:PORT"));

    // Real certificates, no server.
    let pki = cwd.path().join("pki");
    let pki_s = pki.to_str().unwrap();
    assert!(
        Command::new(BIN)
            .args(["certs", "init", "--dir", pki_s])
            .output()
            .unwrap()
            .status
            .success()
    );
    assert!(
        Command::new(BIN)
            .args(["certs", "issue-client", "--dir", pki_s, "--name", "app"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let file = |f: &str| pki.join(f).to_str().unwrap().to_owned();
    let down = keys(
        cwd.path(),
        &[
            "list",
            "--servers",
            &servers,
            "--ca",
            &file("ca.pem"),
            "--cert",
            &file("app.pem"),
            "--key",
            &file("app.key"),
        ],
    );
    assert_eq!(
        down.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert!(String::from_utf8_lossy(&down.stderr).contains("down"));
}
