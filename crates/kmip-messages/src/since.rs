//! Which protocol version first defined a code point — the one place the server asks before
//! an answer carries a tag, an enumeration value, an operation, an object type, an attribute
//! or a result reason, so that a client of an older version never meets a value its version
//! does not define (NLnet Labs' `kmip-protocol` at 1.0–1.2 failed to parse a Query answer
//! listing Set Attribute, a 2.0 operation; Percona Server for MongoDB and Veeam broke on
//! attributes of a newer version from another server). [`crate::untrue`] walks a whole
//! message with these rules.
//!
//! Sources: the registry tables (`kmip-ttlv/registry`: KMIP 1.4, the 2.0 and 2.1 additions)
//! say whether a tag or value is from 1.x, 2.0 or 2.1; within 1.x, the specifications of
//! KMIP 1.0, 1.1, 1.2, 1.3 and 1.4 allocated tags in consecutive ranges, and their
//! operation, object type and result reason tables are below. Vendor extensions
//! (0x8000_0000 and up, tags 0x54xxxx) are in no version. For other enumerations a value
//! of the 1.4 tables counts as defined from 1.0: the earlier tables are not at hand.

use kmip_ttlv::Tag;
use kmip_ttlv::enums::{ObjectType, Operation, ResultReason};
use kmip_ttlv::registry::{self, EnumSpace};

use crate::ProtocolVersion;
use crate::attribute::is_custom_name;

/// The last tag of each 1.x version: KMIP 1.0 ends with Password, 1.1 with X.509 Certificate
/// Subject, 1.2 with Attestation Capable Indicator, 1.3 with Capability Information, 1.4 with
/// Replace Existing.
const LAST_TAG_OF: [(u32, ProtocolVersion); 5] = [
    (0x42_00A1, ProtocolVersion::V1_0),
    (0x42_00B7, ProtocolVersion::V1_1),
    (0x42_00D3, ProtocolVersion::V1_2),
    (0x42_00F7, ProtocolVersion::V1_3),
    (0x42_0124, ProtocolVersion::V1_4),
];

/// Tags KMIP 2.0 designated "(Reserved)": the 1.x template, custom attribute, operation
/// policy and certificate identification structures, and Attribute Index.
const RESERVED_FROM_2_0: [Tag; 17] = [
    Tag::ATTRIBUTE_INDEX,
    Tag::CERTIFICATE_IDENTIFIER,
    Tag::CERTIFICATE_ISSUER,
    Tag::CERTIFICATE_ISSUER_ALTERNATIVE_NAME,
    Tag::CERTIFICATE_ISSUER_DISTINGUISHED_NAME,
    Tag::CERTIFICATE_SUBJECT,
    Tag::CERTIFICATE_SUBJECT_ALTERNATIVE_NAME,
    Tag::CERTIFICATE_SUBJECT_DISTINGUISHED_NAME,
    Tag::COMMON_TEMPLATE_ATTRIBUTE,
    Tag::CUSTOM_ATTRIBUTE,
    Tag::ISSUER,
    Tag::OPERATION_POLICY_NAME,
    Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
    Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
    Tag::SERIAL_NUMBER,
    Tag::TEMPLATE,
    Tag::TEMPLATE_ATTRIBUTE,
];

fn from_tables(since: (u8, u8)) -> ProtocolVersion {
    ProtocolVersion::new(i32::from(since.0), i32::from(since.1))
}

/// The version that first defined `tag`; `None` for an extension or an unknown tag.
pub fn tag(tag: Tag) -> Option<ProtocolVersion> {
    let entry = registry::tag_entry(tag)?;
    if entry.since.0 >= 2 {
        return Some(from_tables(entry.since));
    }
    LAST_TAG_OF
        .iter()
        .find(|(last, _)| tag.0 <= *last)
        .map(|(_, v)| *v)
}

