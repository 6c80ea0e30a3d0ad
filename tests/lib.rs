//! Shared helpers of the workspace-level tests: where the fixtures are and how to read them.
//!
//! The tests themselves live in `tests/*.rs` beside this file.
//!
//! # Layout
//!
//! - `fixtures/` — OASIS profile test cases and the vCenter capture (see its README).
//! - `corpus.rs` — every OASIS message through XML, JSON and TTLV without loss.
//! - `typed_corpus.rs` — every OASIS message through the typed message layer.
//! - `vcenter.rs` — every vCenter message decoded, typed and re-encoded byte for byte.
//! - `fixtures_match_shared.rs` — the fixtures equal `../shared` where it exists.

use std::path::{Path, PathBuf};

use kmip_text::placeholders;
use kmip_ttlv::{ItemType, Placeholder, Value};

/// The fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every OASIS test-case file (mandatory and optional, KMIP 1.4 and 2.1), sorted.
pub fn test_case_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "1.4/mandatory",
        "1.4/optional",
        "2.1/mandatory",
        "2.1/optional",
    ] {
        let dir = fixtures().join("kmip-testcases").join(dir);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "xml")),
            );
        }
    }
    files.sort();
    files
}

/// One message of the vCenter capture.
#[derive(Debug, Clone)]
pub struct CapturedMessage {
    /// The capture's comment line ("2025-04-03 09:56:40,182 session 00000021 REQ ops=...").
    pub label: String,
    /// True for requests (vCenter to server), false for responses.
    pub is_request: bool,
    /// The message bytes.
    pub bytes: Vec<u8>,
}

/// Reads the vCenter capture: `# comment` lines, each followed by one hex line.
pub fn vcenter_messages() -> Result<Vec<CapturedMessage>, String> {
    let path = fixtures().join("vcenter").join("vcenter-7.0.3-session.hex");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    let mut label = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(c) = line.strip_prefix('#') {
            label = Some(c.trim().to_owned());
            continue;
        }
        let label = label
            .take()
            .ok_or_else(|| format!("hex line without a comment: {line:.20}"))?;
        let bytes = hex::decode(line).map_err(|e| format!("{label}: {e}"))?;
        let is_request = label.contains(" REQ ");
        out.push(CapturedMessage {
            label,
            is_request,
            bytes,
        });
    }
    Ok(out)
}

/// A deterministic stand-in value for a test-case placeholder, so that the message can be
/// encoded as TTLV and typed: text placeholders keep their text, byte strings become the
/// placeholder's name, dates a fixed instant plus the placeholder's offset.
pub fn stand_in(p: &Placeholder) -> Option<Value> {
    let (name, offset) = placeholders::parts(p);
    Some(match p.item_type {
        ItemType::TEXT_STRING => Value::TextString(p.text.clone()),
        ItemType::BYTE_STRING => Value::ByteString(name.as_bytes().to_vec().into()),
        ItemType::DATE_TIME => Value::DateTime(1_700_000_000 + offset),
        ItemType::INTEGER => Value::Integer(7),
        _ => return None,
    })
}
