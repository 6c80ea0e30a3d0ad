//! Discover Versions (KMIP 1.4 §4.26): the versions this server speaks, among those the client
//! proposes in the client's order of preference, or all of them, best first, when it proposes
//! none (vCenter sends an empty request on every connection).

use kmip_messages::payload::discover_versions::{
    DiscoverVersionsRequest, DiscoverVersionsResponse,
};
use kmip_messages::{ProtocolVersion, ResponsePayload};

/// The versions this server speaks, preferred first.
pub const SUPPORTED: [ProtocolVersion; 7] = ProtocolVersion::ALL;

/// Answers one Discover Versions batch item.
pub fn run(req: &DiscoverVersionsRequest) -> ResponsePayload {
    let versions = if req.versions.is_empty() {
        SUPPORTED.to_vec()
    } else {
        req.versions
            .iter()
            .filter(|v| SUPPORTED.contains(v))
            .copied()
            .collect()
    };
    ResponsePayload::DiscoverVersions(DiscoverVersionsResponse { versions })
}
