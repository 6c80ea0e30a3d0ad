//! Text forms of scalar values shared by the XML, JSON and dump writers and readers
//! (KMIP Profiles 1.4 §5.4.1.5 and §5.5.1.5).

use kmip_ttlv::registry::{EnumDef, EnumSpace};
use kmip_ttlv::{BigInteger, ItemType, Placeholder};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::ParseErrorKind;

pub(crate) fn invalid(
    item_type: ItemType,
    value: &str,
    reason: impl Into<String>,
) -> ParseErrorKind {
    let mut reason = reason.into();
    if value.starts_with('$') {
        reason.push_str(" (a test-case placeholder? use test-case mode, `--test-case`)");
    }
    ParseErrorKind::InvalidValue {
        item_type,
        value: value.to_owned(),
        reason,
    }
}

/// Parses `0x` followed by 1 to `max_bytes * 2` hex digits.
fn parse_hex_number(s: &str, max_bytes: usize) -> Option<u64> {
    let digits = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    if digits.is_empty() || digits.len() > max_bytes * 2 {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// An Integer, written as a mask (names and hex parts) when a mask table applies.
pub(crate) fn format_integer(v: i32, mask: Option<&EnumDef>, separator: &str) -> String {
    let Some(mask) = mask else {
        return v.to_string();
    };
    let mut rest = u32::from_be_bytes(v.to_be_bytes());
    if rest == 0 {
        return "0".to_owned();
    }
    let mut parts = Vec::new();
    for e in mask.values {
        if e.value != 0 && rest & e.value == e.value {
            parts.push(e.name.to_owned());
            rest &= !e.value;
        }
    }
    if rest != 0 {
        parts.push(format!("0x{rest:08X}"));
    }
    parts.join(separator)
}

/// Parses an Integer: decimal, `0x` hex, or (for masks) names and hex parts joined by spaces
/// or `|`.
pub(crate) fn parse_integer(s: &str, mask: Option<&EnumDef>) -> Result<i32, ParseErrorKind> {
    if let Ok(v) = s.parse::<i32>() {
        return Ok(v);
    }
    let mut bits = 0u32;
    let mut parts = s.split([' ', '|']).filter(|p| !p.is_empty()).peekable();
    if parts.peek().is_none() {
        return Err(invalid(ItemType::INTEGER, s, "empty"));
    }
    for part in parts {
        let v = parse_hex_number(part, 4)
            .and_then(|v| u32::try_from(v).ok())
            .or_else(|| mask.and_then(|m| m.value_of(part)));
        match v {
            Some(v) => bits |= v,
            None if mask.is_some() => {
                return Err(invalid(
                    ItemType::INTEGER,
                    s,
                    format!("unknown mask name {part:?}"),
                ));
            }
            None => return Err(invalid(ItemType::INTEGER, s, "not a 32-bit integer")),
        }
    }
    Ok(i32::from_be_bytes(bits.to_be_bytes()))
}

pub(crate) fn format_enum(v: u32, space: Option<EnumSpace>) -> String {
    space
        .and_then(|s| s.name(v))
        .map_or_else(|| format!("0x{v:08X}"), str::to_owned)
}

pub(crate) fn parse_enum(s: &str, space: Option<EnumSpace>) -> Result<u32, ParseErrorKind> {
    if let Some(v) = parse_hex_number(s, 4) {
        return u32::try_from(v)
            .map_err(|_| invalid(ItemType::ENUMERATION, s, "more than 32 bits"));
    }
    if let Ok(v) = s.parse::<u32>() {
        return Ok(v);
    }
    space.and_then(|sp| sp.value_of(s)).ok_or_else(|| {
        invalid(
            ItemType::ENUMERATION,
            s,
            "not a name of this enumeration, nor hex",
        )
    })
}

pub(crate) fn parse_long(s: &str) -> Result<i64, ParseErrorKind> {
    s.parse::<i64>()
        .ok()
        .or_else(|| parse_hex_number(s, 8).map(|v| i64::from_be_bytes(v.to_be_bytes())))
        .ok_or_else(|| invalid(ItemType::LONG_INTEGER, s, "not a 64-bit integer"))
}

pub(crate) fn parse_interval(s: &str) -> Result<u32, ParseErrorKind> {
    s.parse::<u32>()
        .ok()
        .or_else(|| parse_hex_number(s, 4).and_then(|v| u32::try_from(v).ok()))
        .ok_or_else(|| {
            invalid(
                ItemType::INTERVAL,
                s,
                "not a 32-bit unsigned number of seconds",
            )
        })
}

pub(crate) fn parse_bool(s: &str) -> Result<bool, ParseErrorKind> {
    match s {
        "true" | "1" | "0x0000000000000001" => Ok(true),
        "false" | "0" | "0x0000000000000000" => Ok(false),
        _ => Err(invalid(ItemType::BOOLEAN, s, "expected true or false")),
    }
}

pub(crate) fn parse_bytes(item_type: ItemType, s: &str) -> Result<Vec<u8>, ParseErrorKind> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(digits).map_err(|e| invalid(item_type, s, e.to_string()))
}

pub(crate) fn parse_big_integer(s: &str) -> Result<BigInteger, ParseErrorKind> {
    parse_bytes(ItemType::BIG_INTEGER, s).map(|b| BigInteger::from_be_bytes(&b))
}

pub(crate) fn format_date_time(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("0x{:016X}", u64::from_be_bytes(secs.to_be_bytes())))
}

