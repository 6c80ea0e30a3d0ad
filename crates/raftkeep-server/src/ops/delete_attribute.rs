//! Delete Attribute (KMIP 1.4 §4.16, 2.1 §6.1.16): remove one instance (KMIP 1.x by index,
//! KMIP 2.x by current value) or, for a KMIP 2.x reference, every instance.

use kmip_messages::payload::delete_attribute::{DeleteAttributeRequest, DeleteAttributeResponse};
use kmip_messages::{AttributeName, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::Operation;
use raftkeep_store::AttributeChange;

use super::changes;
use super::context::OpCtx;
use crate::attrs;
use crate::error::OpError;

/// Answers one Delete Attribute.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &DeleteAttributeRequest,
) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::DELETE_ATTRIBUTE)
        .await?;
    let (name, index): (AttributeName, Option<u32>) = match (&req.current, &req.name) {
        (Some(current), _) => {
            let index = changes::index_of(&object, current)?.ok_or_else(|| {
                OpError::NoSuchAttribute(format!("the object has no such {}", current.name))
            })?;
            (current.name.clone(), Some(index))
        }
        (None, Some(name)) if ctx.v2() => (name.clone(), None),
        (None, Some(name)) => (
            name.clone(),
            Some(u32::try_from(req.index.unwrap_or(0)).map_err(|_| {
                OpError::InvalidField(format!("attribute index {:?} is negative", req.index))
            })?),
        ),
        (None, None) => {
            return Err(OpError::MissingData(
                "Delete Attribute needs the attribute to delete".to_owned(),
            ));
        }
    };
    changes::check_writable(&object, &name)?;
    // KMIP 1.x answers with the deleted instance.
    let deleted = object
        .attributes
        .iter()
        .find(|s| s.name == name.as_str() && index.is_none_or(|i| s.index == i))
        .map(attrs::to_wire)
        .transpose()?;
    changes::commit(
        ctx,
        &uid,
        AttributeChange::Delete {
            name: name.to_string(),
            index,
        },
    )
    .await?;
    Ok(ResponsePayload::DeleteAttribute(DeleteAttributeResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        attribute: deleted,
    }))
}
