//! The skip list: test cases `raftkeep conformance` does not run, each with its reason.
//!
//! ```toml
//! [[skip]]
//! files = "CS-BC-*"            # a file name, or a prefix ending in `*`
//! reason = "block ciphers arrive with the cryptographic profiles (issue #6)"
//! ```

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

/// One entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skip {
    /// A file name, or a prefix followed by `*`.
    pub files: String,
    /// Why these cases are not run.
    pub reason: String,
}

/// The whole list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipList {
    /// The entries.
    #[serde(default)]
    pub skip: Vec<Skip>,
}

impl SkipList {
    /// Reads a skip list; every entry needs a reason.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let list: SkipList = toml::from_str(&text)
            .with_context(|| format!("{}: not a skip list", path.display()))?;
        if let Some(s) = list.skip.iter().find(|s| s.reason.trim().is_empty()) {
            bail!("{}: the skip of {} has no reason", path.display(), s.files);
        }
        Ok(list)
    }

    /// The reason `file` is skipped, if it is.
    pub fn reason(&self, file: &Path) -> Option<&str> {
        let name = file.file_name()?.to_str()?;
        self.skip
            .iter()
            .find(|s| match s.files.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == s.files,
            })
            .map(|s| s.reason.as_str())
    }
}
