//! How records are encoded on disk and between nodes: compact binary (postcard) behind a
//! one-byte format tag.
//!
//! Every value this crate stores (log entries, objects, allow-list records, Raft metadata)
//! and every Raft message `raftkeep-net` sends goes through [`encode`] and [`decode`]. Binary
//! because a Create was spending more time in JSON and hex than in Raft and fsync together
//! (docs/benchmarks.md). The tag keeps the format evolvable: a value that begins with `{` is
//! JSON, the format nodes wrote before the tag existed, and still decodes, so an existing
//! data directory keeps working; anything else must carry a tag this version knows.
//!
//! Byte fields use [`bytes`]: raw bytes in the binary form, hex where a human-readable format
//! (JSON) is used, so those stay readable.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The tag of a postcard-encoded value. Chosen so it is never the first byte of JSON text.
const POSTCARD: u8 = 0xB1;

/// Why a value does not encode or decode.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// A JSON value (written before the binary format) that does not parse.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A binary value that does not parse.
    #[error("binary: {0}")]
    Binary(#[from] postcard::Error),
    /// Neither JSON nor a format tag this version knows: written by a newer version.
    #[error("unknown format tag {0:#04x}")]
    UnknownFormat(u8),
    /// Nothing to decode.
    #[error("empty value")]
    Empty,
}

/// Encodes a value: the binary tag, then postcard.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, CodecError> {
    Ok(postcard::to_extend(value, vec![POSTCARD])?)
}

/// Decodes a value written by [`encode`], or JSON written by an earlier version.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, CodecError> {
    match bytes.split_first() {
        Some((&POSTCARD, rest)) => Ok(postcard::from_bytes(rest)?),
        Some((&first, _)) => serde_json::from_slice(bytes).map_err(|e| {
            if first.is_ascii_graphic() || first.is_ascii_whitespace() {
                CodecError::Json(e)
            } else {
                CodecError::UnknownFormat(first)
            }
        }),
        None => Err(CodecError::Empty),
    }
}

/// `#[serde(with = "crate::codec::bytes")]` for byte fields: raw in binary formats, hex in
/// human-readable ones (as every byte field was before the binary format).
pub mod bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serializes bytes.
    pub fn serialize<T: AsRef<[u8]>, S: Serializer>(value: T, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            hex::serde::serialize(value, s)
        } else {
            s.serialize_bytes(value.as_ref())
        }
    }

    /// Deserializes bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        if d.is_human_readable() {
            hex::serde::deserialize(d)
        } else {
            serde_bytes::ByteBuf::deserialize(d).map(serde_bytes::ByteBuf::into_vec)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        name: String,
        #[serde(with = "bytes")]
        data: Vec<u8>,
        items: Vec<u32>,
    }

    fn record() -> Record {
        Record {
            name: "key".into(),
            data: vec![0, 1, 0xff],
            items: vec![7, 300],
        }
    }

    #[test]
    fn binary_round_trips_and_is_smaller_than_json() {
        let bytes = encode(&record()).unwrap();
        assert_eq!(bytes.first(), Some(&POSTCARD));
        assert_eq!(decode::<Record>(&bytes).unwrap(), record());
        assert!(bytes.len() < serde_json::to_vec(&record()).unwrap().len());
    }

    #[test]
    fn json_written_by_earlier_versions_still_decodes_with_hex_bytes() {
        let json = br#"{"name":"key","data":"0001ff","items":[7,300]}"#;
        assert_eq!(decode::<Record>(json).unwrap(), record());
        assert_eq!(serde_json::to_vec(&record()).unwrap(), json.to_vec());
    }

    #[test]
    fn unknown_tags_empty_and_truncated_values_are_errors_not_garbage() {
        assert!(matches!(
            decode::<Record>(&[0x07, 1, 2]),
            Err(CodecError::UnknownFormat(0x07))
        ));
        assert!(matches!(decode::<Record>(&[]), Err(CodecError::Empty)));
        let bytes = encode(&record()).unwrap();
        let cut = bytes.get(..bytes.len() - 2).unwrap();
        assert!(matches!(decode::<Record>(cut), Err(CodecError::Binary(_))));
    }
}
