//! A node whose audit log ends in a record cut short by a crash starts and keeps the chain:
//! with 3 node processes, a node is killed, its log gets the first bytes of a record as a
//! power loss leaves them, and `raftkeep audit verify` names the torn line; restarted, the
//! node sets the bytes aside, records that it did, serves, and the log verifies end to end.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::process::Command;

use support::{BIN, Cluster};

fn verify(log: &std::path::Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["audit", "verify", log.to_str().unwrap()])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn a_node_whose_audit_log_was_cut_short_by_a_crash_recovers_it_and_serves() {
    let (mut c, _leader, node) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[node].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&client);
    let log = c.nodes[node].data_dir.join("audit.jsonl");
    let (ok, said) = verify(&log);
    assert!(ok, "{said}");

    c.kill(node);
    let whole = std::fs::read(&log).unwrap();
    let mut torn = whole.clone();
    torn.extend_from_slice(&whole[..37]);
    std::fs::write(&log, &torn).unwrap();
    let (ok, said) = verify(&log);
    assert!(!ok);
    assert!(said.contains("37 bytes of a record cut short"), "{said}");

    c.start(node);
    c.wait_kmip(node);
    let got = c.block_on(client.get(&uid));
    assert!(got.is_ok(), "{got:?}");
    let (ok, said) = verify(&log);
    assert!(ok, "{said}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("\"operation\":\"AuditLogRecovered\""),
        "{text}"
    );
    let aside: Vec<_> = std::fs::read_dir(&c.nodes[node].data_dir)
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("audit.jsonl.torn-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].path()).unwrap(), whole[..37]);
}
