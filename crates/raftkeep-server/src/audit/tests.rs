#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::path::Path;
use std::time::Duration;

use super::*;

fn event(op: &str) -> Event {
    Event {
        client: "ab".repeat(32),
        identity: Some("vcenter".into()),
        peer: "127.0.0.1:4000".into(),
        operation: op.into(),
        uids: vec!["k1".into()],
        status: "Success".into(),
        reason: None,
        request_id: "r1".into(),
        batch_item_id: Some("01".into()),
        stale_ms: None,
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_reopened_log_continues_the_chain_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), AuditOptions::default(), &["Create", "Get"]);
    let log = AuditLog::open(&path, 1).unwrap();
    log.record(event("Destroy"));
    let last = verify_log(&path).unwrap().last.unwrap();
    assert_eq!((last.seq, last.operation.as_str()), (2, "Destroy"));
}

#[test]
fn changed_removed_or_reordered_lines_break_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let log = AuditLog::open(&path, 1).unwrap();
    for op in ["Create", "Get", "Activate", "Destroy"] {
        log.record(event(op));
    }
    let original = lines(&path);
    let broken_at = |edited: Vec<String>| {
        std::fs::write(&path, edited.join("\n") + "\n").unwrap();
        match verify_log(&path) {
            Err(AuditError::Broken { line, .. }) => line,
            other => panic!("{other:?}"),
        }
    };
    let mut changed = original.clone();
    changed[1] = changed[1].replace("\"Get\"", "\"Locate\"");
    assert_eq!(broken_at(changed), 2);
    let mut removed = original.clone();
    removed.remove(1);
    assert_eq!(broken_at(removed), 2);
    let mut swapped = original.clone();
    swapped.swap(2, 3);
    assert_eq!(broken_at(swapped), 3);
    // A node does not append to a log that was tampered with.
    assert!(AuditLog::open(&path, 1).is_err());
}

#[test]
fn a_record_cut_short_by_a_crash_is_set_aside_and_the_chain_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), AuditOptions::default(), &["Create", "Get"]);
    // A power loss halfway through the third record's write.
    let whole = std::fs::read(&path).unwrap();
    let mut torn = whole.clone();
    torn.extend_from_slice(&whole[..40]);
    std::fs::write(&path, &torn).unwrap();
    match verify_log(&path) {
        Err(AuditError::Torn {
            line: 3,
            bytes: 40,
            intact: 2,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let log = AuditLog::open(&path, 1).unwrap();
    log.record(event("Destroy"));
    let kept = lines(&path);
    assert_eq!(kept.len(), 4, "{kept:?}");
    assert!(kept[2].contains("AuditLogRecovered") && kept[2].contains("40 bytes"));
    let last = verify_log(&path).unwrap().last.unwrap();
    assert_eq!((last.seq, last.operation.as_str()), (3, "Destroy"));
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".torn-"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].path()).unwrap(), whole[..40]);
}

#[test]
fn zeros_a_file_system_left_after_a_crash_are_torn_but_a_changed_last_line_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), AuditOptions::default(), &["Create", "Get"]);
    let whole = std::fs::read(&path).unwrap();
    let mut zeros = whole.clone();
    zeros.extend_from_slice(&[0; 64]);
    std::fs::write(&path, &zeros).unwrap();
    assert!(matches!(
        verify_log(&path),
        Err(AuditError::Torn { bytes: 64, .. })
    ));
    // A complete last line that does not verify was changed, not torn: refused.
    let mut text = String::from_utf8(whole).unwrap();
    text = text.replace("\"Get\"", "\"Locate\"");
    std::fs::write(&path, text).unwrap();
    assert!(matches!(
        verify_log(&path),
        Err(AuditError::Broken { line: 2, .. })
    ));
    assert!(AuditLog::open(&path, 1).is_err());
}

/// A log of `node` 1 with `options` in `dir`, holding one record per operation; closed.
fn written(dir: &Path, options: AuditOptions, operations: &[&str]) -> std::path::PathBuf {
    let path = dir.join("audit.jsonl");
    let log = AuditLog::open_with(&path, 1, options).unwrap();
    for op in operations {
        log.record(event(op));
    }
    path
}

fn segmented() -> AuditOptions {
    AuditOptions {
        segment_bytes: 1500,
        ..AuditOptions::default()
    }
}

fn sealed_paths(path: &Path) -> Vec<std::path::PathBuf> {
    segments::sealed(path)
        .unwrap()
        .into_iter()
        .map(|s| s.path)
        .collect()
}

