//! Usage Limits (KMIP 1.4 §3.21, 2.1 §4.57): a key may protect only so many bytes (or
//! objects). Every protecting use — Encrypt, MAC, Sign, wrapping another key — counts
//! against the Usage Limits Count through the cluster before the work is done: a
//! compare-and-set on the attribute, so two uses through two nodes never both spend the
//! last bytes; a use that lost the race retries with the count the refusal carries. The
//! count starts from the object the operation already loaded, so keys without Usage Limits
//! cost nothing extra.

use kmip_ttlv::enums::UsageLimitsUnit;
use kmip_ttlv::{Tag, Ttlv, Value};
use raftkeep_store::{AttributeChange, Command, CommandResult};

use super::context::OpCtx;
use super::key_use::KeyInUse;
use crate::attrs::{self, names};
use crate::error::OpError;

/// How often a use is retried when another use changed the count meanwhile (each retry
/// follows another use that succeeded, so only heavy contention on one key gets this far).
const ATTEMPTS: usize = 64;

/// The limits as stored: total, what is left, and the unit.
struct Limits {
    total: i64,
    left: i64,
    unit: UsageLimitsUnit,
}

fn read(value: &Value) -> Option<Limits> {
    let Value::Structure(items) = value else {
        return None;
    };
    let long = |tag| {
        items
            .iter()
            .find(|t| t.tag == tag)
            .and_then(|t| match t.value {
                Value::LongInteger(n) => Some(n),
                Value::Integer(n) => Some(i64::from(n)),
                _ => None,
            })
    };
    let unit = items
        .iter()
        .find(|t| t.tag == Tag::USAGE_LIMITS_UNIT)
        .and_then(|t| match t.value {
            Value::Enumeration(u) => Some(UsageLimitsUnit(u)),
            _ => None,
        })?;
    let total = long(Tag::USAGE_LIMITS_TOTAL)?;
    Some(Limits {
        total,
        left: long(Tag::USAGE_LIMITS_COUNT).unwrap_or(total),
        unit,
    })
}

fn value(l: &Limits) -> Value {
    Value::Structure(vec![
        Ttlv::new(Tag::USAGE_LIMITS_TOTAL, Value::LongInteger(l.total)),
        Ttlv::new(Tag::USAGE_LIMITS_COUNT, Value::LongInteger(l.left)),
        Ttlv::enumeration(Tag::USAGE_LIMITS_UNIT, l.unit.0),
    ])
}

/// The object's Usage Limits attribute as stored (TTLV-encoded): what the compare-and-set of
/// a use expects.
pub fn stored(o: &raftkeep_store::StoredObject) -> Option<Vec<u8>> {
    o.attributes
        .iter()
        .find(|a| a.name == names::USAGE_LIMITS && a.index == 0)
        .map(|a| a.value.clone())
}

/// Spends a use of `bytes` bytes (or one object) from the Usage Limits of the key `k`,
/// if it has any; Permission Denied when what is left does not cover it.
pub async fn spend(ctx: &mut OpCtx<'_>, k: &KeyInUse, bytes: usize) -> Result<(), OpError> {
    take(ctx, &k.uid, k.usage_limits.clone(), |limits| {
        if limits.unit == UsageLimitsUnit::BYTE {
            i64::try_from(bytes).unwrap_or(i64::MAX)
        } else {
            1
        }
    })
    .await
}

/// Takes `count` units (bytes or objects, as the limits count) from the Usage Limits of
/// object `uid`, whose attribute as stored is `stored` (Get Usage Allocation).
pub async fn allocate(
    ctx: &mut OpCtx<'_>,
    uid: &str,
    stored: Vec<u8>,
    count: i64,
) -> Result<(), OpError> {
    if count <= 0 {
        return Err(OpError::InvalidField(format!(
            "a Usage Limits Count of {count} cannot be allocated: ask for 1 or more"
        )));
    }
    take(ctx, uid, Some(stored), |_| count).await
}

/// Takes what `amount` asks for from the Usage Limits stored as `current` (none: nothing to
/// count), through a compare-and-set that retries when another use came first.
async fn take(
    ctx: &mut OpCtx<'_>,
    uid: &str,
    // The attribute's bytes as stored: the compare-and-set expects exactly these.
    mut current: Option<Vec<u8>>,
    amount: impl Fn(&Limits) -> i64,
) -> Result<(), OpError> {
    for _ in 0..ATTEMPTS {
        let Some(found) = &current else {
            return Ok(());
        };
        let Some(mut limits) = read(&attrs::decode(found)?) else {
            return Err(OpError::InvalidField(format!(
                "the Usage Limits of {uid} do not read"
            )));
        };
        let amount = amount(&limits);
        if amount > limits.left {
            return Err(OpError::Denied(format!(
                "key {uid} has reached its Usage Limits: {} of {} left, this use needs {amount}",
                limits.left, limits.total
            )));
        }
        limits.left -= amount;
        let cmd = Command::ChangeAttributesIf {
            uid: uid.to_owned(),
            name: names::USAGE_LIMITS.to_owned(),
            expect: Some(found.clone()),
            changes: vec![AttributeChange::Set {
                name: names::USAGE_LIMITS.to_owned(),
                value: attrs::encode(&value(&limits))?,
            }],
        };
        match ctx.store.write(cmd).await? {
            CommandResult::Object(_) | CommandResult::Ok => return Ok(()),
            // Spent meanwhile through this or another node: the answer carries the count now.
            CommandResult::Changed { current: now, .. } => current = now,
            other => {
                return Err(OpError::Store(crate::store::StoreFailure::Internal(
                    format!("counting the use of {uid}: {other:?}"),
                )));
            }
        }
    }
    Err(OpError::Refused(format!(
        "key {uid} is in use by many requests at once; its Usage Limits could not be counted, try again"
    )))
}
