//! The KMIP XML encoding (KMIP Profiles 1.4 §5.4): one element per item, named by the
//! normalized tag name (or `TTLV` with a `tag` attribute for unknown tags), with `type` and
//! `value` attributes; Structures hold their items as child elements.

use std::fmt::Write as _;

use kmip_ttlv::{ItemType, Tag, TagPath, Ttlv, Value};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::Mode;
use crate::error::{ParseError, ParseErrorKind};
use crate::naming::AttributeContext;
use crate::value::{format_value, parse_value};

/// Writes one item (usually a message) as indented XML.
pub fn to_xml(item: &Ttlv) -> String {
    let mut out = String::new();
    write_item(item, AttributeContext::default(), 0, &mut out);
    out
}

fn write_item(item: &Ttlv, ctx: AttributeContext, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    let (name, tag_attr) = match item.tag.name() {
        Some(n) => (n.to_owned(), String::new()),
        None => ("TTLV".to_owned(), format!(" tag=\"0x{:06X}\"", item.tag.0)),
    };
    match &item.value {
        Value::Structure(items) if items.is_empty() => {
            let _ = writeln!(out, "{indent}<{name}{tag_attr}/>");
        }
        Value::Structure(items) => {
            let _ = writeln!(out, "{indent}<{name}{tag_attr}>");
            let mut inner = AttributeContext::default();
            for i in items {
                write_item(i, inner, depth + 1, out);
                inner.saw(i);
            }
            let _ = writeln!(out, "{indent}</{name}>");
        }
        v => {
            let text = format_value(v, ctx.naming(item.tag), " ");
            let _ = writeln!(
                out,
                "{indent}<{name}{tag_attr} type=\"{}\" value=\"{}\"/>",
                v.item_type(),
                escape_attribute(&text)
            );
        }
    }
}

/// Reads exactly one item (a message) from XML. In [`Mode::TestCase`], `$`-placeholders are
/// kept as [`Value::Placeholder`].
pub fn from_xml(text: &str, mode: Mode) -> Result<Ttlv, ParseError> {
    let mut items = read_items(text, mode)?;
    match items.len() {
        1 => Ok(items.remove(0)),
        n => Err(ParseError {
            kind: ParseErrorKind::MessageCount(n),
            offset: None,
            path: TagPath::default(),
        }),
    }
}

/// Reads every item of an XML document: one message, or several inside a `<KMIP>` wrapper.
pub fn from_xml_document(text: &str, mode: Mode) -> Result<Vec<Ttlv>, ParseError> {
    read_items(text, mode)
}

/// Reads every message of an OASIS test-case file: a `<KMIP>` root holding request and
/// response messages in conversation order. Placeholders are kept.
pub fn from_xml_test_case(text: &str) -> Result<Vec<Ttlv>, ParseError> {
    read_items(text, Mode::TestCase)
}

/// One open Structure while reading.
struct Frame {
    tag: Tag,
    items: Vec<Ttlv>,
    ctx: AttributeContext,
}

fn read_items(text: &str, mode: Mode) -> Result<Vec<Ttlv>, ParseError> {
    let mut reader = Reader::from_str(text);
    let mut doc = Document {
        mode,
        stack: Vec::new(),
        top: Vec::new(),
        wrapper_depth: 0,
    };
    loop {
        let offset = usize::try_from(reader.buffer_position()).ok();
        let event = reader
            .read_event()
            .map_err(|e| (ParseErrorKind::Xml(e.to_string()), None));
        let done = event
            .and_then(|e| doc.event(e))
            .map_err(|(kind, path)| ParseError {
                kind,
                offset,
                path: path.unwrap_or_else(|| doc.path()),
            })?;
        if done {
            return Ok(doc.top);
        }
    }
}

/// The reader's state: open Structures and finished top-level items.
struct Document {
    mode: Mode,
    stack: Vec<Frame>,
    top: Vec<Ttlv>,
    /// A `<KMIP>` wrapper (as in test-case files) is not an item; its children are.
    wrapper_depth: usize,
}

/// An error kind, with the path of the offending element when it differs from the open path.
type Failure = (ParseErrorKind, Option<TagPath>);

impl Document {
    fn path(&self) -> TagPath {
        TagPath(self.stack.iter().map(|f| f.tag).collect())
    }

    fn path_to(&self, tag: Tag) -> Option<TagPath> {
        let mut p = self.path();
        p.0.push(tag);
        Some(p)
    }