/// Whether a message of `version` may carry `t`: a tag that version defines and, from 2.0
/// on, has not reserved — or an extension tag, which any version may carry.
pub fn tag_defined(t: Tag, version: ProtocolVersion) -> bool {
    t.is_extension()
        || (defined(tag(t), version) && !(version.major >= 2 && RESERVED_FROM_2_0.contains(&t)))
}

/// The version that first defined `op`; `None` for a vendor extension or a value no version
/// defines.
pub fn operation(op: Operation) -> Option<ProtocolVersion> {
    match op.0 {
        0x01..=0x1C => Some(ProtocolVersion::V1_0),
        // Re-key Key Pair, Discover Versions.
        0x1D..=0x1E => Some(ProtocolVersion::V1_1),
        // Encrypt ... Join Split Key.
        0x1F..=0x29 => Some(ProtocolVersion::V1_2),
        // Import, Export.
        0x2A..=0x2B => Some(ProtocolVersion::V1_4),
        // Log ... Re-Provision.
        0x2C..=0x35 => Some(ProtocolVersion::V2_0),
        _ => None,
    }
}

/// Whether a request of `version` may ask for `op`: an operation the version defines, or
/// Discover Versions in any version — it is how a client finds the versions to speak.
pub fn operation_defined(op: Operation, version: ProtocolVersion) -> bool {
    op == Operation::DISCOVER_VERSIONS || defined(operation(op), version)
}

/// The version that first defined the object type `t`.
pub fn object_type(t: ObjectType) -> Option<ProtocolVersion> {
    match t.0 {
        0x01..=0x08 => Some(ProtocolVersion::V1_0),
        // PGP Key.
        0x09 => Some(ProtocolVersion::V1_2),
        // Certificate Request.
        0x0A => Some(ProtocolVersion::V2_0),
        _ => None,
    }
}

/// The version that first defined the result reason `r` (KMIP 1.0 §9.1.3.2.28 and its
/// successors).
pub fn result_reason(r: ResultReason) -> Option<ProtocolVersion> {
    match r.0 {
        0x01..=0x11 | 0x100 => Some(ProtocolVersion::V1_0),
        // Encoding Option Error.
        0x12 => Some(ProtocolVersion::V1_1),
        // Key Value Not Present, Attestation Required, Attestation Failed.
        0x13..=0x15 => Some(ProtocolVersion::V1_2),
        // Sensitive, Not Extractable, Object Already Exists.
        0x16..=0x18 => Some(ProtocolVersion::V1_4),
        _ => from_registry(Tag::RESULT_REASON, r.0),
    }
}

/// The version that first defined `value` as the value of an Enumeration item tagged `t`.
pub fn enumeration(t: Tag, value: u32) -> Option<ProtocolVersion> {
    if t == Tag::OPERATION {
        return operation(Operation(value));
    }
    if t == Tag::OBJECT_TYPE {
        return object_type(ObjectType(value));
    }
    if t == Tag::RESULT_REASON {
        return result_reason(ResultReason(value));
    }
    from_registry(t, value)
}

fn from_registry(t: Tag, value: u32) -> Option<ProtocolVersion> {
    match registry::enum_space(t)? {
        // KMIP 2.0 Attribute Reference and Tag name a tag.
        EnumSpace::Tags => tag(Tag(value)),
        EnumSpace::Table(table) => table.entry(value).map(|e| match e.since {
            (1, _) => ProtocolVersion::V1_0,
            later => from_tables(later),
        }),
    }
}

/// Attributes KMIP 2.0 introduced under tags 1.x already had for other uses.
const ATTRIBUTES_FROM_2_0: [&str; 2] = ["Key Format Type", "Opaque Data Type"];

/// The tag of a standard attribute's name; `None` for custom and vendor attributes.
fn standard_tag(name: &str) -> Option<Tag> {
    if is_custom_name(name) {
        return None;
    }
    Tag::from_name(name).filter(|t| registry::tag_entry(*t).is_some())
}

