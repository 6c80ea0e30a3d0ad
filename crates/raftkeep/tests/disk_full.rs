//! A node whose disk fills takes no writes and hands leadership over; a client that lists it
//! first fails over to another node; it keeps serving reads; and it takes writes again by
//! itself once space returns. Each node's data directory is a small tmpfs the test mounts,
//! which needs root: where mounting is not allowed the test says so and checks nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Cluster, http_get, wait_for};

/// The tmpfs mounts, lazily unmounted at the end.
struct Mounts(Vec<PathBuf>);

impl Drop for Mounts {
    fn drop(&mut self) {
        for dir in &self.0 {
            let _ = Command::new("umount").arg("-l").arg(dir).status();
        }
    }
}

fn mount_tmpfs(dir: &Path, mib: u64) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_bytes(dir: &Path) -> u64 {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Fills `dir`'s file system until `leave` bytes are free; the ballast file.
fn fill(dir: &Path, leave: u64) -> PathBuf {
    let path = dir.join("ballast");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0x5a_u8; 1 << 20];
    loop {
        let free = free_bytes(dir);
        if free <= leave {
            break;
        }
        let n = usize::try_from((free - leave).min(1 << 20)).unwrap();
        file.write_all(&chunk[..n]).unwrap();
        file.sync_all().unwrap();
    }
    path
}

#[test]
fn a_node_whose_disk_fills_refuses_writes_hands_over_leadership_serves_reads_and_recovers() {
    let mut c = Cluster::new(3);
    let mut mounts = Mounts(Vec::new());
    for i in 0..3 {
        let dir = c.nodes[i].data_dir.clone();
        if !mount_tmpfs(&dir, 256) {
            eprintln!(
                "skipped: cannot mount a tmpfs on {} (needs root); nothing was checked",
                dir.display()
            );
            return;
        }
        mounts.0.push(dir);
        c.set_cluster_option(i, "min_free_mib = 64");
    }
    for i in 0..3 {
        c.start(i);
    }
    c.init_all();
    let leader = c.wait_leader(&[0, 1, 2]);
    c.allow(leader, "client");
    let other = (0..3).find(|i| *i != leader).unwrap();
    let alone = c.client("client", &[c.nodes[leader].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&alone);
    c.wait_converged(&[0, 1, 2]);

    // The leader's disk fills up to 32 MiB of its 64 MiB reserve.
    let ballast = fill(&c.nodes[leader].data_dir, 32 << 20);
    let full_id = c.nodes[leader].id;
    let new_leader = wait_for("another node to lead", || {
        let l = c.status(other)?.leader_id?;
        (l != full_id).then_some(l)
    });
    assert_ne!(new_leader, full_id);
    let ready = wait_for("the full node's /readyz to say it takes no writes", || {
        let (_, body) = http_get(&c.nodes[leader].monitoring_addr, "/readyz")?;
        (body.contains("\"writes\":false") && body.contains("nearly full")).then_some(body)
    });
    assert!(ready.contains("\"ready\":true"), "{ready}");

    // Reads are still served there; writes are refused, saying why.
    let got = c.block_on(alone.get(&uid));
    assert!(got.is_ok(), "{got:?}");
    let refused = c.block_on(alone.create_symmetric_key(
        kmip_ttlv::enums::CryptographicAlgorithm::AES,
        256,
        Vec::new(),
    ));
    let why = format!("{refused:?}");
    assert!(refused.is_err() && why.contains("nearly full"), "{why}");

    // A client that lists the full node first fails over and writes.
    let listing = c.client(
        "client",
        &[
            c.nodes[leader].kmip_addr.clone(),
            c.nodes[other].kmip_addr.clone(),
        ],
        None,
        10,
    );
    let made = c.create_key(&listing);
    let got = c.block_on(listing.get(&made));
    assert!(got.is_ok(), "{got:?}");

    // Space returns: the node takes writes again by itself.
    std::fs::remove_file(&ballast).unwrap();
    let again = wait_for("writes through the node again", || {
        c.block_on(alone.create_symmetric_key(
            kmip_ttlv::enums::CryptographicAlgorithm::AES,
            256,
            Vec::new(),
        ))
        .ok()
    });
    assert!(c.block_on(alone.get(&again)).is_ok());
    drop(c);
    drop(mounts);
}
