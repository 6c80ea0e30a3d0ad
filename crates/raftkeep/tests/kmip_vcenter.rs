//! A real vCenter 7.0.3 session (`../shared/vcenter/vcenter-7.0.3-session.hex`), replayed
//! request by request — one TLS connection each, as vCenter does — against a 3-node cluster
//! of real processes, once through the leader and once through a follower. The Unique
//! Identifiers of the capture are mapped to the ones our server returns; every answer is
//! checked for what vCenter relies on.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::collections::HashMap;

use kmip_messages::{
    KeyMaterial, KeyValue, ManagedObject, Message, RequestMessage, RequestPayload, ResponseMessage,
    ResponsePayload,
};
use kmip_ttlv::enums::{CryptographicAlgorithm, KeyFormatType, Operation, ResultStatus, State};
use kmip_ttlv::{Limits, Tag, Ttlv, Value};
use support::Cluster;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/vcenter/vcenter-7.0.3-session.hex"
);

/// The capture: requests in order, and the UIDs its server answered to Create, in order.
struct Capture {
    requests: Vec<Vec<u8>>,
    created: Vec<String>,
}

fn capture() -> Capture {
    let text = std::fs::read_to_string(CAPTURE).unwrap();
    let mut requests = Vec::new();
    let mut created = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(comment) = line.strip_prefix("# ") else {
            continue;
        };
        let bytes = hex::decode(lines.next().unwrap().trim()).unwrap();
        if comment.contains(" REQ ") {
            requests.push(bytes);
        } else if comment.contains(" RSP ops=CREATE") {
            let rsp = ResponseMessage::decode(&bytes, &Limits::default()).unwrap();
            let Some(ResponsePayload::Create(c)) = &rsp.batch_items[0].payload else {
                panic!("{rsp:?}")
            };
            created.push(c.unique_identifier.to_string());
        }
    }
    Capture { requests, created }
}

/// Replaces every Unique Identifier text through `map`.
fn map_uids(item: &mut Ttlv, map: &HashMap<String, String>) {
    match &mut item.value {
        Value::TextString(uid) if item.tag == Tag::UNIQUE_IDENTIFIER => {
            if let Some(ours) = map.get(uid.as_str()) {
                *uid = ours.clone();
            }
        }
        Value::Structure(items) => items.iter_mut().for_each(|i| map_uids(i, map)),
        _ => {}
    }
}

fn uids_in(item: &Ttlv, out: &mut Vec<String>) {
    match &item.value {
        Value::TextString(uid) if item.tag == Tag::UNIQUE_IDENTIFIER => out.push(uid.clone()),
        Value::Structure(items) => items.iter().for_each(|i| uids_in(i, out)),
        _ => {}
    }
}

/// What the replay has done to each key so far, to check the answers against.
#[derive(Default)]
struct Expected {
    activated: Vec<String>,
    added: HashMap<(String, String), Value>,
}

/// Replays the session through `node` with the client certificate `cert`; the UIDs of the
/// keys it made.
fn replay(c: &Cluster, node: usize, cert: &str) -> Vec<String> {
    let cap = capture();
    let first_create = cap
        .requests
        .iter()
        .find(|r| {
            RequestMessage::decode(r, &Limits::default())
                .unwrap()
                .batch_items[0]
                .operation
                == Operation::CREATE
        })
        .unwrap()
        .clone();
    let mut map: HashMap<String, String> = HashMap::new();
    let mut creates = cap.created.iter();
    let mut expected = Expected::default();
    let mut answered = HashMap::<Operation, usize>::new();
    for raw in &cap.requests {
        let mut ttlv = kmip_ttlv::decode_message(raw, &Limits::default()).unwrap();
        // A key whose Create the capture lacks (it ran on a session not captured): made
        // here with vCenter's own Create request.
        let mut referenced = Vec::new();
        uids_in(&ttlv, &mut referenced);
        for uid in referenced {
            map.entry(uid)
                .or_insert_with(|| create(c, node, cert, &first_create));
        }
        map_uids(&mut ttlv, &map);
        let bytes = kmip_ttlv::encode(&ttlv).unwrap();
        let request = RequestMessage::decode(&bytes, &Limits::default()).unwrap();
        let raw = c
            .block_on(c.kmip_raw(node, cert, &bytes))
            .expect("the server closed the connection");
        // vCenter speaks KMIP 1.1: nothing in an answer may be of a later version.
        let version = request.header.protocol_version;
        let tree = kmip_ttlv::decode_message(&raw, &Limits::default()).unwrap();
        if let Err(e) = kmip_messages::untrue::check(&tree, version) {
            panic!("an answer to vCenter is not in KMIP {version}: {e}");
        }
        let response = ResponseMessage::decode(&raw, &Limits::default()).unwrap();
        assert_eq!(response.header.protocol_version, version);
        assert_eq!(
            response.batch_items.len(),
            request.batch_items.len(),
            "{response:?}"
        );
        for (req, rsp) in request.batch_items.iter().zip(&response.batch_items) {
            assert_eq!(
                rsp.result_status,
                ResultStatus::SUCCESS,
                "{req:?} → {rsp:?}"
            );
            assert_eq!(rsp.operation, Some(req.operation));
            assert_eq!(
                rsp.unique_batch_item_id, req.unique_batch_item_id,
                "batch item ID echoed"
            );
            *answered.entry(req.operation).or_default() += 1;
            check(req, rsp, &mut expected);
            if let Some(ResponsePayload::Create(created)) = &rsp.payload {
                let theirs = creates
                    .next()
                    .expect("more Creates than the capture answered");
                map.insert(theirs.clone(), created.unique_identifier.to_string());
            }
        }
    }
    eprintln!("node {node} answered {answered:?}; {} keys", map.len());
    for op in [
        Operation::DISCOVER_VERSIONS,
        Operation::QUERY,
        Operation::CREATE,
        Operation::GET,
        Operation::GET_ATTRIBUTES,
        Operation::ACTIVATE,
        Operation::ADD_ATTRIBUTE,
    ] {
        assert!(
            answered.get(&op).is_some_and(|n| *n > 0),
            "the replay never sent {op}"
        );
    }
    map.into_values().collect()
}

