//! Attributes in both layouts (KMIP 1.4 §2.1.1 and §3; KMIP 2.1 §2.1.1 and §4).
//!
//! KMIP 1.x sends an attribute as an `Attribute` structure holding its name as text
//! ("Cryptographic Algorithm"), an optional index and an `AttributeValue`; custom attributes
//! are named `x-...`/`y-...`. KMIP 2.x sends it as an item tagged with the attribute's own tag
//! inside an `Attributes` structure, and custom attributes as `Attribute` structures with a
//! Vendor Identification. [`Attribute`] holds one attribute independent of the layout; the
//! protocol version in [`Ctx`] picks the layout when reading and writing.

use std::fmt;

use kmip_ttlv::enums::{CryptographicAlgorithm, CryptographicUsageMask, ObjectType, State};
use kmip_ttlv::{ItemType, Tag, Ttlv, Value};

use crate::codec::{Ctx, Field, Reader, Writer};
use crate::common::Name;
use crate::error::{MessageError, MessageErrorKind};

/// An attribute name in the KMIP 1.x form: the specification name of a standard attribute
/// ("Cryptographic Usage Mask"), `x-`/`y-` for custom attributes, or the hex tag of an
/// attribute this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributeName(String);

/// True for the name of a client-defined (`x-`) or server-defined (`y-`) attribute.
pub(crate) fn is_custom_name(name: &str) -> bool {
    name.starts_with("x-") || name.starts_with("y-")
}

impl AttributeName {
    /// Wraps a name.
    pub fn new(name: impl Into<String>) -> Self {
        AttributeName(name.into())
    }

    /// The name of the standard attribute with this tag.
    pub fn from_tag(tag: Tag) -> Self {
        AttributeName(
            tag.spec_name()
                .map_or_else(|| format!("{:#08x}", tag.0), str::to_owned),
        )
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for client-defined (`x-`) and server-defined (`y-`) attributes.
    pub fn is_custom(&self) -> bool {
        is_custom_name(&self.0)
    }

    /// The tag of a standard attribute; `None` for custom attributes.
    pub fn tag(&self) -> Option<Tag> {
        if self.is_custom() {
            return None;
        }
        Tag::from_name(&self.0)
            .filter(|t| t.spec_name() == Some(self.0.as_str()) || self.0.starts_with("0x"))
    }

    /// The KMIP 2.x vendor identification and name of a custom attribute ("x-ID" → "x", "ID").
    fn vendor_parts(&self) -> (&str, &str) {
        self.0.split_once('-').unwrap_or(("", &self.0))
    }
}

impl fmt::Display for AttributeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for AttributeName {
    fn from(s: &str) -> Self {
        AttributeName::new(s)
    }
}

/// One attribute: its name, its index (KMIP 1.x only) and its value as a TTLV value (a
/// Structure for attributes such as Name or Link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Which attribute.
    pub name: AttributeName,
    /// Which instance of a multi-valued attribute (KMIP 1.x).
    pub index: Option<i32>,
    /// The value.
    pub value: Value,
}

impl Attribute {
    /// An attribute without an index.
    pub fn new(name: impl Into<AttributeName>, value: Value) -> Self {
        Attribute {
            name: name.into(),
            index: None,
            value,
        }
    }

    /// Reads one attribute in the layout of `ctx`.
    pub fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        if !ctx.v2() {
            return Self::read_v1(item, path, ctx);
        }
        if item.tag != Tag::ATTRIBUTE {
            return Ok(Attribute {
                name: AttributeName::from_tag(item.tag),
                index: None,
                value: item.value.clone(),
            });
        }
        let mut r = Reader::new(item, path)?;
        let vendor: String = r.required(Tag::VENDOR_IDENTIFICATION, ctx)?;
        let name: String = r.required(Tag::ATTRIBUTE_NAME, ctx)?;
        let value = r.required_item(Tag::ATTRIBUTE_VALUE)?.value.clone();
        r.finish()?;
        let name = if vendor.is_empty() {
            name
        } else {
            format!("{vendor}-{name}")
        };
        Ok(Attribute {
            name: AttributeName(name),
            index: None,
            value,
        })
    }

    fn read_v1(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        if item.tag != Tag::ATTRIBUTE {
            return Err(MessageError::new(
                MessageErrorKind::UnexpectedField(item.tag),
                path,
            ));
        }
        let mut r = Reader::new(item, path)?;
        let name: String = r.required(Tag::ATTRIBUTE_NAME, ctx)?;
        let index = r.optional(Tag::ATTRIBUTE_INDEX, ctx)?;
        let value = r.required_item(Tag::ATTRIBUTE_VALUE)?.value.clone();
        r.finish()?;
        Ok(Attribute {
            name: AttributeName(name),
            index,
            value,
        })
    }

    /// Writes the attribute in the layout of `ctx`.
    pub fn write(&self, ctx: Ctx) -> Ttlv {
        let mut w = Writer::default();
        if !ctx.v2() {
            w.field(Tag::ATTRIBUTE_NAME, &self.name.0, ctx);
            w.optional(Tag::ATTRIBUTE_INDEX, &self.index, ctx);
        } else if let Some(tag) = self.name.tag() {
            return Ttlv::new(tag, self.value.clone());
        } else {
            let (vendor, name) = self.name.vendor_parts();
            w.field(Tag::VENDOR_IDENTIFICATION, &vendor.to_owned(), ctx);
            w.field(Tag::ATTRIBUTE_NAME, &name.to_owned(), ctx);
        }
        w.item(Ttlv::new(Tag::ATTRIBUTE_VALUE, self.value.clone()));
        w.into_structure(Tag::ATTRIBUTE)
    }

    /// The value as an Enumeration.
    pub fn enumeration(&self) -> Option<u32> {
        match self.value {
            Value::Enumeration(v) => Some(v),
            _ => None,
        }
    }

    /// The value as an Integer.
    pub fn integer(&self) -> Option<i32> {
        match self.value {
            Value::Integer(v) => Some(v),
            _ => None,
        }
    }

    /// The value as a Text String.
    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::TextString(v) => Some(v),
            _ => None,
        }
    }
}

