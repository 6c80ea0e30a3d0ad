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
