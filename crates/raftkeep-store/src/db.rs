//! Opening the node's RocksDB with one column family per concern (STYLE.md §10).

use std::path::Path;
use std::sync::Arc;

use rocksdb::{ColumnFamily, ColumnFamilyDescriptor, DB, Options};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{StoreError, codec};

/// Raft log entries, keyed by big-endian index so they sort.
pub const CF_LOG: &str = "log";
/// Vote, committed log id, last purged log id.
pub const CF_META: &str = "meta";
/// Last applied log id and membership of the state machine.
pub const CF_SM_META: &str = "sm_meta";
/// Objects by UID.
pub const CF_OBJECTS: &str = "objects";
/// Secondary indexes: `kind \0 value \0 uid` → empty.
pub const CF_INDEX: &str = "index";
/// Allowed clients by fingerprint.
pub const CF_CLIENTS: &str = "clients";

/// The column families a snapshot carries: the state machine's data.
pub const SNAPSHOT_CFS: [&str; 4] = [CF_OBJECTS, CF_INDEX, CF_CLIENTS, CF_CLUSTER];

/// Cluster-wide settings: the root-key check value.
pub const CF_CLUSTER: &str = "cluster";

pub(crate) const ALL_CFS: [&str; 7] = [
    CF_LOG, CF_META, CF_SM_META, CF_OBJECTS, CF_INDEX, CF_CLIENTS, CF_CLUSTER,
];

/// Opens (creating if needed) the database under `dir`.
pub fn open(dir: &Path) -> Result<Arc<DB>, StoreError> {
    let mut opts = compressed();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    let cfs = ALL_CFS
        .iter()
        .map(|name| ColumnFamilyDescriptor::new(*name, compressed()));
    Ok(Arc::new(DB::open_cf_descriptors(&opts, dir, cfs)?))
}

/// Options whose new table files are LZ4-compressed. A stored object is mostly attribute
/// names, TTLV values and hex fingerprints repeated from object to object; only its sealed
/// material (~80 bytes) is incompressible (docs/benchmarks.md, "Scale"). Files written
/// before stay readable as they are and are compressed when compaction rewrites them.
fn compressed() -> Options {
    let mut o = Options::default();
    o.set_compression_type(rocksdb::DBCompressionType::Lz4);
    o
}

/// A column family handle.
pub fn cf<'a>(db: &'a DB, name: &'static str) -> Result<&'a ColumnFamily, StoreError> {
    db.cf_handle(name)
        .ok_or(StoreError::MissingColumnFamily(name))
}

/// Reads and decodes a value ([`crate::codec`]).
pub fn get_decoded<T: DeserializeOwned>(
    db: &DB,
    cf_name: &'static str,
    key: &[u8],
    what: &'static str,
) -> Result<Option<T>, StoreError> {
    match db.get_cf(cf(db, cf_name)?, key)? {
        Some(bytes) => decode(&bytes, what).map(Some),
        None => Ok(None),
    }
}

/// Decodes a stored value ([`crate::codec`]), naming it in the error.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, StoreError> {
    codec::decode(bytes).map_err(|source| StoreError::Corrupt { what, source })
}

/// Encodes a value for storage ([`crate::codec`]). Serializing these plain data types cannot
/// fail; an error would be a bug, reported as corruption rather than a panic.
pub fn encode<T: Serialize>(value: &T, what: &'static str) -> Result<Vec<u8>, StoreError> {
    codec::encode(value).map_err(|source| StoreError::Corrupt { what, source })
}
