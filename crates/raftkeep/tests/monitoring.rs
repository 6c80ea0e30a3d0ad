//! The monitoring endpoint of real node processes, as a load balancer, Kubernetes and
//! Prometheus see it: `/healthz` while the process serves, `/readyz` only once the node is a
//! member of a cluster and can serve reads — not without quorum when reads without quorum
//! are turned off (on by default: tests/reads_without_quorum.rs) — and `/metrics` with Raft's
//! state and every KMIP operation by result.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use support::{Cluster, http_get, wait_for};

fn readiness(c: &Cluster, i: usize) -> (u16, serde_json::Value) {
    let (status, body) = http_get(&c.nodes[i].monitoring_addr, "/readyz").unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

#[test]
fn readyz_follows_membership_and_quorum_and_metrics_count_operations() {
    let mut c = Cluster::new(3);
    for i in 0..3 {
        c.start(i);
    }
    // Running but in no cluster yet: alive, not ready, and the body says what to do.
    let (status, body) = wait_for("node 1's monitoring endpoint", || {
        http_get(&c.nodes[0].monitoring_addr, "/healthz")
    });
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    let (status, body) = readiness(&c, 0);
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    assert!(
        body["reason"].as_str().unwrap().contains("cluster init"),
        "{body}"
    );

    c.init_all();
    let leader = c.wait_leader(&[0, 1, 2]);
    for i in 0..3 {
        let body = wait_for("every node ready with writes", || {
            let (status, body) = readiness(&c, i);
            (status == 200 && body["writes"] == true).then_some(body)
        });
        assert_eq!(body["node_id"], c.nodes[i].id);
        assert_eq!(body["leader"], c.nodes[leader].id);
        assert_eq!(body["reason"], "");
    }

    // A KMIP operation through a follower shows up in that node's metrics, by result.
    c.allow(leader, "client");
    let follower = (0..3).find(|i| *i != leader).unwrap();
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&client);
    let missing = c.block_on(client.get("no-such-object"));
    assert!(missing.is_err());
    let (status, metrics) = http_get(&c.nodes[follower].monitoring_addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    for line in [
        r#"raftkeep_kmip_operations_total{operation="Create",result="Success"} 1"#,
        r#"raftkeep_kmip_operations_total{operation="Get",result="ObjectNotFound"} 1"#,
        "raftkeep_kmip_operation_seconds_bucket{operation=\"Create\",le=\"60\"} 1",
        &format!("raftkeep_raft_leader_id {}", c.nodes[leader].id),
        "raftkeep_raft_voters 3",
        "raftkeep_raft_is_leader 0",
        "raftkeep_kmip_connections 1",
    ] {
        assert!(metrics.contains(line), "no `{line}` in\n{metrics}");
    }
    assert!(
        metrics.contains("raftkeep_certificate_expiry_timestamp_seconds{certificate=\"KMIP\"}")
    );
    assert!(
        !metrics.contains("raftkeep_kmip_stale_reads_total"),
        "a read with a live leader counted as stale:\n{metrics}"
    );
    let (_, metrics) = http_get(&c.nodes[leader].monitoring_addr, "/metrics").unwrap();
    assert!(metrics.contains("raftkeep_raft_is_leader 1"), "{metrics}");
    assert!(
        metrics.contains("raftkeep_raft_replication_lag_entries{follower="),
        "{metrics}"
    );

    // Without quorum, with reads without quorum off, the survivor serves nothing: not ready,
    // and reads are refused so the client moves on (on by default: tests/reads_without_quorum.rs).
    c.kill(follower);
    c.set_cluster_option(follower, "reads_without_quorum = false");
    c.start(follower);
    wait_for("the restarted follower to serve again", || {
        c.block_on(client.get(&uid)).ok()
    });
    let others: Vec<usize> = (0..3).filter(|i| *i != follower).collect();
    for i in others {
        c.kill(i);
    }
    let body = wait_for("the survivor to see it cannot serve", || {
        let (status, body) = readiness(&c, follower);
        (status == 503 && body["writes"] == false).then_some(body)
    });
    assert_eq!(body["ready"], false);
    assert!(
        body["reason"].as_str().unwrap().contains("no reads either"),
        "{body}"
    );
    // It serves nothing: it says so, and soon refuses connections, so that every client —
    // also one that understands no "unavailable" answer — moves on at once.
    let refused = c.block_on(client.get(&uid)).unwrap_err().to_string();
    assert!(
        refused.contains("down") || refused.contains("does not serve reads then"),
        "{refused}"
    );
    wait_for("the survivor to reset connections", || {
        (!c.block_on(c.kmip_serves(follower))).then_some(())
    });
    let (_, metrics) = http_get(&c.nodes[follower].monitoring_addr, "/metrics").unwrap();
    assert!(
        !metrics.contains("raftkeep_kmip_stale_reads_total"),
        "a refused read counted as served:\n{metrics}"
    );
    assert!(
        metrics.contains("raftkeep_kmip_listener_closed 1"),
        "{metrics}"
    );

    // Quorum back: it accepts connections again by itself, and serves.
    for i in (0..3).filter(|i| *i != follower) {
        c.start(i);
    }
    c.wait_kmip(follower);
    wait_for("the survivor to serve again", || {
        c.block_on(client.get(&uid)).ok()
    });
}
