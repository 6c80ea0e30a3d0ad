//! What one benchmark operation is, per workload.

use kmip_messages::Attribute;
use kmip_messages::RequestPayload;
use kmip_messages::payload::discover_versions::DiscoverVersionsRequest;
use kmip_ttlv::Value;
use kmip_ttlv::enums::{CryptographicAlgorithm, CryptographicUsageMask, Operation};
use raftkeep_client::{Client, ClientError};

/// A benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Get of a key made before the run (reads: served from the node's own copy).
    Get,
    /// Create of an AES-256 key (a replicated write: a majority has it on disk).
    Create,
    /// Nine Gets to one Create.
    Mixed,
    /// What vCenter sends to encrypt one VM, as in the captured session: Discover
    /// Versions, Create, Get Attributes twice, Activate, Get — one operation here.
    Vcenter,
}

impl Workload {
    /// Whether the run needs keys made beforehand.
    pub fn needs_keys(self) -> bool {
        matches!(self, Workload::Get | Workload::Mixed)
    }
}

/// Runs operation number `n` of `workload`; `keys` are the keys made before the run.
pub(super) async fn run_one(
    workload: Workload,
    client: &Client,
    keys: &[String],
    n: u64,
) -> Result<(), ClientError> {
    let pick = || {
        let i = usize::try_from(n).unwrap_or(0) % keys.len().max(1);
        keys.get(i).map_or("", String::as_str)
    };
    match workload {
        Workload::Get => client.get(pick()).await.map(drop),
        Workload::Create => create(client).await.map(drop),
        Workload::Mixed if n % 10 == 9 => create(client).await.map(drop),
        Workload::Mixed => client.get(pick()).await.map(drop),
        Workload::Vcenter => vcenter(client).await,
    }
}

/// An AES-256 key for Encrypt and Decrypt, as vCenter asks for one (some servers, PyKMIP
/// among them, refuse a Create without a usage mask).
pub(super) async fn create(client: &Client) -> Result<String, ClientError> {
    let mask = CryptographicUsageMask::ENCRYPT.to_i32() | CryptographicUsageMask::DECRYPT.to_i32();
    let usage = Attribute::new("Cryptographic Usage Mask", Value::Integer(mask));
    client
        .create_symmetric_key(CryptographicAlgorithm::AES, 256, vec![usage])
        .await
}

async fn vcenter(client: &Client) -> Result<(), ClientError> {
    client
        .call(
            Operation::DISCOVER_VERSIONS,
            RequestPayload::DiscoverVersions(DiscoverVersionsRequest {
                versions: Vec::new(),
            }),
        )
        .await?;
    let uid = create(client).await?;
    client.get_attributes(&uid, Vec::new()).await?;
    client.get_attributes(&uid, Vec::new()).await?;
    client.activate(&uid).await?;
    client.get(&uid).await.map(drop)
}
