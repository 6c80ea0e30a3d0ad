//! `raftkeep dev` and `raftkeep keys` as a user runs them: `raftkeep dev` in an empty
//! directory brings up three node processes and writes the client settings; `raftkeep keys`
//! with no flags finds them; killing a node leaves the CLI working; Ctrl-C (SIGTERM) stops
//! every node; a second run serves the same keys. Exit codes say what went wrong, and a hint
//! names the command that fixes it. The README's "First five minutes" and docs/quickstart.md
//! run here as written; `--json` keeps the field names docs/client.md promises.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

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
    let started = Instant::now();
    while !std::fs::read_to_string(cwd.join("dev.out")).is_ok_and(|t| t.contains("Ctrl-C stops")) {
        if started.elapsed() > Duration::from_secs(90) {
            // What dev and its nodes said, so that a slow or failed start can be told apart.
            let said = std::fs::read_to_string(cwd.join("dev.out")).unwrap_or_default();
            let node1 =
                std::fs::read_to_string(cwd.join("raftkeep-dev/node1/log")).unwrap_or_default();
            let tail: Vec<&str> = node1.lines().rev().take(30).collect();
            panic!(
                "gave up waiting for raftkeep dev to be ready; it said:\n{said}\nnode 1's log ends:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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

/// The fenced blocks of `text`, in order: (language, body).
fn fenced_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let (lang, body) = after.split_once('\n').unwrap();
        let end = body.find("```").unwrap();
        blocks.push((lang.trim().to_owned(), body[..end].to_owned()));
        rest = &body[end + 3..];
    }
    blocks
}

/// The ```sh and ```python blocks of the README's "First five minutes", in order.
fn first_five_minutes() -> Vec<(String, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("## First five minutes").unwrap();
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
    fenced_blocks(section)
}

/// The README's "First five minutes", run as written against a real `raftkeep dev`: every
/// shell block in one shell (so `$KEY` carries over, as in the reader's), the `alias` line
/// pointing `raftkeep` at the binary under test, the PyKMIP block with PyKMIP; every command
/// must succeed, and what the text says it shows must be there.
#[test]
fn the_readmes_first_five_minutes_run_as_written() {
    let blocks = first_five_minutes();
    let langs: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        langs,
        ["sh", "python", "sh"],
        "the walk-through changed shape"
    );
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let mut script = String::from("set -euo pipefail\n");
    for (i, (lang, body)) in blocks.iter().enumerate() {
        if lang == "python" {
            let file = dir.path().join("walk.py");
            std::fs::write(&file, body).unwrap();
            script.push_str(&format!("'{}' walk.py\n", support::pykmip_python()));
            continue;
        }
        for line in body.lines() {
            if line.starts_with("alias raftkeep=") {
                script.push_str(&format!("raftkeep() {{ '{BIN}' \"$@\"; }}\n"));
            } else {
                script.push_str(line);
                script.push('\n');
            }
        }
        script.push_str(&format!("echo '--- end of block {i}' >&2\n"));
    }
    std::fs::write(dir.path().join("walk.sh"), &script).unwrap();
    let out = Command::new("bash")
        .arg("walk.sh")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success(),
        "the walk-through failed:\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    for shown in [
        "first-key",
        "second-key",
        "pykmip-key",
        "Cryptographic Usage Mask",
    ] {
        assert!(stdout.contains(shown), "{shown} not shown:\n{stdout}");
    }
    // The hung node was waited for, then the next one answered; the killed one at once.
    assert!(stderr.contains("--- end of block 2"), "{stderr}");
    let failover = &stderr[stderr.find("--- end of block 0").unwrap()..];
    for seen in ["hung", "down"] {
        assert!(failover.contains(seen), "no {seen} server in:\n{failover}");
    }
    drop(dev);
}

