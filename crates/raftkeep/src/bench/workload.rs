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
    /// Encrypt of 64 bytes with AES-256-GCM, the server picking the IV (a read: no write).
    #[value(name = "encrypt-gcm-64")]
    #[serde(rename = "encrypt-gcm-64")]
    EncryptGcm64,
    /// Encrypt of 4 KiB with AES-256-GCM, the server picking the IV.
    #[value(name = "encrypt-gcm-4k")]
    #[serde(rename = "encrypt-gcm-4k")]
    EncryptGcm4k,
    /// Sign of 32 bytes with an RSA-2048 private key (PKCS#1 v1.5, SHA-256).
    #[value(name = "sign-rsa2048")]
    #[serde(rename = "sign-rsa2048")]
    SignRsa2048,
    /// Sign of 32 bytes with an ECDSA P-256 private key (SHA-256).
    #[value(name = "sign-p256")]
    #[serde(rename = "sign-p256")]
    SignP256,
}

impl Workload {
    /// Whether the run needs keys made beforehand.
    pub fn needs_keys(self) -> bool {
        !matches!(self, Workload::Create | Workload::Vcenter)
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
        Workload::EncryptGcm64 => encrypt(client, uid, &[0x5a; 64]).await,
        Workload::EncryptGcm4k => encrypt(client, uid, &[0x5a; 4096]).await,
        Workload::SignRsa2048 => {
            sign(
                client,
                uid,
                CryptographicAlgorithm::RSA,
                Some(kmip_ttlv::enums::PaddingMethod::PKCS1_V1_5),
            )
            .await
        }
        Workload::SignP256 => sign(client, uid, CryptographicAlgorithm::ECDSA, None).await,
    }
}

/// A Sign of 32 bytes with SHA-256, the parameters spelled out (PyKMIP's server needs them).
async fn sign(
    client: &Client,
    uid: &str,
    algorithm: CryptographicAlgorithm,
    padding: Option<kmip_ttlv::enums::PaddingMethod>,
) -> Result<(), ClientError> {
    let parameters = Some(kmip_messages::CryptographicParameters {
        padding_method: padding,
        hashing_algorithm: Some(kmip_ttlv::enums::HashingAlgorithm::SHA_256),
        cryptographic_algorithm: Some(algorithm),
        ..kmip_messages::CryptographicParameters::default()
    });
    client.sign(uid, &[0x5a; 32], parameters).await.map(drop)
}

async fn encrypt(client: &Client, uid: &str, data: &[u8]) -> Result<(), ClientError> {
    let parameters = Some(kmip_messages::CryptographicParameters {
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        block_cipher_mode: Some(kmip_ttlv::enums::BlockCipherMode::GCM),
        random_iv: Some(true),
        tag_length: Some(16),
        ..kmip_messages::CryptographicParameters::default()
    });
    let p = raftkeep_client::Plaintext {
        data,
        parameters,
        iv: None,
        aad: None,
    };
    client.encrypt(uid, p).await.map(drop)
}

/// An Active key (pair) for the cryptographic workloads; the UID operations name.
pub(super) async fn crypto_key(
    workload: Workload,
    client: &Client,
    name: &str,
) -> Result<Option<String>, ClientError> {
    let pair = |algorithm: CryptographicAlgorithm, length: i32| {
        let common = vec![
            Attribute::new("Cryptographic Algorithm", Value::Enumeration(algorithm.0)),
            Attribute::new("Cryptographic Length", Value::Integer(length)),
        ];
        let sign = vec![
            name_attribute(name),
            Attribute::new(
                "Cryptographic Usage Mask",
                Value::Integer(CryptographicUsageMask::SIGN.to_i32()),
            ),
        ];
        let verify = vec![Attribute::new(
            "Cryptographic Usage Mask",
            Value::Integer(CryptographicUsageMask::VERIFY.to_i32()),
        )];
        client.create_key_pair(common, sign, verify)
    };
    let uid = match workload {
        Workload::EncryptGcm64 | Workload::EncryptGcm4k => {
            create(client, vec![name_attribute(name)]).await?
        }
        Workload::SignRsa2048 => pair(CryptographicAlgorithm::RSA, 2048).await?.0,
        Workload::SignP256 => pair(CryptographicAlgorithm::EC, 256).await?.0,
        _ => return Ok(None),
    };
    client.activate(&uid).await?;
    Ok(Some(uid))
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
