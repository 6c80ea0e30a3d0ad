//! How enumeration and mask values are named, which depends on the item's tag and, for a KMIP
//! 1.x Attribute Value, on the Attribute Name before it (KMIP Profiles 1.4 §5.4.1.5).

use kmip_ttlv::registry::{self, EnumDef, EnumSpace};
use kmip_ttlv::{Tag, Ttlv, Value};

/// The names that apply to one item's value.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Naming {
    pub(crate) enum_space: Option<EnumSpace>,
    pub(crate) mask: Option<&'static EnumDef>,
}

/// Tracks, within one Structure, the attribute that the next Attribute Value belongs to.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AttributeContext {
    attribute: Option<Tag>,
}

impl AttributeContext {
    /// Call after each child of the Structure.
    pub(crate) fn saw(&mut self, item: &Ttlv) {
        if item.tag == Tag::ATTRIBUTE_NAME {
            self.attribute = match &item.value {
                Value::TextString(name) => attribute_tag(name),
                _ => None,
            };
        }
    }

    /// The naming for a child with this tag.
    pub(crate) fn naming(&self, tag: Tag) -> Naming {
        let tag = if tag == Tag::ATTRIBUTE_VALUE {
            match self.attribute {
                Some(t) => t,
                None => return Naming::default(),
            }
        } else {
            tag
        };
        Naming {
            enum_space: registry::enum_space(tag),
            mask: registry::mask_for(tag),
        }
    }
}

/// The tag of a standard attribute, from its KMIP 1.x Attribute Name ("Cryptographic Algorithm").
/// Custom attributes (`x-`, `y-`) have none.
pub fn attribute_tag(name: &str) -> Option<Tag> {
    if name.starts_with("x-") || name.starts_with("y-") {
        return None;
    }
    Tag::from_name(name).filter(|t| t.spec_name() == Some(name) || t.name() == Some(name))
}
