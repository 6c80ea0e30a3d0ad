//! Disaster recovery drill: site A (nodes 1 and 2, the majority) is lost for good; the
//! operator recovers from site B (node 3) with `raftkeep cluster recover`. Every key
//! acknowledged before the loss that had reached site B is served with identical material;
//! the recovery refuses while site A still answers; site A coming back with its old data cannot
//! disturb the new cluster. Prints the RPO (acknowledged keys lost) and RTO (loss to the first
//! Get served again, the operator's commands included).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::{BIN, Cluster, wait_for};

fn recover(c: &Cluster, i: usize) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args([
            "cluster",
            "--config",
            c.nodes[i].config.to_str().unwrap(),
            "recover",
        ])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn after_losing_the_majority_site_every_key_that_reached_the_other_site_is_served() {
    let (mut c, leader) = Cluster::running(3);
    c.allow(leader, "client");
    let servers: Vec<String> = c.nodes.iter().map(|n| n.kmip_addr.clone()).collect();
    let client = c.client("client", &servers, None, 10);
    let uids: Vec<String> = (0..25).map(|_| c.create_key(&client)).collect();
    let originals: Vec<_> = uids
        .iter()
        .map(|u| c.block_on(client.get(u)).unwrap())
        .collect();
    // Every acknowledged key has reached site B.
    c.wait_converged(&[0, 1, 2]);
    let old_id = c.status(2).unwrap().cluster_id;

    // Site B's node is stopped for the recovery; site A still answers: refused.
    c.kill(2);
    let (ok, _, stderr) = recover(&c, 2);
    assert!(!ok, "recovered while the old majority answers");
    assert!(stderr.contains("refusing to recover"), "{stderr}");

    // Site A is lost for good.
    let lost = Instant::now();
    c.kill(0);
    c.kill(1);
    let (ok, stdout, stderr) = recover(&c, 2);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("may be lost"), "{stdout}");
    c.start(2);
    let site_b = c.client("client", &[c.nodes[2].kmip_addr.clone()], None, 10);
    wait_for("the recovered node to serve a Get", || {
        c.block_on(site_b.get(&uids[0])).ok()
    });
    let rto = lost.elapsed();

    let mut lost_keys = 0;
    for (uid, original) in uids.iter().zip(&originals) {
        match c.block_on(site_b.get(uid)) {
            Ok(got) => assert_eq!(&got, original, "{uid} differs after recovery"),
            Err(_) => lost_keys += 1,
        }
    }
    eprintln!(
        "RPO: {lost_keys} of {} acknowledged keys lost; RTO: {:.1} s (site lost -> first Get served, recover and restart included)",
        uids.len(),
        rto.as_secs_f64()
    );
    assert_eq!(lost_keys, 0);
    let status = c.status(2).unwrap();
    assert_ne!(status.cluster_id, old_id);
    let new_id = status.cluster_id;
    let after = c.create_key(&site_b);

    // Site A comes back with its old data: it is another cluster now, and is refused.
    c.start(0);
    c.start(1);
    std::thread::sleep(Duration::from_secs(4));
    let status = c.status(2).unwrap();
    assert_eq!(status.state, "Leader");
    assert_eq!(status.cluster_id, new_id);
    assert_eq!(status.members.len(), 1);
    assert!(c.block_on(site_b.get(&after)).is_ok());
    c.create_key(&site_b);
    let log = std::fs::read_to_string(&c.nodes[2].log).unwrap();
    assert!(log.contains("node of another cluster"), "no refusal logged");
}
