//! Tags (KMIP 1.4 §9.1.1.1, §9.1.3.1): three bytes on the wire, an open newtype here.

use std::fmt;

use crate::registry;

/// A KMIP tag. Known tags have named constants (`Tag::UNIQUE_IDENTIFIER`) generated from the
/// specification tables; any other three-byte value, vendor extensions (`0x54xxxx`) included,
/// is a valid `Tag` too and survives a decode/encode round trip.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(pub u32);

impl Tag {
    /// The largest value a tag can take: tags are three bytes on the wire.
    pub const MAX: u32 = 0x00FF_FFFF;

    /// The normalized name ("UniqueIdentifier") of a known tag.
    pub fn name(self) -> Option<&'static str> {
        registry::tag_entry(self).map(|e| e.name)
    }

    /// The specification name ("Unique Identifier") of a known tag, which is also the KMIP 1.x
    /// Attribute Name of the attribute with this tag.
    pub fn spec_name(self) -> Option<&'static str> {
        registry::tag_entry(self).map(|e| e.spec_name)
    }

    /// Finds a tag by its normalized name ("UniqueIdentifier"), its specification name
    /// ("Unique Identifier") or its hex form ("0x420094").
    pub fn from_name(name: &str) -> Option<Tag> {
        if let Some(hex) = name.strip_prefix("0x").or_else(|| name.strip_prefix("0X")) {
            return u32::from_str_radix(hex, 16)
                .ok()
                .filter(|v| *v <= Tag::MAX && !hex.is_empty() && hex.len() <= 6)
                .map(Tag);
        }
        registry::tag_by_name(name)
            .or_else(|| registry::tag_by_name(&registry::normalize_name(name)))
    }

    /// True for the tag ranges the specification reserves for extensions (`0x54xxxx`).
    pub fn is_extension(self) -> bool {
        self.0 >> 16 == 0x54
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{:#08x}", self.0),
        }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_tag_prints_its_normalized_name() {
        assert_eq!(Tag::UNIQUE_IDENTIFIER.to_string(), "UniqueIdentifier");
        assert_eq!(
            Tag::UNIQUE_IDENTIFIER.spec_name(),
            Some("Unique Identifier")
        );
    }

    #[test]
    fn vendor_tag_prints_as_hex_and_parses_back() {
        let t = Tag(0x540001);
        assert_eq!(t.to_string(), "0x540001");
        assert!(t.is_extension());
        assert_eq!(Tag::from_name("0x540001"), Some(t));
    }

    #[test]
    fn names_resolve_in_every_spelling() {
        assert_eq!(
            Tag::from_name("UniqueIdentifier"),
            Some(Tag::UNIQUE_IDENTIFIER)
        );
        assert_eq!(
            Tag::from_name("Unique Identifier"),
            Some(Tag::UNIQUE_IDENTIFIER)
        );
        assert_eq!(
            Tag::from_name("PKCS_11Function"),
            Some(Tag::PKCS_11_FUNCTION)
        );
        assert_eq!(Tag::from_name("NoSuchTag"), None);
        assert_eq!(Tag::from_name("0x1000000"), None);
    }
}
