//! The TTLV encoder (KMIP 1.4 §9.1): headers, big-endian values, zero padding to 8 bytes.

use crate::error::{EncodeError, EncodeErrorKind, TagPath};
use crate::{Tag, Ttlv, Value};

/// Encodes an item (usually a whole message) into a new buffer.
pub fn encode(item: &Ttlv) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(encoded_len(item));
    encode_into(item, &mut out)?;
    Ok(out)
}

/// Appends the encoding of `item` to `out`.
pub fn encode_into(item: &Ttlv, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let mut path = Vec::new();
    write_item(item, out, &mut path)
}

/// The number of bytes `item` encodes to, padding included.
pub fn encoded_len(item: &Ttlv) -> usize {
    8 + match &item.value {
        Value::Structure(items) => items.iter().map(encoded_len).sum(),
        Value::BigInteger(b) => b.as_bytes().len(),
        Value::TextString(s) => s.len().div_ceil(8) * 8,
        Value::ByteString(b) => b.as_slice().len().div_ceil(8) * 8,
        _ => 8,
    }
}

fn write_item(item: &Ttlv, out: &mut Vec<u8>, path: &mut Vec<Tag>) -> Result<(), EncodeError> {
    path.push(item.tag);
    let result = write_item_inner(item, out, path);
    path.pop();
    result
}

fn fail(kind: EncodeErrorKind, path: &[Tag]) -> EncodeError {
    EncodeError {
        kind,
        path: TagPath(path.to_vec()),
    }
}

fn write_item_inner(
    item: &Ttlv,
    out: &mut Vec<u8>,
    path: &mut Vec<Tag>,
) -> Result<(), EncodeError> {
    if item.tag.0 > Tag::MAX {
        return Err(fail(EncodeErrorKind::TagOutOfRange(item.tag.0), path));
    }
    let [_, t0, t1, t2] = item.tag.0.to_be_bytes();
    out.extend_from_slice(&[t0, t1, t2, item.value.item_type().0]);
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let start = out.len();
    match &item.value {
        Value::Structure(items) => {
            for i in items {
                write_item(i, out, path)?;
            }
        }
        Value::Integer(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::Enumeration(v) | Value::Interval(v) => out.extend_from_slice(&v.to_be_bytes()),
        Value::LongInteger(v) | Value::DateTime(v) | Value::DateTimeExtended(v) => {
            out.extend_from_slice(&v.to_be_bytes());
        }
        Value::Boolean(v) => out.extend_from_slice(&u64::from(*v).to_be_bytes()),
        Value::BigInteger(b) => out.extend_from_slice(b.as_bytes()),
        Value::TextString(s) => out.extend_from_slice(s.as_bytes()),
        Value::ByteString(b) => out.extend_from_slice(b.as_slice()),
        Value::Placeholder(p) => {
            return Err(fail(EncodeErrorKind::Placeholder(p.text.clone()), path));
        }
    }
    let len = out.len() - start;
    let len32 = u32::try_from(len).map_err(|_| fail(EncodeErrorKind::TooLong(len), path))?;
    if let Some(slot) = out.get_mut(len_at..start) {
        slot.copy_from_slice(&len32.to_be_bytes());
    }
    out.resize(start + len.div_ceil(8) * 8, 0);
    Ok(())
}
