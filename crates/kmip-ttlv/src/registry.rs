//! The tag, enumeration and mask registry, generated at build time from the specification
//! tables in `registry/*.json` (see `build.rs`), plus the KMIP Profiles name normalization
//! used by the XML and JSON encodings (KMIP Profiles 1.4 §5.4.1.1).

use crate::Tag;

/// One known tag.
#[derive(Debug, Clone, Copy)]
pub struct TagEntry {
    /// The tag value.
    pub tag: Tag,
    /// The normalized name used by the XML and JSON encodings ("UniqueIdentifier").
    pub name: &'static str,
    /// The name in the specification ("Unique Identifier").
    pub spec_name: &'static str,
    /// The protocol version (major, minor) whose tables first hold it: (1, 4) for every tag
    /// of KMIP 1.0–1.4 (`kmip_messages::since` tells those versions apart), (2, 0), (2, 1).
    pub since: (u8, u8),
}

/// One named value of an enumeration or a mask.
#[derive(Debug, Clone, Copy)]
pub struct EnumEntry {
    /// The value on the wire.
    pub value: u32,
    /// The normalized name ("PreActive").
    pub name: &'static str,
    /// The name in the specification ("Pre-Active").
    pub spec_name: &'static str,
    /// The protocol version (major, minor) whose tables first hold it, as for tags.
    pub since: (u8, u8),
}

/// An enumeration or mask table (KMIP 1.4 §9.1.3.2, §9.1.3.3).
#[derive(Debug)]
pub struct EnumDef {
    /// The table's name in the specification ("Object Type").
    pub spec_name: &'static str,
    /// True for bit masks (encoded as Integer), false for enumerations.
    pub is_mask: bool,
    /// The entries, sorted by value.
    pub values: &'static [EnumEntry],
    /// (normalized name, value), sorted by name.
    pub by_name: &'static [(&'static str, u32)],
}

impl EnumDef {
    /// The entry for a value, if it is named.
    pub fn entry(&self, value: u32) -> Option<&'static EnumEntry> {
        self.values
            .binary_search_by_key(&value, |e| e.value)
            .ok()
            .and_then(|i| self.values.get(i))
    }

    /// The value of a normalized or specification name.
    pub fn value_of(&self, name: &str) -> Option<u32> {
        let find = |n: &str| {
            self.by_name
                .binary_search_by_key(&n, |(k, _)| k)
                .ok()
                .and_then(|i| self.by_name.get(i))
                .map(|(_, v)| *v)
        };
        find(name).or_else(|| find(&normalize_name(name)))
    }
}

include!(concat!(env!("OUT_DIR"), "/registry.rs"));

/// Every known tag, sorted by value.
pub fn tags() -> &'static [TagEntry] {
    TAGS
}

/// The registry entry of a known tag.
pub fn tag_entry(tag: Tag) -> Option<&'static TagEntry> {
    TAGS.binary_search_by_key(&tag, |e| e.tag)
        .ok()
        .and_then(|i| TAGS.get(i))
}

/// Looks up a tag by its exact normalized name.
pub(crate) fn tag_by_name(name: &str) -> Option<Tag> {
    TAGS_BY_NAME
        .binary_search_by_key(&name, |(n, _)| n)
        .ok()
        .and_then(|i| TAGS_BY_NAME.get(i))
        .map(|(_, t)| *t)
}

/// How the values of an Enumeration item with a given tag are named.
#[derive(Debug, Clone, Copy)]
pub enum EnumSpace {
    /// Values come from an enumeration table.
    Table(&'static EnumDef),
    /// Values are tags, named like tags (KMIP 2.0 Attribute Reference and Tag).
    Tags,
}

/// The naming of enumeration values for items with this tag, if any is known.
pub fn enum_space(tag: Tag) -> Option<EnumSpace> {
    if tag == Tag::ATTRIBUTE_REFERENCE || tag == Tag::TAG {
        return Some(EnumSpace::Tags);
    }
    table_for(tag).filter(|d| !d.is_mask).map(EnumSpace::Table)
}

/// The mask table for Integer items with this tag, if the tag holds a mask.
pub fn mask_for(tag: Tag) -> Option<&'static EnumDef> {
    table_for(tag).filter(|d| d.is_mask)
}

