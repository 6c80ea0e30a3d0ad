//! `raftkeep kmip decode|encode` as a user runs it: real process, files and pipes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn raftkeep(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftkeep"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start raftkeep");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn decode_shows_a_vcenter_create_as_a_readable_tree() {
    let capture = fixtures().join("vcenter/vcenter-7.0.3-session.hex");
    let out = raftkeep(
        &[
            "kmip",
            "decode",
            "--message",
            "6",
            capture.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tree = text(&out.stdout);
    assert!(tree.contains("Operation (Enumeration): Create"), "{tree}");
    assert!(tree.contains("AttributeValue (Enumeration): AES"), "{tree}");
    assert!(
        tree.contains("AttributeValue (Integer): Encrypt | Decrypt"),
        "{tree}"
    );
    assert!(
        out.stderr.is_empty(),
        "a valid request draws no warning: {}",
        text(&out.stderr)
    );
}

#[test]
fn encode_then_decode_returns_the_same_xml() {
    let case = fixtures().join("kmip-testcases/1.4/mandatory/SKLC-M-1-14.xml");
    let hex = raftkeep(
        &["kmip", "encode", "--message", "0", case.to_str().unwrap()],
        b"",
    );
    assert!(hex.status.success(), "{}", text(&hex.stderr));
    let xml = raftkeep(&["kmip", "decode", "--to", "xml"], &hex.stdout);
    assert!(xml.status.success(), "{}", text(&xml.stderr));
    let json = raftkeep(
        &["kmip", "encode", "--from", "xml", "--to", "json"],
        &xml.stdout,
    );
    let back = raftkeep(
        &["kmip", "encode", "--from", "json", "--to", "hex"],
        &json.stdout,
    );
    assert!(back.status.success(), "{}", text(&back.stderr));
    assert_eq!(text(&back.stdout), text(&hex.stdout));
    assert!(
        text(&xml.stdout)
            .contains(r#"<NameType type="Enumeration" value="UninterpretedTextString"/>"#)
    );
}

#[test]
fn binary_output_goes_to_a_file_and_reads_back() {
    let dir = std::env::temp_dir().join(format!("raftkeep-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("create.ttlv");
    let capture = fixtures().join("vcenter/vcenter-7.0.3-session.hex");
    let out = raftkeep(
        &[
            "kmip",
            "decode",
            "--message",
            "6",
            "--to",
            "ttlv",
            "-o",
            bin.to_str().unwrap(),
            capture.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&bin).unwrap();
    assert_eq!(&bytes[..4], &[0x42, 0x00, 0x78, 0x01]);
    let again = raftkeep(
        &[
            "kmip",
            "decode",
            "--from",
            "ttlv",
            "--strict",
            bin.to_str().unwrap(),
        ],
        b"",
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_ttlv_fails_with_offset_and_tag_path() {
    // Maximum Response Size with non-zero padding.
    let out = raftkeep(
        &["kmip", "decode"],
        b"4200780100000010420050020000000400000001000001ff\n",
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("non-zero padding at byte 20 in RequestMessage/MaximumResponseSize"),
        "{err}"
    );
}

#[test]
fn several_messages_need_a_choice() {
    let capture = fixtures().join("vcenter/vcenter-7.0.3-session.hex");
    let out = raftkeep(&["kmip", "decode", capture.to_str().unwrap()], b"");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("the input holds 40 messages; choose one with --message 0..39")
    );
}

#[test]
fn strict_rejects_valid_ttlv_that_is_not_a_valid_message() {
    // A Request Message whose Protocol Version lacks its minor number.
    let msg = b"420078010000002042007701000000184200690100000010\
42006a02000000040000000100000000\n";
    let lenient = raftkeep(&["kmip", "decode"], msg);
    let strict = raftkeep(&["kmip", "decode", "--strict"], msg);
    assert!(lenient.status.success(), "{}", text(&lenient.stderr));
    assert!(text(&lenient.stderr).contains(
        "warning: valid TTLV but not a valid KMIP message: missing required field ProtocolVersionMinor in RequestMessage/RequestHeader/ProtocolVersion"
    ));
    assert!(!strict.status.success());
    assert!(
        text(&strict.stderr).contains("not a valid KMIP message"),
        "{}",
        text(&strict.stderr)
    );
}

#[test]
fn unknown_json_tag_is_named() {
    let out = raftkeep(
        &["kmip", "encode"],
        br#"{"tag":"RequestMessage","value":[{"tag":"Bogus","type":"Integer","value":1}]}"#,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(r#"unknown tag "Bogus" in RequestMessage"#),
        "{}",
        text(&out.stderr)
    );
}
