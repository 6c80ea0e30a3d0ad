//! Attributes between the store and the wire: stored attributes keep their value as the TTLV
//! encoding of an Attribute Value; the object type, state and identifier live in the stored
//! object itself and are shown as attributes when asked for.

use kmip_messages::{Attribute, AttributeName, ProtocolVersion, since};
use kmip_ttlv::enums::{ObjectType, State};
use kmip_ttlv::{Limits, Tag, Ttlv, Value};
use raftkeep_store::{StoredAttribute, StoredObject};

use crate::error::OpError;

/// Standard attribute names the engine sets or reads itself.
pub mod names {
    pub const UNIQUE_IDENTIFIER: &str = "Unique Identifier";
    pub const OBJECT_TYPE: &str = "Object Type";
    pub const STATE: &str = "State";
    pub const NAME: &str = "Name";
    pub const ALGORITHM: &str = "Cryptographic Algorithm";
    pub const LENGTH: &str = "Cryptographic Length";
    pub const USAGE_MASK: &str = "Cryptographic Usage Mask";
    pub const INITIAL_DATE: &str = "Initial Date";
    pub const LAST_CHANGE_DATE: &str = "Last Change Date";
    pub const ACTIVATION_DATE: &str = "Activation Date";
    pub const DEACTIVATION_DATE: &str = "Deactivation Date";
    pub const DESTROY_DATE: &str = "Destroy Date";
    pub const COMPROMISE_DATE: &str = "Compromise Date";
    pub const COMPROMISE_OCCURRENCE_DATE: &str = "Compromise Occurrence Date";
    pub const REVOCATION_REASON: &str = "Revocation Reason";
    pub const LINK: &str = "Link";
    pub const ORIGINAL_CREATION_DATE: &str = "Original Creation Date";
    pub const DIGEST: &str = "Digest";
    pub const RANDOM_NUMBER_GENERATOR: &str = "Random Number Generator";
    pub const QUANTUM_SAFE: &str = "Quantum Safe";
    pub const SENSITIVE: &str = "Sensitive";
    pub const ALWAYS_SENSITIVE: &str = "Always Sensitive";
    pub const EXTRACTABLE: &str = "Extractable";
    pub const NEVER_EXTRACTABLE: &str = "Never Extractable";
    pub const FRESH: &str = "Fresh";
    pub const CERTIFICATE_TYPE: &str = "Certificate Type";
    pub const LEASE_TIME: &str = "Lease Time";
    pub const SHORT_UNIQUE_IDENTIFIER: &str = "Short Unique Identifier";
    pub const KEY_FORMAT_TYPE: &str = "Key Format Type";
    pub const PROTECTION_STORAGE_MASK: &str = "Protection Storage Mask";
    pub const CERTIFICATE_LENGTH: &str = "Certificate Length";
    pub const CRYPTOGRAPHIC_PARAMETERS: &str = "Cryptographic Parameters";
    pub const PROTECT_STOP_DATE: &str = "Protect Stop Date";
    pub const PROCESS_START_DATE: &str = "Process Start Date";
    pub const USAGE_LIMITS: &str = "Usage Limits";
    pub const ARCHIVE_DATE: &str = "Archive Date";
    pub const OPERATION_POLICY_NAME: &str = "Operation Policy Name";
}

/// Attributes only the server sets (KMIP 1.4 §3, "Modifiable by client: No").
const READ_ONLY: [&str; 23] = [
    names::KEY_FORMAT_TYPE,
    names::SHORT_UNIQUE_IDENTIFIER,
    names::CERTIFICATE_TYPE,
    names::CERTIFICATE_LENGTH,
    names::ALWAYS_SENSITIVE,
    names::NEVER_EXTRACTABLE,
    names::DIGEST,
    names::RANDOM_NUMBER_GENERATOR,
    names::UNIQUE_IDENTIFIER,
    names::OBJECT_TYPE,
    names::STATE,
    names::ALGORITHM,
    names::LENGTH,
    names::INITIAL_DATE,
    names::LAST_CHANGE_DATE,
    names::DESTROY_DATE,
    names::COMPROMISE_DATE,
    names::COMPROMISE_OCCURRENCE_DATE,
    names::REVOCATION_REASON,
    names::ORIGINAL_CREATION_DATE,
    names::LEASE_TIME,
    names::ARCHIVE_DATE,
    names::FRESH,
];

/// Attributes an object may have several instances of (KMIP 1.4 §3, "Multiple instances
/// permitted: Yes"); every custom attribute may too.
const MULTI_VALUED: [&str; 7] = [
    names::NAME,
    names::LINK,
    "Object Group",
    "Application Specific Information",
    "Alternative Name",
    "Key Value Location",
    "Cryptographic Parameters",
];

/// Whether a client of `version` is shown this attribute: only what its version defines
/// (`kmip_messages::since`) — a KMIP 1.2 client never meets Sensitive, a 1.x client never
/// Protection Storage Mask, a 2.x client never Operation Policy Name.
fn visible(name: &str, version: ProtocolVersion) -> bool {
    since::attribute_defined(name, version)
}

