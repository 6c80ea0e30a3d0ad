//! Hash (KMIP 1.4 §4.34a, 2.1 §6.1.26): a digest of the request's data; no key, no store.

use kmip_messages::ResponsePayload;
use kmip_messages::payload::hash::{HashRequest, HashResponse};
use kmip_ttlv::ByteString;

use super::context::OpCtx;
use super::key_use;
use super::streams::{self, Whole};
use crate::error::OpError;

/// Answers one Hash.
pub async fn run(ctx: &mut OpCtx<'_>, req: &HashRequest) -> Result<ResponsePayload, OpError> {
    let req = match streams::gather_whole(ctx, req).await? {
        Whole::All(req) => req,
        Whole::Kept(answer) => return Ok(*answer),
    };
    let algorithm = req
        .cryptographic_parameters
        .hashing_algorithm
        .ok_or_else(|| OpError::MissingData("Hash needs a Hashing Algorithm".to_owned()))?;
    let data = key_use::data(&req.data, "Hash")?;
    let digest = raftkeep_crypto::hash(algorithm, data)?;
    Ok(ResponsePayload::Hash(HashResponse {
        data: Some(ByteString::new(digest)),
        correlation_value: None,
    }))
}
