//! PyKMIP 0.11.0's own integration suite against fresh local clusters at every version it
//! speaks: KMIP 1.0, 1.1, 1.2, 1.4 and 2.0
//! (`tests/pykmip/run.sh`, which installs PyKMIP into a virtualenv when missing). Every
//! failure must be listed, with its reason, in `tests/pykmip/expected-failures.txt`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use std::process::Command;

#[test]
fn pykmip_integration_suite_passes_but_for_the_listed_cryptographic_operations() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/pykmip/run.sh");
    let out = Command::new("bash")
        .args([script, env!("CARGO_BIN_EXE_raftkeep")])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.status.success(),
        "PyKMIP's suite had unexpected failures:\n{stdout}"
    );
    for version in ["KMIP 1.0", "KMIP 1.1", "KMIP 1.2", "KMIP 1.4", "KMIP 2.0"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(version))
            .unwrap_or_else(|| panic!("no result for {version}"));
        assert!(line.contains(" passed"), "{line}");
    }
}
