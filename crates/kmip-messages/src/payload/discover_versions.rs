//! Discover Versions (KMIP 1.4 §4.26): the versions a client proposes, and those the server
//! supports among them, best first. vCenter sends an empty request first on every connection.

use kmip_ttlv::Tag;

use crate::ProtocolVersion;
use crate::codec::{Body, Ctx, Reader, Writer};
use crate::error::MessageError;

/// Discover Versions request: the client's versions (none means "tell me all").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoverVersionsRequest {
    /// Versions the client supports, preferred first.
    pub versions: Vec<ProtocolVersion>,
}

/// Discover Versions response: the versions the server supports, preferred first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoverVersionsResponse {
    /// Supported versions.
    pub versions: Vec<ProtocolVersion>,
}

fn read_versions(r: &mut Reader<'_>, ctx: Ctx) -> Result<Vec<ProtocolVersion>, MessageError> {
    r.repeated(Tag::PROTOCOL_VERSION, ctx)
}

impl Body for DiscoverVersionsRequest {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            versions: read_versions(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.repeated(Tag::PROTOCOL_VERSION, &self.versions, ctx);
    }
}

impl Body for DiscoverVersionsResponse {
    fn read(r: &mut Reader<'_>, ctx: Ctx) -> Result<Self, MessageError> {
        Ok(Self {
            versions: read_versions(r, ctx)?,
        })
    }
    fn write(&self, w: &mut Writer, ctx: Ctx) {
        w.repeated(Tag::PROTOCOL_VERSION, &self.versions, ctx);
    }
}
