//! Derive Key (KMIP 1.4 §4.6, 2.1 §6.1.13): a new symmetric key or secret derived from an
//! Active key or secret whose mask allows Derive Key — PBKDF2, HMAC (HKDF), NIST SP 800-108
//! counter mode, a hash, or encryption of the derivation data. The new object's Cryptographic
//! Length says how much is derived; it links to its base object.

use kmip_messages::payload::derive_key::{DeriveKeyRequest, DeriveKeyResponse};
use kmip_messages::{
    Attribute, KeyBlock, KeyMaterial, KeyValue, ManagedObject, ResponsePayload, UniqueIdentifier,
};
use kmip_ttlv::enums::{
    CryptographicUsageMask, KeyFormatType, LinkType, ObjectType, Operation, SecretDataType,
};
use kmip_ttlv::{ByteString, Tag, Ttlv, Value};
use raftkeep_crypto::derive::{Derivation, derive};
use raftkeep_store::Material;

use super::context::OpCtx;
use super::create::new_object;
use super::key_use;
use crate::attrs::{self, names};
use crate::error::OpError;
use crate::material;

/// Answers one Derive Key.
pub async fn run(ctx: &mut OpCtx<'_>, req: &DeriveKeyRequest) -> Result<ResponsePayload, OpError> {
    if req.object_type != ObjectType::SYMMETRIC_KEY && req.object_type != ObjectType::SECRET_DATA {
        return Err(OpError::InvalidField(format!(
            "Derive Key makes symmetric keys and secret data, not {}",
            req.object_type
        )));
    }
    let given = &req.template.attributes;
    let bits = given.cryptographic_length().ok_or_else(|| {
        OpError::MissingData("Derive Key needs the new object's Cryptographic Length".to_owned())
    })?;
    let len = usize::try_from(bits)
        .ok()
        .filter(|b| *b > 0 && b % 8 == 0 && *b <= 8192)
        .map(|b| b / 8)
        .ok_or_else(|| {
            OpError::InvalidField(format!(
                "a Cryptographic Length of {bits} bits cannot be derived"
            ))
        })?;
    let algorithm = match (req.object_type, given.cryptographic_algorithm()) {
        (ObjectType::SYMMETRIC_KEY, None) => {
            return Err(OpError::MissingData(
                "a derived symmetric key needs a Cryptographic Algorithm".to_owned(),
            ));
        }
        (_, a) => a,
    };
    let p = &req.derivation_parameters;
    let base = req.unique_identifiers.first();
    let k = key_use::key_for(
        ctx,
        base,
        Operation::DERIVE_KEY,
        CryptographicUsageMask::DERIVE_KEY,
        p.cryptographic_parameters.as_ref(),
    )
    .await?;
    let base_uid = k.uid.clone();
    // A second object, when given without Derivation Data, is the data.
    let second = match (req.unique_identifiers.get(1), &p.derivation_data) {
        (Some(uid), None) => Some(
            key_use::key_for(
                ctx,
                Some(uid),
                Operation::DERIVE_KEY,
                CryptographicUsageMask::DERIVE_KEY,
                None,
            )
            .await?,
        ),
        _ => None,
    };
    ctx.placeholder = Some(base_uid.clone());
    let data = match (&p.derivation_data, &second) {
        (Some(d), _) => Some(d.as_slice().to_vec()),
        (None, Some(s)) => Some(s.symmetric("Derive Key")?.to_vec()),
        (None, None) => None,
    };
    let iterations = p
        .iteration_count
        .map(|n| {
            u32::try_from(n)
                .map_err(|_| OpError::InvalidField(format!("Iteration Count {n} is negative")))
        })
        .transpose()?;
    let cipher = match req.derivation_method {
        kmip_ttlv::enums::DerivationMethod::ENCRYPT => Some(key_use::cipher_spec(&k)?),
        _ => None,
    };
    let method = req.derivation_method;
    let (key, hash, salt, iv) = (
        zeroize::Zeroizing::new(k.symmetric("Derive Key")?.to_vec()),
        k.params.hashing_algorithm,
        p.salt.as_ref().map(|s| s.as_slice().to_vec()),
        p.initialization_vector
            .as_ref()
            .map(|v| v.as_slice().to_vec()),
    );
    // PBKDF2 may take a while: off the request threads.
    let derived = tokio::task::spawn_blocking(move || {
        let d = Derivation {
            hash,
            salt: salt.as_deref(),
            iterations,
            data: data.as_deref(),
            cipher: cipher.map(|c| (c, iv.as_deref())),
        };
        derive(method, &key, &d, len)
    })
    .await
    .map_err(|e| OpError::Seal(format!("the derivation task failed: {e}")))??;
    let length = i32::try_from(len * 8).unwrap_or(i32::MAX);
    let format = if req.object_type == ObjectType::SECRET_DATA {
        KeyFormatType::OPAQUE
    } else {
        KeyFormatType::RAW
    };
    let block = KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(ByteString::new(derived.to_vec())),
            attributes: Default::default(),
        }),
        cryptographic_algorithm: algorithm,
        cryptographic_length: algorithm.map(|_| length),
        key_wrapping_data: None,
    };
    let object = if req.object_type == ObjectType::SECRET_DATA {
        ManagedObject::SecretData {
            secret_data_type: SecretDataType::SEED,
            key_block: block,
        }
    } else {
        ManagedObject::SymmetricKey(block)
    };
    let uid = uuid::Uuid::new_v4().to_string();
    let sealed = material::seal(ctx.keyring, &uid, &object)?;
    let mut attributes = given.clone();
    attributes.0.push(Attribute::new(
        names::LINK,
        Value::Structure(vec![
            Ttlv::enumeration(Tag::LINK_TYPE, LinkType::DERIVATION_BASE_OBJECT_LINK.0),
            Ttlv::text(Tag::LINKED_OBJECT_IDENTIFIER, &base_uid),
        ]),
    ));
    let mut server_set = vec![attrs::stored(
        names::KEY_FORMAT_TYPE,
        &Value::Enumeration(format.0),
    )?];
    if let Some(digest) = material::digest(&object) {
        server_set.push(attrs::stored(names::DIGEST, &digest)?);
    }
    let stored = new_object(
        ctx,
        &uid,
        req.object_type,
        &attributes,
        Material::Sealed(sealed),
        server_set,
    )?;
    let uid = ctx.put_new(stored).await?;
    tracing::info!(client = %ctx.client.fingerprint, %uid, base = %base_uid, method = %req.derivation_method, "key derived");
    ctx.placeholder = Some(uid.clone());
    Ok(ResponsePayload::DeriveKey(DeriveKeyResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
    }))
}
