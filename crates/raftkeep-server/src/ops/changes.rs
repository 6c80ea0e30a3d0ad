//! What Add, Modify, Delete and Set Attribute share: which attributes a client may change,
//! and committing a change together with the Last Change Date.

use kmip_messages::{Attribute, AttributeName};
use kmip_ttlv::enums::State;
use raftkeep_store::{AttributeChange, Command, StoredObject};

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;

/// Fails unless a client may change `name` on `object` now.
pub fn check_writable(object: &StoredObject, name: &AttributeName) -> Result<(), OpError> {
    if attrs::is_read_only(name) {
        return Err(OpError::ReadOnly(name.to_string()));
    }
    // An Activation Date that has passed made the object Active; it cannot move (KMIP 1.4
    // §3.24: modifiable only while Pre-Active).
    if name.as_str() == names::ACTIVATION_DATE && object.state != State::PRE_ACTIVE.0 {
        return Err(OpError::WrongState(format!(
            "the Activation Date of {} cannot change: the object is {}",
            object.uid,
            attrs::state_name(object.state)
        )));
    }
    Ok(())
}

/// Fails if the attribute is a Name another object already has.
pub fn check_name(ctx: &OpCtx<'_>, uid: &str, a: &Attribute) -> Result<(), OpError> {
    ctx.check_names_free(&attrs::name_texts([a]), Some(uid))
}

/// Commits `change` and the Last Change Date; returns the object as it now is.
pub async fn commit(
    ctx: &OpCtx<'_>,
    uid: &str,
    change: AttributeChange,
) -> Result<StoredObject, OpError> {
    let stamp = AttributeChange::Set {
        name: names::LAST_CHANGE_DATE.to_owned(),
        value: attrs::encode(&kmip_ttlv::Value::DateTime(ctx.now))?,
    };
    ctx.commit(Command::ChangeAttributes {
        uid: uid.to_owned(),
        changes: vec![change, stamp],
    })
    .await?
    .ok_or_else(|| {
        OpError::Store(crate::store::StoreFailure::Internal(
            "the store did not return the changed object".to_owned(),
        ))
    })
}

/// The index of the instance of `name` whose value is `value`.
pub fn index_of(object: &StoredObject, a: &Attribute) -> Result<Option<u32>, OpError> {
    let encoded = attrs::encode(&a.value)?;
    Ok(object
        .attributes
        .iter()
        .find(|s| s.name == a.name.as_str() && s.value == encoded)
        .map(|s| s.index))
}

/// The instance of `name` with the highest index (the one just added).
pub fn last_instance(
    object: &StoredObject,
    name: &AttributeName,
) -> Result<Option<Attribute>, OpError> {
    object
        .attributes
        .iter()
        .filter(|s| s.name == name.as_str())
        .max_by_key(|s| s.index)
        .map(attrs::to_wire)
        .transpose()
}
