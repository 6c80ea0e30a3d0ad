//! Sealing keeps key material secret, bound to its object and its root-key version.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

use std::io::Write;

use raftkeep_seal::{KeyVersion, Keyring, RootKey, SealError, SealedBlob};

const V1: KeyVersion = KeyVersion(1);
const V2: KeyVersion = KeyVersion(2);
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn ring(version: KeyVersion, byte: u8) -> Keyring {
    Keyring::single(RootKey::new(version, [byte; 32]))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn sealed_material_opens_for_its_object_and_hides_the_plaintext() {
    let k = ring(V1, 7);
    let blob = k.seal("uid-1", SECRET).unwrap();
    assert!(!contains(blob.as_bytes(), SECRET));
    assert_eq!(blob.version().unwrap(), V1);
    assert_eq!(k.unseal("uid-1", &blob).unwrap().as_slice(), SECRET);
}

#[test]
fn sealing_twice_gives_different_blobs() {
    let k = ring(V1, 7);
    assert_ne!(k.seal("u", SECRET).unwrap(), k.seal("u", SECRET).unwrap());
}

#[test]
fn blob_of_another_object_does_not_open() {
    let k = ring(V1, 7);
    let blob = k.seal("uid-1", SECRET).unwrap();
    assert!(matches!(
        k.unseal("uid-2", &blob),
        Err(SealError::Unseal(V1))
    ));
}

#[test]
fn wrong_root_key_does_not_open_and_says_so() {
    let blob = ring(V1, 7).seal("u", SECRET).unwrap();
    let e = ring(V1, 8).unseal("u", &blob).unwrap_err();
    assert!(matches!(e, SealError::Unseal(V1)));
    assert!(e.to_string().contains("wrong root key"), "{e}");
}

#[test]
fn every_flipped_bit_is_detected() {
    let k = ring(V1, 7);
    let blob = k.seal("u", SECRET).unwrap();
    for i in 0..blob.as_bytes().len() {
        let mut bytes = blob.as_bytes().to_vec();
        bytes[i] ^= 0x01;
        assert!(
            k.unseal("u", &SealedBlob::from_bytes(bytes)).is_err(),
            "flip at byte {i} went unnoticed"
        );
    }
}

#[test]
fn rotation_reseals_with_the_new_version_and_old_blobs_still_open() {
    let old = RootKey::new(V1, [1; 32]);
    let new = RootKey::new(V2, [2; 32]);
    let blob = Keyring::single(old.clone()).seal("u", SECRET).unwrap();
    let both = Keyring::new(V2, vec![old, new.clone()]).unwrap();
    assert_eq!(both.unseal("u", &blob).unwrap().as_slice(), SECRET);
    let resealed = both.reseal("u", &blob).unwrap();
    assert_eq!(resealed.version().unwrap(), V2);
    let only_new = Keyring::single(new);
    assert_eq!(only_new.unseal("u", &resealed).unwrap().as_slice(), SECRET);
    assert!(matches!(
        only_new.unseal("u", &blob),
        Err(SealError::UnknownVersion(V1))
    ));
}

#[test]
fn keyring_rejects_missing_current_and_duplicate_versions() {
    assert!(matches!(
        Keyring::new(V2, vec![RootKey::new(V1, [1; 32])]),
        Err(SealError::NoSuchVersion(V2))
    ));
    let dup = vec![RootKey::new(V1, [1; 32]), RootKey::new(V1, [2; 32])];
    assert!(matches!(
        Keyring::new(V1, dup),
        Err(SealError::DuplicateVersion(V1))
    ));
}

#[test]
fn malformed_blobs_are_errors_not_panics() {
    let k = ring(V1, 7);
    for bytes in [
        vec![],
        b"RKS1".to_vec(),
        b"XXXX\0\0\0\x01".to_vec(),
        b"RKS1\0\0\0\x01short".to_vec(),
    ] {
        assert!(k.unseal("u", &SealedBlob::from_bytes(bytes)).is_err());
    }
}

#[test]
fn debug_output_shows_no_key_bytes() {
    let key = RootKey::new(V1, [0xAB; 32]);
    let s = format!("{key:?} {:?}", Keyring::single(key.clone()));
    assert!(s.contains("<redacted>"));
    assert!(
        !s.contains("171") && !s.to_lowercase().contains("abab"),
        "{s}"
    );
}

#[test]
fn root_key_reads_hex_or_raw_files_and_refuses_loose_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("raftkeep-seal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hex_file = dir.join("hex.key");
    let mut f = std::fs::File::create(&hex_file).unwrap();
    writeln!(f, "{}", "ab".repeat(32)).unwrap();
    std::fs::set_permissions(&hex_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let from_hex = RootKey::from_file(V1, &hex_file).unwrap();

    let raw_file = dir.join("raw.key");
    std::fs::write(&raw_file, [0xAB; 32]).unwrap();
    std::fs::set_permissions(&raw_file, std::fs::Permissions::from_mode(0o400)).unwrap();
    let from_raw = RootKey::from_file(V1, &raw_file).unwrap();
    let blob = Keyring::single(from_hex).seal("u", SECRET).unwrap();
    assert_eq!(
        Keyring::single(from_raw)
            .unseal("u", &blob)
            .unwrap()
            .as_slice(),
        SECRET
    );

    std::fs::set_permissions(&hex_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        RootKey::from_file(V1, &hex_file),
        Err(SealError::KeyFilePermissions { mode: 0o644, .. })
    ));

    let short = dir.join("short.key");
    std::fs::write(&short, "abcd").unwrap();
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
    let e = RootKey::from_file(V1, &short).unwrap_err();
    assert!(e.to_string().contains("4 characters of text"), "{e}");
    assert!(
        !e.to_string().contains("abcd"),
        "errors never quote key material: {e}"
    );

    let missing = RootKey::from_file(V1, &dir.join("nope.key")).unwrap_err();
    assert!(matches!(missing, SealError::ReadKeyFile { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn root_key_from_environment_needs_the_variable_and_accepts_padded_hex() {
    // Setting a variable is `unsafe` in edition 2024 (and the workspace denies unsafe code), so
    // the set case goes through `parse`, which `from_env` calls with the variable's value.
    let var = "RAFTKEEP_SEAL_TEST_ROOT_KEY";
    assert!(matches!(
        RootKey::from_env(V1, var),
        Err(SealError::MissingEnv(_))
    ));
    let key = RootKey::parse(V1, "cd".repeat(32).as_bytes(), "test").unwrap();
    let blob = Keyring::single(key).seal("u", SECRET).unwrap();
    let parsed = RootKey::parse(V1, format!("  {}\n", "cd".repeat(32)).as_bytes(), "test").unwrap();
    assert_eq!(
        Keyring::single(parsed)
            .unseal("u", &blob)
            .unwrap()
            .as_slice(),
        SECRET
    );
}

#[test]
fn key_check_opens_only_with_the_same_root_key() {
    let node_a = ring(V1, 7);
    let check = node_a.key_check().unwrap();
    assert!(node_a.verify_key_check(&check).is_ok());
    assert!(
        ring(V1, 7).verify_key_check(&check).is_ok(),
        "another node with the same key"
    );
    assert!(matches!(
        ring(V1, 8).verify_key_check(&check),
        Err(SealError::Unseal(V1))
    ));
    assert!(matches!(
        ring(V2, 7).verify_key_check(&check),
        Err(SealError::UnknownVersion(V1))
    ));
    // The check is bound to its pseudo-object like any sealed value.
    assert!(node_a.unseal("some-object", &check).is_err());
}

#[test]
fn a_keyring_seals_with_the_agreed_version_until_the_cluster_moves_on() {
    let old = RootKey::new(KeyVersion(1), [1; 32]);
    let new = RootKey::new(KeyVersion(2), [2; 32]);
    let restarted = Keyring::new(KeyVersion(2), vec![old.clone(), new.clone()]).unwrap();
    let old_only = Keyring::single(old.clone());
    // Restarted with the new key, before the rotation: it seals with what the others hold.
    restarted.agree_on(KeyVersion(1));
    let blob = restarted.seal("k", b"secret").unwrap();
    assert_eq!(blob.version().unwrap(), KeyVersion(1));
    assert_eq!(old_only.unseal("k", &blob).unwrap().as_slice(), b"secret");
    // Clones share the agreement; the rotation switches it.
    let clone = restarted.clone();
    restarted.agree_on(KeyVersion(2));
    assert_eq!(
        clone.seal("k", b"x").unwrap().version().unwrap(),
        KeyVersion(2)
    );
    // The check value and re-sealing always use the current key.
    restarted.agree_on(KeyVersion(1));
    assert_eq!(
        restarted.key_check().unwrap().version().unwrap(),
        KeyVersion(2)
    );
    assert_eq!(
        restarted.reseal("k", &blob).unwrap().version().unwrap(),
        KeyVersion(2)
    );
    // A version the keyring lacks is not agreed on.
    old_only.agree_on(KeyVersion(2));
    assert_eq!(old_only.sealing(), KeyVersion(1));
}