#[test]
fn sealed_segments_chain_through_and_the_whole_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), segmented(), &["Get"; 30]);
    let sealed = sealed_paths(&path);
    assert!(sealed.len() >= 4, "{sealed:?}");
    // Each file after the first begins by naming the segment it continues.
    for pair in sealed.windows(2) {
        let first = segments::first_record(&pair[1]).unwrap().unwrap();
        assert_eq!(first.operation, "AuditSegmentStarted");
        assert_eq!(first.uids, vec![segments::name(&pair[0])]);
    }
    let v = verify_log(&path).unwrap();
    assert_eq!(v.files, sealed.len() + 1);
    assert_eq!(v.first.unwrap().seq, 0);
    // 30 events and one segment-start record per sealed segment.
    assert_eq!(v.last.unwrap().seq, 30 + sealed.len() as u64 - 1);
    // Reopened, the node goes on from the active file.
    let log = AuditLog::open_with(&path, 1, segmented()).unwrap();
    log.record(event("Destroy"));
    assert_eq!(
        verify_log(&path).unwrap().last.unwrap().operation,
        "Destroy"
    );
}

#[test]
fn a_removed_altered_or_renamed_segment_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), segmented(), &["Get"; 30]);
    let sealed = sealed_paths(&path);
    let middle = sealed[1].clone();
    let kept = std::fs::read(&middle).unwrap();

    std::fs::remove_file(&middle).unwrap();
    match verify_log(&path) {
        Err(AuditError::Missing { before, after, .. }) => {
            assert_eq!(before, segments::name(&sealed[0]));
            assert_eq!(after, segments::name(&sealed[2]));
        }
        other => panic!("{other:?}"),
    }

    let text = String::from_utf8(kept.clone()).unwrap();
    std::fs::write(&middle, text.replacen("\"Get\"", "\"Locate\"", 1)).unwrap();
    match verify_log(&path) {
        Err(AuditError::Broken { path: p, .. }) => assert_eq!(p, middle),
        other => panic!("{other:?}"),
    }

    std::fs::write(&middle, &kept).unwrap();
    assert!(verify_log(&path).is_ok());
    let misnamed = segments::sealed_path(&path, 1);
    std::fs::rename(&sealed[0], &misnamed).unwrap();
    assert!(matches!(
        verify_log(&path),
        Err(AuditError::Misnamed { seq: 0, .. })
    ));
}

#[test]
fn the_retention_removes_the_oldest_segments_and_says_so_but_a_removal_by_hand_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let keep_two = AuditOptions {
        keep_segments: Some(2),
        ..segmented()
    };
    let path = written(dir.path(), keep_two, &["Get"; 40]);
    let sealed = sealed_paths(&path);
    assert_eq!(sealed.len(), 2, "{sealed:?}");
    let v = verify_log(&path).unwrap();
    let first = v.first.unwrap();
    assert!(first.seq > 0);
    let text =
        std::fs::read_to_string(&path).unwrap() + &std::fs::read_to_string(&sealed[1]).unwrap();
    assert!(text.contains("AuditSegmentsRemoved"), "{text}");

    // Removed by hand, not by the node: the start is unexplained.
    std::fs::remove_file(&sealed[0]).unwrap();
    match verify_log(&path) {
        Err(AuditError::Unexplained { segment, .. }) => {
            assert_eq!(segment, segments::name(&sealed[1]));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn segments_older_than_the_retention_age_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), segmented(), &["Get"; 20]);
    let sealed = sealed_paths(&path);
    let long_ago = std::time::SystemTime::now() - Duration::from_secs(40 * 86_400);
    for old in &sealed[..2] {
        let f = std::fs::File::options().write(true).open(old).unwrap();
        f.set_modified(long_ago).unwrap();
    }
    let month = AuditOptions {
        keep_age: Some(Duration::from_secs(30 * 86_400)),
        ..segmented()
    };
    let log = AuditLog::open_with(&path, 1, month).unwrap();
    log.record(event("Get"));
    assert_eq!(sealed_paths(&path), sealed[2..].to_vec());
    assert!(verify_log(&path).is_ok());
}

#[test]
fn a_crash_between_sealing_and_the_new_file_is_continued() {
    let dir = tempfile::tempdir().unwrap();
    let path = written(dir.path(), AuditOptions::default(), &["Get"; 3]);
    std::fs::rename(&path, segments::sealed_path(&path, 0)).unwrap();
    let log = AuditLog::open(&path, 1).unwrap();
    log.record(event("Destroy"));
    let first = segments::first_record(&path).unwrap().unwrap();
    assert_eq!(
        (first.seq, first.operation.as_str()),
        (3, "AuditSegmentStarted")
    );
    assert_eq!(verify_log(&path).unwrap().last.unwrap().seq, 4);
}

#[test]
fn durable_resolves_once_the_records_are_synced() {
    let dir = tempfile::tempdir().unwrap();
    let log = AuditLog::open(&dir.path().join("audit.jsonl"), 1).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    for _ in 0..3 {
        log.record(event("Get"));
        let synced = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(30), log.durable()).await });
        assert!(synced.is_ok(), "the sync never came");
        assert_eq!(log.synced_upto(), log.written());
    }
}
