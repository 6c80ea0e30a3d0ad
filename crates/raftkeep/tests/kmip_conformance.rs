//! `raftkeep conformance` against a fresh 3-node cluster of real processes, through a
//! follower: every shipped OASIS test case not on the skip list (`tests/conformance-skips.toml`,
//! a reason per entry) must pass.

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

#[test]
fn oasis_test_cases_of_the_server_profiles_pass_through_a_follower() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests");
    let out = Command::new(BIN)
        .args([
            "conformance",
            "--dir",
            &format!("{root}/fixtures/kmip-testcases"),
        ])
        .args(["--skips", &format!("{root}/conformance-skips.toml")])
        .args(["--server", &c.nodes[follower].kmip_addr])
        .args(["--https", &c.nodes[follower].kmip_https_addr])
        .args(["--ca", &c.pki("ca.pem"), "--cert", &c.pki("client.pem")])
        .args(["--key", &c.pki("client.key"), "--timeout-secs", "30"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout.lines().last().unwrap();
    let passed: usize = summary.split(' ').next().unwrap().parse().unwrap();
    assert!(summary.contains(" 0 failed"), "{summary}");
    // The profiles of the server issue: BL, SKLC, SKFF, TL, SASED, QS, OMOS, CS-RNG.
    for profile in [
        "BL-M-1-21",
        "SKLC-M-1-14",
        "SKFF-M-1-14",
        "TL-M-1-14",
        "SASED-M-1-21",
        "QS-M-2-21",
        "OMOS-M-1-14",
        "CS-RNG-M-1-21",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("PASS") && l.contains(profile)),
            "{profile} did not pass"
        );
    }
    assert!(passed >= 47, "{summary}");
    c.wait_converged(&[0, 1, 2]);
}
