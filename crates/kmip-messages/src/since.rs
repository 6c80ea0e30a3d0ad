//! Which protocol version first defined a code point — the one place a response asks before
//! it lists operations or object types, so that a client of an older version never meets a
//! value its version does not define (NLnet Labs' `kmip-protocol` at 1.0–1.2 failed to parse
//! a Query answer listing Set Attribute, a 2.0 operation). Values from the KMIP 1.0, 1.1,
//! 1.2, 1.4 and 2.0 specifications (1.3 and 2.1 added no operations or object types);
//! vendor extensions (0x8000_0000 and up) are in no version.

use kmip_ttlv::enums::{ObjectType, Operation};

use crate::ProtocolVersion;

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

/// Whether a message of `version` may carry `since`'s value.
pub fn defined(since: Option<ProtocolVersion>, version: ProtocolVersion) -> bool {
    since.is_some_and(|s| s <= version)
}

#[cfg(test)]
mod tests {
    use super::*;

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
