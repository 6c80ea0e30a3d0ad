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

/// The node's sealed segments, oldest first.
fn sealed(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .strip_prefix("audit.jsonl.")
                .is_some_and(|n| n.len() == 20 && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    out.sort();
    out
}

fn set_audit_options(c: &Cluster, node: usize, lines: &str) {
    let config = std::fs::read_to_string(&c.nodes[node].config).unwrap();
    let config = match config.split_once("\n[kmip.audit]\n") {
        Some((before, _)) => before.to_owned(),
        None => config,
    };
    std::fs::write(
        &c.nodes[node].config,
        format!("{config}\n[kmip.audit]\n{lines}\n"),
    )
    .unwrap();
}

#[test]
fn a_node_seals_its_audit_log_into_segments_of_one_chain_and_removes_only_what_its_retention_says()
{
    let (mut c, _leader, node) = Cluster::serving_kmip(3);
    let dir = c.nodes[node].data_dir.clone();
    c.kill(node);
    set_audit_options(&c, node, "segment_kib = 4");
    c.start(node);
    c.wait_kmip(node);
    let client = c.client("client", &[c.nodes[node].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&client);
    let gets = 60;
    for _ in 0..gets {
        let got = c.block_on(client.get(&uid));
        assert!(got.is_ok(), "{got:?}");
    }
    let segments = sealed(&dir);
    assert!(segments.len() >= 4, "{segments:?}");
    // Every answered Get is on record, across the segments.
    let recorded = segments
        .iter()
        .chain([&dir.join("audit.jsonl")])
        .map(|p| std::fs::read_to_string(p).unwrap())
        .map(|t| t.matches("\"operation\":\"Get\"").count())
        .sum::<usize>();
    assert_eq!(recorded, gets);
    let (ok, said) = verify(&dir);
    assert!(ok && said.contains("chain intact"), "{said}");
    let metrics = support::http_get(&c.nodes[node].monitoring_addr, "/metrics")
        .unwrap()
        .1;
    assert!(metrics.contains("raftkeep_audit_segments "), "{metrics}");

    // A segment removed by hand is found, and named.
    c.kill(node);
    let middle = segments[1].clone();
    let kept = std::fs::read(&middle).unwrap();
    std::fs::remove_file(&middle).unwrap();
    let (ok, said) = verify(&dir);
    assert!(!ok && said.contains("missing between"), "{said}");
    std::fs::write(&middle, kept).unwrap();

    // The retention removes the oldest, records that it did, and the log still verifies.
    set_audit_options(&c, node, "segment_kib = 4\nkeep_segments = 2");
    c.start(node);
    c.wait_kmip(node);
    let got = c.block_on(client.get(&uid));
    assert!(got.is_ok(), "{got:?}");
    let left = sealed(&dir);
    assert_eq!(left.len(), 2, "{left:?}");
    let (ok, said) = verify(&dir);
    assert!(ok && said.contains("removed by the retention"), "{said}");
    let (_, tail) = {
        let out = Command::new(BIN)
            .args(["audit", "tail", "-n", "200", dir.to_str().unwrap()])
            .output()
            .unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    assert!(tail.contains("AuditSegmentsRemoved"), "{tail}");

    // The oldest kept segment removed by hand is not the node's doing: refused.
    c.kill(node);
    std::fs::remove_file(&left[0]).unwrap();
    let (ok, said) = verify(&dir);
    assert!(!ok && said.contains("removed by hand"), "{said}");
}
