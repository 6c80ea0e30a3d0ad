//! MAC Verify (KMIP 1.4 §4.34, 2.1 §6.1.32): is this the MAC of the data under a stored key?
//! A wrong MAC is an answer (Validity Indicator Invalid), not a failure.

use kmip_messages::payload::mac::{MacVerifyRequest, MacVerifyResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::{CryptographicUsageMask, Operation, ValidityIndicator};

use super::context::OpCtx;
use super::key_use;
use super::streams::{self, Whole};
use crate::error::OpError;

/// Answers one MAC Verify.
pub async fn run(ctx: &mut OpCtx<'_>, req: &MacVerifyRequest) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather_whole(ctx, req).await? {
        Whole::All(req) => req,
        Whole::Kept(answer) => return Ok(*answer),
    };
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::MAC_VERIFY,
        CryptographicUsageMask::MAC_VERIFY,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let data = key_use::data(&req.data, "MAC Verify")?;
    let mac = key_use::data(&req.mac_data, "MAC Verify (MAC Data)")?;
    let algorithm = key_use::mac_algorithm(&k)?;
    let valid = raftkeep_crypto::mac_verify(
        algorithm,
        k.params.block_cipher_mode,
        k.symmetric("MAC Verify")?,
        data,
        mac,
    )?;
    Ok(ResponsePayload::MacVerify(MacVerifyResponse {
        unique_identifier: UniqueIdentifier::Text(k.uid),
        validity_indicator: Some(if valid {
            ValidityIndicator::VALID
        } else {
            ValidityIndicator::INVALID
        }),
        correlation_value: None,
    }))
}
