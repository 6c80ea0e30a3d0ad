//! Get Attributes (KMIP 1.4 §4.12, 2.1 §6.1.26): the attributes asked for, or all of them.
//! An attribute the object does not have is left out — the answer is still Success, with
//! only the UID when none is present (vCenter asks for its x- attributes this way before it
//! adds them).

use kmip_messages::payload::get_attributes::{GetAttributesRequest, GetAttributesResponse};
use kmip_messages::{Attributes, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::Operation;

use super::context::OpCtx;
use crate::attrs;
use crate::error::OpError;

/// Answers one Get Attributes.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &GetAttributesRequest,
) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::GET_ATTRIBUTES)
        .await?;
    let attributes = if req.names.is_empty() {
        attrs::all(&object, ctx.version)?
    } else {
        let mut out = Vec::new();
        for name in &req.names {
            let found = attrs::named(&object, name, ctx.version)?;
            match attrs::default_of(name, ctx.version) {
                Some(default) if found.is_empty() => out.push(default),
                _ => out.extend(found),
            }
        }
        out
    };
    Ok(ResponsePayload::GetAttributes(GetAttributesResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        attributes: Attributes(attributes),
    }))
}
