//! One open newtype per KMIP enumeration and mask, generated from the specification tables.
//!
//! Each enumeration type (`ObjectType`, `Operation`, `ResultReason`, ...) wraps the `u32` from
//! the wire and has a named constant per specified value. Values outside the table (vendor
//! extensions `0x8xxxxxxx`, or values from a newer revision) are representable and print as hex.
//! Mask types (`CryptographicUsageMask`, ...) add bit operations.

use std::fmt;

use crate::registry::EnumDef;

macro_rules! open_enum {
    ($(#[$doc:meta])* $ty:ident, $table:ident, [$(($c:ident, $v:expr, $spec:expr)),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $ty(pub u32);

        impl $ty {
            $(
                #[doc = $spec]
                pub const $c: $ty = $ty($v);
            )*

            /// The specification table this type draws its names from.
            pub fn table() -> &'static EnumDef {
                &crate::registry::$table
            }

            /// The normalized name of this value, if the table names it.
            pub fn name(self) -> Option<&'static str> {
                Self::table().entry(self.0).map(|e| e.name)
            }

            /// The specification name of this value, if the table names it.
            pub fn spec_name(self) -> Option<&'static str> {
                Self::table().entry(self.0).map(|e| e.spec_name)
            }

            /// Finds a value by normalized or specification name.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::table().value_of(name).map($ty)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{:#010x}", self.0),
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl From<u32> for $ty {
            fn from(v: u32) -> Self {
                $ty(v)
            }
        }

        impl From<$ty> for u32 {
            fn from(v: $ty) -> u32 {
                v.0
            }
        }
    };
}

macro_rules! open_mask {
    ($(#[$doc:meta])* $ty:ident, $table:ident, [$(($c:ident, $v:expr, $spec:expr)),* $(,)?]) => {
        open_enum!($(#[$doc])* $ty, $table, [$(($c, $v, $spec)),*]);

        impl $ty {
            /// The empty mask.
            pub const EMPTY: $ty = $ty(0);

            /// True if every bit of `other` is set in `self`.
            pub fn contains(self, other: $ty) -> bool {
                self.0 & other.0 == other.0
            }

            /// The mask as the signed Integer it is encoded as.
            pub fn to_i32(self) -> i32 {
                i32::from_be_bytes(self.0.to_be_bytes())
            }

            /// The mask from the signed Integer it is encoded as.
            pub fn from_i32(v: i32) -> Self {
                $ty(u32::from_be_bytes(v.to_be_bytes()))
            }

            /// The bits set, named for a person ("Encrypt, Decrypt"; "nothing" for none;
            /// a bit without a name in hex).
            pub fn describe(self) -> String {
                if self.0 == 0 {
                    return "nothing".to_owned();
                }
                (0..32)
                    .map(|bit| 1_u32 << bit)
                    .filter(|b| self.0 & b != 0)
                    .map(|b| $ty(b).spec_name().map_or_else(|| $ty(b).to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }

        impl std::ops::BitOr for $ty {
            type Output = $ty;
            fn bitor(self, rhs: $ty) -> $ty {
                $ty(self.0 | rhs.0)
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/enums.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_constants_match_the_specification() {
        assert_eq!(ObjectType::SYMMETRIC_KEY.0, 2);
        assert_eq!(Operation::DISCOVER_VERSIONS.0, 0x1E);
        assert_eq!(State::PRE_ACTIVE.name(), Some("PreActive"));
        assert_eq!(State::PRE_ACTIVE.spec_name(), Some("Pre-Active"));
        assert_eq!(
            CryptographicAlgorithm::from_name("AES"),
            Some(CryptographicAlgorithm::AES)
        );
        assert_eq!(CryptographicAlgorithm::DES3.name(), Some("DES3"));
    }

    #[test]
    fn vendor_enumeration_value_prints_as_hex() {
        assert_eq!(ObjectType(0x8000_0001).to_string(), "0x80000001");
    }

    #[test]
    fn masks_combine_and_convert_to_integer() {
        let m = CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT;
        assert_eq!(m.to_i32(), 12);
        assert!(m.contains(CryptographicUsageMask::DECRYPT));
        assert_eq!(CryptographicUsageMask::from_i32(-1).0, u32::MAX);
    }

    #[test]
    fn a_mask_is_described_by_the_names_of_its_bits() {
        let m = CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT;
        assert_eq!(m.describe(), "Encrypt, Decrypt");
        assert_eq!(CryptographicUsageMask::EMPTY.describe(), "nothing");
        assert_eq!(
            CryptographicUsageMask::MAC_GENERATE.describe(),
            "MAC Generate"
        );
        assert_eq!(
            CryptographicUsageMask(0x8000_0004).describe(),
            "Encrypt, 0x80000000"
        );
    }
}
