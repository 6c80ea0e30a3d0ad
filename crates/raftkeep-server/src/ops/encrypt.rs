//! Encrypt (KMIP 1.4 §4.29, 2.1 §6.1.18): data encrypted with a stored symmetric key, which
//! never leaves the server, or to an RSA public key (OAEP, PKCS#1 v1.5). The server picks
//! the IV when the parameters ask for a Random IV. Sent in parts, each part is answered with
//! the ciphertext it settles (all of it for CTR, GCM and ChaCha20, whole blocks for ECB and
//! CBC) and the last with the rest and the tag; the ciphertext equals that of one request.

use std::borrow::Cow;

use kmip_messages::payload::encrypt::{EncryptRequest, EncryptResponse};
use kmip_messages::{ProtocolVersion, ResponsePayload, UniqueIdentifier, since};
use kmip_ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, Operation,
};
use kmip_ttlv::{ByteString, Tag};

use super::context::OpCtx;
use super::key_use::{self, KeyInUse, UsableKey};
use super::streams::{self, Gathered, Progress, Stage};
use crate::error::OpError;
use crate::material;

/// Answers one Encrypt.
pub async fn run(ctx: &mut OpCtx<'_>, req: &EncryptRequest) -> Result<ResponsePayload, OpError> {
    let (req, part) = match streams::gather(ctx, req).await? {
        Gathered::Whole(req) => (req, None),
        Gathered::Kept(answer) => return Ok(*answer),
        Gathered::Part(progress) => {
            let Progress { so_far, stage } = *progress;
            (Cow::Owned(so_far), Some(stage))
        }
    };
    let answered = encrypt(ctx, &req, part.as_ref()).await;
    if let (Err(_), Some(p)) = (&answered, part.as_ref().filter(|p| !p.last)) {
        // A part that failed leaves the stream unusable: later parts are told it is gone.
        streams::close(ctx, &p.correlation)?;
    }
    answered
}

/// Encrypts all the data of a request, or what a streamed part settles.
async fn encrypt(
    ctx: &mut OpCtx<'_>,
    req: &EncryptRequest,
    part: Option<&Stage>,
) -> Result<ResponsePayload, OpError> {
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::ENCRYPT,
        CryptographicUsageMask::ENCRYPT,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let plain = key_use::data(&req.data, "Encrypt")?;
    answerable(&k, ctx.version)?;
    // A part spends what it brings; the data before it was counted with its own part.
    let brought = part.map_or(plain.len(), |p| p.part_len);
    super::usage::spend(ctx, &k, brought).await?;
    if let UsableKey::Public(raftkeep_crypto::PublicKey::Rsa(public)) = &k.key {
        // RSA encrypts the whole message at once: parts are answered when the last comes.
        let data = match part {
            Some(p) if !p.last => None,
            _ => Some(raftkeep_crypto::rsa_cipher::encrypt(
                public,
                &k.rsa_spec(),
                plain,
            )?),
        };
        return Ok(answer(k.uid, data, None, part, None));
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
    let key = k.symmetric("Encrypt")?;
    let out = match part {
        // Before the last part: what the data so far settles, without padding.
        Some(p) if !p.last => {
            let settled = spec.settled_prefix(plain.len())?;
            let unpadded = raftkeep_crypto::CipherSpec {
                padding: None,
                ..spec
            };
            let early = plain.get(..settled).unwrap_or_default();
            let mut out = raftkeep_crypto::encrypt(&unpadded, key, iv.as_deref(), aad, early)?;
            out.tag = None;
            out
        }
        _ => raftkeep_crypto::encrypt(&spec, key, iv.as_deref(), aad, plain)?,
    };
    let picked = iv.filter(|_| picked);
    if let Some(p) = part.filter(|p| !p.last) {
        streams::answered(ctx, &p.correlation, out.data.len(), picked.as_deref())?;
    }
    let emitted = part.map_or(0, |p| p.emitted);
    let data = out.data.get(emitted..).unwrap_or_default().to_vec();
    Ok(answer(k.uid, Some(data), picked, part, out.tag))
}

/// An authenticated mode's answer carries its tag in Authenticated Encryption Tag, a KMIP
/// 1.4 field: a client of an earlier version could not be given it, and a ciphertext
/// without its tag cannot be decrypted.
fn answerable(k: &KeyInUse, version: ProtocolVersion) -> Result<(), OpError> {
    if since::tag_defined(Tag::AUTHENTICATED_ENCRYPTION_TAG, version)
        || matches!(k.key, UsableKey::Public(_))
    {
        return Ok(());
    }
    let spec = key_use::cipher_spec(k)?;
    let aead = spec.mode == Some(BlockCipherMode::GCM)
        || spec.algorithm == CryptographicAlgorithm::CHACHA20POLY1305;
    if aead {
        return Err(OpError::Crypto(raftkeep_crypto::CryptoError::Unsupported(
            format!(
                "authenticated encryption answers with an Authenticated Encryption Tag, which KMIP {version} does not have: send the request as KMIP 1.4 or later"
            ),
        )));
    }
    Ok(())
}

fn answer(
    uid: String,
    data: Option<Vec<u8>>,
    picked_iv: Option<Vec<u8>>,
    part: Option<&Stage>,
    tag: Option<Vec<u8>>,
) -> ResponsePayload {
    ResponsePayload::Encrypt(EncryptResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        data: data.map(ByteString::new),
        iv_counter_nonce: picked_iv.map(ByteString::new),
        correlation_value: part
            .filter(|p| !p.last)
            .map(|p| ByteString::new(p.correlation.clone())),
        authenticated_encryption_tag: tag.map(ByteString::new),
    })
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