/// Whether KMIP 2.0 introduced the attribute `name` (the certificate name attributes such as
/// Certificate Subject CN, and Key Format Type and Opaque Data Type under older tags).
fn introduced_in_2_0(name: &str) -> bool {
    ATTRIBUTES_FROM_2_0.contains(&name)
        || name.starts_with("Certificate Subject ")
        || name.starts_with("Certificate Issuer ")
}

/// The version that first defined the standard attribute `name`: the version of the tag of
/// that name, or 2.0 for the attributes KMIP 2.0 introduced. Custom attributes (`x-`, `y-`)
/// exist in every version — as Custom Attributes in 1.x, as Vendor Attributes from 2.0 on.
/// `None` for a name no version defines.
pub fn attribute(name: &str) -> Option<ProtocolVersion> {
    if is_custom_name(name) {
        return Some(ProtocolVersion::V1_0);
    }
    if introduced_in_2_0(name) {
        return Some(ProtocolVersion::V2_0);
    }
    tag(standard_tag(name)?)
}

/// Whether a client of `version` may be shown the attribute `name`: defined by then and,
/// from 2.0 on, not under a reserved tag (Operation Policy Name, the 1.x certificate
/// identification attributes). A name that is no standard attribute's is a vendor's: a
/// Vendor Attribute from 2.0 on (`vmware-tag` is vendor `vmware`'s `tag`), while 1.x has
/// only Custom Attributes, named `x-` or `y-`.
pub fn attribute_defined(name: &str, version: ProtocolVersion) -> bool {
    let Some(t) = standard_tag(name) else {
        return version.major >= 2 || is_custom_name(name);
    };
    let since = if introduced_in_2_0(name) {
        Some(ProtocolVersion::V2_0)
    } else {
        tag(t)
    };
    defined(since, version) && !(version.major >= 2 && RESERVED_FROM_2_0.contains(&t))
}

/// Whether an Enumeration item tagged `t` with `value` is defined in `version`; values of
/// enumerations the registry does not know (and vendor values) are not judged here.
pub fn enumeration_defined(t: Tag, value: u32, version: ProtocolVersion) -> bool {
    if value >= 0x8000_0000 || registry::enum_space(t).is_none() {
        return true;
    }
    defined(enumeration(t, value), version)
}

