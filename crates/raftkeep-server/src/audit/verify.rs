//! Checking a whole log: every segment's own chain, the links between segments, and where
//! the log starts.

use std::path::Path;

use super::scan::{check_link, scan};
use super::segments::{self, name};
use super::{AuditError, GENESIS, Record, RetainedFrom};

/// What a verified log holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Files checked: the sealed segments and the active file.
    pub files: usize,
    /// The first record present.
    pub first: Option<Record>,
    /// The last record.
    pub last: Option<Record>,
}

impl Verified {
    /// Records present.
    pub fn records(&self) -> u64 {
        match (&self.first, &self.last) {
            (Some(f), Some(l)) => l.seq + 1 - f.seq,
            _ => 0,
        }
    }
}

/// Checks the whole chain of the log whose active file is `active`: each sealed segment and
/// the active file, that each continues the one before without a gap, that each segment's
/// name matches its first record, and that the log starts at its first record or where the
/// node recorded removing the segments before.
pub fn verify_log(active: &Path) -> Result<Verified, AuditError> {
    let files = segments::files(active)?;
    let mut out = Verified {
        files: files.len(),
        first: None,
        last: None,
    };
    let mut start: Option<&Path> = None;
    let mut before: Option<&Path> = None;
    let mut retained = Vec::new();
    for path in &files {
        let scan = scan(path)?;
        refuse_torn(path, &scan)?;
        let Some(first) = &scan.first else { continue };
        if segments::sealed_number(path).is_some_and(|n| n != first.seq) {
            return Err(AuditError::Misnamed {
                segment: name(path),
                seq: first.seq,
            });
        }
        if let (Some(last), Some(before)) = (&out.last, before) {
            if first.seq > last.seq + 1 {
                return Err(AuditError::Missing {
                    first: last.seq + 1,
                    last: first.seq - 1,
                    before: name(before),
                    after: name(path),
                });
            }
            check_link(path, 1, last, first)?;
        }
        if out.first.is_none() {
            out.first = Some(first.clone());
            start = Some(path);
        }
        retained.extend(scan.retained);
        out.last = scan.last;
        before = Some(path);
    }
    if let (Some(first), Some(path)) = (&out.first, start) {
        check_start(path, first, &retained)?;
    }
    Ok(out)
}

/// Checks one file alone (a sealed segment shipped elsewhere): its own chain, from its
/// first record.
pub fn verify_segment(path: &Path) -> Result<Verified, AuditError> {
    let scan = scan(path)?;
    refuse_torn(path, &scan)?;
    Ok(Verified {
        files: 1,
        first: scan.first,
        last: scan.last,
    })
}

fn refuse_torn(path: &Path, scan: &super::scan::Scan) -> Result<(), AuditError> {
    if scan.torn == 0 {
        return Ok(());
    }
    Err(AuditError::Torn {
        path: path.to_owned(),
        line: scan.lines + 1,
        bytes: scan.torn,
        intact: scan.lines,
    })
}

/// Whether the log may start at `first` (line 1 of `path`): it is the very first record,
/// or a record of the log says the node removed the ones before it.
pub(crate) fn check_start(
    path: &Path,
    first: &Record,
    retained: &[RetainedFrom],
) -> Result<(), AuditError> {
    if first.seq == 0 && first.prev == GENESIS {
        return Ok(());
    }
    if retained
        .iter()
        .any(|r| r.seq == first.seq && r.prev == first.prev)
    {
        return Ok(());
    }
    if first.seq == 0 {
        return Err(AuditError::Broken {
            path: path.to_owned(),
            line: 1,
            reason: "the first record does not chain from the start".to_owned(),
        });
    }
    Err(AuditError::Unexplained {
        segment: name(path),
        seq: first.seq,
    })
}