pub(crate) fn format_date_time_extended(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("0x{:016X}", u64::from_be_bytes(micros.to_be_bytes())))
}

pub(crate) fn parse_date_time(s: &str) -> Result<i64, ParseErrorKind> {
    if let Some(v) = parse_hex_number(s, 8) {
        return Ok(i64::from_be_bytes(v.to_be_bytes()));
    }
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| invalid(ItemType::DATE_TIME, s, e.to_string()))?;
    if t.nanosecond() != 0 {
        return Err(invalid(
            ItemType::DATE_TIME,
            s,
            "Date-Time has whole seconds only",
        ));
    }
    Ok(t.unix_timestamp())
}

pub(crate) fn parse_date_time_extended(s: &str) -> Result<i64, ParseErrorKind> {
    if let Some(v) = parse_hex_number(s, 8) {
        return Ok(i64::from_be_bytes(v.to_be_bytes()));
    }
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| invalid(ItemType::DATE_TIME_EXTENDED, s, e.to_string()))?;
    i64::try_from(t.unix_timestamp_nanos() / 1000)
        .map_err(|_| invalid(ItemType::DATE_TIME_EXTENDED, s, "out of range"))
}

/// Recognizes a test-case placeholder: `$` then capitals, digits and `_`, then an optional
/// signed offset (`$NOW-3600`).
pub(crate) fn placeholder(item_type: ItemType, s: &str) -> Option<Placeholder> {
    let rest = s.strip_prefix('$')?;
    let name_end = rest.find(['+', '-']).unwrap_or(rest.len());
    let (name, offset) = rest.split_at(name_end);
    let name_ok = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    let offset_ok = offset.is_empty()
        || offset
            .get(1..)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    (name_ok && offset_ok).then(|| Placeholder {
        item_type,
        text: s.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use kmip_ttlv::enums::CryptographicUsageMask;

    use super::*;

    #[test]
    fn masks_read_names_hex_and_both_separators() {
        let m = Some(CryptographicUsageMask::table());
        assert_eq!(parse_integer("Encrypt Decrypt", m).unwrap(), 12);
        assert_eq!(parse_integer("Decrypt|Encrypt", m).unwrap(), 12);
        assert_eq!(parse_integer("Encrypt 0x00000100", m).unwrap(), 0x104);
        assert_eq!(parse_integer("0x0000000C", m).unwrap(), 12);
        assert!(parse_integer("Encrypt Fly", m).is_err());
        assert_eq!(format_integer(12, m, " "), "Encrypt Decrypt");
        assert_eq!(format_integer(0x0100_0004, m, "|"), "Encrypt|0x01000000");
    }

    #[test]
    fn date_times_read_offsets_and_write_utc() {
        assert_eq!(
            parse_date_time("2000-02-02T00:00:00+10:00").unwrap(),
            949_413_600
        );
        assert_eq!(format_date_time(949_413_600), "2000-02-01T14:00:00Z");
        assert!(parse_date_time("2000-02-02T00:00:00.5Z").is_err());
        assert_eq!(
            parse_date_time_extended("1970-01-01T00:00:01.000002Z").unwrap(),
            1_000_002
        );
    }

    #[test]
    fn placeholders_are_recognized_only_in_their_grammar() {
        assert!(placeholder(ItemType::DATE_TIME, "$NOW").is_some());
        assert!(placeholder(ItemType::DATE_TIME, "$NOW-3600").is_some());
        assert!(placeholder(ItemType::TEXT_STRING, "$UNIQUE_IDENTIFIER_12").is_some());
        assert!(placeholder(ItemType::TEXT_STRING, "$ 5").is_none());
        assert!(placeholder(ItemType::TEXT_STRING, "$now").is_none());
        assert!(placeholder(ItemType::TEXT_STRING, "$NOW-").is_none());
        assert!(placeholder(ItemType::TEXT_STRING, "price").is_none());
    }
}
