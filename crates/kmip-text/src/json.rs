//! The KMIP JSON encoding (KMIP Profiles 1.4 §5.5): one object per item with `tag`, `type`
//! (omitted for Structures) and `value`; a Structure's value is an array of items.

use kmip_ttlv::{ItemType, Tag, TagPath, Ttlv, Value};
use serde_json::{Map, Value as Json};

use crate::Mode;
use crate::error::{ParseError, ParseErrorKind};
use crate::naming::AttributeContext;
use crate::value::{format_value, parse_value};
use crate::xml::tag_by_xml_name;

/// Integers of at most 52 bits are written as JSON numbers; wider Long Integers as hex
/// strings, since JSON readers commonly hold numbers as doubles (KMIP Profiles §5.5.1.5).
const MAX_JSON_INT: i64 = 1 << 52;

/// Writes one item (usually a message) as a JSON value.
pub fn to_json_value(item: &Ttlv) -> Json {
    item_json(item, AttributeContext::default())
}

/// Writes one item as pretty-printed JSON text.
pub fn to_json(item: &Ttlv) -> String {
    serde_json::to_string_pretty(&to_json_value(item)).unwrap_or_default()
}

fn item_json(item: &Ttlv, ctx: AttributeContext) -> Json {
    let mut obj = Map::new();
    let tag = item
        .tag
        .name()
        .map_or_else(|| format!("0x{:06X}", item.tag.0), str::to_owned);
    obj.insert("tag".into(), Json::String(tag));
    let value = match &item.value {
        Value::Structure(items) => {
            let mut inner = AttributeContext::default();
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(item_json(i, inner));
                inner.saw(i);
            }
            Json::Array(out)
        }
        v => {
            obj.insert("type".into(), Json::String(v.item_type().to_string()));
            let naming = ctx.naming(item.tag);
            match v {
                Value::Integer(i) if naming.mask.is_none() => Json::from(*i),
                Value::LongInteger(l) if l.unsigned_abs() < MAX_JSON_INT.unsigned_abs() => {
                    Json::from(*l)
                }
                Value::LongInteger(l) => {
                    Json::String(format!("0x{:016X}", u64::from_be_bytes(l.to_be_bytes())))
                }
                Value::Interval(i) => Json::from(*i),
                Value::Boolean(b) => Json::Bool(*b),
                Value::BigInteger(b) => Json::String(format!("0x{}", hex::encode(b.as_bytes()))),
                other => Json::String(format_value(other, naming, "|")),
            }
        }
    };
    obj.insert("value".into(), value);
    Json::Object(obj)
}

/// Reads one item (a message) from JSON text.
pub fn from_json(text: &str, mode: Mode) -> Result<Ttlv, ParseError> {
    let json: Json = serde_json::from_str(text).map_err(|e| ParseError {
        kind: ParseErrorKind::Json(e.to_string()),
        offset: None,
        path: TagPath::default(),
    })?;
    from_json_value(&json, mode)
}

/// Reads one item from a parsed JSON value.
pub fn from_json_value(json: &Json, mode: Mode) -> Result<Ttlv, ParseError> {
    let mut path = Vec::new();
    read_item(json, AttributeContext::default(), mode, &mut path)
}

fn read_item(
    json: &Json,
    ctx: AttributeContext,
    mode: Mode,
    path: &mut Vec<Tag>,
) -> Result<Ttlv, ParseError> {
    let fail = |kind, path: &[Tag]| ParseError {
        kind,
        offset: None,
        path: TagPath(path.to_vec()),
    };
    let shape = |msg: &str| ParseErrorKind::JsonShape(msg.to_owned());
    let obj = json
        .as_object()
        .ok_or_else(|| fail(shape("an item must be an object"), path))?;
    let tag_name = obj
        .get("tag")
        .and_then(Json::as_str)
        .ok_or_else(|| fail(shape("missing \"tag\""), path))?;
    let tag = tag_by_xml_name(tag_name)
        .ok_or_else(|| fail(ParseErrorKind::UnknownTag(tag_name.into()), path))?;
    let item_type = match obj.get("type") {
        None => ItemType::STRUCTURE,
        Some(Json::String(t)) => ItemType::from_name(t)
            .ok_or_else(|| fail(ParseErrorKind::UnknownType(t.clone()), path))?,
        Some(_) => return Err(fail(shape("\"type\" must be a string"), path)),
    };
    path.push(tag);
    let value = obj
        .get("value")
        .ok_or_else(|| fail(ParseErrorKind::MissingValue(item_type), path))?;
    let result = if item_type == ItemType::STRUCTURE {
        let arr = value
            .as_array()
            .ok_or_else(|| fail(shape("a Structure's value must be an array"), path))?;
        let mut inner = AttributeContext::default();
        let mut items = Vec::with_capacity(arr.len());
        for child in arr {
            let item = read_item(child, inner, mode, path)?;
            inner.saw(&item);
            items.push(item);
        }
        Ok(Ttlv::structure(tag, items))
    } else {
        let text = match value {
            Json::String(s) => s.clone(),
            Json::Number(n) => n.to_string(),
            Json::Bool(b) => b.to_string(),
            _ => {
                return Err(fail(
                    shape("a scalar value must be a string, number or boolean"),
                    path,
                ));
            }
        };
        parse_value(item_type, &text, ctx.naming(tag), mode)
            .map(|v| Ttlv::new(tag, v))
            .map_err(|k| fail(k, path))
    };
    path.pop();
    result
}
