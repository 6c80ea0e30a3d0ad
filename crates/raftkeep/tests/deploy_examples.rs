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

/// Every file under `dir` whose extension is `ext`.
fn files_ending(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_ending(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// Checks one file: a node configuration or a client configuration.
fn check(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    if text.lines().any(|l| l.trim_start().starts_with("node_id")) {
        let out = Command::new(BIN)
            .args(["server", "--check-config", "--syntax-only", "--config"])
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
    files_ending(&repo().join("deploy"), "toml", &mut files);
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

/// The Kubernetes files: valid against the API schemas (strict), and consistent — the
/// StatefulSet's ports and probes are the ones its node configuration listens on, its
/// mounts hold the files that configuration names, the services and the disruption budget
/// select its pods.
#[test]
fn the_kubernetes_manifests_pass_the_api_schema_and_agree_with_the_node_config() {
    let dir = repo().join("deploy/kubernetes");
    let files = [
        "config.yaml",
        "services.yaml",
        "pdb.yaml",
        "statefulset.yaml",
    ];
    let out = Command::new(repo().join("tests/kubernetes/validate.sh"))
        .arg("1.30.0")
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "schema validation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let kind =
        |k: &str| -> Vec<&serde_json::Value> { docs.iter().filter(|d| d["kind"] == k).collect() };
    let [set] = kind("StatefulSet")[..] else {
        panic!("one StatefulSet expected")
    };
    let [config_map] = kind("ConfigMap")[..] else {
        panic!("one ConfigMap expected")
    };
    let [pdb] = kind("PodDisruptionBudget")[..] else {
        panic!("one PodDisruptionBudget expected")
    };

    // The node configuration every pod runs is valid, also with a pod's overrides.
    let tmp = tempfile::tempdir().unwrap();
    let node_toml = tmp.path().join("node.toml");
    std::fs::write(
        &node_toml,
        config_map["data"]["node.toml"].as_str().unwrap(),
    )
    .unwrap();
    let checked = Command::new(BIN)
        .args([
            "server",
            "--check-config",
            "--syntax-only",
            "--node-id",
            "3",
            "--advertise",
        ])
        .arg("raftkeep-2.raftkeep-peers.kms.svc.cluster.local:7101")
        .arg("--config")
        .arg(&node_toml)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let config = raftkeep_node::NodeConfig::load(&node_toml).unwrap();

    let pod = &set["spec"]["template"];
    let labels = &pod["metadata"]["labels"];
    assert_eq!(set["spec"]["selector"]["matchLabels"], *labels);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], *labels);
    assert_eq!(
        pdb["spec"]["maxUnavailable"], 1,
        "3 voters keep quorum with one away"
    );
    for service in kind("Service") {
        assert_eq!(
            service["spec"]["selector"], *labels,
            "{}",
            service["metadata"]["name"]
        );
    }
    let headless = kind("Service")
        .into_iter()
        .find(|s| s["metadata"]["name"] == set["spec"]["serviceName"])
        .expect("the StatefulSet's serviceName is one of the services");
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert_eq!(
        headless["spec"]["publishNotReadyAddresses"], true,
        "a node must reach its peers before it is ready"
    );
    let spec = &pod["spec"];
    assert_eq!(
        spec["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);

    let [container] = spec["containers"].as_array().unwrap().as_slice() else {
        panic!("one container expected")
    };
    let port = |name: &str| -> u16 {
        container["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no container port {name}"))["containerPort"]
            .as_u64()
            .unwrap() as u16
    };
    assert_eq!(port("kmip"), config.kmip.as_ref().unwrap().listen.port());
    assert_eq!(port("cluster"), config.cluster.listen.port());
    assert_eq!(
        port("monitoring"),
        config.monitoring.as_ref().unwrap().listen.port()
    );
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["readinessProbe"]["httpGet"]["port"], "monitoring");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    let script = container["command"][2].as_str().unwrap();
    assert!(
        script.contains("--node-id") && script.contains("--advertise"),
        "{script}"
    );
    assert!(script.contains(&format!(":{}", config.cluster.listen.port())));

    // Every file the configuration names is in a mount; the root key comes from a Secret.
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mountPath"].as_str().unwrap())
        .collect();
    let k = config.kmip.as_ref().unwrap();
    for file in [
        &config.tls.ca,
        &config.tls.cert,
        &config.tls.key,
        &k.cert,
        &k.key,
        &config.data_dir,
    ] {
        assert!(
            mounts.iter().any(|m| file.starts_with(m)),
            "{} is in no volume mount ({mounts:?})",
            file.display()
        );
    }
    assert!(
        script.contains("--config /etc/raftkeep/node.toml")
            && mounts.contains(&"/etc/raftkeep/node.toml")
    );
    let var = config
        .root_key
        .env
        .as_deref()
        .expect("root key from the env");
    let env = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == var)
        .unwrap_or_else(|| panic!("{var} is not set"));
    assert!(env["valueFrom"]["secretKeyRef"]["name"].is_string());
}

/// The image runs as a non-root user, exposes the ports the examples use and starts the
/// node with the configuration path the Kubernetes example mounts.
#[test]
fn the_dockerfile_runs_the_node_as_a_non_root_user() {
    let text = std::fs::read_to_string(repo().join("deploy/docker/Dockerfile")).unwrap();
    let last_stage = text.rsplit("\nFROM ").next().unwrap();
    let user = last_stage
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER in the final stage");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    let expose = last_stage
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .unwrap();
    for port in ["5696", "7101", "9696"] {
        assert!(expose.split_whitespace().any(|p| p == port), "{expose}");
    }
    assert!(last_stage.contains(r#"CMD ["server", "--config", "/etc/raftkeep/node.toml"]"#));
    assert!(last_stage.contains(r#"ENTRYPOINT ["raftkeep"]"#));
    // Completions and man pages are generated in the build stage and installed.
    for made in ["raftkeep completions bash", "raftkeep man --out-dir"] {
        assert!(text.contains(made), "the Dockerfile does not run {made}");
    }
    for installed in [
        "/usr/share/bash-completion/completions/raftkeep",
        "/usr/share/man/man1/",
    ] {
        assert!(last_stage.contains(installed), "{installed} not installed");
    }
}

/// The completions and man pages come from the command-line definition: the bash script is
/// valid bash and knows the newest commands; there is a page for every subcommand.
#[test]
fn completions_and_man_pages_cover_every_command() {
    let bash = Command::new(BIN)
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(bash.status.success());
    let script = String::from_utf8(bash.stdout).unwrap();
    for word in ["objects", "renew", "issue-operator", "completions"] {
        assert!(script.contains(word), "completion lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("raftkeep.bash");
    std::fs::write(&file, &script).unwrap();
    let syntax = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(syntax.status.success(), "{syntax:?}");
    let man = Command::new(BIN)
        .args(["man", "--out-dir"])
        .arg(dir.path().join("man"))
        .output()
        .unwrap();
    assert!(man.status.success(), "{man:?}");
    for page in [
        "raftkeep.1",
        "raftkeep-keys-create.1",
        "raftkeep-certs-renew.1",
        "raftkeep-objects-move.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join("man").join(page)).unwrap();
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
    }
}

/// The metric-name characters at the start of `piece` (what follows `raftkeep_`), and the
/// rest.
fn metric_name(piece: &str) -> (&str, &str) {
    let end = piece
        .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .unwrap_or(piece.len());
    piece.split_at(end)
}

/// The `raftkeep_*` metric names the nodes record (string literals in the server, node and
/// network crates).
fn recorded_metrics() -> std::collections::BTreeSet<String> {
    let mut sources = Vec::new();
    for krate in ["raftkeep-server", "raftkeep-node", "raftkeep-net"] {
        files_ending(
            &repo().join("crates").join(krate).join("src"),
            "rs",
            &mut sources,
        );
    }
    let mut names = std::collections::BTreeSet::new();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("\"raftkeep_").skip(1) {
            let (name, rest) = metric_name(piece);
            if rest.starts_with('"') {
                names.insert(format!("raftkeep_{name}"));
            }
        }
    }
    names
}

/// The metric names a text uses (`raftkeep_...`, histogram suffixes removed).
fn metrics_named_in(text: &str) -> std::collections::BTreeSet<String> {
    text.split("raftkeep_")
        .skip(1)
        .filter_map(|piece| {
            let (name, rest) = metric_name(piece);
            // `raftkeep_server=debug` is a log filter, not a metric.
            if rest.starts_with('=') {
                return None;
            }
            let name = name.trim_end_matches('_');
            let name = ["_bucket", "_sum", "_count"]
                .iter()
                .fold(name, |n, s| n.strip_suffix(s).unwrap_or(n));
            Some(format!("raftkeep_{name}"))
        })
        .filter(|n| !n.starts_with("raftkeep_client_") && n != "raftkeep_")
        .collect()
}

/// The dashboard and docs/monitoring.md cannot drift from the code: every metric they name
/// is recorded by a node, and the docs list every metric a node records.
#[test]
fn the_dashboard_and_the_monitoring_docs_name_exactly_the_metrics_the_nodes_record() {
    let recorded = recorded_metrics();
    assert!(recorded.len() >= 15, "{recorded:?}");
    let dashboard = std::fs::read_to_string(repo().join("deploy/grafana/raftkeep.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let mut exprs = String::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            exprs.push_str(target["expr"].as_str().unwrap());
            exprs.push('\n');
        }
    }
    let used = metrics_named_in(&exprs);
    assert!(used.len() >= 10, "{used:?}");
    for name in &used {
        assert!(
            recorded.contains(name),
            "the dashboard uses {name}, which no node records"
        );
    }
    let docs = std::fs::read_to_string(repo().join("docs/monitoring.md")).unwrap();
    let documented = metrics_named_in(&docs);
    for name in &documented {
        assert!(
            recorded.contains(name),
            "docs/monitoring.md names {name}, which no node records"
        );
    }
    for name in &recorded {
        assert!(
            documented.contains(name),
            "{name} is not in docs/monitoring.md"
        );
    }
}

/// What the unit's install comment says about one installed file: `(owner, mode)`.
fn installed(unit: &str, target: &str) -> (String, u32) {
    let line = unit
        .lines()
        .find(|l| l.starts_with("#   install ") && l.trim_end().ends_with(target))
        .unwrap_or_else(|| panic!("the unit does not say how {target} is installed"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |flag: &str| {
        let at = words.iter().position(|w| *w == flag).unwrap();
        words[at + 1].to_owned()
    };
    (after("-o"), u32::from_str_radix(&after("-m"), 8).unwrap())
}

/// A node configuration whose certificates and root key are real files in `dir`, the root
/// key written with `mode`.
fn node_files(dir: &Path, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let d = dir.to_str().unwrap();
    for args in [
        vec!["certs", "init", "--dir", d],
        vec![
            "certs",
            "issue-server",
            "--dir",
            d,
            "--name",
            "node1",
            "--san",
            "127.0.0.1",
        ],
    ] {
        let out = Command::new(BIN).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    }
    let key = dir.join("root.key");
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
    let config = dir.join("node.toml");
    std::fs::write(
        &config,
        format!(
            "node_id = 1\ndata_dir = \"{d}/data\"\n[cluster]\nlisten = \"127.0.0.1:7101\"\n\
             [tls]\nca = \"{d}/ca.pem\"\ncert = \"{d}/node1.pem\"\nkey = \"{d}/node1.key\"\n\
             [root_key]\nfile = \"{d}/root.key\"\n"
        ),
    )
    .unwrap();
    config
}

fn check_config(config: &Path) -> std::process::Output {
    Command::new(BIN)
        .args(["server", "--check-config", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

/// The root key installed as the unit's comment says (owner = the unit's `User=`, its mode)
/// passes the node's own start checks; the group-readable mode the unit once documented
/// does not.
#[test]
fn the_systemd_units_documented_root_key_permissions_are_accepted_by_the_node() {
    let unit = std::fs::read_to_string(repo().join("deploy/systemd/raftkeep.service")).unwrap();
    let (owner, mode) = installed(&unit, "/etc/raftkeep/root.key");
    let user = unit
        .lines()
        .find_map(|l| l.strip_prefix("User="))
        .expect("a User= line");
    assert_eq!(
        owner, user,
        "the root key belongs to the user the node runs as"
    );
    let dir = tempfile::tempdir().unwrap();
    let config = node_files(&dir.path().join("documented"), mode);
    let out = check_config(&config);
    assert!(
        out.status.success(),
        "mode {mode:o}: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let config = node_files(&dir.path().join("group-readable"), 0o640);
    let out = check_config(&config);
    assert!(!out.status.success(), "a group-readable root key passed");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("root.key"), "{said}");
}