/// True for attributes a client may not add, modify or delete (the certificate name
/// attributes are read from the certificate itself).
pub fn is_read_only(name: &AttributeName) -> bool {
    let n = name.as_str();
    READ_ONLY.contains(&n)
        || n.starts_with("Certificate Subject ")
        || n.starts_with("Certificate Issuer ")
}

/// True for attributes with several instances.
pub fn is_multi_valued(name: &AttributeName) -> bool {
    name.is_custom() || MULTI_VALUED.contains(&name.as_str())
}

/// The stored form of an attribute value.
pub fn encode(value: &Value) -> Result<Vec<u8>, OpError> {
    kmip_ttlv::encode(&Ttlv::new(Tag::ATTRIBUTE_VALUE, value.clone()))
        .map_err(|e| OpError::InvalidField(format!("attribute value: {e}")))
}

/// A stored attribute value, decoded.
pub fn decode(bytes: &[u8]) -> Result<Value, OpError> {
    kmip_ttlv::decode(bytes, &Limits::default())
        .map(|t| t.value)
        .map_err(|e| {
            OpError::Store(crate::store::StoreFailure::Internal(format!(
                "a stored attribute value does not decode: {e}"
            )))
        })
}

/// A stored attribute (instance 0) with this value.
pub fn stored(name: &str, value: &Value) -> Result<StoredAttribute, OpError> {
    Ok(StoredAttribute {
        name: name.to_owned(),
        index: 0,
        value: encode(value)?,
    })
}

/// A Date-Time attribute, stored.
pub fn date(name: &str, seconds: i64) -> Result<StoredAttribute, OpError> {
    stored(name, &Value::DateTime(seconds))
}

/// One wire attribute from a stored one (the index shown only when not 0, as the test cases
/// of the specification do).
pub fn to_wire(a: &StoredAttribute) -> Result<Attribute, OpError> {
    Ok(Attribute {
        name: AttributeName::new(a.name.clone()),
        index: (a.index > 0).then(|| i32::try_from(a.index).unwrap_or(i32::MAX)),
        value: decode(&a.value)?,
    })
}

/// Every attribute of an object a client of `version` sees: identifier, type and state
/// first, then the stored ones in the order they were set.
pub fn all(o: &StoredObject, version: ProtocolVersion) -> Result<Vec<Attribute>, OpError> {
    let mut out = derived(o, version);
    for a in o.attributes.iter().filter(|a| visible(&a.name, version)) {
        out.push(to_wire(a)?);
    }
    Ok(out)
}

/// The instances of one attribute (none when the object does not have it).
pub fn named(
    o: &StoredObject,
    name: &AttributeName,
    version: ProtocolVersion,
) -> Result<Vec<Attribute>, OpError> {
    let d: Vec<Attribute> = derived(o, version)
        .into_iter()
        .filter(|a| &a.name == name)
        .collect();
    if !d.is_empty() {
        return Ok(d);
    }
    o.attributes
        .iter()
        .filter(|a| a.name == name.as_str() && visible(&a.name, version))
        .map(to_wire)
        .collect()
}

/// What an object reports for `name` when it holds none: every object here is under the
/// default operation policy, which KMIP 1.0–1.2 (§3.18.1) names "default" — owner-based
/// access, as [`crate::ops::context::OpCtx::may`] enforces. The attribute is deprecated
/// since KMIP 1.3 and gone in 2.0, so it is reported only to 1.x clients asking for it by
/// name, found by Locate, and never stored.
pub fn default_of(name: &AttributeName, version: ProtocolVersion) -> Option<Attribute> {
    (name.as_str() == names::OPERATION_POLICY_NAME && visible(name.as_str(), version)).then(|| {
        Attribute::new(
            names::OPERATION_POLICY_NAME,
            Value::TextString("default".to_owned()),
        )
    })
}

/// The attributes held in the stored object's own fields, or computed from them.
fn derived(o: &StoredObject, version: ProtocolVersion) -> Vec<Attribute> {
    let mut out = vec![Attribute::new(
        names::UNIQUE_IDENTIFIER,
        Value::TextString(o.uid.clone()),
    )];
    if visible(names::SHORT_UNIQUE_IDENTIFIER, version) {
        // KMIP 2.1 §4.53: the SHA-256 of the Unique Identifier.
        use sha2::{Digest, Sha256};
        let short = Sha256::digest(o.uid.as_bytes()).to_vec();
        out.push(Attribute::new(
            names::SHORT_UNIQUE_IDENTIFIER,
            Value::ByteString(short.into()),
        ));
    }
    out.push(Attribute::new(
        names::OBJECT_TYPE,
        Value::Enumeration(o.object_type),
    ));
    out.push(Attribute::new(names::STATE, Value::Enumeration(o.state)));
    out
}

