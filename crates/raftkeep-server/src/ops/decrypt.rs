//! Decrypt (KMIP 1.4 §4.30, 2.1 §6.1.12): data decrypted with a stored symmetric key or RSA
//! private key. AEAD modes check the tag before any plaintext is returned.

use kmip_messages::payload::decrypt::{DecryptRequest, DecryptResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{CryptographicUsageMask, Operation};

use super::context::OpCtx;
use super::key_use::{self, UsableKey};
use super::streams::{self, Whole};
use crate::error::OpError;

/// Answers one Decrypt.
pub async fn run(ctx: &mut OpCtx<'_>, req: &DecryptRequest) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather_whole(ctx, req).await? {
        Whole::All(req) => req,
        Whole::Kept(answer) => return Ok(*answer),
    };
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::DECRYPT,
        CryptographicUsageMask::DECRYPT,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let cipher = key_use::data(&req.data, "Decrypt")?;
    if let UsableKey::Private(raftkeep_crypto::PrivateKey::Rsa(private)) = &k.key {
        let plain = raftkeep_crypto::rsa_cipher::decrypt(private, &k.rsa_spec(), cipher)?;
        return Ok(answer(k.uid, &plain));
    }
    let spec = key_use::cipher_spec(&k)?;
    let aad = req
        .authenticated_encryption_additional_data
        .as_ref()
        .map_or(&[][..], |a| a.as_slice());
    let plain = raftkeep_crypto::decrypt(
        &spec,
        k.symmetric("Decrypt")?,
        req.iv_counter_nonce.as_ref().map(|iv| iv.as_slice()),
        aad,
        cipher,
        req.authenticated_encryption_tag
            .as_ref()
            .map(|t| t.as_slice()),
    )?;
    Ok(answer(k.uid, &plain))
}

fn answer(uid: String, plain: &[u8]) -> ResponsePayload {
    ResponsePayload::Decrypt(DecryptResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        data: Some(ByteString::new(plain.to_vec())),
        correlation_value: None,
    })
}
