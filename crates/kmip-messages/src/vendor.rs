//! Raftkeep's conventions on top of KMIP: the idempotency key a client puts in the Client
//! Correlation Value, and the vendor extension (KMIP 1.4 §6.16 Message Extension) a server
//! attaches to a failed batch item so that a client can act on it without reading the
//! human-readable Result Message.
//!
//! A Message Extension with Vendor Identification `raftkeep`, Criticality Indicator false
//! (clients that do not know it ignore it) and a Vendor Extension structure holding one Text
//! String tagged [`CONDITION_TAG`].

use kmip_ttlv::{Tag, Ttlv, Value};

/// The prefix of a Client Correlation Value (KMIP 1.4 §6.18) that carries an idempotency
/// key: a retried Create, Register or Re-key whose request header carries the same key gets
/// the object the first attempt made instead of a second one (docs/client.md).
pub const IDEMPOTENCY_PREFIX: &str = "idempotency-key:";

/// The Vendor Identification of Raftkeep's extensions.
pub const VENDOR: &str = "raftkeep";

/// The vendor tag of the condition inside the Vendor Extension.
pub const CONDITION_TAG: Tag = Tag(0x54_5201);

/// What the server says about a failed item, beyond its Result Reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCondition {
    /// This server cannot serve the request now (no quorum, no reachable leader, not
    /// ready) but another server of the cluster may: a client should try the next one.
    Unavailable,
}

impl ServerCondition {
    fn code(self) -> &'static str {
        match self {
            ServerCondition::Unavailable => "unavailable",
        }
    }

    /// The Message Extension carrying this condition.
    pub fn to_extension(self) -> Ttlv {
        Ttlv::structure(
            Tag::MESSAGE_EXTENSION,
            vec![
                Ttlv::text(Tag::VENDOR_IDENTIFICATION, VENDOR),
                Ttlv::boolean(Tag::CRITICALITY_INDICATOR, false),
                Ttlv::structure(
                    Tag::VENDOR_EXTENSION,
                    vec![Ttlv::text(CONDITION_TAG, self.code())],
                ),
            ],
        )
    }

    /// The condition a Message Extension carries, if it is one of Raftkeep's.
    pub fn from_extension(extension: &Ttlv) -> Option<Self> {
        match &extension.child(Tag::VENDOR_IDENTIFICATION)?.value {
            Value::TextString(v) if v == VENDOR => {}
            _ => return None,
        }
        let condition = extension
            .child(Tag::VENDOR_EXTENSION)?
            .child(CONDITION_TAG)?;
        match &condition.value {
            Value::TextString(c) if c == ServerCondition::Unavailable.code() => {
                Some(ServerCondition::Unavailable)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_survives_its_extension_and_the_wire() {
        let ext = ServerCondition::Unavailable.to_extension();
        let bytes = kmip_ttlv::encode(&ext).unwrap();
        let back = kmip_ttlv::decode(&bytes, &kmip_ttlv::Limits::default()).unwrap();
        assert_eq!(
            ServerCondition::from_extension(&back),
            Some(ServerCondition::Unavailable)
        );
    }

    #[test]
    fn another_vendors_extension_is_no_condition() {
        let other = Ttlv::structure(
            Tag::MESSAGE_EXTENSION,
            vec![
                Ttlv::text(Tag::VENDOR_IDENTIFICATION, "acme"),
                Ttlv::boolean(Tag::CRITICALITY_INDICATOR, false),
                Ttlv::structure(
                    Tag::VENDOR_EXTENSION,
                    vec![Ttlv::text(CONDITION_TAG, "unavailable")],
                ),
            ],
        );
        assert_eq!(ServerCondition::from_extension(&other), None);
    }
}