/// The object with the state its dates give at `now` (KMIP 1.4 §3.22): a Pre-Active object
/// whose Activation Date has come is Active, an object whose Deactivation Date has come is
/// Deactivated. The store keeps the state last committed; the transitions by date happen as
/// the object is read, the same on every node.
pub fn at(mut o: StoredObject, now: i64) -> StoredObject {
    let passed = |o: &StoredObject, name: &str| matches!(value(o, name), Ok(Some(Value::DateTime(t))) if t <= now);
    let pre_active = State::PRE_ACTIVE.0;
    let active = State::ACTIVE.0;
    if o.state == pre_active && passed(&o, names::ACTIVATION_DATE) {
        o.state = active;
    }
    if (o.state == active || o.state == pre_active) && passed(&o, names::DEACTIVATION_DATE) {
        o.state = State::DEACTIVATED.0;
    }
    o
}

/// The stored states from which an object can be in `state` now, by its dates.
pub fn reachable_from(state: u32) -> Vec<u32> {
    let (pre, active, deactivated) = (State::PRE_ACTIVE.0, State::ACTIVE.0, State::DEACTIVATED.0);
    match state {
        s if s == active => vec![active, pre],
        s if s == deactivated => vec![deactivated, active, pre],
        s => vec![s],
    }
}

/// The value of a single-valued stored attribute.
pub fn value(o: &StoredObject, name: &str) -> Result<Option<Value>, OpError> {
    match o.attributes.iter().find(|a| a.name == name) {
        Some(a) => decode(&a.value).map(Some),
        None => Ok(None),
    }
}

/// The Name Value texts of an attribute list.
pub fn name_texts<'a>(attrs: impl IntoIterator<Item = &'a Attribute>) -> Vec<String> {
    attrs
        .into_iter()
        .filter(|a| a.name.as_str() == names::NAME)
        .filter_map(|a| match &a.value {
            Value::Structure(items) => items.iter().find_map(|i| match (&i.tag, &i.value) {
                (&Tag::NAME_VALUE, Value::TextString(s)) => Some(s.clone()),
                _ => None,
            }),
            _ => None,
        })
        .collect()
}

/// A state's name for messages.
pub fn state_name(state: u32) -> String {
    State(state).to_string()
}

/// An object type's name for messages.
pub fn type_name(t: u32) -> String {
    ObjectType(t).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use raftkeep_store::Material;

    use super::*;

    fn object(state: State, dates: &[(&str, i64)]) -> StoredObject {
        StoredObject {
            uid: "k".into(),
            object_type: ObjectType::SYMMETRIC_KEY.0,
            state: state.0,
            owner: "c".into(),
            attributes: dates.iter().map(|(n, t)| date(n, *t).unwrap()).collect(),
            material: Material::None,
            grants: Default::default(),
        }
    }

    #[test]
    fn dates_that_have_come_move_the_state_forward_and_no_further() {
        let now = 1_000;
        let state = |o: StoredObject| State(at(o, now).state);
        let act = names::ACTIVATION_DATE;
        let deact = names::DEACTIVATION_DATE;
        assert_eq!(
            state(object(State::PRE_ACTIVE, &[(act, 2_000)])),
            State::PRE_ACTIVE
        );
        assert_eq!(
            state(object(State::PRE_ACTIVE, &[(act, 1_000)])),
            State::ACTIVE
        );
        assert_eq!(
            state(object(State::PRE_ACTIVE, &[(act, 10), (deact, 500)])),
            State::DEACTIVATED
        );
        assert_eq!(
            state(object(State::ACTIVE, &[(deact, 2_000)])),
            State::ACTIVE
        );
        assert_eq!(
            state(object(State::ACTIVE, &[(deact, 999)])),
            State::DEACTIVATED
        );
        // Compromised and destroyed objects stay as they are.
        assert_eq!(
            state(object(State::COMPROMISED, &[(deact, 1)])),
            State::COMPROMISED
        );
        assert_eq!(
            reachable_from(State::ACTIVE.0),
            vec![State::ACTIVE.0, State::PRE_ACTIVE.0]
        );
    }

    #[test]
    fn each_version_is_shown_the_attributes_it_defines_and_no_others() {
        let mut o = object(State::ACTIVE, &[]);
        for (name, value) in [
            (names::FRESH, Value::Boolean(true)),
            (names::SENSITIVE, Value::Boolean(false)),
            (names::PROTECTION_STORAGE_MASK, Value::Integer(1)),
            ("x-mine", Value::TextString("a".into())),
            ("vmware-tag", Value::TextString("b".into())),
        ] {
            o.attributes.push(stored(name, &value).unwrap());
        }
        let shown = |v| {
            all(&o, v)
                .unwrap()
                .into_iter()
                .map(|a| a.name.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        let base = ["Unique Identifier", "Object Type", "State"];
        let with = |extra: &[&str]| {
            base.iter()
                .chain(extra)
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(shown(ProtocolVersion::V1_0), with(&["x-mine"]));
        assert_eq!(shown(ProtocolVersion::V1_2), with(&["Fresh", "x-mine"]));
        assert_eq!(
            shown(ProtocolVersion::V1_4),
            with(&["Fresh", "Sensitive", "x-mine"])
        );
        let v2 = shown(ProtocolVersion::V2_0);
        for name in [
            "Short Unique Identifier",
            "Protection Storage Mask",
            "vmware-tag",
        ] {
            assert!(v2.iter().any(|n| n == name), "{name} at 2.0: {v2:?}");
        }
    }
}
