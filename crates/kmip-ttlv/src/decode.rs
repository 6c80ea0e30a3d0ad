//! The bounded TTLV decoder (KMIP 1.4 §9.1).
//!
//! Every declared length is checked against the bytes actually present (and against the
//! enclosing Structure) before anything is allocated, so memory use is bounded by the input
//! size and the [`Limits`]. Structures are decoded through length-bounded sub-ranges; bytes
//! left over inside a Structure or after the message are errors.

use crate::error::{DecodeError, DecodeErrorKind, TagPath};
use crate::value::{BigInteger, ByteString};
use crate::{ItemType, Limits, Tag, Ttlv, Value};

/// Bytes in an item header: 3 tag, 1 type, 4 length.
pub const HEADER_LEN: usize = 8;

/// Checks whether `buf` starts with a whole message, as a network reader does before decoding.
///
/// Returns `Ok(None)` when more bytes are needed (not an error), `Ok(Some(len))` with the
/// message length once it is all buffered, and an error as soon as the header shows the input
/// is not a KMIP message or is larger than `limits.max_message_len` — before the body arrives.
pub fn frame_len(buf: &[u8], limits: &Limits) -> Result<Option<usize>, DecodeError> {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let total = message_len(header, limits)?;
    Ok((buf.len() >= total).then_some(total))
}

/// The length of the whole message (header included) that starts with this 8-byte header,
/// checked like [`frame_len`] checks it: a reader that has only the header knows how much to
/// read, or that it must not read at all.
pub fn message_len(header: &[u8], limits: &Limits) -> Result<usize, DecodeError> {
    let (tag, item_type, len) = split_header(header);
    let at = |kind| DecodeError {
        kind,
        offset: 0,
        path: TagPath::default(),
    };
    check_tag(tag).map_err(at)?;
    if item_type != ItemType::STRUCTURE {
        return Err(at(DecodeErrorKind::NotAStructure(item_type)));
    }
    let total = HEADER_LEN.saturating_add(len as usize);
    if total > limits.max_message_len {
        return Err(at(DecodeErrorKind::MessageTooLarge {
            length: total,
            max: limits.max_message_len,
        }));
    }
    Ok(total)
}

/// Decodes exactly one message: a Structure that spans the whole input.
pub fn decode_message(buf: &[u8], limits: &Limits) -> Result<Ttlv, DecodeError> {
    if buf.len() >= HEADER_LEN {
        frame_len(buf, limits)?;
    }
    decode(buf, limits)
}

/// Decodes exactly one item of any type that spans the whole input.
pub fn decode(buf: &[u8], limits: &Limits) -> Result<Ttlv, DecodeError> {
    if buf.len() > limits.max_message_len {
        return Err(DecodeError {
            kind: DecodeErrorKind::MessageTooLarge {
                length: buf.len(),
                max: limits.max_message_len,
            },
            offset: 0,
            path: TagPath::default(),
        });
    }
    let mut d = Decoder {
        buf,
        limits,
        items: 0,
        path: Vec::new(),
    };
    let (item, end) = d.item(0, buf.len(), 1)?;
    if end != buf.len() {
        return Err(DecodeError {
            kind: DecodeErrorKind::TrailingBytes {
                count: buf.len() - end,
            },
            offset: end,
            path: TagPath::default(),
        });
    }
    Ok(item)
}

struct Decoder<'a> {
    buf: &'a [u8],
    limits: &'a Limits,
    items: usize,
    path: Vec<Tag>,
}

fn split_header(h: &[u8]) -> (Tag, ItemType, u32) {
    let b = |i: usize| h.get(i).copied().unwrap_or(0);
    let tag = Tag(u32::from_be_bytes([0, b(0), b(1), b(2)]));
    let len = u32::from_be_bytes([b(4), b(5), b(6), b(7)]);
    (tag, ItemType(b(3)), len)
}

fn check_tag(tag: Tag) -> Result<(), DecodeErrorKind> {
    match tag.0 >> 16 {
        0x42 | 0x54 => Ok(()),
        _ => Err(DecodeErrorKind::ReservedTag(tag)),
    }
}

/// The fixed value length of a type, if it has one.
fn fixed_len(t: ItemType) -> Option<u32> {
    match t {
        ItemType::INTEGER | ItemType::ENUMERATION | ItemType::INTERVAL => Some(4),
        ItemType::LONG_INTEGER
        | ItemType::BOOLEAN
        | ItemType::DATE_TIME
        | ItemType::DATE_TIME_EXTENDED => Some(8),
        _ => None,
    }
}

