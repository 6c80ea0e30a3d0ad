//! A readable, indented text tree of a message, for people (`raftkeep kmip decode --to text`).
//! Output only: it names enumerations and masks, dates in UTC, and hides passwords.

use std::fmt::Write as _;

use kmip_ttlv::value::is_secret_text;
use kmip_ttlv::{Ttlv, Value};

use crate::naming::AttributeContext;
use crate::value::format_value;

/// Renders one item as an indented tree, one item per line.
pub fn to_text(item: &Ttlv) -> String {
    let mut out = String::new();
    line(item, AttributeContext::default(), 0, &mut out);
    out
}

fn line(item: &Ttlv, ctx: AttributeContext, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let naming = ctx.naming(item.tag);
    let ty = item.value.item_type();
    let _ = match &item.value {
        Value::Structure(items) => {
            let _ = writeln!(out, "{indent}{}", item.tag);
            let mut inner = AttributeContext::default();
            for i in items {
                line(i, inner, depth + 1, out);
                inner.saw(i);
            }
            Ok(())
        }
        Value::TextString(_) if is_secret_text(item.tag) => {
            writeln!(out, "{indent}{} ({ty}): <redacted>", item.tag)
        }
        Value::TextString(s) => writeln!(out, "{indent}{} ({ty}): {s:?}", item.tag),
        Value::ByteString(b) => writeln!(
            out,
            "{indent}{} ({ty}, {} bytes): {}",
            item.tag,
            b.as_slice().len(),
            format_value(&item.value, naming, " ")
        ),
        Value::Enumeration(v) if naming.enum_space.and_then(|s| s.name(*v)).is_some() => writeln!(
            out,
            "{indent}{} ({ty}): {} ({v:#x})",
            item.tag,
            format_value(&item.value, naming, " ")
        ),
        Value::Integer(v) if naming.mask.is_some() => writeln!(
            out,
            "{indent}{} ({ty}): {} ({v:#x})",
            item.tag,
            format_value(&item.value, naming, " | ")
        ),
        Value::DateTime(v) => writeln!(
            out,
            "{indent}{} ({ty}): {} ({v})",
            item.tag,
            format_value(&item.value, naming, " ")
        ),
        v => writeln!(
            out,
            "{indent}{} ({ty}): {}",
            item.tag,
            format_value(v, naming, " ")
        ),
    };
}

/// One attribute's value on one line, for people: enumerations and masks named by the
/// attribute ("State" → `Active`, "Cryptographic Usage Mask" → `Encrypt | Decrypt`), dates
/// in UTC, a structure as `Field=value, ...` (a Name: `Name Value=k1, Name
/// Type=Uninterpreted Text String`).
pub fn attribute_value_text(attribute_name: &str, value: &Value) -> String {
    let mut ctx = AttributeContext::default();
    ctx.saw(&Ttlv::text(
        kmip_ttlv::Tag::ATTRIBUTE_NAME,
        attribute_name.to_owned(),
    ));
    inline(kmip_ttlv::Tag::ATTRIBUTE_VALUE, value, ctx)
}

fn inline(tag: kmip_ttlv::Tag, value: &Value, ctx: AttributeContext) -> String {
    match value {
        Value::Structure(items) => items
            .iter()
            .map(|i| {
                let name = i
                    .tag
                    .spec_name()
                    .map_or_else(|| i.tag.to_string(), str::to_owned);
                format!(
                    "{name}={}",
                    inline(i.tag, &i.value, AttributeContext::default())
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        Value::TextString(_) if is_secret_text(tag) => "<redacted>".to_owned(),
        Value::Enumeration(v) => match ctx.naming(tag).enum_space.and_then(|e| e.spec_name(*v)) {
            Some(name) => name.to_owned(),
            None => format_value(value, ctx.naming(tag), " | "),
        },
        other => format_value(other, ctx.naming(tag), " | "),
    }
}

#[cfg(test)]
mod attribute_text_tests {
    use super::*;
    use kmip_ttlv::Tag;

    #[test]
    fn attribute_values_read_as_people_name_them() {
        assert_eq!(
            attribute_value_text("State", &Value::Enumeration(2)),
            "Active"
        );
        assert_eq!(
            attribute_value_text("Cryptographic Usage Mask", &Value::Integer(0x0c)),
            "Encrypt | Decrypt"
        );
        let name = Value::Structure(vec![
            Ttlv::text(Tag::NAME_VALUE, "k1"),
            Ttlv::enumeration(Tag::NAME_TYPE, 1_u32),
        ]);
        assert_eq!(
            attribute_value_text("Name", &name),
            "Name Value=k1, Name Type=Uninterpreted Text String"
        );
    }
}