fn table_for(tag: Tag) -> Option<&'static EnumDef> {
    TAG_TABLES
        .binary_search_by_key(&tag, |(t, _)| *t)
        .ok()
        .and_then(|i| TAG_TABLES.get(i))
        .map(|(_, d)| *d)
}

impl EnumSpace {
    /// The normalized name of a value.
    pub fn name(self, value: u32) -> Option<&'static str> {
        match self {
            EnumSpace::Table(d) => d.entry(value).map(|e| e.name),
            EnumSpace::Tags => Tag(value).name(),
        }
    }

    /// The specification name of a value ("Pre-Active", "Symmetric Key"), for people.
    pub fn spec_name(self, value: u32) -> Option<&'static str> {
        match self {
            EnumSpace::Table(d) => d.entry(value).map(|e| e.spec_name),
            EnumSpace::Tags => Tag(value).spec_name(),
        }
    }

    /// The value of a normalized or specification name.
    pub fn value_of(self, name: &str) -> Option<u32> {
        match self {
            EnumSpace::Table(d) => d.value_of(name),
            EnumSpace::Tags => Tag::from_name(name)
                .filter(|_| !name.starts_with("0x"))
                .map(|t| t.0),
        }
    }
}

/// KMIP Profiles name normalization (§5.4.1.1): brackets become spaces, a non-word character
/// that starts a new word becomes a space, other non-word characters become `_`, digits that
/// start the first word move to its end, and every word is capitalized and joined.
/// `build.rs` applies the same rule to the specification tables.
pub fn normalize_name(s: &str) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c == '(' || c == ')' { ' ' } else { c })
        .collect();
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut spaced = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if is_word(c) || c == ' ' {
            spaced.push(c);
            continue;
        }
        let starts_word = chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic())
            && chars.get(i + 2).is_some_and(|a| a.is_ascii_lowercase());
        spaced.push(if starts_word { ' ' } else { '_' });
    }
    let mut out = String::with_capacity(spaced.len());
    for (i, word) in spaced.split(' ').enumerate() {
        let moved;
        let word = if i == 0 {
            let split = word
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(word.len());
            let (digits, rest) = word.split_at(split);
            moved = format!("{rest}{digits}");
            moved.as_str()
        } else {
            word
        };
        let mut cs = word.chars();
        if let Some(first) = cs.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(cs.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_follows_the_profiles_examples() {
        for (spec, xml) in [
            ("Pre-Active", "PreActive"),
            ("SHA-256", "SHA_256"),
            ("PKCS#1", "PKCS_1"),
            ("X.509", "X_509"),
            ("ANSI X9.31", "ANSIX9_31"),
            ("HMAC-SHA256", "HMAC_SHA256"),
            ("3DES", "DES3"),
            ("MAC Generate", "MACGenerate"),
            ("Uninterpreted Text String", "UninterpretedTextString"),
            ("PKCS#11 Function", "PKCS_11Function"),
            ("C_Initialize", "C_Initialize"),
        ] {
            assert_eq!(normalize_name(spec), xml, "{spec}");
        }
    }

    #[test]
    fn generated_tables_agree_with_the_runtime_normalization() {
        for t in tags() {
            assert_eq!(normalize_name(t.spec_name), t.name);
        }
        for (_, def) in TAG_TABLES {
            for e in def.values {
                assert_eq!(normalize_name(e.spec_name), e.name);
                assert_eq!(def.value_of(e.name), Some(e.value));
            }
        }
    }

    #[test]
    fn attribute_reference_values_are_tag_names() {
        let space = enum_space(Tag::ATTRIBUTE_REFERENCE).unwrap();
        assert_eq!(space.name(Tag::STATE.0), Some("State"));
        assert_eq!(
            space.value_of("CryptographicAlgorithm"),
            Some(Tag::CRYPTOGRAPHIC_ALGORITHM.0)
        );
    }

    #[test]
    fn usage_mask_is_a_mask_and_object_type_an_enumeration() {
        assert!(mask_for(Tag::CRYPTOGRAPHIC_USAGE_MASK).is_some());
        assert!(mask_for(Tag::OBJECT_TYPE).is_none());
        assert!(matches!(
            enum_space(Tag::OBJECT_TYPE),
            Some(EnumSpace::Table(_))
        ));
    }
}
