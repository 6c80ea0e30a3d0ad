//! Modify Attribute (KMIP 1.4 §4.15, 2.1 §6.1.34): a new value for an existing instance —
//! named by index in KMIP 1.x, by its current value in KMIP 2.x (or the only instance).

use kmip_messages::payload::modify_attribute::{ModifyAttributeRequest, ModifyAttributeResponse};
use kmip_messages::{Attribute, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::Operation;
use raftkeep_store::{AttributeChange, StoredObject};

use super::changes;
use super::context::OpCtx;
use crate::attrs;
use crate::error::OpError;

/// Answers one Modify Attribute.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &ModifyAttributeRequest,
) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::MODIFY_ATTRIBUTE)
        .await?;
    let a = &req.attribute;
    changes::check_writable(&object, &a.name)?;
    let index = instance(&object, req.current.as_ref(), a)?;
    changes::check_name(ctx, &uid, a, true)?;
    let object = changes::commit(
        ctx,
        &uid,
        AttributeChange::Modify {
            name: a.name.to_string(),
            index,
            value: attrs::encode(&a.value)?,
        },
    )
    .await?;
    let attribute = object
        .attributes
        .iter()
        .find(|s| s.name == a.name.as_str() && s.index == index)
        .map(attrs::to_wire)
        .transpose()?;
    Ok(ResponsePayload::ModifyAttribute(ModifyAttributeResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        attribute,
    }))
}

/// The index of the instance to modify.
fn instance(
    object: &StoredObject,
    current: Option<&Attribute>,
    new: &Attribute,
) -> Result<u32, OpError> {
    let missing = || OpError::NoSuchAttribute(format!("the object has no such {}", new.name));
    if let Some(current) = current {
        return changes::index_of(object, current)?.ok_or_else(missing);
    }
    let index = u32::try_from(new.index.unwrap_or(0)).map_err(|_| missing())?;
    if object
        .attributes
        .iter()
        .any(|s| s.name == new.name.as_str() && s.index == index)
    {
        Ok(index)
    } else {
        Err(missing())
    }
}
