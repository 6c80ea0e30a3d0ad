//! `raftkeep bench` against a real 3-node cluster, as a user points it at a server: bounded
//! by its operation count, every operation counted once, the JSON report consistent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::process::Command;

use support::Cluster;

fn bench(c: &Cluster, follower: usize, args: &[&str]) -> serde_json::Value {
    let out = Command::new(support::BIN)
        .arg("bench")
        .args(args)
        .args(["--json", "--duration", "120", "--servers"])
        .arg(&c.nodes[follower].kmip_addr)
        .args(["--ca", &c.pki("ca.pem")])
        .args(["--cert", &c.pki("client.pem")])
        .args(["--key", &c.pki("client.key")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// TLS connections the node has accepted so far.
fn connections(c: &Cluster, node: usize) -> u64 {
    let (_, metrics) = support::http_get(&c.nodes[node].monitoring_addr, "/metrics").unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("raftkeep_kmip_connections_total "))
        .map_or(0, |n| n.trim().parse().unwrap())
}

#[test]
fn bench_stops_at_its_operation_count_and_reports_every_operation_once() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    for (workload, extra) in [
        ("mixed", &["--keys", "5"][..]),
        // Each Locate must find exactly its key by Name, or it counts as an error.
        ("locate", &["--keys", "5"][..]),
        ("vcenter", &["--new-connection-per-op"][..]),
        // Active keys and key pairs made before the run; every Encrypt and Sign succeeds.
        ("encrypt-gcm-4k", &["--keys", "2"][..]),
        ("sign-p256", &["--keys", "1"][..]),
    ] {
        let svg = c.dir.path().join(format!("{workload}.svg"));
        let mut args = vec![
            "--workload",
            workload,
            "--concurrency",
            "3",
            "--max-ops",
            "30",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--report", svg.to_str().unwrap()]);
        let before = connections(&c, follower);
        let r = bench(&c, follower, &args);
        let drawn = std::fs::read_to_string(&svg).unwrap();
        assert!(
            drawn.starts_with("<svg") && drawn.contains("percentile"),
            "{drawn}"
        );
        assert!(drawn.contains("<polyline"), "no curve drawn");
        let opened = connections(&c, follower) - before;
        if extra.contains(&"--new-connection-per-op") {
            // vCenter's sequence is six requests, each on its own connection.
            assert!(opened >= 30 * 6, "{opened} connections for 180 requests");
        } else {
            // The setup client's and one per worker.
            assert!(
                opened <= 1 + 3,
                "{opened} connections for 3 persistent clients"
            );
        }
        assert_eq!(r["workload"], workload);
        assert_eq!(r["errors"], 0, "{r}");
        assert_eq!(r["ops"], 30, "{r}");
        let per_second: u64 = r["per_second"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(per_second, 30, "{r}");
        let l = &r["latency_us"];
        let at = |p: &str| l[p].as_u64().unwrap();
        assert!(
            at("p50") > 0 && at("p50") <= at("p99") && at("p99") <= at("max"),
            "{r}"
        );
        assert!(r["ops_per_sec"].as_f64().unwrap() > 0.0);
        assert_eq!(
            r["new_connection_per_op"],
            extra.contains(&"--new-connection-per-op")
        );
    }
}
