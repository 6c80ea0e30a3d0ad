//! Add Attribute (KMIP 1.4 §4.14, 2.1 §6.1.3): a new instance of an attribute. vCenter tags
//! each key with x-Vendor, x-Product, ... in a batch of three.

use kmip_messages::payload::add_attribute::{AddAttributeRequest, AddAttributeResponse};
use kmip_messages::{ResponsePayload, UniqueIdentifier};
use kmip_ttlv::enums::Operation;
use raftkeep_store::AttributeChange;

use super::changes;
use super::context::OpCtx;
use crate::attrs;
use crate::error::OpError;

/// Answers one Add Attribute.
pub async fn run(
    ctx: &mut OpCtx<'_>,
    req: &AddAttributeRequest,
) -> Result<ResponsePayload, OpError> {
    let (uid, object) = ctx
        .target(req.unique_identifier.as_ref(), Operation::ADD_ATTRIBUTE)
        .await?;
    let a = &req.attribute;
    changes::check_writable(&object, &a.name)?;
    let single = !attrs::is_multi_valued(&a.name);
    if single && !attrs::named(&object, &a.name, ctx.version)?.is_empty() {
        return Err(OpError::SingleValued(a.name.to_string()));
    }
    changes::check_name(ctx, &uid, a, false)?;
    let (name, value) = (a.name.to_string(), attrs::encode(&a.value)?);
    // Decided again when applied: two Adds racing through two nodes set it once.
    let change = if single {
        AttributeChange::AddSingle { name, value }
    } else {
        AttributeChange::Add { name, value }
    };
    let object = changes::commit(ctx, &uid, change).await?;
    Ok(ResponsePayload::AddAttribute(AddAttributeResponse {
        unique_identifier: UniqueIdentifier::Text(uid),
        attribute: changes::last_instance(&object, &a.name)?,
    }))
}
