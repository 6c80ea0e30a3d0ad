//! Locate (KMIP 1.4 §4.9, 2.1 §6.1.31): the objects this client may see whose attributes
//! match every attribute given. Object type, state, names and custom attributes come from
//! the store's indexes; everything else is checked on the candidates. Two instances of a
//! date attribute give a range (KMIP 1.4 §4.9). Results newest first (by Initial Date), so
//! Maximum Items 1 — and the ID Placeholder a batch carries on — is the latest matching
//! object, as PyKMIP's server orders them; Offset Items and Maximum Items page through them. Destroyed objects are found only by a search on State.

use std::collections::HashSet;

use kmip_messages::payload::locate::{LocateRequest, LocateResponse};
use kmip_messages::{Attribute, ProtocolVersion, ResponsePayload, UniqueIdentifier};
use kmip_ttlv::Value;
use kmip_ttlv::enums::Operation;
use raftkeep_store::StoredObject;
use raftkeep_store::command::custom_attribute_value;

use super::context::OpCtx;
use crate::attrs::{self, names};
use crate::error::OpError;

/// Objects read per page when nothing narrows the search down.
const SCAN_PAGE: usize = 1000;

/// Answers one Locate.
pub async fn run(ctx: &mut OpCtx<'_>, req: &LocateRequest) -> Result<ResponsePayload, OpError> {
    let wanted = &req.attributes.0;
    // Destroyed objects keep their metadata but are found only when asked for by State.
    let by_state = wanted.iter().any(|a| a.name.as_str() == names::STATE);
    let mut found: Vec<StoredObject> = Vec::new();
    let now = ctx.now;
    let mut consider = |o: StoredObject| -> Result<(), OpError> {
        let o = attrs::at(o, now);
        let visible =
            (by_state || o.material != raftkeep_store::Material::Destroyed) && !ctx.withheld(&o);
        if visible && ctx.may(&o, Operation::LOCATE) && matches_all(&o, wanted)? {
            found.push(o);
        }
        Ok(())
    };
    match candidates(ctx, wanted)? {
        Some(uids) => {
            for uid in uids {
                if let Some(o) = ctx.store.object(&uid)? {
                    consider(o)?;
                }
            }
        }
        None => {
            let mut after: Option<String> = None;
            loop {
                let page = ctx.store.objects_after(after.as_deref(), SCAN_PAGE)?;
                let last = page.last().map(|o| o.uid.clone());
                for o in page {
                    consider(o)?;
                }
                match last {
                    Some(uid) => after = Some(uid),
                    None => break,
                }
            }
        }
    }
    found.sort_by_cached_key(|o| (std::cmp::Reverse(initial_date(o)), o.uid.clone()));
    let total = found.len();
    let offset = usize::try_from(req.offset_items.unwrap_or(0)).unwrap_or(0);
    let max = req
        .maximum_items
        .and_then(|m| usize::try_from(m).ok())
        .unwrap_or(usize::MAX);
    let uids: Vec<UniqueIdentifier> = found
        .into_iter()
        .skip(offset)
        .take(max)
        .map(|o| UniqueIdentifier::Text(o.uid))
        .collect();
    if let Some(first) = uids.first() {
        ctx.placeholder = Some(first.to_string());
    }
    let paged = req.maximum_items.is_some() || req.offset_items.is_some();
    Ok(ResponsePayload::Locate(LocateResponse {
        located_items: paged.then(|| i32::try_from(total).unwrap_or(i32::MAX)),
        unique_identifiers: uids,
    }))
}

/// The UIDs the indexes give for the criteria they cover (intersected, smallest set first),
/// or `None` when none of the criteria is indexed.
fn candidates(ctx: &OpCtx<'_>, wanted: &[Attribute]) -> Result<Option<Vec<String>>, OpError> {
    let mut sets = Vec::new();
    for a in wanted {
        if let Some(uids) = indexed(ctx, a)? {
            sets.push(uids);
        }
    }
    sets.sort_by_key(Vec::len);
    let mut sets = sets.into_iter();
    let Some(smallest) = sets.next() else {
        return Ok(None);
    };
    let others: Vec<HashSet<String>> = sets.map(|s| s.into_iter().collect()).collect();
    Ok(Some(
        smallest
            .into_iter()
            .filter(|u| others.iter().all(|o| o.contains(u)))
            .collect(),
    ))
}

/// The UIDs an index lists for one criterion, if it is indexed.
fn indexed(ctx: &OpCtx<'_>, a: &Attribute) -> Result<Option<Vec<String>>, OpError> {
    let lookup = |kind: &str, value: &[u8]| ctx.store.lookup(kind, value).map(Some);
    Ok(match (a.name.as_str(), &a.value) {
        (names::OBJECT_TYPE, Value::Enumeration(t)) => lookup("type", &t.to_be_bytes())?,
        // An object may be in this state by its dates while stored in an earlier one.
        (names::STATE, Value::Enumeration(s)) => {
            let mut uids = Vec::new();
            for from in attrs::reachable_from(*s) {
                uids.extend(ctx.store.lookup("state", &from.to_be_bytes())?);
            }
            Some(uids)
        }
        (names::NAME, _) => match attrs::name_texts([a]).first() {
            Some(name) => lookup("name", name.as_bytes())?,
            None => None,
        },
        _ if a.name.is_custom() => {
            let value = custom_attribute_value(a.name.as_str(), &attrs::encode(&a.value)?);
            lookup("attr", &value)?
        }
        _ => None,
    })
}

/// Whether `o` matches every wanted attribute.
fn matches_all(o: &StoredObject, wanted: &[Attribute]) -> Result<bool, OpError> {
    for (i, a) in wanted.iter().enumerate() {
        let same_name: Vec<&Attribute> = wanted.iter().filter(|w| w.name == a.name).collect();
        // Every stored attribute is matched, whatever version the request is in.
        let mut have = attrs::named(o, &a.name, ProtocolVersion::V2_1)?;
        if have.is_empty() {
            have.extend(attrs::default_of(&a.name, ProtocolVersion::V1_4));
        }
        let ok = match (&a.value, same_name.as_slice()) {
            // A date range: the two instances bound it (checked once, at the first).
            (Value::DateTime(_), [x, y]) => {
                if wanted.iter().position(|w| w.name == a.name) != Some(i) {
                    continue;
                }
                let (lo, hi) = match (&x.value, &y.value) {
                    (Value::DateTime(p), Value::DateTime(q)) => (*p.min(q), *p.max(q)),
                    _ => return Ok(false),
                };
                have.iter()
                    .any(|h| matches!(h.value, Value::DateTime(t) if lo <= t && t <= hi))
            }
            (Value::Integer(mask), _) if a.name.as_str() == names::USAGE_MASK => have
                .iter()
                .any(|h| matches!(h.value, Value::Integer(m) if m & mask == *mask)),
            (Value::Structure(_), _) if a.name.as_str() == names::NAME => {
                let want = attrs::name_texts([a]);
                attrs::name_texts(&have).iter().any(|n| want.contains(n))
            }
            (value, _) => have.iter().any(|h| &h.value == value),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn initial_date(o: &StoredObject) -> i64 {
    match attrs::value(o, names::INITIAL_DATE) {
        Ok(Some(Value::DateTime(t))) => t,
        _ => 0,
    }
}
