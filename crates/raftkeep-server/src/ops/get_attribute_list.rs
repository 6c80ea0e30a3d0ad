//! Get Attribute List (KMIP 1.4 §4.13, 2.1 §6.1.27): the names of the object's attributes.

use kmip_messages::payload::get_attribute_list::{
    GetAttributeListRequest, GetAttributeListResponse,
};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::Operation;

use super::context::OpCtx;
use crate::attrs;
use crate::error::OpError;

/// Answers one Get Attribute List.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &GetAttributeListRequest,
) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(
            req.unique_identifier.as_ref(),
            Operation::GET_ATTRIBUTE_LIST,
        )
        .await?;
    let mut names = Vec::new();
    for a in attrs::all(&object, ctx.version)? {
        if !names.contains(&a.name) {
            names.push(a.name);
        }
    }
    Ok(ResponsePayload::GetAttributeList(
        GetAttributeListResponse {
            unique_identifier: UniqueIdentifier::Text(uid),
            names,
        },
    ))
}
