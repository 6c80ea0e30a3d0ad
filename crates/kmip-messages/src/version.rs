//! Protocol Version (KMIP 1.4 §6.1).

use std::fmt;

use kmip_ttlv::{Tag, Ttlv};

use crate::codec::{Body, Ctx, Field, Reader, Writer};
use crate::error::MessageError;

/// A KMIP protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    /// Major version.
    pub major: i32,
    /// Minor version.
    pub minor: i32,
}

impl ProtocolVersion {
    /// KMIP 1.0.
    pub const V1_0: Self = Self::new(1, 0);
    /// KMIP 1.1, the version vCenter speaks.
    pub const V1_1: Self = Self::new(1, 1);
    /// KMIP 1.2.
    pub const V1_2: Self = Self::new(1, 2);
    /// KMIP 1.3.
    pub const V1_3: Self = Self::new(1, 3);
    /// KMIP 1.4.
    pub const V1_4: Self = Self::new(1, 4);
    /// KMIP 2.0.
    pub const V2_0: Self = Self::new(2, 0);
    /// KMIP 2.1.
    pub const V2_1: Self = Self::new(2, 1);

    /// A version.
    pub const fn new(major: i32, minor: i32) -> Self {
        ProtocolVersion { major, minor }
    }

    /// Every version this crate reads and writes, newest first: what Raftkeep's server and
    /// client speak and offer in Discover Versions.
    pub const ALL: [ProtocolVersion; 7] = [
        Self::V2_1,
        Self::V2_0,
        Self::V1_4,
        Self::V1_3,
        Self::V1_2,
        Self::V1_1,
        Self::V1_0,
    ];
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl Body for ProtocolVersion {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(ProtocolVersion {
            major: r.required(Tag::PROTOCOL_VERSION_MAJOR, ctx)?,
            minor: r.required(Tag::PROTOCOL_VERSION_MINOR, ctx)?,
        })
    }

    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.field(Tag::PROTOCOL_VERSION_MAJOR, &self.major, ctx);
        w.field(Tag::PROTOCOL_VERSION_MINOR, &self.minor, ctx);
    }
}

impl Field for ProtocolVersion {
    fn read(item: &Ttlv, path: &[Tag], ctx: Ctx) -> Result<Self, MessageError> {
        Self::read_item(item, path, ctx)
    }
    fn write(&self, tag: Tag, ctx: Ctx) -> Ttlv {
        self.write_item(tag, ctx)
    }
}