/// Creates a key with vCenter's Create request; its UID.
fn create(c: &Cluster, node: usize, cert: &str, request: &[u8]) -> String {
    let rsp = c.block_on(c.kmip(node, cert, request));
    let Some(ResponsePayload::Create(created)) = &rsp.batch_items[0].payload else {
        panic!("{rsp:?}")
    };
    created.unique_identifier.to_string()
}

/// Checks one successful answer against what vCenter relies on.
fn check(
    req: &kmip_messages::RequestBatchItem,
    rsp: &kmip_messages::ResponseBatchItem,
    expected: &mut Expected,
) {
    match (&req.payload, rsp.payload.as_ref().unwrap()) {
        (RequestPayload::DiscoverVersions(_), ResponsePayload::DiscoverVersions(v)) => {
            assert!(v.versions.contains(&kmip_messages::ProtocolVersion::V1_1));
        }
        (RequestPayload::Query(_), ResponsePayload::Query(q)) => {
            assert!(
                q.vendor_identification
                    .as_deref()
                    .unwrap()
                    .starts_with("Raftkeep")
            );
        }
        (RequestPayload::Create(_), ResponsePayload::Create(created)) => {
            assert_eq!(
                created.object_type,
                kmip_ttlv::enums::ObjectType::SYMMETRIC_KEY
            );
        }
        (RequestPayload::Get(_), ResponsePayload::Get(got)) => {
            let ManagedObject::SymmetricKey(kb) = &got.object else {
                panic!("{got:?}")
            };
            assert_eq!(kb.key_format_type, KeyFormatType::RAW);
            assert_eq!(
                kb.cryptographic_algorithm,
                Some(CryptographicAlgorithm::AES)
            );
            assert_eq!(kb.cryptographic_length, Some(256));
            let Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(key),
                ..
            }) = &kb.key_value
            else {
                panic!("no raw key material")
            };
            assert_eq!(key.as_slice().len(), 32);
            assert_ne!(key.as_slice(), &[0u8; 32], "a real key");
        }
        (RequestPayload::GetAttributes(ask), ResponsePayload::GetAttributes(got)) => {
            let uid = got.unique_identifier.to_string();
            assert_eq!(Some(&got.unique_identifier), ask.unique_identifier.as_ref());
            for name in &ask.names {
                let found: Vec<&Value> = got
                    .attributes
                    .all(name.as_str())
                    .map(|a| &a.value)
                    .collect();
                match name.as_str() {
                    "State" => {
                        let state = if expected.activated.contains(&uid) {
                            State::ACTIVE
                        } else {
                            State::PRE_ACTIVE
                        };
                        assert_eq!(found, vec![&Value::Enumeration(state.0)], "{uid}");
                    }
                    custom => match expected.added.get(&(uid.clone(), custom.to_owned())) {
                        Some(v) => assert_eq!(found, vec![v], "{custom} of {uid}"),
                        // Absent: Success with only the UID, as vCenter expects.
                        None => assert!(got.attributes.0.is_empty(), "{got:?}"),
                    },
                }
            }
        }
        (RequestPayload::Activate(a), ResponsePayload::Activate(done)) => {
            assert_eq!(Some(&done.unique_identifier), a.unique_identifier.as_ref());
            expected.activated.push(done.unique_identifier.to_string());
        }
        (RequestPayload::AddAttribute(add), ResponsePayload::AddAttribute(done)) => {
            assert_eq!(
                Some(&done.unique_identifier),
                add.unique_identifier.as_ref()
            );
            let a = done
                .attribute
                .as_ref()
                .expect("KMIP 1.x returns the attribute");
            assert_eq!(a.name, add.attribute.name);
            assert_eq!(a.value, add.attribute.value);
            expected.added.insert(
                (done.unique_identifier.to_string(), a.name.to_string()),
                a.value.clone(),
            );
        }
        (req, rsp) => panic!("unexpected answer {rsp:?} to {req:?}"),
    }
}

