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
    /// Locate of a key made before the run, by its Name (an index lookup, then a read).
    Locate,
    /// What vCenter sends to encrypt one VM, as in the captured session: Discover
    /// Versions, Create, Get Attributes twice, Activate, Get — one operation here.
    Vcenter,
}

impl Workload {
    /// Whether the run needs keys made beforehand.
    pub fn needs_keys(self) -> bool {
        matches!(self, Workload::Get | Workload::Mixed | Workload::Locate)
    }
}

/// A key made before the run.
#[derive(Debug, Clone)]
pub(super) struct BenchKey {
    pub uid: String,
    pub name: String,
}

/// Runs operation number `n` of `workload`; `keys` are the keys made before the run.
pub(super) async fn run_one(
    workload: Workload,
    client: &Client,
    keys: &[BenchKey],
    n: u64,
) -> Result<(), ClientError> {
    let i = usize::try_from(n).unwrap_or(0) % keys.len().max(1);
    let key = keys.get(i);
    let uid = key.map_or("", |k| k.uid.as_str());
    match workload {
        Workload::Get => client.get(uid).await.map(drop),
        Workload::Create => create(client, Vec::new()).await.map(drop),
        Workload::Mixed if n % 10 == 9 => create(client, Vec::new()).await.map(drop),
        Workload::Mixed => client.get(uid).await.map(drop),
        Workload::Locate => locate(client, key).await,
        Workload::Vcenter => vcenter(client).await,
    }
}

async fn locate(client: &Client, key: Option<&BenchKey>) -> Result<(), ClientError> {
    let name = key.map_or("", |k| k.name.as_str());
    let found = client.locate(vec![name_attribute(name)], Some(2)).await?;
    if found.len() == 1 {
        Ok(())
    } else {
        Err(ClientError::Unexpected {
            operation: Operation::LOCATE,
            server: "the cluster".into(),
            detail: format!("Locate of Name {name} found {} keys, not 1", found.len()),
        })
    }
}

/// A Name attribute (Uninterpreted Text String).
pub(super) fn name_attribute(name: &str) -> Attribute {
    Attribute::new(
        "Name",
        Value::Structure(vec![
            kmip_ttlv::Ttlv::text(kmip_ttlv::Tag::NAME_VALUE, name),
            kmip_ttlv::Ttlv::enumeration(kmip_ttlv::Tag::NAME_TYPE, 1u32),
        ]),
    )
}

/// An AES-256 key for Encrypt and Decrypt, as vCenter asks for one (some servers, PyKMIP
/// among them, refuse a Create without a usage mask).
pub(super) async fn create(
    client: &Client,
    mut attributes: Vec<Attribute>,
) -> Result<String, ClientError> {
    let mask = CryptographicUsageMask::ENCRYPT.to_i32() | CryptographicUsageMask::DECRYPT.to_i32();
    attributes.push(Attribute::new(
        "Cryptographic Usage Mask",
        Value::Integer(mask),
    ));
    client
        .create_symmetric_key(CryptographicAlgorithm::AES, 256, attributes)
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
    let uid = create(client, Vec::new()).await?;
    client.get_attributes(&uid, Vec::new()).await?;
    client.get_attributes(&uid, Vec::new()).await?;
    client.activate(&uid).await?;
    client.get(&uid).await.map(drop)
}
