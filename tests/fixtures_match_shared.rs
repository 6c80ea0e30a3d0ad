//! The fixtures are copies of `../shared` (the team's reference material); when that directory
//! is present, the copies must not have drifted from it.

#![allow(clippy::unwrap_used, reason = "test")]

use std::path::Path;

#[test]
fn fixtures_equal_the_shared_originals_where_present() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if !shared.is_dir() {
        eprintln!("no ../shared beside the repository: nothing to compare");
        return;
    }
    let fixtures = raftkeep_tests::fixtures();
    let mut compared = 0;
    for f in raftkeep_tests::test_case_files() {
        let rel = f.strip_prefix(fixtures.join("kmip-testcases")).unwrap();
        let original = shared.join("kmip/testcases").join(rel);
        // The fixtures hold every published case; ../shared a selection of the mandatory ones.
        if !original.exists() {
            continue;
        }
        assert_eq!(
            std::fs::read(&f).unwrap(),
            std::fs::read(&original).unwrap(),
            "{}",
            rel.display()
        );
        compared += 1;
    }
    let hex = "vcenter/vcenter-7.0.3-session.hex";
    assert_eq!(
        std::fs::read(fixtures.join(hex)).unwrap(),
        std::fs::read(shared.join(hex)).unwrap()
    );
    let registry = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/kmip-ttlv/registry");
    for name in ["kmip_1_4.json", "kmip_2_0_additions.json"] {
        let ours = std::fs::read(registry.join(name)).unwrap();
        assert_eq!(
            ours,
            std::fs::read(shared.join("kmip/registry").join(name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(compared, 118);
}
