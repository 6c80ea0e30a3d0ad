//! Leadership lives where the operator says (`cluster.preferred_leaders`), with three node
//! processes: the preferred voter takes over once it has been caught up for a while; when it
//! dies another node leads; when it is back and caught up, leadership returns to it and
//! stays; `raftkeep cluster status` shows where the leader is against where it should be.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::time::Duration;

use support::{Cluster, wait_for};

fn leader(c: &Cluster, asked: &[usize]) -> Option<u64> {
    asked
        .iter()
        .find_map(|i| c.status(*i).and_then(|s| s.leader_id))
}

#[test]
fn leadership_returns_to_the_preferred_voter_once_it_is_healthy_and_stays_there() {
    let mut c = Cluster::new(3);
    for i in 0..3 {
        c.set_cluster_option(i, "preferred_leaders = [3]");
    }
    for i in 0..3 {
        c.start(i);
    }
    c.init_all();
    wait_for("node 3 to lead", || {
        (leader(&c, &[0, 1])? == 3).then_some(())
    });
    let said = c.cluster_cli(0, &["status"]);
    assert!(said.contains("where it should be (preferred: 3)"), "{said}");

    c.kill(2);
    let other = wait_for("another node to lead", || {
        leader(&c, &[0, 1]).filter(|l| *l != 3)
    });
    let said = c.cluster_cli(0, &["status"]);
    assert!(
        said.contains(&format!("leader: node {other}")) && said.contains("NOT where it should be"),
        "{said}"
    );

    c.start(2);
    wait_for("node 3 to lead again", || {
        (leader(&c, &[0, 1, 2])? == 3).then_some(())
    });
    // No flapping: it keeps leading.
    for _ in 0..5 {
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(leader(&c, &[0, 1, 2]), Some(3));
    }
    // And the cluster writes through it.
    c.allow(0, "client");
    let client = c.client("client", &[c.nodes[0].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&client);
    assert!(c.block_on(client.get(&uid)).is_ok());
}
