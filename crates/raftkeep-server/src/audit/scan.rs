//! Reading one file of the log: its records in order, each chaining from the one before; a
//! last line cut short told apart from a changed one.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use super::{AuditError, Record, RetainedFrom, hash_of};

/// What reading a file found: its intact records and what follows them.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The first record; the file's chain starts from its `seq` and `prev`.
    pub first: Option<Record>,
    /// The last intact record.
    pub last: Option<Record>,
    /// Intact lines.
    pub lines: u64,
    /// Their length in bytes.
    pub intact_len: u64,
    /// Bytes after them that end without a newline: a record cut short.
    pub torn: u64,
    /// The starts that records of removed segments name.
    pub retained: Vec<RetainedFrom>,
}

/// Reads a file line by line, checking that each record chains from the one before it; a
/// last line without its newline (or of NUL bytes only, as a file system may leave after a
/// crash) is counted as torn, not as a broken chain.
pub(crate) fn scan(path: &Path) -> Result<Scan, AuditError> {
    let io = AuditError::io_at(path);
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut out = Scan::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line).map_err(io)?;
        if read == 0 {
            return Ok(out);
        }
        let complete = line.last() == Some(&b'\n');
        let zeros = line.iter().all(|b| *b == 0 || *b == b'\n');
        if !complete || zeros {
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).map_err(io)?;
            if rest.iter().all(|b| *b == 0 || *b == b'\n') {
                out.torn = u64::try_from(read + rest.len()).unwrap_or(u64::MAX);
                return Ok(out);
            }
        }
        let record = parse(path, out.lines + 1, &line)?;
        if let Some(prev) = &out.last {
            check_link(path, out.lines + 1, prev, &record)?;
        }
        if hash_of(&record) != record.hash {
            return Err(broken(
                path,
                out.lines + 1,
                "its content does not match its hash",
            ));
        }
        if let Some(r) = &record.retained_from {
            out.retained.push(r.clone());
        }
        out.lines += 1;
        out.intact_len += u64::try_from(read).unwrap_or(u64::MAX);
        if out.first.is_none() {
            out.first = Some(record.clone());
        }
        out.last = Some(record);
    }
}

/// One line as a record.
pub(crate) fn parse(path: &Path, line: u64, bytes: &[u8]) -> Result<Record, AuditError> {
    let malformed = |reason: String| AuditError::Malformed {
        path: path.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(e.to_string()))?;
    serde_json::from_str(text.trim_end()).map_err(|e| malformed(e.to_string()))
}

/// Whether `next` (line `line` of `path`) follows `prev` in the chain.
pub(crate) fn check_link(
    path: &Path,
    line: u64,
    prev: &Record,
    next: &Record,
) -> Result<(), AuditError> {
    if next.seq != prev.seq + 1 {
        return Err(broken(
            path,
            line,
            &format!("sequence {} where {} was due", next.seq, prev.seq + 1),
        ));
    }
    if next.prev != prev.hash {
        return Err(broken(
            path,
            line,
            "it does not chain from the record before",
        ));
    }
    Ok(())
}

fn broken(path: &Path, line: u64, reason: &str) -> AuditError {
    AuditError::Broken {
        path: path.to_owned(),
        line,
        reason: reason.to_owned(),
    }
}

/// Moves the torn end of a file into `PATH.torn-UNIXSECONDS` and cuts the file back to its
/// intact records, durably; the file the bytes went to.
pub(crate) fn set_aside_torn(path: &Path, scan: &Scan) -> std::io::Result<PathBuf> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    file.seek(SeekFrom::Start(scan.intact_len))?;
    let mut torn = Vec::new();
    file.read_to_end(&mut torn)?;
    let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".torn-{stamp}"));
    let aside = PathBuf::from(aside);
    let mut out = File::create(&aside)?;
    out.write_all(&torn)?;
    out.sync_all()?;
    file.set_len(scan.intact_len)?;
    file.sync_all()?;
    Ok(aside)
}
