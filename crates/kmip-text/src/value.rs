//! One scalar value from its text form, shared by the XML and JSON readers.

use kmip_ttlv::{ByteString, ItemType, Value};

use crate::Mode;
use crate::error::ParseErrorKind;
use crate::naming::Naming;
use crate::scalar;

/// Reads the text form of a non-Structure value of `item_type`.
pub(crate) fn parse_value(
    item_type: ItemType,
    text: &str,
    naming: Naming,
    mode: Mode,
) -> Result<Value, ParseErrorKind> {
    if mode == Mode::TestCase
        && let Some(p) = scalar::placeholder(item_type, text)
    {
        return Ok(Value::Placeholder(p));
    }
    Ok(match item_type {
        ItemType::INTEGER => Value::Integer(scalar::parse_integer(text, naming.mask)?),
        ItemType::LONG_INTEGER => Value::LongInteger(scalar::parse_long(text)?),
        ItemType::BIG_INTEGER => Value::BigInteger(scalar::parse_big_integer(text)?),
        ItemType::ENUMERATION => Value::Enumeration(scalar::parse_enum(text, naming.enum_space)?),
        ItemType::BOOLEAN => Value::Boolean(scalar::parse_bool(text)?),
        ItemType::TEXT_STRING => Value::TextString(text.to_owned()),
        ItemType::BYTE_STRING => Value::ByteString(ByteString::new(scalar::parse_bytes(
            ItemType::BYTE_STRING,
            text,
        )?)),
        ItemType::DATE_TIME => Value::DateTime(scalar::parse_date_time(text)?),
        ItemType::INTERVAL => Value::Interval(scalar::parse_interval(text)?),
        ItemType::DATE_TIME_EXTENDED => {
            Value::DateTimeExtended(scalar::parse_date_time_extended(text)?)
        }
        other => return Err(ParseErrorKind::UnknownType(other.to_string())),
    })
}

/// Writes the text form of a non-Structure value (the XML `value` attribute; JSON uses it for
/// the types it writes as strings). `mask_separator` is " " in XML and "|" in JSON.
pub(crate) fn format_value(value: &Value, naming: Naming, mask_separator: &str) -> String {
    match value {
        Value::Structure(_) => String::new(),
        Value::Integer(v) => scalar::format_integer(*v, naming.mask, mask_separator),
        Value::LongInteger(v) => v.to_string(),
        Value::BigInteger(b) => hex::encode(b.as_bytes()),
        Value::Enumeration(v) => scalar::format_enum(*v, naming.enum_space),
        Value::Boolean(b) => b.to_string(),
        Value::TextString(s) => s.clone(),
        Value::ByteString(b) => hex::encode(b.as_slice()),
        Value::DateTime(v) => scalar::format_date_time(*v),
        Value::Interval(v) => v.to_string(),
        Value::DateTimeExtended(v) => scalar::format_date_time_extended(*v),
        Value::Placeholder(p) => p.text.clone(),
    }
}
