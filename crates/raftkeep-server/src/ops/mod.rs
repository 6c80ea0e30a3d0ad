//! One KMIP operation per file.

pub mod discover_versions;
pub mod query;