#[test]
fn vcenter_session_replayed_through_leader_and_follower_gets_the_answers_vcenter_needs() {
    let (c, leader, follower) = Cluster::serving_kmip(3);
    replay(&c, leader, "client");
    replay(&c, follower, "client");
    c.wait_converged(&[0, 1, 2]);
}

/// vCenter's captured Get of `uid` through `node` with `cert`: the answer's status.
fn vcenter_get(c: &Cluster, node: usize, cert: &str, uid: &str) -> ResultStatus {
    let mut ttlv = kmip_ttlv::decode_message(
        &support::vcenter_request(Operation::GET),
        &Limits::default(),
    )
    .unwrap();
    let mut theirs = Vec::new();
    uids_in(&ttlv, &mut theirs);
    let map = theirs.into_iter().map(|t| (t, uid.to_owned())).collect();
    map_uids(&mut ttlv, &map);
    let response = c.block_on(c.kmip(node, cert, &kmip_ttlv::encode(&ttlv).unwrap()));
    response.batch_items[0].result_status
}

#[test]
fn vcenter_keeps_every_key_across_a_certificate_renewal_and_with_a_second_vcenter_of_its_identity()
{
    let (c, leader, follower) = Cluster::serving_kmip(3);
    // vCenter's "root CA certificate" trust mode: the cluster trusts VMCA for one subject.
    let vmca = c.dir.path().join("vmca");
    support::cli(&["certs", "init", "--dir", vmca.to_str().unwrap()]);
    c.issue_with_other_ca(&vmca, &["certs", "issue-client"], "vcenter");
    let vmca_ca = vmca.join("ca.pem");
    let said = c.admin_ok(
        "clients",
        leader,
        &[
            "allow-ca",
            vmca_ca.to_str().unwrap(),
            "--subject-of",
            &c.pki("vcenter.pem"),
        ],
    );
    assert!(said.contains("as identity vcenter"), "{said}");
    let keys = replay(&c, follower, "vcenter");
    assert!(!keys.is_empty());

    // VMCA renews vCenter's certificate: a new key, the same subject.
    let before = std::fs::read(c.pki("vcenter.pem")).unwrap();
    c.issue_with_other_ca(&vmca, &["certs", "renew", "client", "--new-key"], "vcenter");
    assert_ne!(before, std::fs::read(c.pki("vcenter.pem")).unwrap());
    for uid in &keys {
        for node in [leader, follower] {
            assert_eq!(
                vcenter_get(&c, node, "vcenter", uid),
                ResultStatus::SUCCESS,
                "{uid} after the renewal"
            );
        }
    }
    // The renewed vCenter replays its whole session too.
    replay(&c, leader, "vcenter");

    // Site 2's vCenter, another certificate, allowed under the same identity.
    c.issue_with_other_ca(&vmca, &["certs", "issue-client"], "vcenter-site2");
    let refused = c.admin_cmd("clients", leader, &["allow", &c.pki("vcenter-site2.pem")]);
    assert!(refused.status.success(), "a new CN is a new identity");
    c.admin_ok("clients", leader, &["revoke", &c.pki("vcenter-site2.pem")]);
    c.admin_ok(
        "clients",
        leader,
        &[
            "allow",
            &c.pki("vcenter-site2.pem"),
            "--identity",
            "vcenter",
        ],
    );
    for uid in &keys {
        assert_eq!(
            vcenter_get(&c, follower, "vcenter-site2", uid),
            ResultStatus::SUCCESS
        );
    }
    // Another allowed client is another identity: it gets none of them.
    c.issue_client("backup-tool");
    c.admin_ok("clients", leader, &["allow", &c.pki("backup-tool.pem")]);
    for uid in &keys {
        assert_eq!(
            vcenter_get(&c, follower, "backup-tool", uid),
            ResultStatus::OPERATION_FAILED
        );
    }
    let listed = c.admin_ok("clients", leader, &["list"]);
    assert!(listed.contains("vcenter: sha256:"), "{listed}");
    assert!(listed.contains("vcenter: issued by"), "{listed}");
    let owned = c.admin_ok("objects", leader, &["list", "--owner", "vcenter"]);
    for uid in &keys {
        assert!(owned.contains(uid.as_str()), "{uid} not listed: {owned}");
    }
    // The audit log says which identity each certificate acted as.
    let audit = std::fs::read_to_string(c.nodes[follower].data_dir.join("audit.jsonl")).unwrap();
    assert!(audit.contains(r#""identity":"vcenter""#), "{audit:.2000}");
}