    /// Handles one event; true at the end of the document.
    fn event(&mut self, event: Event<'_>) -> Result<bool, Failure> {
        let at_top = self.stack.is_empty();
        match event {
            Event::Start(e) if at_top && e.name().as_ref() == "KMIP" => self.wrapper_depth += 1,
            Event::End(e) if at_top && e.name().as_ref() == "KMIP" => {
                self.wrapper_depth = self.wrapper_depth.saturating_sub(1);
            }
            Event::Empty(e) if at_top && e.name().as_ref() == "KMIP" => {}
            Event::Start(e) => {
                let (tag, item_type, _) = element(&e).map_err(|k| (k, None))?;
                if item_type != ItemType::STRUCTURE {
                    return Err((
                        ParseErrorKind::ChildrenInScalar(item_type),
                        self.path_to(tag),
                    ));
                }
                self.stack.push(Frame {
                    tag,
                    items: Vec::new(),
                    ctx: AttributeContext::default(),
                });
            }
            Event::Empty(e) => {
                let (tag, item_type, value) = element(&e).map_err(|k| (k, None))?;
                let item = self
                    .leaf(tag, item_type, value)
                    .map_err(|k| (k, self.path_to(tag)))?;
                self.push(item);
            }
            Event::End(_) => {
                let frame = self
                    .stack
                    .pop()
                    .ok_or((ParseErrorKind::Xml("unexpected closing tag".into()), None))?;
                self.push(Ttlv::structure(frame.tag, frame.items));
            }
            Event::Text(t) => {
                let raw: &str = t.as_ref();
                if !raw.trim().is_empty() {
                    return Err((
                        ParseErrorKind::Xml(format!("unexpected text {:?}", raw.trim())),
                        None,
                    ));
                }
            }
            Event::CData(_) => return Err((ParseErrorKind::Xml("unexpected CDATA".into()), None)),
            Event::Eof if !self.stack.is_empty() || self.wrapper_depth > 0 => {
                return Err((
                    ParseErrorKind::Xml("document ends inside an element".into()),
                    None,
                ));
            }
            Event::Eof => return Ok(true),
            _ => {} // declarations, comments, processing instructions, doctype
        }
        Ok(false)
    }

    fn leaf(
        &self,
        tag: Tag,
        item_type: ItemType,
        value: Option<String>,
    ) -> Result<Ttlv, ParseErrorKind> {
        if item_type == ItemType::STRUCTURE {
            return Ok(Ttlv::structure(tag, Vec::new()));
        }
        let text = value.ok_or(ParseErrorKind::MissingValue(item_type))?;
        let ctx = self.stack.last().map(|f| f.ctx).unwrap_or_default();
        Ok(Ttlv::new(
            tag,
            parse_value(item_type, &text, ctx.naming(tag), self.mode)?,
        ))
    }

    fn push(&mut self, item: Ttlv) {
        match self.stack.last_mut() {
            Some(frame) => {
                frame.ctx.saw(&item);
                frame.items.push(item);
            }
            None => self.top.push(item),
        }
    }
}

/// The tag, type and raw value text of one element.
fn element(e: &BytesStart<'_>) -> Result<(Tag, ItemType, Option<String>), ParseErrorKind> {
    let name: String = e.name().as_ref().to_owned();
    let mut tag_attr = None;
    let mut type_attr = None;
    let mut value = None;
    for a in e.attributes() {
        let a = a.map_err(|err| ParseErrorKind::Xml(err.to_string()))?;
        // Attribute-value normalization turns raw newlines into spaces; the writer escapes them.
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| ParseErrorKind::Xml(err.to_string()))?
            .into_owned();
        match a.key.as_ref() {
            "tag" => tag_attr = Some(v),
            "type" => type_attr = Some(v),
            "value" => value = Some(v),
            other => {
                return Err(ParseErrorKind::Xml(format!(
                    "unexpected attribute {other:?} on <{name}>"
                )));
            }
        }
    }
    let tag_name = if name == "TTLV" {
        tag_attr.unwrap_or_default()
    } else {
        name
    };
    let tag = tag_by_xml_name(&tag_name).ok_or(ParseErrorKind::UnknownTag(tag_name))?;
    let item_type = match type_attr {
        None => ItemType::STRUCTURE,
        Some(t) => ItemType::from_name(&t).ok_or(ParseErrorKind::UnknownType(t))?,
    };
    Ok((tag, item_type, value))
}

/// Tags in XML and JSON are normalized names or `0x` hex.
pub(crate) fn tag_by_xml_name(name: &str) -> Option<Tag> {
    if name.starts_with("0x") {
        return Tag::from_name(name);
    }
    Tag::from_name(name).filter(|t| t.name() == Some(name))
}

/// Escapes an attribute value so that reading it back (with XML attribute-value
/// normalization) yields the same text: markup characters and whitespace other than the
/// space become character references.
fn escape_attribute(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {
                let _ = write!(out, "&#x{:X};", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}