/// A list of attributes, in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes(pub Vec<Attribute>);

impl Attributes {
    /// The first attribute with this name.
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.0.iter().find(|a| a.name.as_str() == name)
    }

    /// Every attribute with this name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> + 'a {
        self.0.iter().filter(move |a| a.name.as_str() == name)
    }

    /// Cryptographic Algorithm.
    pub fn cryptographic_algorithm(&self) -> Option<CryptographicAlgorithm> {
        self.get("Cryptographic Algorithm")?
            .enumeration()
            .map(CryptographicAlgorithm)
    }

    /// Cryptographic Length in bits.
    pub fn cryptographic_length(&self) -> Option<i32> {
        self.get("Cryptographic Length")?.integer()
    }

    /// Cryptographic Usage Mask.
    pub fn cryptographic_usage_mask(&self) -> Option<CryptographicUsageMask> {
        self.get("Cryptographic Usage Mask")?
            .integer()
            .map(CryptographicUsageMask::from_i32)
    }

    /// Object Type.
    pub fn object_type(&self) -> Option<ObjectType> {
        self.get("Object Type")?.enumeration().map(ObjectType)
    }

    /// State.
    pub fn state(&self) -> Option<State> {
        self.get("State")?.enumeration().map(State)
    }

    /// Every Name.
    pub fn names(&self) -> Vec<Name> {
        let ctx = Ctx::new(crate::ProtocolVersion::V1_4);
        self.all("Name")
            .filter_map(|a| Name::read(&Ttlv::new(Tag::NAME, a.value.clone()), &[], ctx).ok())
            .collect()
    }

    /// Reads the items of a KMIP 2.x `Attributes` structure.
    pub fn read_v2(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        let r = Reader::new(item, path)?;
        let items = item.items().unwrap_or_default();
        let attrs = items
            .iter()
            .map(|i| Attribute::read(i, r.path(), ctx))
            .collect::<Result<_, _>>()?;
        Ok(Attributes(attrs))
    }

    /// Writes a KMIP 2.x `Attributes` structure.
    pub fn write_v2(&self, tag: Tag, ctx: Ctx) -> Ttlv {
        Ttlv::structure(tag, self.0.iter().map(|a| a.write(ctx)).collect())
    }

    /// Reads the attributes of a payload in the layout of `ctx`: KMIP 1.x `Attribute` items,
    /// or the KMIP 2.x `Attributes` structure (absent reads as empty).
    pub fn read_list(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        if ctx.v2() {
            return Ok(Self::read_optional(r, Tag::ATTRIBUTES, ctx)?.unwrap_or_default());
        }
        let items = r.repeated_items(Tag::ATTRIBUTE);
        let attrs = items
            .into_iter()
            .map(|i| Attribute::read(i, r.path(), ctx))
            .collect::<Result<_, _>>()?;
        Ok(Attributes(attrs))
    }

    /// Writes the attributes of a payload in the layout of `ctx`.
    pub fn write_list(&self, w: &mut Writer, ctx: Ctx) {
        if ctx.v2() {
            w.item(self.write_v2(Tag::ATTRIBUTES, ctx));
        } else {
            for a in &self.0 {
                w.item(a.write(ctx));
            }
        }
    }

    /// Reads an optional KMIP 2.x attributes structure with the given tag.
    pub fn read_optional(
        r: &mut Reader<'_>,
        tag: Tag,
        ctx: Ctx,
    ) -> Result<Option<Self>, MessageError> {
        match r.optional_item(tag) {
            Some(i) => Self::read_v2(i, r.path(), ctx).map(Some),
            None => Ok(None),
        }
    }
}