/// The field names docs/client.md ("Scripting") promises for `command`'s `--json`.
fn documented_fields(command: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/client.md"))
        .unwrap();
    let row = doc
        .lines()
        .find(|l| l.starts_with(&format!("| `{command}`")))
        .unwrap_or_else(|| panic!("docs/client.md has no row for {command}"));
    let printed = row.split('|').nth(2).unwrap();
    printed
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// What `--json` prints has the fields docs/client.md names, command by command.
#[test]
fn json_output_has_the_documented_field_names() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        ok(&out)
    };
    // Scriptable: the UID alone.
    let uid = run(&["keys", "create", "--name", "json-key"]);
    let uid = uid.trim();
    assert!(uuid_like(uid), "{uid:?}");
    // Something in every list the docs describe.
    run(&["access", "group", "ops", "--identity", "client"]);
    let ca = dir.path().join("raftkeep-dev/pki/ca.pem");
    run(&[
        "clients",
        "allow-ca",
        ca.to_str().unwrap(),
        "--subject",
        "CN=tool",
    ]);
    let checks = [
        (
            "keys create",
            run(&["keys", "--json", "create", "--name", "json-key-2"]),
        ),
        ("keys list", run(&["keys", "--json", "list"])),
        ("cluster status", run(&["cluster", "--json", "status"])),
        ("clients list", run(&["clients", "--json", "list"])),
        ("objects list", run(&["objects", "--json", "list"])),
        ("access groups", run(&["access", "--json", "groups"])),
        (
            "conformance",
            // `--config` as `raftkeep keys` takes it: raftkeep dev's client.toml.
            run(&[
                "conformance",
                "--config",
                "raftkeep-dev/client.toml",
                "--dir",
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../tests/fixtures/kmip-testcases"
                ),
                "--only",
                "BL-M-1-21",
                "--json",
            ]),
        ),
    ];
    for (command, printed) in checks {
        let value: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
        let fields = documented_fields(command);
        assert!(!fields.is_empty(), "{command}");
        for field in &fields {
            assert!(has_key(&value, field), "{command}: no {field} in {printed}");
        }
    }
    drop(dev);
}

/// Whether `key` names a field anywhere in `value`.
fn has_key(value: &serde_json::Value, key: &str) -> bool {
    match value {
        serde_json::Value::Object(m) => m.contains_key(key) || m.values().any(|v| has_key(v, key)),
        serde_json::Value::Array(a) => a.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// A listen address from node `n`'s configuration under `raftkeep-dev/`: the `listen` of
/// `section`.
fn listen_of(cwd: &Path, n: usize, section: &str) -> String {
    let text =
        std::fs::read_to_string(cwd.join(format!("raftkeep-dev/node{n}/node.toml"))).unwrap();
    let at = text.find(&format!("[{section}]")).unwrap();
    let line = text[at..]
        .lines()
        .find(|l| l.starts_with("listen = "))
        .unwrap();
    line.trim_start_matches("listen = ")
        .trim_matches('"')
        .to_owned()
}

/// `raftkeep keys ...` must fail with `code` and a hint naming `fix`.
fn refused_with_hint(cwd: &Path, args: &[&str], code: i32, fix: &str) {
    let out = keys(cwd, args);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {said}");
    let hint = said
        .lines()
        .find_map(|l| l.strip_prefix("hint: "))
        .unwrap_or_else(|| panic!("{args:?}: no hint in {said}"));
    assert!(
        hint.contains(fix),
        "{args:?}: the hint does not say {fix:?}: {hint}"
    );
}

/// Each refusal a new user meets in the first hour says what happened (the error) and the one
/// command or setting that fixes it (the hint).
#[test]
fn each_first_hour_refusal_names_the_command_that_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let dev = start_dev(cwd);
    let key = ok(&keys(cwd, &["create", "--name", "taken", "--activate"]));
    let key = key.trim();

    // A name taken.
    refused_with_hint(cwd, &["create", "--name", "taken"], 3, "keys locate --name");
    // A key still Active.
    refused_with_hint(cwd, &["destroy", key], 3, "raftkeep keys revoke");
    // The wrong port: a node's cluster port, its monitoring port, nothing at all.
    let cluster = listen_of(cwd, 1, "cluster");
    refused_with_hint(cwd, &["--servers", &cluster, "get", key], 4, "5696");
    let monitoring = listen_of(cwd, 1, "monitoring");
    refused_with_hint(
        cwd,
        &["--servers", &monitoring, "get", key],
        4,
        "monitoring port",
    );
    refused_with_hint(
        cwd,
        &["--servers", "127.0.0.1:1", "get", key],
        4,
        "nodes running",
    );
    // A certificate of another CA, and a client nobody allowed.
    let other = cwd.join("other");
    let o = other.to_str().unwrap();
    for args in [
        vec!["certs", "init", "--dir", o],
        vec!["certs", "issue-client", "--dir", o, "--name", "stranger"],
    ] {
        assert!(Command::new(BIN).args(&args).status().unwrap().success());
    }
    let ca = other.join("ca.pem");
    refused_with_hint(cwd, &["--ca", ca.to_str().unwrap(), "get", key], 4, "--ca");
    let (cert, pkey) = (other.join("stranger.pem"), other.join("stranger.key"));
    refused_with_hint(
        cwd,
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            pkey.to_str().unwrap(),
            "get",
            key,
        ],
        3,
        "raftkeep clients allow",
    );
    // Two nodes of three gone: no majority for a write.
    for n in [2, 3] {
        assert!(
            Command::new("kill")
                .args(["-9", &pid(cwd, n)])
                .status()
                .unwrap()
                .success()
        );
    }
    refused_with_hint(
        cwd,
        &["create", "--name", "later"],
        4,
        "raftkeep cluster status",
    );
    drop(dev);
}

