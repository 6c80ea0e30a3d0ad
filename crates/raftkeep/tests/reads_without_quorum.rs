//! Reads without quorum (DESIGN.md invariant 6), with real node processes: a node cut off from
//! the other two serves, by default (`reads_without_quorum`), Get, Get Attributes and Locate of
//! its Active keys from its own copy — counted and audited — and refuses everything else at
//! once. The same node with the setting off refuses the reads too (tests/monitoring.rs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use support::{Cluster, http_get, wait_for};

#[test]
fn a_cut_off_node_serves_its_active_keys_when_allowed_and_nothing_else() {
    let (mut c, leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let active = wait_for("the restarted follower to take a write", || {
        c.block_on(client.create_symmetric_key(
            kmip_ttlv::enums::CryptographicAlgorithm::AES,
            256,
            Vec::new(),
        ))
        .ok()
    });
    c.block_on(client.activate(&active)).unwrap();
    let pre_active = c.create_key(&client);

    for i in (0..3).filter(|i| *i != follower) {
        c.kill(i);
    }
    let _ = leader;
    let body = wait_for("the follower to see it is cut off", || {
        let (status, body) = http_get(&c.nodes[follower].monitoring_addr, "/readyz").unwrap();
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        let cut_off = body["reason"].as_str().unwrap().starts_with("cut off");
        (status == 200 && body["writes"] == false && cut_off).then_some(body)
    });
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("reads of Active keys"),
        "{body}"
    );

    // The Active key: served, its attributes too, and Locate finds it — and only it.
    let key = c.block_on(client.get(&active)).unwrap();
    assert_eq!(key.unique_identifier.to_string(), active);
    c.block_on(client.get_attributes(&active, Vec::new()))
        .unwrap();
    assert_eq!(
        c.block_on(client.locate(Vec::new(), None)).unwrap(),
        vec![active.clone()]
    );

    // Not Active: refused as unavailable, so a client would try another server.
    let refused = c.block_on(client.get(&pre_active)).unwrap_err().to_string();
    assert!(refused.contains("serves only Active keys"), "{refused}");
    // Writes fail at once, before any Raft round.
    let refused = c
        .block_on(client.create_symmetric_key(
            kmip_ttlv::enums::CryptographicAlgorithm::AES,
            256,
            Vec::new(),
        ))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("cannot reach a quorum"), "{refused}");

    // Every read served so is counted and audited with its staleness.
    let (_, metrics) = http_get(&c.nodes[follower].monitoring_addr, "/metrics").unwrap();
    let stale: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("raftkeep_kmip_stale_reads_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert_eq!(stale, 3, "Get, Get Attributes, Locate:\n{metrics}");
    let audit = std::fs::read_to_string(c.nodes[follower].data_dir.join("audit.jsonl")).unwrap();
    let stale_records: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r.get("stale_ms").is_some())
        .collect();
    let operations: Vec<&str> = stale_records
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        ["Get", "GetAttributes", "Locate", "Get"],
        "{stale_records:?}"
    );
    assert!(
        stale_records
            .iter()
            .all(|r| r["stale_ms"].as_u64() > Some(0))
    );
    assert_eq!(stale_records[3]["status"], "OperationFailed");
}
