//! Raftkeep's conventions on top of KMIP: the idempotency key a client puts in the Client
//! Correlation Value, the vendor extension (KMIP 1.4 §6.16 Message Extension) a server
//! attaches to a batch item so that a client can act on it without reading the
//! human-readable Result Message, and how a client says it understands that extension.
//!
//! A Message Extension with Vendor Identification `raftkeep`, Criticality Indicator false
//! and a Vendor Extension structure holding one Text String tagged [`CONDITION_TAG`].
//!
//! Many clients cannot parse a Message Extension at all (PyKMIP fails on the whole response),
//! and most fail over only from a server that is down. So a server sends these extensions
//! only to clients that declared they understand them: a request whose Unique Batch Item IDs
//! start with [`AWARE_PREFIX`] ([`aware_batch_item_id`], [`declares_aware`]). The Unique
//! Batch Item ID is opaque to every KMIP server, which only echoes it, so the declaration
//! changes nothing elsewhere.

use kmip_ttlv::{Tag, Ttlv, Value};

/// The prefix of a Client Correlation Value (KMIP 1.4 §6.18) that carries an idempotency
/// key: a retried Create, Register or Re-key whose request header carries the same key gets
/// the object the first attempt made instead of a second one (docs/client.md).
pub const IDEMPOTENCY_PREFIX: &str = "idempotency-key:";

/// The Vendor Identification of Raftkeep's extensions.
pub const VENDOR: &str = "raftkeep";

/// The vendor tag of the condition inside the Vendor Extension.
pub const CONDITION_TAG: Tag = Tag(0x54_5201);

/// The first bytes of the Unique Batch Item IDs of a client that understands Raftkeep's
/// [`ServerCondition`] extensions.
pub const AWARE_PREFIX: &[u8] = b"raftkeep/aware:";

/// The Unique Batch Item ID of the `position`th item of a request from a client that
/// understands Raftkeep's extensions (unique within the request, as KMIP asks).
pub fn aware_batch_item_id(position: usize) -> Vec<u8> {
    let mut id = AWARE_PREFIX.to_vec();
    id.extend_from_slice(position.to_string().as_bytes());
    id
}

/// Whether a request's batch items carry [`AWARE_PREFIX`] IDs: its client understands
/// Raftkeep's extensions.
pub fn declares_aware<'a>(ids: impl IntoIterator<Item = Option<&'a [u8]>>) -> bool {
    ids.into_iter()
        .any(|id| id.is_some_and(|id| id.starts_with(AWARE_PREFIX)))
}

/// What the server says about an item, beyond its Result Reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCondition {
    /// This server cannot serve the request now (no quorum, no reachable leader, not
    /// ready) but another server of the cluster may: a client should try the next one.
    Unavailable,
    /// Answered from this server's own copy while no leader could confirm it is current
    /// (an election, or this server cut off from the others): it may miss the latest changes.
    Stale,
}

impl ServerCondition {
    fn code(self) -> &'static str {
        match self {
            ServerCondition::Unavailable => "unavailable",
            ServerCondition::Stale => "stale",
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
            Value::TextString(c) => [ServerCondition::Unavailable, ServerCondition::Stale]
                .into_iter()
                .find(|known| known.code() == c),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_survives_its_extension_and_the_wire() {
        for condition in [ServerCondition::Unavailable, ServerCondition::Stale] {
            let ext = condition.to_extension();
            let bytes = kmip_ttlv::encode(&ext).unwrap();
            let back = kmip_ttlv::decode(&bytes, &kmip_ttlv::Limits::default()).unwrap();
            assert_eq!(ServerCondition::from_extension(&back), Some(condition));
        }
    }

    #[test]
    fn only_ids_with_the_prefix_declare_a_client_aware() {
        let ours = aware_batch_item_id(1);
        assert!(declares_aware([None, Some(ours.as_slice())]));
        // vCenter's 8-byte IDs, and none at all.
        assert!(!declares_aware([Some(&[0, 0, 0, 0, 0, 0, 0, 1][..])]));
        assert!(!declares_aware([None]));
        assert_ne!(aware_batch_item_id(1), aware_batch_item_id(2));
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
