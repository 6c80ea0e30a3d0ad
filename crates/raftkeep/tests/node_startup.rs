//! A node with an unusable identity or root key refuses to start and says what is wrong:
//! an expired certificate, one not valid yet, a private key that belongs to another
//! certificate, a root key of the wrong size. Each error names the file and the problem.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::Cluster;

/// Runs `raftkeep server` on `config`; it must exit non-zero within 30 s. Its stderr.
fn refused(config: &std::path::Path) -> String {
    let mut child = Command::new(support::BIN)
        .args(["server", "--config"])
        .arg(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(!status.success(), "the node started");
            let out = child.wait_with_output().unwrap();
            return String::from_utf8_lossy(&out.stderr).into_owned();
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the node kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A certificate for node 1 from the cluster CA, valid from `from` to `until` days from now.
fn issue(c: &Cluster, name: &str, from: i64, until: i64) {
    let ca_key =
        rcgen::KeyPair::from_pem(&std::fs::read_to_string(c.pki("ca.key")).unwrap()).unwrap();
    let issuer =
        rcgen::Issuer::from_ca_cert_pem(&std::fs::read_to_string(c.pki("ca.pem")).unwrap(), ca_key)
            .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(from);
    params.not_after = now + time::Duration::days(until);
    let cert = params.signed_by(&key, &issuer).unwrap();
    std::fs::write(c.pki(&format!("{name}.pem")), cert.pem()).unwrap();
    support::write_secret(
        std::path::Path::new(&c.pki(&format!("{name}.key"))),
        &key.serialize_pem(),
    );
}

/// Node 1's configuration with the first `from` after `section` replaced by `to`, for each
/// pair, as a new file.
fn variant(c: &Cluster, file: &str, section: &str, pairs: &[(&str, &str)]) -> std::path::PathBuf {
    let original = std::fs::read_to_string(&c.nodes[0].config).unwrap();
    let at = original.find(section).unwrap();
    let (head, mut tail) = (original[..at].to_owned(), original[at..].to_owned());
    for (from, to) in pairs {
        assert!(tail.contains(from), "{from} not in {section}");
        tail = tail.replacen(from, to, 1);
    }
    let path = c.dir.path().join(file);
    std::fs::write(&path, format!("{head}{tail}")).unwrap();
    path
}

#[test]
fn a_node_names_the_certificate_or_key_that_keeps_it_from_starting() {
    let c = Cluster::new(1);
    issue(&c, "expired", -10, -1);
    issue(&c, "future", 10, 20);
    let swap = |name: &'static str| {
        [
            (
                "pki/node1.pem",
                if name == "expired" {
                    "pki/expired.pem"
                } else {
                    "pki/future.pem"
                },
            ),
            (
                "pki/node1.key",
                if name == "expired" {
                    "pki/expired.key"
                } else {
                    "pki/future.key"
                },
            ),
        ]
    };

    let said = refused(&variant(&c, "expired.toml", "[tls]", &swap("expired")));
    assert!(
        said.contains("cluster certificate")
            && said.contains("expired.pem")
            && said.contains("expired on"),
        "{said}"
    );

    let said = refused(&variant(&c, "future.toml", "[kmip]", &swap("future")));
    assert!(
        said.contains("KMIP certificate") && said.contains("future.pem") && said.contains("clock"),
        "{said}"
    );

    let config = variant(
        &c,
        "mismatch.toml",
        "[tls]",
        &[("pki/node1.key", "pki/admin.key")],
    );
    let said = refused(&config);
    assert!(
        said.contains("admin.key") && said.contains("does not belong to this certificate"),
        "{said}"
    );

    support::write_secret(&c.dir.path().join("short.key"), &"ab".repeat(31));
    let config = variant(&c, "short.toml", "[root_key]", &[("root.key", "short.key")]);
    let said = refused(&config);
    assert!(
        said.contains("short.key") && said.contains("256-bit"),
        "{said}"
    );
    // Each cause once on the line.
    assert_eq!(said.matches("256-bit").count(), 1, "{said}");

    let config = variant(
        &c,
        "command.toml",
        "[root_key]",
        &[(
            "file = \"root.key\"",
            "command = [\"sh\", \"-c\", \"echo vault sealed >&2; exit 2\"]",
        )],
    );
    let said = refused(&config);
    assert!(
        said.contains("root key command") && said.contains("vault sealed"),
        "{said}"
    );
}

/// The custodian procedure of docs/security.md: the root key split 3-of-5, the node started
/// with a `[root_key] command` that combines shares. Two shares are refused with a message
/// that says so; three start the node, which opens the cluster's key check value with it.
#[test]
fn a_node_unseals_with_a_root_key_rebuilt_from_three_of_five_custodian_shares() {
    let mut c = Cluster::new(1);
    let dir = c.dir.path().to_owned();
    let shares = dir.join("shares");
    let key = dir.join("root.key");
    support::cli(&[
        "root-key",
        "split",
        "--key",
        key.to_str().unwrap(),
        "--shares",
        "5",
        "--threshold",
        "3",
        "--out-dir",
        shares.to_str().unwrap(),
    ]);
    let share = |n: u32| shares.join(format!("share-{n}.txt"));
    // A share alone says nothing about the key.
    let text = std::fs::read_to_string(share(1)).unwrap();
    assert!(!text.contains(&hex::encode(c.root_key)), "{text}");
    let with = |file: &str, picked: &[u32]| {
        let args: Vec<String> = picked
            .iter()
            .map(|n| format!("{:?}", share(*n).to_str().unwrap()))
            .collect();
        let command = format!(
            "command = [{:?}, \"root-key\", \"combine\", {}]",
            support::BIN,
            args.join(", ")
        );
        variant(&c, file, "[root_key]", &[("file = \"root.key\"", &command)])
    };

    let said = refused(&with("two.toml", &[2, 4]));
    assert!(
        said.contains("root key command") && said.contains("2 shares given, 3 needed"),
        "{said}"
    );

    // The node starts, initializes a cluster (recording the key check value) and serves.
    std::fs::copy(with("three.toml", &[1, 3, 5]), &c.nodes[0].config).unwrap();
    c.start(0);
    c.init_all();
    c.wait_leader(&[0]);
    let rebuilt = support::cli(&[
        "root-key",
        "combine",
        share(5).to_str().unwrap(),
        share(2).to_str().unwrap(),
        share(4).to_str().unwrap(),
    ]);
    assert_eq!(rebuilt.trim(), hex::encode(c.root_key));
}