impl Decoder<'_> {
    fn err(&self, kind: DecodeErrorKind, offset: usize) -> DecodeError {
        DecodeError {
            kind,
            offset,
            path: TagPath(self.path.clone()),
        }
    }

    /// Decodes the item at `pos`, which must end by `end`; returns it and the offset after it
    /// (padding included).
    fn item(&mut self, pos: usize, end: usize, depth: usize) -> Result<(Ttlv, usize), DecodeError> {
        let available = end.saturating_sub(pos);
        let header = self
            .buf
            .get(pos..pos.saturating_add(HEADER_LEN))
            .filter(|_| available >= HEADER_LEN)
            .ok_or_else(|| {
                self.err(
                    DecodeErrorKind::Truncated {
                        needed: HEADER_LEN,
                        available,
                    },
                    pos,
                )
            })?;
        let (tag, item_type, len) = split_header(header);
        check_tag(tag).map_err(|k| self.err(k, pos))?;
        self.path.push(tag);
        let result = self.item_body(pos, end, depth, tag, item_type, len);
        self.path.pop();
        result
    }

    fn item_body(
        &mut self,
        pos: usize,
        end: usize,
        depth: usize,
        tag: Tag,
        item_type: ItemType,
        len: u32,
    ) -> Result<(Ttlv, usize), DecodeError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(self.err(
                DecodeErrorKind::TooManyItems {
                    max: self.limits.max_items,
                },
                pos,
            ));
        }
        if !item_type.is_known() {
            return Err(self.err(DecodeErrorKind::UnknownItemType(item_type), pos));
        }
        let invalid_len = DecodeErrorKind::InvalidLength {
            item_type,
            length: len,
        };
        if fixed_len(item_type).is_some_and(|f| f != len)
            || (item_type == ItemType::BIG_INTEGER && !len.is_multiple_of(8))
        {
            return Err(self.err(invalid_len, pos));
        }
        let start = pos + HEADER_LEN;
        let padded = (len as usize).div_ceil(8) * 8;
        let available = end.saturating_sub(start);
        if padded > available {
            let needed = HEADER_LEN.saturating_add(padded);
            return Err(self.err(
                DecodeErrorKind::Truncated {
                    needed,
                    available: available + HEADER_LEN,
                },
                pos,
            ));
        }
        let value_end = start + len as usize;
        let next = start + padded;
        let raw = self.buf.get(start..value_end).unwrap_or_default();
        if self
            .buf
            .get(value_end..next)
            .unwrap_or_default()
            .iter()
            .any(|b| *b != 0)
        {
            return Err(self.err(DecodeErrorKind::NonZeroPadding, value_end));
        }
        let value = if item_type == ItemType::STRUCTURE {
            if depth > self.limits.max_depth {
                return Err(self.err(
                    DecodeErrorKind::TooDeep {
                        max: self.limits.max_depth,
                    },
                    pos,
                ));
            }
            Value::Structure(self.structure(start, value_end, depth)?)
        } else {
            self.scalar(item_type, raw, pos)?
        };
        Ok((Ttlv { tag, value }, next))
    }

    fn structure(
        &mut self,
        mut pos: usize,
        end: usize,
        depth: usize,
    ) -> Result<Vec<Ttlv>, DecodeError> {
        let mut items = Vec::new();
        while pos < end {
            let (item, next) = self.item(pos, end, depth + 1)?;
            items.push(item);
            pos = next;
        }
        Ok(items)
    }

    fn scalar(&self, item_type: ItemType, raw: &[u8], pos: usize) -> Result<Value, DecodeError> {
        let be4 = || raw.try_into().map(u32::from_be_bytes).unwrap_or_default();
        let be8 = || raw.try_into().map(u64::from_be_bytes).unwrap_or_default();
        Ok(match item_type {
            ItemType::INTEGER => Value::Integer(i32::from_be_bytes(be4().to_be_bytes())),
            ItemType::ENUMERATION => Value::Enumeration(be4()),
            ItemType::INTERVAL => Value::Interval(be4()),
            ItemType::LONG_INTEGER => Value::LongInteger(i64::from_be_bytes(be8().to_be_bytes())),
            ItemType::DATE_TIME => Value::DateTime(i64::from_be_bytes(be8().to_be_bytes())),
            ItemType::DATE_TIME_EXTENDED => {
                Value::DateTimeExtended(i64::from_be_bytes(be8().to_be_bytes()))
            }
            ItemType::BOOLEAN => match be8() {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                other => return Err(self.err(DecodeErrorKind::InvalidBoolean(other), pos)),
            },
            ItemType::BIG_INTEGER => Value::BigInteger(BigInteger::from_wire(raw.to_vec())),
            ItemType::TEXT_STRING => match std::str::from_utf8(raw) {
                Ok(s) => Value::TextString(s.to_owned()),
                Err(_) => return Err(self.err(DecodeErrorKind::InvalidUtf8, pos)),
            },
            ItemType::BYTE_STRING => Value::ByteString(ByteString::new(raw.to_vec())),
            other => return Err(self.err(DecodeErrorKind::UnknownItemType(other), pos)),
        })
    }
}