/// A network namespace of this test's own, with `addrs` on its loopback; removed on drop.
struct Netns(String);

impl Netns {
    fn new(addrs: &[&str]) -> Option<Netns> {
        let name = format!("rk-quickstart-{}", std::process::id());
        let ip = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !ip(&["netns", "add", &name]) {
            return None;
        }
        let ns = Netns(name);
        assert!(ip(&[
            "netns", "exec", &ns.0, "ip", "link", "set", "lo", "up"
        ]));
        for a in addrs {
            let cidr = format!("{a}/32");
            assert!(ip(&[
                "netns", "exec", &ns.0, "ip", "addr", "add", &cidr, "dev", "lo"
            ]));
        }
        Some(ns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Every process still in it first (the nodes), then the namespace.
        if let Ok(out) = Command::new("ip").args(["netns", "pids", &self.0]).output() {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// docs/quickstart.md, run as written: three `raftkeep server` processes on 10.0.0.1–3 in a
/// network namespace of the test's own, the admin machine's commands in the same shell, the
/// prose steps ("copy to node N", "stop node 1") done by the harness. Only the files' places
/// change (a directory per node for `/etc/raftkeep` and `/var/lib/raftkeep`) and each node's
/// KMIP listener binds its own address, as three machines' would.
#[test]
fn the_quickstart_runs_as_written() {
    let Some(ns) = Netns::new(&["10.0.0.1", "10.0.0.2", "10.0.0.3"]) else {
        // Network namespaces need root and iproute2, which CI's machine has.
        eprintln!("skipped: cannot create a network namespace here (not root, or no `ip`)");
        return;
    };
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/quickstart.md"
    ))
    .unwrap();
    let blocks = fenced_blocks(&doc);
    let langs: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        langs,
        ["sh", "sh", "toml", "sh", "sh", "sh", "toml", "sh", "sh"],
        "the quickstart changed shape: adapt this test"
    );
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().to_str().unwrap().to_owned();
    let on_node = |text: &str, n: usize| {
        text.replace("/etc/raftkeep", &format!("{t}/node{n}/etc"))
            .replace("/var/lib/raftkeep", &format!("{t}/node{n}/data"))
    };
    let mut script = format!("set -euo pipefail\ncd '{t}'\nraftkeep() {{ '{BIN}' \"$@\"; }}\n");
    let (_build, certs, node2, start, init, allow, client, first, lose) = (
        &blocks[0].1,
        &blocks[1].1,
        &blocks[2].1,
        &blocks[3].1,
        &blocks[4].1,
        &blocks[5].1,
        &blocks[6].1,
        &blocks[7].1,
        &blocks[8].1,
    );
    script.push_str(certs);
    for n in 1..=3 {
        // "To node N copy pki/ca.pem, pki/nodeN.pem, pki/nodeN.key and root.key".
        let etc = format!("{t}/node{n}/etc");
        std::fs::create_dir_all(&etc).unwrap();
        script.push_str(&format!(
            "cp pki/ca.pem pki/node{n}.pem pki/node{n}.key root.key '{etc}/'\n"
        ));
        let toml = on_node(node2, n)
            .replace("node_id = 2", &format!("node_id = {n}"))
            .replace("10.0.0.2", &format!("10.0.0.{n}"))
            .replace("node2", &format!("node{n}"))
            .replace("0.0.0.0:5696", &format!("10.0.0.{n}:5696"));
        std::fs::write(format!("{etc}/node.toml"), toml).unwrap();
        for line in on_node(start, n).lines() {
            if line.contains("--check-config") {
                script.push_str(line);
                script.push('\n');
            } else if line.starts_with("raftkeep server") {
                // The binary itself in the background, not the shell function: its PID is
                // the node's, for "stop node 1".
                let command = line.split('#').next().unwrap().trim();
                let command = command.replacen("raftkeep", &format!("'{BIN}'"), 1);
                script.push_str(&format!(
                    "{command} > '{t}/node{n}.log' 2>&1 &\necho $! > '{t}/node{n}.pid'\n"
                ));
            }
        }
    }
    // A person starts the nodes, then forms the cluster once they run: wait for each to listen.
    script.push_str(
        "for n in 1 2 3; do for _ in $(seq 1 300); do \
         (exec 3<>/dev/tcp/10.0.0.$n/7101) 2>/dev/null && break; sleep 0.1; done; done\n",
    );
    script.push_str(init);
    script.push_str(allow);
    std::fs::write(dir.path().join("client.toml"), client).unwrap();
    script.push_str(first);
    // "Stop node 1".
    script.push_str(&format!(
        "kill -9 \"$(cat '{t}/node1.pid')\"; wait \"$(cat '{t}/node1.pid')\" || true\n"
    ));
    script.push_str(lose);
    std::fs::write(dir.path().join("quickstart.sh"), &script).unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.0, "bash"])
        .arg(dir.path().join("quickstart.sh"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let logs: String = (1..=3)
        .map(|n| {
            let log = std::fs::read_to_string(dir.path().join(format!("node{n}.log")))
                .unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            format!(
                "--- node {n}\n{}\n",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        })
        .collect();
    assert!(
        out.status.success(),
        "the quickstart failed:\n--- script\n{script}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n{logs}"
    );
    assert_eq!(stdout.matches(": valid").count(), 3, "{stdout}");
    assert!(stdout.contains("first-key"), "{stdout}");
    assert_eq!(
        stderr.matches("created ").count(),
        2,
        "two keys made:\n{stderr}"
    );
    // After node 1 is gone: the Get went on to node 2, and the status names a new leader.
    assert!(stderr.contains("down"), "{stderr}");
    assert!(stdout.contains("unreachable: node at 10.0.0.1"), "{stdout}");
    let last_leader = stdout.rsplit("leader: node ").next().unwrap();
    assert!(
        last_leader.starts_with('2') || last_leader.starts_with('3'),
        "no new leader after node 1 stopped:\n{stdout}"
    );
    drop(ns);
}
