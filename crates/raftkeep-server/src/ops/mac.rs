//! MAC (KMIP 1.4 §4.33, 2.1 §6.1.31): a MAC over data with a stored key — HMAC by the
//! Cryptographic Algorithm (HMAC-SHA-x), or AES-CMAC (AES with Block Cipher Mode CMAC).

use kmip_messages::payload::mac::{MacRequest, MacResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::ByteString;
use kmip_ttlv::enums::{CryptographicUsageMask, Operation};

use super::context::OpCtx;
use super::key_use;
use super::streams::{self, Whole};
use crate::error::OpError;

/// Answers one MAC.
pub async fn run(ctx: &mut OpCtx<'_>, req: &MacRequest) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather_whole(ctx, req).await? {
        Whole::All(req) => req,
        Whole::Kept(answer) => return Ok(*answer),
    };
    let k = key_use::key_for(
        ctx,
        req.unique_identifier.as_ref(),
        Operation::MAC,
        CryptographicUsageMask::MAC_GENERATE,
        req.cryptographic_parameters.as_ref(),
    )
    .await?;
    let data = key_use::data(&req.data, "MAC")?;
    super::usage::spend(ctx, &k, data.len()).await?;
    let algorithm = key_use::mac_algorithm(&k)?;
    let mac = raftkeep_crypto::mac(
        algorithm,
        k.params.block_cipher_mode,
        k.symmetric("MAC")?,
        data,
    )?;
    Ok(ResponsePayload::Mac(MacResponse {
        unique_identifier: UniqueIdentifier::Text(k.uid),
        mac_data: Some(ByteString::new(mac)),
        correlation_value: None,
    }))
}
