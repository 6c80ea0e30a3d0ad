//! `--reset`: a fresh object namespace per conversation, as the OASIS harness has by resetting
//! its server between cases. Every object a group of cases made is revoked and destroyed
//! before the next group starts; a destroyed object keeps no Name and is not found by a
//! Locate that does not ask for its State, so the next group — or a rerun of the same one on
//! the same cluster — meets none of them.
//!
//! A group is the cases that differ only in their sequence number (`TL-M-1-14`, `TL-M-2-14`,
//! `TL-M-3-14`): later cases of a group use what earlier ones made, as the published
//! TL and SASED cases do.

use std::collections::BTreeSet;

use kmip_messages::payload::revoke::RevokeRequest;
use kmip_messages::{
    Message as _, ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage, RequestPayload,
    RevocationReason, UniqueIdentifier,
};
use kmip_ttlv::enums::{Operation, RevocationReasonCode};
use kmip_ttlv::{Tag, Ttlv, Value};

use crate::kmip_conn::{KmipConnection, Resolved, Transport};

/// The group a case file belongs to: its name without the sequence number
/// (`CS-BC-M-GCM-3-14.xml` → `CS-BC-M-GCM-*-14`).
pub fn group(file_name: &str) -> String {
    let stem = file_name.strip_suffix(".xml").unwrap_or(file_name);
    let parts: Vec<&str> = stem.split('-').collect();
    match parts.as_slice() {
        [head @ .., n, version] if n.chars().all(|c| c.is_ascii_digit()) => {
            format!("{}-*-{version}", head.join("-"))
        }
        _ => stem.to_owned(),
    }
}

/// Every object identifier a response names.
pub fn identifiers(response: &Ttlv, out: &mut BTreeSet<String>) {
    const IDS: [Tag; 3] = [
        Tag::UNIQUE_IDENTIFIER,
        Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
        Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER,
    ];
    match &response.value {
        Value::Structure(items) => items.iter().for_each(|i| identifiers(i, out)),
        Value::TextString(uid) if IDS.contains(&response.tag) => {
            out.insert(uid.clone());
        }
        _ => {}
    }
}

fn one(operation: Operation, payload: RequestPayload) -> Result<Vec<u8>, String> {
    RequestMessage {
        header: RequestHeader::new(ProtocolVersion::V1_4, 1),
        batch_items: vec![RequestBatchItem {
            operation,
            ephemeral: None,
            unique_batch_item_id: None,
            payload,
            message_extension: None,
        }],
    }
    .encode()
    .map_err(|e| e.to_string())
}

/// Revokes and destroys every object in `uids`. An object already destroyed, never
/// activated or gone answers with a failure, which is what a reset expects of it; only a
/// server that cannot be reached is an error.
pub async fn destroy_all(target: &Resolved, uids: &BTreeSet<String>) -> Result<usize, String> {
    if uids.is_empty() {
        return Ok(0);
    }
    let mut conn = KmipConnection::connect(target, Transport::Ttlv)
        .await
        .map_err(|e| format!("reset: {e:#}"))?;
    for uid in uids {
        let id = Some(UniqueIdentifier::Text(uid.clone()));
        let revoke = RequestPayload::Revoke(RevokeRequest {
            unique_identifier: id.clone(),
            reason: RevocationReason {
                code: RevocationReasonCode::CESSATION_OF_OPERATION,
                message: Some("raftkeep conformance --reset".to_owned()),
            },
            compromise_occurrence_date: None,
        });
        let destroy = RequestPayload::Destroy(kmip_messages::payload::id::IdRequest {
            unique_identifier: id,
        });
        for (operation, payload) in [(Operation::REVOKE, revoke), (Operation::DESTROY, destroy)] {
            conn.exchange(&one(operation, payload)?)
                .await
                .map_err(|e| format!("reset of {uid}: {e:#}"))?;
        }
    }
    Ok(uids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_that_differ_only_in_their_sequence_number_are_one_group() {
        assert_eq!(group("TL-M-1-14.xml"), "TL-M-*-14");
        assert_eq!(group("TL-M-3-14.xml"), group("TL-M-2-14.xml"));
        assert_eq!(group("CS-BC-M-GCM-3-21.xml"), "CS-BC-M-GCM-*-21");
        assert_ne!(group("TL-M-2-14.xml"), group("TL-M-2-21.xml"));
        assert_ne!(group("SKFF-M-1-14.xml"), group("SKLC-M-1-14.xml"));
        assert_eq!(group("odd.xml"), "odd");
    }

    #[test]
    fn every_identifier_a_response_names_is_collected_once() {
        let text = |tag, s: &str| Ttlv::new(tag, Value::TextString(s.to_owned()));
        let response = Ttlv::new(
            Tag::RESPONSE_MESSAGE,
            Value::Structure(vec![Ttlv::new(
                Tag::BATCH_ITEM,
                Value::Structure(vec![
                    text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, "a"),
                    text(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER, "b"),
                    text(Tag::UNIQUE_IDENTIFIER, "a"),
                    text(Tag::RESULT_MESSAGE, "not an id"),
                ]),
            )]),
        );
        let mut out = BTreeSet::new();
        identifiers(&response, &mut out);
        assert_eq!(out.into_iter().collect::<Vec<_>>(), ["a", "b"]);
    }
}
