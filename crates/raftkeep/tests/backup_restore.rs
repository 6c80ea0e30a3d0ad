//! An online backup taken through a follower holds every key acknowledged before it; `backup
//! verify` catches a flipped byte without the root key; the file restores into a new cluster
//! (a new cluster id) that serves every key identical to the source, and a node joining the
//! new cluster receives them too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use support::Cluster;

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_backup_restores_into_a_new_cluster_with_every_key_identical() {
    let mut c = Cluster::new(5);
    for i in 0..3 {
        c.start(i);
    }
    c.init_first(3);
    let leader = c.wait_leader(&[0, 1, 2]);
    c.allow(leader, "client");
    let servers: Vec<String> = c.nodes[..3].iter().map(|n| n.kmip_addr.clone()).collect();
    let client = c.client("client", &servers, None, 10);
    let uids: Vec<String> = (0..30).map(|_| c.create_key(&client)).collect();
    c.block_on(client.destroy(&uids[0])).unwrap();
    let originals: Vec<_> = uids[1..]
        .iter()
        .map(|u| c.block_on(client.get(u)).unwrap())
        .collect();

    let follower = (0..3).find(|i| *i != leader).unwrap();
    let file = c.dir.path().join("cluster.rkb");
    let file_s = file.to_str().unwrap();
    let out = c.admin_cmd("backup", follower, &["create", "--out", file_s]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "backup create: {stderr}");
    assert!(
        stdout.contains("30 objects (29 with key material)"),
        "{stdout}"
    );
    // Made after the backup: not in it.
    let later = c.create_key(&client);

    let verify = |args: &[&str]| {
        let mut all = vec!["backup"];
        all.extend_from_slice(args);
        let out = std::process::Command::new(support::BIN)
            .args(&all)
            .output()
            .unwrap();
        (out.status.success(), text(&out))
    };
    let (ok, (stdout, stderr)) = verify(&["verify", file_s]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("integrity: ok"), "{stdout}");
    assert!(stdout.contains("authenticity: not checked"), "{stdout}");
    let node1 = c.nodes[0].config.to_str().unwrap().to_owned();
    let (ok, (stdout, stderr)) = verify(&["--config", &node1, "verify", file_s]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("authenticity: ok"), "{stdout}");

    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x04;
    let damaged = c.dir.path().join("damaged.rkb");
    std::fs::write(&damaged, &bytes).unwrap();
    let (ok, (_, stderr)) = verify(&["verify", damaged.to_str().unwrap()]);
    assert!(!ok, "a flipped byte went unnoticed");
    assert!(stderr.contains("digest does not match"), "{stderr}");

    // Restore into node 4, never started, as a new cluster.
    let node4 = c.nodes[3].config.to_str().unwrap().to_owned();
    let (ok, (_, stderr)) = verify(&["--config", &node4, "restore", damaged.to_str().unwrap()]);
    assert!(!ok, "a damaged backup was restored");
    assert!(!c.nodes[3].data_dir.join("db").exists(), "{stderr}");
    let (ok, (stdout, stderr)) = verify(&["--config", &node4, "restore", file_s]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("new cluster"), "{stdout}");
    c.start(3);
    c.wait_leader(&[3]);
    let old_id = c.status(0).unwrap().cluster_id;
    let new_id = c.status(3).unwrap().cluster_id;
    assert!(!old_id.is_empty() && !new_id.is_empty() && old_id != new_id);

    c.wait_kmip(3);
    let restored = c.client("client", &[c.nodes[3].kmip_addr.clone()], None, 10);
    for (uid, original) in uids[1..].iter().zip(&originals) {
        assert_eq!(&c.block_on(restored.get(uid)).unwrap(), original, "{uid}");
    }
    assert!(c.block_on(restored.get(&uids[0])).is_err(), "destroyed");
    assert!(c.block_on(restored.get(&later)).is_err(), "made after");

    // A fifth node, empty, joins the restored cluster and receives every key.
    c.start(4);
    c.cluster_cli(3, &["add-learner", &c.nodes[4].addr.clone()]);
    c.cluster_cli(3, &["promote", "5"]);
    c.wait_converged(&[3, 4]);
    c.wait_kmip(4);
    let joined = c.client("client", &[c.nodes[4].kmip_addr.clone()], None, 10);
    for (uid, original) in uids[1..].iter().zip(&originals) {
        assert_eq!(&c.block_on(joined.get(uid)).unwrap(), original, "{uid}");
    }
    // The source cluster recorded the backup.
    let status = c.status(0).unwrap();
    assert!(!status.last_backup_id.is_empty());
}
