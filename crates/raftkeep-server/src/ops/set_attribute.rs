//! Set Attribute (KMIP 2.1 §6.1.52): give a single-valued attribute a value, creating it if
//! absent.

use kmip_messages::payload::set_attribute::{SetAttributeRequest, SetAttributeResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::Operation;
use raftkeep_store::AttributeChange;

use super::changes;
use super::context::OpCtx;
use crate::attrs;
use crate::error::OpError;

/// Answers one Set Attribute.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &SetAttributeRequest,
) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::SET_ATTRIBUTE)
        .await?;
    let a = &req.attribute;
    changes::check_writable(&object, &a.name)?;
    if attrs::is_multi_valued(&a.name) {
        return Err(OpError::InvalidField(format!(
            "{} is multi-valued; use Add or Modify Attribute",
            a.name
        )));
    }
    changes::commit(
        ctx,
        &uid,
        AttributeChange::Set {
            name: a.name.to_string(),
            value: attrs::encode(&a.value)?,
        },
    )
    .await?;
    Ok(ResponsePayload::SetAttribute(SetAttributeResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
    }))
}
