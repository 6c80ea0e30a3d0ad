//! The files of one log: the active file (`audit.jsonl`) and its sealed segments next to it,
//! each named after its first record (`audit.jsonl.00000000000000001234`), so that names sort
//! in the chain's order.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use super::scan::parse;
use super::{AuditError, Record};

/// Digits in a sealed segment's number.
const DIGITS: usize = 20;

/// A sealed segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Its file.
    pub path: PathBuf,
    /// Its first record's sequence number, from its name.
    pub first_seq: u64,
}

/// The file a segment whose first record is `first_seq` is sealed into.
pub fn sealed_path(active: &Path, first_seq: u64) -> PathBuf {
    let mut name = active.as_os_str().to_owned();
    name.push(format!(".{first_seq:0DIGITS$}"));
    PathBuf::from(name)
}

/// The first record's number, when `path` names a sealed segment of some log.
pub fn sealed_number(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let (_, digits) = name.rsplit_once('.')?;
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The active file a sealed segment belongs to.
pub fn active_of(segment: &Path) -> Option<PathBuf> {
    sealed_number(segment)?;
    let name = segment.file_name()?.to_str()?;
    let (active, _) = name.rsplit_once('.')?;
    Some(segment.with_file_name(active))
}

/// The sealed segments of the log whose active file is `active`, oldest first.
pub fn sealed(active: &Path) -> Result<Vec<Segment>, AuditError> {
    let dir = match active.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let io = AuditError::io_at(&dir);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        if let Some(first_seq) = sealed_number(&path)
            && active_of(&path).as_deref().and_then(Path::file_name) == active.file_name()
        {
            out.push(Segment { path, first_seq });
        }
    }
    out.sort_by_key(|s| s.first_seq);
    Ok(out)
}

/// Every file of the log, oldest first: the sealed segments, then the active file if it
/// exists.
pub fn files(active: &Path) -> Result<Vec<PathBuf>, AuditError> {
    let mut files: Vec<PathBuf> = sealed(active)?.into_iter().map(|s| s.path).collect();
    if active.exists() {
        files.push(active.to_owned());
    }
    Ok(files)
}

/// A file's name, for messages.
pub fn name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A file's first record, if it has one.
pub fn first_record(path: &Path) -> Result<Option<Record>, AuditError> {
    let io = AuditError::io_at(path);
    let mut line = Vec::new();
    BufReader::new(File::open(path).map_err(io)?)
        .read_until(b'\n', &mut line)
        .map_err(io)?;
    if line.last() != Some(&b'\n') {
        return Ok(None);
    }
    parse(path, 1, &line).map(Some)
}

/// A file's last complete record, read from its end; `None` for a file without one.
pub fn last_record(path: &Path) -> Result<Option<Record>, AuditError> {
    let io = AuditError::io_at(path);
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(io)?;
        // The last complete line ends at the last newline; it starts after the one before.
        let Some(end) = tail.iter().rposition(|b| *b == b'\n') else {
            if start == 0 {
                return Ok(None);
            }
            window = window.saturating_mul(4);
            continue;
        };
        let body = tail.get(..end).unwrap_or_default();
        match body.iter().rposition(|b| *b == b'\n') {
            Some(begin) => {
                return parse(path, 0, body.get(begin + 1..).unwrap_or_default()).map(Some);
            }
            None if start == 0 => return parse(path, 1, body).map(Some),
            None => window = window.saturating_mul(4),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use super::*;

    #[test]
    fn sealed_names_sort_in_chain_order_and_name_their_log() {
        let active = Path::new("/var/lib/raftkeep/audit.jsonl");
        let nine = sealed_path(active, 9);
        let ten = sealed_path(active, 10);
        assert_eq!(name(&nine), "audit.jsonl.00000000000000000009");
        assert!(name(&nine) < name(&ten));
        assert_eq!(sealed_number(&ten), Some(10));
        assert_eq!(active_of(&ten).as_deref(), Some(active));
        assert_eq!(sealed_number(active), None);
        assert_eq!(
            sealed_number(Path::new("audit.jsonl.torn-1765000000")),
            None
        );
    }
}
