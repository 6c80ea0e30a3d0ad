//! Signature Verify (KMIP 1.4 §4.32, 2.1 §6.1.56): is this a signature of the data under a
//! stored public key? A wrong signature is an answer (Validity Indicator Invalid).

use kmip_messages::payload::sign::{SignatureVerifyRequest, SignatureVerifyResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{CryptographicUsageMask, Operation, ValidityIndicator};

use super::context::OpCtx;
use super::key_use::{self, UsableKey};
use super::streams::{self, Whole};
use crate::error::OpError;

/// Answers one Signature Verify.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &SignatureVerifyRequest,
) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather_whole(ctx, req).await? {
        Whole::All(req) => req,
        Whole::Kept(answer) => return Ok(*answer),
    };
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::SIGNATURE_VERIFY,
        CryptographicUsageMask::VERIFY,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let input = key_use::signed(&req.data, &req.digested_data, "Signature Verify")?;
    let signature = key_use::data(&req.signature_data, "Signature Verify (Signature Data)")?;
    let public = match &k.key {
        UsableKey::Public(p) => p.clone(),
        UsableKey::Private(p) => p.public(),
        UsableKey::Symmetric(_) => {
            return Err(OpError::InvalidField(format!(
                "Signature Verify with key {} needs a public key",
                k.uid
            )));
        }
    };
    let valid =
        raftkeep_crypto::signature::verify_input(&public, &k.sign_spec()?, input, signature)?;
    Ok(ResponsePayload::SignatureVerify(SignatureVerifyResponse {
        unique_identifier: UniqueIdentifier::Text(k.uid),
        validity_indicator: if valid {
            ValidityIndicator::VALID
        } else {
            ValidityIndicator::INVALID
        },
        data: None,
        correlation_value: None,
    }))
}
