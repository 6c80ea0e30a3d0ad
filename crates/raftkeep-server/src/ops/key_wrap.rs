//! Key wrapping on Get (KMIP 1.4 §2.1.5–§2.1.7): the key block leaves the server encrypted
//! under another key the client may use for wrapping — an AES key (AES Key Wrap, RFC 3394,
//! or with padding, RFC 5649) or an RSA public key (OAEP). What is wrapped is the
//! TTLV-encoded Key Value (the Key Value becomes a Byte String), or with Encoding Option No
//! Encoding the key material alone (the Key Value keeps its structure around the wrapped
//! Key Material, as PyKMIP reads it).
//!
//! The other way: a key registered wrapped is stored as it came (Get returns it so, and with
//! Key Wrap Type Not Wrapped in clear), and is unwrapped for each use when its wrapping key
//! is an AES key stored here ([`unwrapped`]).

use kmip_messages::codec::{Body as _, Field as _};
use kmip_messages::{
    Ctx, KeyBlock, KeyValue, KeyWrappingData, KeyWrappingSpecification, ManagedObject,
};
use kmip_ttlv::Tag;
use kmip_ttlv::enums::{CryptographicUsageMask, EncodingOption, Operation, WrappingMethod};
use zeroize::Zeroizing;

use super::context::OpCtx;
use super::key_use::{self, UsableKey};
use crate::error::OpError;

/// `object` (the key `uid`) with its key block wrapped as `spec` asks.
pub async fn wrapped(
    ctx: &mut OpCtx<'_>,
    uid: &str,
    object: ManagedObject,
    spec: &KeyWrappingSpecification,
) -> Result<ManagedObject, OpError> {
    if spec.wrapping_method != WrappingMethod::ENCRYPT
        || spec.mac_signature_key_information.is_some()
    {
        return Err(OpError::NotSupported(format!(
            "wrapping method {} is not supported: this server wraps by encryption only",
            spec.wrapping_method
        )));
    }
    let info = spec.encryption_key_information.as_ref().ok_or_else(|| {
        OpError::MissingData(
            "a Key Wrapping Specification needs Encryption Key Information".to_owned(),
        )
    })?;
    if info.unique_identifier.to_string() == uid {
        return Err(OpError::InvalidField(format!(
            "key {uid} cannot wrap itself"
        )));
    }
    let placeholder = ctx.placeholder.clone();
    let wrapping = key_use::key_for(
        ctx,
        Some(&info.unique_identifier),
        Operation::GET,
        CryptographicUsageMask::WRAP_KEY,
        info.cryptographic_parameters.as_ref(),
    )
    .await;
    // The wrapping key is a means: the ID Placeholder stays the key that was got.
    ctx.placeholder = placeholder;
    let wrapping = wrapping?;
    let (kind, mut block) = split(object, uid)?;
    let plain = wrapped_bytes(&block, spec.encoding_option, Ctx::new(ctx.version), uid)?;
    super::usage::spend(ctx, &wrapping, plain.len()).await?;
    let bytes = match &wrapping.key {
        UsableKey::Symmetric(kek) => {
            raftkeep_crypto::wrap::wrap(kek, wrapping.params.block_cipher_mode, &plain)?
        }
        UsableKey::Public(raftkeep_crypto::PublicKey::Rsa(public)) => {
            raftkeep_crypto::rsa_cipher::encrypt(public, &wrapping.rsa_spec(), &plain)?
        }
        _ => {
            return Err(OpError::InvalidField(format!(
                "key {} cannot wrap: wrapping keys are AES keys or RSA public keys",
                wrapping.uid
            )));
        }
    };
    block.key_value = Some(match spec.encoding_option {
        // The wrapped key material stands where the clear one stood, inside the Key Value
        // structure: how PyKMIP's client and server read No Encoding (the specification's
        // wording allows a bare Byte String too, which PyKMIP cannot parse).
        Some(EncodingOption::NO_ENCODING) => KeyValue::Plain {
            key_material: kmip_messages::KeyMaterial::Bytes(bytes.into()),
            attributes: Default::default(),
        },
        _ => KeyValue::Wrapped(bytes.into()),
    });
    block.key_wrapping_data = Some(
        KeyWrappingData {
            wrapping_method: spec.wrapping_method,
            encryption_key_information: Some(info.clone()),
            mac_signature_key_information: None,
            mac_signature: None,
            iv_counter_nonce: None,
            encoding_option: spec.encoding_option,
        }
        .write_item(Tag::KEY_WRAPPING_DATA, Ctx::new(ctx.version)),
    );
    tracing::info!(client = %ctx.client.fingerprint, %uid, wrapping_key = %wrapping.uid, "key served wrapped");
    Ok(kind(block))
}

type Rebuild = fn(KeyBlock) -> ManagedObject;

/// The object's key block, and how to put the object back together around it.
fn split(object: ManagedObject, uid: &str) -> Result<(Rebuild, KeyBlock), OpError> {
    match object {
        ManagedObject::SymmetricKey(kb) => Ok((ManagedObject::SymmetricKey, kb)),
        ManagedObject::PrivateKey(kb) => Ok((ManagedObject::PrivateKey, kb)),
        ManagedObject::PublicKey(kb) => Ok((ManagedObject::PublicKey, kb)),
        _ => Err(OpError::InvalidField(format!(
            "object {uid} has no key block to wrap"
        ))),
    }
}