/// Whether a message of `version` may carry `since`'s value.
pub fn defined(since: Option<ProtocolVersion>, version: ProtocolVersion) -> bool {
    since.is_some_and(|s| s <= version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_belong_to_the_version_that_allocated_them() {
        assert_eq!(tag(Tag::ACTIVATION_DATE), Some(ProtocolVersion::V1_0));
        assert_eq!(tag(Tag::FRESH), Some(ProtocolVersion::V1_1));
        assert_eq!(tag(Tag::KEY_VALUE_LOCATION), Some(ProtocolVersion::V1_2));
        assert_eq!(
            tag(Tag::RANDOM_NUMBER_GENERATOR),
            Some(ProtocolVersion::V1_3)
        );
        assert_eq!(tag(Tag::SENSITIVE), Some(ProtocolVersion::V1_4));
        assert_eq!(tag(Tag::ATTRIBUTES), Some(ProtocolVersion::V2_0));
        assert_eq!(
            tag(Tag::PROTECTION_STORAGE_MASK),
            Some(ProtocolVersion::V2_0)
        );
        assert_eq!(tag(Tag(0x54_0001)), None);
        assert!(tag_defined(Tag(0x54_0001), ProtocolVersion::V1_0));
        assert!(tag_defined(Tag::TEMPLATE_ATTRIBUTE, ProtocolVersion::V1_4));
        assert!(!tag_defined(Tag::TEMPLATE_ATTRIBUTE, ProtocolVersion::V2_0));
        assert!(!tag_defined(Tag::SENSITIVE, ProtocolVersion::V1_3));
    }

    #[test]
    fn attributes_are_defined_from_the_version_of_their_tag() {
        assert!(attribute_defined("Fresh", ProtocolVersion::V1_1));
        assert!(!attribute_defined("Fresh", ProtocolVersion::V1_0));
        assert!(!attribute_defined("Sensitive", ProtocolVersion::V1_2));
        assert!(attribute_defined("Sensitive", ProtocolVersion::V1_4));
        assert!(!attribute_defined(
            "Protection Storage Mask",
            ProtocolVersion::V1_4
        ));
        assert!(attribute_defined(
            "Operation Policy Name",
            ProtocolVersion::V1_4
        ));
        assert!(!attribute_defined(
            "Operation Policy Name",
            ProtocolVersion::V2_1
        ));
        assert!(attribute_defined("x-anything", ProtocolVersion::V1_0));
        assert!(!attribute_defined(
            "No Such Attribute",
            ProtocolVersion::V1_4
        ));
        assert!(!attribute_defined("vmware-tag", ProtocolVersion::V1_4));
        assert!(attribute_defined("vmware-tag", ProtocolVersion::V2_0));
        assert!(!attribute_defined("Key Format Type", ProtocolVersion::V1_4));
        assert!(attribute_defined("Key Format Type", ProtocolVersion::V2_0));
        assert!(!attribute_defined(
            "Certificate Subject CN",
            ProtocolVersion::V1_4
        ));
        assert!(attribute_defined(
            "Certificate Subject CN",
            ProtocolVersion::V2_0
        ));
        assert!(attribute_defined(
            "Certificate Subject",
            ProtocolVersion::V1_0
        ));
        assert!(!attribute_defined(
            "Certificate Subject",
            ProtocolVersion::V2_0
        ));
    }

    #[test]
    fn result_reasons_of_later_versions_are_not_defined_in_earlier_ones() {
        let at = |r, v| defined(result_reason(r), v);
        assert!(at(ResultReason::ITEM_NOT_FOUND, ProtocolVersion::V1_0));
        assert!(at(ResultReason::GENERAL_FAILURE, ProtocolVersion::V1_0));
        assert!(!at(ResultReason::SENSITIVE, ProtocolVersion::V1_3));
        assert!(at(ResultReason::SENSITIVE, ProtocolVersion::V1_4));
        assert!(!at(ResultReason::OBJECT_DESTROYED, ProtocolVersion::V1_4));
        assert!(at(ResultReason::OBJECT_DESTROYED, ProtocolVersion::V2_0));
        assert!(!at(
            ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            ProtocolVersion::V1_4
        ));
    }

    #[test]
    fn the_operations_of_each_version_are_the_ones_its_specification_lists() {
        let count = |v: ProtocolVersion| {
            (0..0x40)
                .filter(|c| defined(operation(Operation(*c)), v))
                .count()
        };
        // KMIP 1.0 §9.1.3.2.26: 28 operations; 1.1 adds 2, 1.2 adds 11, 1.4 adds 2, 2.0 adds 10.
        assert_eq!(count(ProtocolVersion::V1_0), 28);
        assert_eq!(count(ProtocolVersion::V1_1), 30);
        assert_eq!(count(ProtocolVersion::V1_2), 41);
        assert_eq!(count(ProtocolVersion::V1_3), 41);
        assert_eq!(count(ProtocolVersion::V1_4), 43);
        assert_eq!(count(ProtocolVersion::V2_0), 53);
        assert!(!defined(
            operation(Operation::SET_ATTRIBUTE),
            ProtocolVersion::V1_2
        ));
        assert!(defined(
            operation(Operation::DISCOVER_VERSIONS),
            ProtocolVersion::V1_1
        ));
        assert!(!defined(
            operation(Operation(0x8000_0001)),
            ProtocolVersion::V2_1
        ));
    }
}
