//! Encrypt (KMIP 1.4 §4.29, 2.1 §6.1.18): data encrypted with a stored symmetric key, which
//! never leaves the server, or to an RSA public key (OAEP, PKCS#1 v1.5). The server picks
//! the IV when the parameters ask for a Random IV.

use kmip_messages::payload::encrypt::{EncryptRequest, EncryptResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{CryptographicUsageMask, Operation};

use super::context::OpCtx;
use super::key_use::{self, KeyInUse, UsableKey};
use super::streams::{self, Gathered};
use crate::error::OpError;
use crate::material;

/// Answers one Encrypt.
pub async fn run(ctx: &mut OpCtx<'_>, req: &EncryptRequest) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather(ctx, req).await? {
        Gathered::Whole(req) => req,
        Gathered::Kept(answer) => return Ok(*answer),
    };
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::ENCRYPT,
        CryptographicUsageMask::ENCRYPT,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let plain = key_use::data(&req.data, "Encrypt")?;
    super::usage::spend(ctx, &k, plain.len()).await?;
    if let UsableKey::Public(raftkeep_crypto::PublicKey::Rsa(public)) = &k.key {
        let data = raftkeep_crypto::rsa_cipher::encrypt(public, &k.rsa_spec(), plain)?;
        return Ok(ResponsePayload::Encrypt(EncryptResponse {
            unique_identifier: UniqueIdentifier::Text(k.uid),
            data: Some(ByteString::new(data)),
            iv_counter_nonce: None,
            correlation_value: None,
            authenticated_encryption_tag: None,
        }));
    }
    let spec = key_use::cipher_spec(&k)?;
    let (iv, picked) = match &req.iv_counter_nonce {
        Some(iv) => (Some(iv.as_slice().to_vec()), false),
        None if k.params.random_iv == Some(true) => (random_iv(&k, &spec)?, true),
        None => (None, false),
    };
    let aad = req
        .authenticated_encryption_additional_data
        .as_ref()
        .map_or(&[][..], |a| a.as_slice());
    let out = raftkeep_crypto::encrypt(&spec, k.symmetric("Encrypt")?, iv.as_deref(), aad, plain)?;
    Ok(ResponsePayload::Encrypt(EncryptResponse {
        unique_identifier: UniqueIdentifier::Text(k.uid),
        data: Some(ByteString::new(out.data)),
        iv_counter_nonce: iv.filter(|_| picked).map(ByteString::new),
        correlation_value: None,
        authenticated_encryption_tag: out.tag.map(ByteString::new),
    }))
}

/// A fresh IV of the length the parameters ask (IV Length, in bits) or the mode's usual one.
fn random_iv(k: &KeyInUse, spec: &raftkeep_crypto::CipherSpec) -> Result<Option<Vec<u8>>, OpError> {
    let bytes = match k.params.iv_length {
        Some(bits) if bits > 0 && bits % 8 == 0 => usize::try_from(bits / 8).ok(),
        Some(bits) => {
            return Err(OpError::InvalidField(format!(
                "IV Length {bits} is not a positive whole number of bytes"
            )));
        }
        None => spec.iv_length()?,
    };
    bytes
        .map(|n| material::random(n).map(|iv| iv.to_vec()))
        .transpose()
}