/// What gets wrapped: the TTLV encoding of the Key Value, or the key material's bytes.
fn wrapped_bytes(
    block: &KeyBlock,
    encoding: Option<EncodingOption>,
    ctx: Ctx,
    uid: &str,
) -> Result<Zeroizing<Vec<u8>>, OpError> {
    let Some(value @ KeyValue::Plain { key_material, .. }) = &block.key_value else {
        return Err(OpError::InvalidField(format!(
            "key {uid} is already wrapped"
        )));
    };
    match encoding {
        Some(EncodingOption::NO_ENCODING) => match key_material {
            kmip_messages::KeyMaterial::Bytes(b) => Ok(Zeroizing::new(b.as_slice().to_vec())),
            kmip_messages::KeyMaterial::Structure(_) => Err(OpError::InvalidField(format!(
                "key {uid} is in a Transparent format: wrap it with TTLV encoding"
            ))),
        },
        None | Some(EncodingOption::TTLV_ENCODING) => {
            kmip_ttlv::encode(&value.write(Tag::KEY_VALUE, ctx))
                .map(Zeroizing::new)
                .map_err(|e| {
                    OpError::InvalidField(format!("the key value of {uid} does not encode: {e}"))
                })
        }
        Some(other) => Err(OpError::NotSupported(format!("encoding option {other}"))),
    }
}

/// Whether `object`'s key block is wrapped.
pub fn is_wrapped(object: &ManagedObject) -> bool {
    crate::material::key_block(object).is_some_and(|kb| {
        kb.key_wrapping_data.is_some() || matches!(kb.key_value, Some(KeyValue::Wrapped(_)))
    })
}

/// `object` (the key `uid`, registered wrapped) unwrapped with the AES key its Key Wrapping
/// Data names (AES Key Wrap with or without padding). Fails with the reason when the
/// wrapping key is not here, not usable to unwrap, or the bytes do not unwrap.
pub async fn unwrapped(
    ctx: &mut OpCtx<'_>,
    uid: &str,
    mut object: ManagedObject,
) -> Result<ManagedObject, OpError> {
    let no_block = || OpError::InvalidField(format!("object {uid} has no key block to unwrap"));
    let block = crate::material::key_block_mut(&mut object).ok_or_else(no_block)?;
    let ctx_v = Ctx::new(ctx.version);
    let data = block
        .key_wrapping_data
        .as_ref()
        .map(|t| KeyWrappingData::read_item(t, &[], ctx_v))
        .transpose()
        .map_err(|e| {
            OpError::InvalidField(format!("the Key Wrapping Data of {uid} does not read: {e}"))
        })?
        .ok_or_else(|| {
            OpError::MissingData(format!("key {uid} is wrapped without Key Wrapping Data"))
        })?;
    let info = match (&data.wrapping_method, &data.encryption_key_information) {
        (&WrappingMethod::ENCRYPT, Some(info)) if data.mac_signature_key_information.is_none() => {
            info.clone()
        }
        _ => {
            return Err(OpError::NotSupported(format!(
                "key {uid} is wrapped by {}: this server unwraps keys encrypted under an AES key only",
                data.wrapping_method
            )));
        }
    };
    let placeholder = ctx.placeholder.clone();
    let kek = key_use::unwrapping_key(
        ctx,
        &info.unique_identifier,
        info.cryptographic_parameters.as_ref(),
    )
    .await;
    // The wrapping key is a means: the ID Placeholder stays the wrapped key.
    ctx.placeholder = placeholder;
    let kek = kek.map_err(|e| match e {
        OpError::NotFound(_) => OpError::NotFound(format!(
            "key {uid} is wrapped under {}, which this server does not hold: it is served only as registered",
            info.unique_identifier
        )),
        other => other,
    })?;
    let UsableKey::Symmetric(kek_bytes) = &kek.key else {
        return Err(OpError::NotSupported(format!(
            "key {uid} is wrapped under {}, which is not an AES key: this server unwraps under AES keys only",
            kek.uid
        )));
    };
    let unwrap = |bytes: &[u8]| {
        raftkeep_crypto::wrap::unwrap(kek_bytes, kek.params.block_cipher_mode, bytes)
    };
    let block = crate::material::key_block_mut(&mut object).ok_or_else(no_block)?;
    let value = match (&block.key_value, data.encoding_option) {
        (Some(KeyValue::Wrapped(b)), None | Some(EncodingOption::TTLV_ENCODING)) => {
            let clear = unwrap(b.as_slice())?;
            let item = kmip_ttlv::decode(&clear, &kmip_ttlv::Limits::default()).map_err(|e| {
                OpError::InvalidField(format!(
                    "the unwrapped key value of {uid} does not decode: {e}"
                ))
            })?;
            KeyValue::read(&item, &[], ctx_v).map_err(|e| {
                OpError::InvalidField(format!(
                    "the unwrapped key value of {uid} does not read: {e}"
                ))
            })?
        }
        (
            Some(KeyValue::Plain {
                key_material: kmip_messages::KeyMaterial::Bytes(b),
                attributes,
            }),
            Some(EncodingOption::NO_ENCODING),
        )
        | (
            Some(KeyValue::Plain {
                key_material: kmip_messages::KeyMaterial::Bytes(b),
                attributes,
            }),
            None,
        ) => KeyValue::Plain {
            key_material: kmip_messages::KeyMaterial::Bytes(unwrap(b.as_slice())?.to_vec().into()),
            attributes: attributes.clone(),
        },
        _ => {
            return Err(OpError::InvalidField(format!(
                "key {uid}'s wrapped value does not match its encoding option"
            )));
        }
    };
    block.key_value = Some(value);
    block.key_wrapping_data = None;
    tracing::debug!(%uid, wrapping_key = %kek.uid, "key unwrapped for use");
    Ok(object)
}
