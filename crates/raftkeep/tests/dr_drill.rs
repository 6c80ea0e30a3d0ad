//! `raftkeep drill` against a live cluster under write traffic: it passes, serves a Get from
//! the restored copy, compares every object (keys made during the drill count as changed since
//! the backup, not as failures), and leaves nothing in the live cluster but its backup marker.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::sync::atomic::{AtomicBool, Ordering};

use support::{BIN, Cluster};

#[test]
fn a_drill_under_write_traffic_passes_and_compares_every_object() {
    let (c, leader) = Cluster::running(3);
    c.allow(leader, "client");
    let servers: Vec<String> = c.nodes.iter().map(|n| n.kmip_addr.clone()).collect();
    let client = c.client("client", &servers, None, 10);
    let uids: Vec<String> = (0..15).map(|_| c.create_key(&client)).collect();
    c.block_on(client.activate(&uids[1])).unwrap();
    c.block_on(client.destroy(&uids[2])).unwrap();

    let drilling = AtomicBool::new(true);
    let (out, made) = std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut made = 0;
            // Bounded: at most 200 keys, and only while the drill runs.
            while drilling.load(Ordering::Relaxed) && made < 200 {
                c.create_key(&client);
                made += 1;
            }
            made
        });
        let config = c.nodes[0].config.to_str().unwrap().to_owned();
        let out = std::process::Command::new(BIN)
            .args(["drill", "--config", &config, "--json"])
            .output()
            .unwrap();
        drilling.store(false, Ordering::Relaxed);
        (out, writer.join().unwrap())
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "drill failed: {stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["pass"], true, "{report}");
    assert_eq!(report["differing"], 0, "{report}");
    let compared = report["objects_compared"].as_u64().unwrap();
    let identical = report["identical"].as_u64().unwrap();
    assert!(compared >= 15, "{report}");
    assert!(identical >= 15, "{report}");
    assert_eq!(
        compared,
        identical + report["changed_since_backup"].as_u64().unwrap()
    );
    assert!(report["first_get_ms"].as_u64().is_some(), "{report}");
    eprintln!("drill report ({made} keys made meanwhile): {report}");

    // The live cluster kept its state and recorded the backup.
    let status = c.status(0).unwrap();
    assert_eq!(status.last_backup_id, report["backup_id"].as_str().unwrap());
    c.wait_converged(&[0, 1, 2]);
}
