//! Create Key Pair (KMIP 1.4 §4.2, 2.1 §6.1.10): a new RSA (2048–4096 bits) or EC (P-256,
//! P-384, P-521) key pair from the system's random generator. The private key is stored in PKCS#1
//! (RSA) or PKCS#8 (EC) form, the public key in PKCS#1 (RSA) or X.509 form; each links to
//! the other, and both are committed in one Raft entry, so neither exists without the other.

use kmip_messages::payload::create_key_pair::{CreateKeyPairRequest, CreateKeyPairResponse};
use kmip_messages::{
    Attribute, Attributes, KeyBlock, KeyMaterial, KeyValue, ManagedObject, ResponsePayload,
    TemplateAttribute, UniqueIdentifier,
};
use kmip_ttlv::enums::{
    CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, RecommendedCurve,
};
use kmip_ttlv::{ByteString, Tag, Ttlv, Value};
use raftkeep_crypto::PrivateKey;
use raftkeep_store::{Material, StoredObject};

use super::context::OpCtx;
use super::create::new_object;
use crate::attrs::{self, names};
use crate::error::OpError;
use crate::material;

/// Answers one Create Key Pair.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &CreateKeyPairRequest,
) -> Result<ResponsePayload, OpError> {
    let private_attrs = merged(&req.common, &req.private_key);
    let public_attrs = merged(&req.common, &req.public_key);
    let algorithm = private_attrs.cryptographic_algorithm().ok_or_else(|| {
        OpError::MissingData("Create Key Pair needs a Cryptographic Algorithm attribute".to_owned())
    })?;
    let length = private_attrs.cryptographic_length().ok_or_else(|| {
        OpError::MissingData("Create Key Pair needs a Cryptographic Length attribute".to_owned())
    })?;
    let (private_uid, public_uid) =
        make_pair(ctx, algorithm, length, private_attrs, public_attrs).await?;
    tracing::info!(client = %ctx.client.fingerprint, private = %private_uid, public = %public_uid, %algorithm, length, "key pair created");
    ctx.placeholder = Some(private_uid.clone());
    Ok(ResponsePayload::CreateKeyPair(CreateKeyPairResponse {
        private_key_unique_identifier: UniqueIdentifier::Text(private_uid),
        public_key_unique_identifier: UniqueIdentifier::Text(public_uid),
    }))
}

/// A new key pair with these attributes, both keys committed in one entry; their UIDs
/// (private, public). Shared with Re-key Key Pair.
pub(super) async fn make_pair(
    ctx: &mut OpCtx<'_>,
    algorithm: CryptographicAlgorithm,
    length: i32,
    private_attrs: Attributes,
    public_attrs: Attributes,
) -> Result<(String, String), OpError> {
    // An RSA-4096 key takes seconds to find: off the request threads.
    let key = tokio::task::spawn_blocking(move || generate(algorithm, length))
        .await
        .map_err(|e| OpError::Seal(format!("the key generation task failed: {e}")))??;
    let (private_uid, public_uid) = (new_uid(), new_uid());
    let private = pair_object(
        ctx,
        &private_uid,
        &public_uid,
        &key,
        algorithm,
        length,
        private_attrs,
        Side::Private,
    )?;
    let public = pair_object(
        ctx,
        &public_uid,
        &private_uid,
        &key,
        algorithm,
        length,
        public_attrs,
        Side::Public,
    )?;
    ctx.put_all(vec![private, public]).await?;
    Ok((private_uid, public_uid))
}

fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The common attributes with one key's own over them (KMIP 1.4 §4.2: the key-specific
/// template takes precedence).
pub(super) fn merged(
    common: &Option<TemplateAttribute>,
    own: &Option<TemplateAttribute>,
) -> Attributes {
    let own: Vec<Attribute> = own
        .as_ref()
        .map(|t| t.attributes.0.clone())
        .unwrap_or_default();
    let mut out: Vec<Attribute> = common
        .as_ref()
        .map(|t| t.attributes.0.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !own.iter().any(|o| o.name == c.name))
        .collect();
    out.extend(own);
    Attributes(out)
}

fn generate(algorithm: CryptographicAlgorithm, length: i32) -> Result<PrivateKey, OpError> {
    let bits = usize::try_from(length)
        .map_err(|_| OpError::InvalidField(format!("Cryptographic Length {length} is negative")))?;
    match algorithm {
        CryptographicAlgorithm::RSA => Ok(raftkeep_crypto::keys::generate_rsa(bits)?),
        CryptographicAlgorithm::EC | CryptographicAlgorithm::ECDSA => {
            let curve = match length {
                256 => RecommendedCurve::P_256,
                384 => RecommendedCurve::P_384,
                521 => RecommendedCurve::P_521,
                _ => {
                    return Err(OpError::InvalidField(format!(
                        "EC keys of {length} bits: this server makes P-256, P-384 and P-521 keys"
                    )));
                }
            };
            Ok(raftkeep_crypto::keys::generate_ec(curve)?)
        }
        other => Err(OpError::InvalidField(format!(
            "Create Key Pair makes RSA and EC keys, not {other}"
        ))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Private,
    Public,
}

/// One key of the pair, sealed, with its attributes and its link to the other.
#[allow(
    clippy::too_many_arguments,
    reason = "the two calls differ in every argument but the context"
)]
fn pair_object(
    ctx: &OpCtx<'_>,
    uid: &str,
    other: &str,
    key: &PrivateKey,
    algorithm: CryptographicAlgorithm,
    length: i32,
    mut given: Attributes,
    side: Side,
) -> Result<StoredObject, OpError> {
    let rsa = matches!(key, PrivateKey::Rsa(_));
    let (object_type, format, link, der) = match side {
        Side::Private => {
            let format = if rsa {
                KeyFormatType::PKCS_1
            } else {
                KeyFormatType::PKCS_8
            };
            (
                ObjectType::PRIVATE_KEY,
                format,
                LinkType::PUBLIC_KEY_LINK,
                key.to_der(format)?.to_vec(),
            )
        }
        Side::Public => {
            let format = if rsa {
                KeyFormatType::PKCS_1
            } else {
                KeyFormatType::X_509
            };
            (
                ObjectType::PUBLIC_KEY,
                format,
                LinkType::PRIVATE_KEY_LINK,
                key.public().to_der(format)?,
            )
        }
    };
    let block = KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(ByteString::new(der)),
            attributes: Default::default(),
        }),
        cryptographic_algorithm: Some(algorithm),
        cryptographic_length: Some(length),
        key_wrapping_data: None,
    };
    let object = match side {
        Side::Private => ManagedObject::PrivateKey(block),
        Side::Public => ManagedObject::PublicKey(block),
    };
    given.0.push(Attribute::new(
        names::LINK,
        Value::Structure(vec![
            Ttlv::enumeration(Tag::LINK_TYPE, link.0),
            Ttlv::text(Tag::LINKED_OBJECT_IDENTIFIER, other),
        ]),
    ));
    let sealed = material::seal(ctx.keyring, uid, &object)?;
    let mut server_set = vec![
        attrs::stored(names::RANDOM_NUMBER_GENERATOR, &material::rng_attribute())?,
        attrs::stored(names::KEY_FORMAT_TYPE, &Value::Enumeration(format.0))?,
    ];
    if let Some(digest) = material::digest(&object) {
        server_set.push(attrs::stored(names::DIGEST, &digest)?);
    }
    new_object(
        ctx,
        uid,
        object_type,
        &given,
        Material::Sealed(sealed),
        server_set,
    )
}
