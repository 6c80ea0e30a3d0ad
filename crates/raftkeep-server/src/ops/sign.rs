//! Sign (KMIP 1.4 §4.31, 2.1 §6.1.55): a signature over data with a stored private key —
//! RSA PKCS#1 v1.5 or PSS, ECDSA on P-256, P-384 or P-521. The server hashes the data, or signs the
//! Digested Data the client hashed.

use kmip_messages::payload::sign::{SignRequest, SignResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{CryptographicUsageMask, Operation};

use super::context::OpCtx;
use super::key_use::{self, UsableKey};
use super::streams::{self, Whole};
use crate::error::OpError;
use raftkeep_crypto::signature::Signed;

/// Answers one Sign.
pub async fn run(ctx: &mut OpCtx<'_>, req: &SignRequest) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather_whole(ctx, req).await? {
        Whole::All(req) => req,
        Whole::Kept(answer) => return Ok(*answer),
    };
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::SIGN,
        CryptographicUsageMask::SIGN,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let input = key_use::signed(&req.data, &req.digested_data, "Sign")?;
    let bytes = match input {
        Signed::Data(d) | Signed::Digest(d) => d.len(),
    };
    super::usage::spend(ctx, &k, bytes).await?;
    let UsableKey::Private(private) = &k.key else {
        return Err(OpError::InvalidField(format!(
            "Sign with key {} needs a private key",
            k.uid
        )));
    };
    let signature = raftkeep_crypto::signature::sign_input(private, &k.sign_spec()?, input)?;
    Ok(ResponsePayload::Sign(SignResponse {
        unique_identifier: UniqueIdentifier::Text(k.uid),
        signature_data: Some(ByteString::new(signature)),
        correlation_value: None,
    }))
}