/// The attributes a client asks the server to apply: a KMIP 1.x Template-Attribute (template
/// names and attributes) or a KMIP 2.x Attributes structure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateAttribute {
    /// Names of server-side templates (KMIP 1.x; deprecated in 1.3, gone in 2.0).
    pub template_names: Vec<Name>,
    /// The attributes.
    pub attributes: Attributes,
}

impl TemplateAttribute {
    /// The tag this structure has in the layout of `ctx`.
    pub fn tag(ctx: Ctx) -> Tag {
        if ctx.v2() {
            Tag::ATTRIBUTES
        } else {
            Tag::TEMPLATE_ATTRIBUTE
        }
    }

    /// Reads the optional template with its layout's tag.
    pub fn read_optional(r: &mut Reader<'_>, ctx: Ctx) -> Result<Option<Self>, MessageError> {
        r.optional(Self::tag(ctx), ctx)
    }

    /// Reads the required template with its layout's tag.
    pub fn read_required(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        r.required(Self::tag(ctx), ctx)
    }

    /// Writes the template with its layout's tag.
    pub fn write_to(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Self::tag(ctx), self, ctx);
    }
}

impl Field for TemplateAttribute {
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        if ctx.v2() {
            return Ok(TemplateAttribute {
                template_names: Vec::new(),
                attributes: Attributes::read_v2(item, path, ctx)?,
            });
        }
        let mut r = Reader::new(item, path)?;
        let template_names = r.repeated(Tag::NAME, ctx)?;
        let attributes = Attributes::read_list(&mut r, ctx)?;
        r.finish()?;
        Ok(TemplateAttribute {
            template_names,
            attributes,
        })
    }

    fn write(&self, tag: Tag, ctx: Ctx) -> Ttlv {
        if ctx.v2() {
            return self.attributes.write_v2(tag, ctx);
        }
        let mut w = Writer::default();
        w.repeated(Tag::NAME, &self.template_names, ctx);
        self.attributes.write_list(&mut w, ctx);
        w.into_structure(tag)
    }
}

/// Reads the attribute names a request or response lists: KMIP 1.x `Attribute Name` texts or
/// KMIP 2.x `Attribute Reference`s (a tag, or a vendor identification and name).
pub fn read_attribute_names(
    r: &mut Reader<'_>,
    ctx: Ctx,
) -> Result<Vec<AttributeName>, MessageError> {
    if !ctx.v2() {
        let names: Vec<String> = r.repeated(Tag::ATTRIBUTE_NAME, ctx)?;
        return Ok(names.into_iter().map(AttributeName).collect());
    }
    let mut out = Vec::new();
    for item in r.repeated_items(Tag::ATTRIBUTE_REFERENCE) {
        out.push(read_reference(item, r.path(), ctx)?);
    }
    Ok(out)
}

/// Reads one KMIP 2.x Attribute Reference.
pub fn read_reference(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<AttributeName, MessageError> {
    match &item.value {
        Value::Enumeration(tag) => Ok(AttributeName::from_tag(Tag(*tag))),
        Value::Structure(_) => {
            let mut v = Reader::new(item, path)?;
            let vendor: String = v.required(Tag::VENDOR_IDENTIFICATION, ctx)?;
            let name: String = v.required(Tag::ATTRIBUTE_NAME, ctx)?;
            v.finish()?;
            Ok(AttributeName(if vendor.is_empty() {
                name
            } else {
                format!("{vendor}-{name}")
            }))
        }
        other => Err(MessageError::new(
            MessageErrorKind::WrongType {
                tag: item.tag,
                expected: ItemType::ENUMERATION,
                found: other.item_type(),
            },
            path,
        )),
    }
}

/// Writes one KMIP 2.x Attribute Reference.
pub fn write_reference(name: &AttributeName, tag: Tag, ctx: Ctx) -> Ttlv {
    match name.tag() {
        Some(t) => Ttlv::enumeration(tag, t.0),
        None => {
            let (vendor, n) = name.vendor_parts();
            let mut w = Writer::default();
            w.field(Tag::VENDOR_IDENTIFICATION, &vendor.to_owned(), ctx);
            w.field(Tag::ATTRIBUTE_NAME, &n.to_owned(), ctx);
            w.into_structure(tag)
        }
    }
}

/// Writes the attribute names in the layout of `ctx`.
pub fn write_attribute_names(w: &mut Writer, names: &[AttributeName], ctx: Ctx) {
    for n in names {
        if ctx.v2() {
            w.item(write_reference(n, Tag::ATTRIBUTE_REFERENCE, ctx));
        } else {
            w.field(Tag::ATTRIBUTE_NAME, &n.0, ctx);
        }
    }
}
