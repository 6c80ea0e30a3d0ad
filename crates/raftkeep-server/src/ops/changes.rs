//! What Add, Modify, Delete and Set Attribute share: which attributes a client may change,
//! and committing a change together with the Last Change Date.

use kmip_messages::{Attribute, AttributeName};
use kmip_ttlv::Value;
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

/// Fails if the attribute is a Name an object already has — another one, or, unless
/// `replacing` (a Modify of this object's own instance), this one.
pub fn check_name(
    ctx: &OpCtx<'_>,
    uid: &str,
    a: &Attribute,
    replacing: bool,
) -> Result<(), OpError> {
    ctx.check_names_free(&attrs::name_texts([a]), replacing.then_some(uid))
}

/// Commits `change` and the Last Change Date; returns the object as it now is. Making an
/// object not Sensitive, or Extractable, ends its Always Sensitive / Never Extractable.
pub async fn commit(
    ctx: &mut OpCtx<'_>,
    uid: &str,
    change: AttributeChange,
) -> Result<StoredObject, OpError> {
    let set = |name: &str, value: &Value| -> Result<AttributeChange, OpError> {
        Ok(AttributeChange::Set {
            name: name.to_owned(),
            value: attrs::encode(value)?,
        })
    };
    let mut changes = vec![set(names::LAST_CHANGE_DATE, &Value::DateTime(ctx.now))?];
    if let AttributeChange::Add { name, value }
    | AttributeChange::Set { name, value }
    | AttributeChange::Modify { name, value, .. } = &change
    {
        match (name.as_str(), attrs::decode(value)?) {
            (names::SENSITIVE, Value::Boolean(false)) => {
                changes.push(set(names::ALWAYS_SENSITIVE, &Value::Boolean(false))?);
            }
            (names::EXTRACTABLE, Value::Boolean(true)) => {
                changes.push(set(names::NEVER_EXTRACTABLE, &Value::Boolean(false))?);
            }
            _ => {}
        }
    }
    changes.insert(0, change);
    ctx.commit(Command::ChangeAttributes {
        uid: uid.to_owned(),
        changes,
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
