//! Owner-based access and the key lifecycle over real KMIP connections to a 3-node cluster:
//! a key belongs to the client that created it; another allowed client can neither Get,
//! Locate nor Destroy it until an operator grants it (`raftkeep access`); a certificate that
//! is not allowed gets Permission Denied; Destroy shreds the material on every node.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use kmip_messages::payload::create::CreateRequest;
use kmip_messages::payload::get::GetRequest;
use kmip_messages::payload::id::IdRequest;
use kmip_messages::payload::locate::LocateRequest;
use kmip_messages::payload::revoke::RevokeRequest;
use kmip_messages::{
    Attribute, Attributes, Name, ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage,
    RequestPayload, ResponseBatchItem, ResponsePayload, RevocationReason, TemplateAttribute,
    UniqueIdentifier,
};
use kmip_ttlv::enums::{
    CryptographicAlgorithm, KeyFormatType, NameType, ObjectType, Operation, ResultReason,
    ResultStatus, RevocationReasonCode,
};
use kmip_ttlv::{Tag, Ttlv, Value};
use support::Cluster;

fn request(operation: Operation, payload: RequestPayload) -> RequestMessage {
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
}

fn one(
    c: &Cluster,
    node: usize,
    cert: &str,
    operation: Operation,
    payload: RequestPayload,
) -> ResponseBatchItem {
    let mut response = c.kmip_request(node, cert, &request(operation, payload));
    assert_eq!(response.batch_items.len(), 1);
    response.batch_items.remove(0)
}

fn name_attribute(name: &str) -> Attribute {
    Attribute::new(
        "Name",
        Value::Structure(vec![
            Ttlv::text(Tag::NAME_VALUE, name),
            Ttlv::enumeration(Tag::NAME_TYPE, NameType::UNINTERPRETED_TEXT_STRING.0),
        ]),
    )
}

fn create(c: &Cluster, node: usize, cert: &str, name: &str) -> String {
    let item = try_create(c, node, cert, name);
    assert_eq!(item.result_status, ResultStatus::SUCCESS, "{item:?}");
    let Some(ResponsePayload::Create(created)) = item.payload else {
        panic!("{item:?}")
    };
    created.unique_identifier.to_string()
}

fn try_create(c: &Cluster, node: usize, cert: &str, name: &str) -> ResponseBatchItem {
    let payload = RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SYMMETRIC_KEY,
        template: TemplateAttribute {
            template_names: Vec::<Name>::new(),
            attributes: Attributes(vec![
                Attribute::new(
                    "Cryptographic Algorithm",
                    Value::Enumeration(CryptographicAlgorithm::AES.0),
                ),
                Attribute::new("Cryptographic Length", Value::Integer(256)),
                Attribute::new("Cryptographic Usage Mask", Value::Integer(12)),
                name_attribute(name),
            ]),
        },
        protection_storage_masks: None,
    });
    one(c, node, cert, Operation::CREATE, payload)
}

fn get(c: &Cluster, node: usize, cert: &str, uid: &str) -> ResponseBatchItem {
    let payload = RequestPayload::Get(GetRequest {
        unique_identifier: Some(UniqueIdentifier::from(uid)),
        ..GetRequest::default()
    });
    one(c, node, cert, Operation::GET, payload)
}

fn locate(c: &Cluster, node: usize, cert: &str, name: &str) -> Vec<String> {
    locate_by(c, node, cert, name_attribute(name))
}

fn locate_by(c: &Cluster, node: usize, cert: &str, wanted: Attribute) -> Vec<String> {
    let payload = RequestPayload::Locate(LocateRequest {
        attributes: Attributes(vec![wanted]),
        ..LocateRequest::default()
    });
    let item = one(c, node, cert, Operation::LOCATE, payload);
    let Some(ResponsePayload::Locate(found)) = item.payload else {
        panic!("{item:?}")
    };
    found
        .unique_identifiers
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn by_id(operation: Operation, uid: &str) -> RequestPayload {
    let id = IdRequest {
        unique_identifier: Some(UniqueIdentifier::from(uid)),
    };
    match operation {
        Operation::DESTROY => RequestPayload::Destroy(id),
        Operation::ACTIVATE => RequestPayload::Activate(id),
        other => panic!("{other}"),
    }
}

fn key_bytes(item: ResponseBatchItem) -> Vec<u8> {
    let Some(ResponsePayload::Get(got)) = item.payload else {
        panic!("{item:?}")
    };
    let kmip_messages::ManagedObject::SymmetricKey(kb) = got.object else {
        panic!("not a symmetric key")
    };
    match kb.key_value {
        Some(kmip_messages::KeyValue::Plain {
            key_material: kmip_messages::KeyMaterial::Bytes(b),
            ..
        }) => b.as_slice().to_vec(),
        other => panic!("{other:?}"),
    }
}

fn transparent_key_bytes(item: &ResponseBatchItem) -> Vec<u8> {
    let Some(ResponsePayload::Get(got)) = &item.payload else {
        panic!("{item:?}")
    };
    let kmip_messages::ManagedObject::SymmetricKey(kb) = &got.object else {
        panic!("not a symmetric key")
    };
    assert_eq!(kb.key_format_type, KeyFormatType::TRANSPARENT_SYMMETRIC_KEY);
    match &kb.key_value {
        Some(kmip_messages::KeyValue::Plain {
            key_material: kmip_messages::KeyMaterial::Structure(items),
            ..
        }) => match &items[0].value {
            Value::ByteString(b) if items[0].tag == Tag::KEY => b.as_slice().to_vec(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn assert_denied(item: &ResponseBatchItem) {
    assert_eq!(
        item.result_status,
        ResultStatus::OPERATION_FAILED,
        "{item:?}"
    );
    assert_eq!(
        item.result_reason,
        Some(ResultReason::PERMISSION_DENIED),
        "{item:?}"
    );
}

#[test]
fn only_the_owner_and_granted_clients_use_a_key_and_destroy_shreds_it_everywhere() {
    let (c, leader) = Cluster::running(3);
    let follower = (0..3).find(|i| *i != leader).unwrap();
    c.issue_client("other");
    c.issue_client("stranger");
    c.allow(leader, "client");
    c.allow(leader, "other");

    // Client A creates through a follower; the key is A's on every node.
    let uid = create(&c, follower, "client", "backup-key-1");
    for node in 0..3 {
        assert_eq!(
            get(&c, node, "client", &uid).result_status,
            ResultStatus::SUCCESS
        );
    }

    // Client B: no Get, no Locate, no Destroy.
    assert_denied(&get(&c, leader, "other", &uid));
    assert!(locate(&c, leader, "other", "backup-key-1").is_empty());
    assert_eq!(
        locate(&c, leader, "client", "backup-key-1"),
        vec![uid.clone()]
    );
    assert_denied(&one(
        &c,
        follower,
        "other",
        Operation::DESTROY,
        by_id(Operation::DESTROY, &uid),
    ));

    // A certificate that is not allowed: Permission Denied for anything, naming the fix.
    let item = get(&c, leader, "stranger", &uid);
    assert_denied(&item);
    assert!(
        item.result_message
            .unwrap()
            .contains("raftkeep clients allow")
    );

    // An operator grants B Get; B gets exactly that.
    let other_pem = c.pki("other.pem");
    let out = c.admin_cmd(
        "access",
        follower,
        &["grant", &uid, "--client", &other_pem, "--operations", "Get"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        get(&c, follower, "other", &uid).result_status,
        ResultStatus::SUCCESS
    );
    assert_denied(&one(
        &c,
        leader,
        "other",
        Operation::DESTROY,
        by_id(Operation::DESTROY, &uid),
    ));
    let out = c.admin_cmd("access", leader, &["revoke", &uid, "--client", &other_pem]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_denied(&get(&c, leader, "other", &uid));

    // Through a client group: a grant to the group holds for its members, until they leave.
    let admin = |args: &[&str]| {
        let out = c.admin_cmd("access", leader, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    admin(&["group", "backup", "--client", &other_pem]);
    assert!(admin(&["groups"]).contains("backup: other"));
    admin(&[
        "grant",
        &uid,
        "--group",
        "backup",
        "--operations",
        "Get,GetAttributes",
    ]);
    // The follower answers from its own copy: it has the change once it applied the
    // leader's log (a replication round trip; a loaded machine made this test flaky).
    c.wait_converged(&[leader, follower]);
    assert_eq!(
        get(&c, follower, "other", &uid).result_status,
        ResultStatus::SUCCESS
    );
    admin(&["group", "backup"]);
    c.wait_converged(&[leader, follower]);
    assert_denied(&get(&c, follower, "other", &uid));

    // A's lifecycle: Activate, Destroy refused while Active, Revoke, Destroy; then the
    // material is gone on every node and the key is never served again.
    assert_eq!(
        one(
            &c,
            leader,
            "client",
            Operation::ACTIVATE,
            by_id(Operation::ACTIVATE, &uid)
        )
        .result_status,
        ResultStatus::SUCCESS
    );
    let active = one(
        &c,
        leader,
        "client",
        Operation::DESTROY,
        by_id(Operation::DESTROY, &uid),
    );
    assert_eq!(
        active.result_status,
        ResultStatus::OPERATION_FAILED,
        "{active:?}"
    );
    let revoke = RequestPayload::Revoke(RevokeRequest {
        unique_identifier: Some(UniqueIdentifier::from(uid.as_str())),
        reason: RevocationReason {
            code: RevocationReasonCode::CESSATION_OF_OPERATION,
            message: None,
        },
        compromise_occurrence_date: None,
    });
    assert_eq!(
        one(&c, follower, "client", Operation::REVOKE, revoke).result_status,
        ResultStatus::SUCCESS
    );
    assert_eq!(
        one(
            &c,
            follower,
            "client",
            Operation::DESTROY,
            by_id(Operation::DESTROY, &uid)
        )
        .result_status,
        ResultStatus::SUCCESS
    );
    c.wait_converged(&[0, 1, 2]);
    for node in 0..3 {
        let item = get(&c, node, "client", &uid);
        assert_eq!(
            item.result_status,
            ResultStatus::OPERATION_FAILED,
            "{item:?}"
        );
        let object = c.block_on(c.peer(node).read(
            &raftkeep_net::ReadRequest {
                uid: uid.clone(),
                consistency: raftkeep_net::Consistency::Local,
            },
            std::time::Duration::from_secs(5),
            false,
        ));
        let object = object.unwrap().unwrap().object.unwrap();
        assert_eq!(
            object.material,
            raftkeep_store::Material::Destroyed,
            "node {node}"
        );
        assert!(!object.attributes.is_empty(), "the metadata stays");
    }
    // Its name is free again for a new key.
    let again = create(&c, leader, "client", "backup-key-1");
    assert_ne!(again, uid);

    // Created through the leader, fetched at once through a follower whose copy may not have
    // it yet: the follower asks the leader before it says Item Not Found.
    for i in 0..20 {
        let uid = create(&c, leader, "client", &format!("handover-{i}"));
        assert_eq!(key_bytes(get(&c, follower, "client", &uid)).len(), 32);
    }

    // The same key as Raw and as Transparent Symmetric Key.
    let raw = key_bytes(get(&c, follower, "client", &again));
    let transparent = one(
        &c,
        leader,
        "client",
        Operation::GET,
        RequestPayload::Get(GetRequest {
            unique_identifier: Some(UniqueIdentifier::from(again.as_str())),
            key_format_type: Some(KeyFormatType::TRANSPARENT_SYMMETRIC_KEY),
            ..GetRequest::default()
        }),
    );
    assert_eq!(transparent_key_bytes(&transparent), raw);

    // Re-key: a new key of the same kind, linked both ways.
    let rekey = RequestPayload::ReKey(kmip_messages::payload::rekey::ReKeyRequest {
        unique_identifier: Some(UniqueIdentifier::from(again.as_str())),
        ..Default::default()
    });
    let item = one(&c, follower, "client", Operation::RE_KEY, rekey);
    let Some(ResponsePayload::ReKey(rekeyed)) = item.payload else {
        panic!("{item:?}")
    };
    let new_uid = rekeyed.unique_identifier.to_string();
    assert_ne!(new_uid, again);
    assert_eq!(key_bytes(get(&c, leader, "client", &new_uid)).len(), 32);
    assert_ne!(key_bytes(get(&c, leader, "client", &new_uid)), raw);
    let links = |uid: &str| {
        let payload = RequestPayload::GetAttributes(
            kmip_messages::payload::get_attributes::GetAttributesRequest {
                unique_identifier: Some(UniqueIdentifier::from(uid)),
                names: vec!["Link".into()],
            },
        );
        let item = one(&c, leader, "client", Operation::GET_ATTRIBUTES, payload);
        let Some(ResponsePayload::GetAttributes(got)) = item.payload else {
            panic!("{item:?}")
        };
        format!("{:?}", got.attributes)
    };
    assert!(links(&again).contains(&new_uid), "{}", links(&again));
    assert!(links(&new_uid).contains(&again), "{}", links(&new_uid));

    // The follower's audit log: every request it answered, chained, verifiable, and the
    // refusals and the shredding are in it.
    let log = c.nodes[follower].data_dir.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("\"Create\"") && l.contains(&uid)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("\"Destroy\"") && l.contains("PermissionDenied"))
    );
    assert!(
        text.lines()
            .any(|l| l.contains("\"Destroy\"") && l.contains("\"Success\""))
    );
    let verify = |path: &std::path::Path| {
        std::process::Command::new(support::BIN)
            .args(["audit", "verify", path.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = verify(&log);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("chain intact"));
    // Changing one recorded fact is found.
    let tampered = log.with_file_name("tampered.jsonl");
    std::fs::write(&tampered, text.replacen("PermissionDenied", "Success", 1)).unwrap();
    let out = verify(&tampered);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not match its hash"));
}

fn discover(c: &Cluster, node: usize, cert: &str) -> ResponseBatchItem {
    let payload = RequestPayload::DiscoverVersions(Default::default());
    one(c, node, cert, Operation::DISCOVER_VERSIONS, payload)
}

#[test]
fn a_trusted_ca_plus_subject_admits_renewed_certificates_of_that_subject_only() {
    let (c, leader) = Cluster::running(3);
    let follower = (0..3).find(|i| *i != leader).unwrap();
    // vCenter's own CA (VMCA), not the cluster's.
    let vmca = c.dir.path().join("vmca");
    support::cli(&["certs", "init", "--dir", vmca.to_str().unwrap()]);
    c.issue_with_other_ca(&vmca, &["certs", "issue-client"], "vcenter");
    c.issue_with_other_ca(&vmca, &["certs", "issue-client"], "intruder");
    let vmca_cert = vmca.join("ca.pem").to_str().unwrap().to_owned();
    assert_denied(&discover(&c, follower, "vcenter"));

    // `--ca` (the cluster CA, for the connection) and the positional CA are two things.
    let out = c.admin_cmd(
        "clients",
        leader,
        &[
            "allow-ca",
            &vmca_cert,
            "--subject-of",
            &c.pki("vcenter.pem"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = c.admin_cmd("clients", follower, &["list"]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("issued by") && listed.contains("CN=vcenter"),
        "{listed}"
    );

    assert_eq!(
        discover(&c, follower, "vcenter").result_status,
        ResultStatus::SUCCESS
    );
    // Same CA, another subject: refused.
    assert_denied(&discover(&c, follower, "intruder"));
    // Renewed: a new key and certificate with the same subject, no new allow needed.
    let before = std::fs::read(c.pki("vcenter.pem")).unwrap();
    c.issue_with_other_ca(&vmca, &["certs", "renew", "client", "--new-key"], "vcenter");
    assert_ne!(before, std::fs::read(c.pki("vcenter.pem")).unwrap());
    assert_eq!(
        discover(&c, leader, "vcenter").result_status,
        ResultStatus::SUCCESS
    );

    let subject = listed
        .lines()
        .find(|l| l.contains("issued by"))
        .and_then(|l| l.split(" to ").nth(1))
        .map(|rest| rest.split("  (allowed").next().unwrap().to_owned())
        .unwrap();
    let out = c.admin_cmd(
        "clients",
        leader,
        &["revoke-ca", &vmca_cert, "--subject", &subject],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_denied(&discover(&c, follower, "vcenter"));
}

#[test]
fn locate_lists_the_newest_first_and_every_object_is_under_the_default_policy() {
    let (c, leader, _follower) = Cluster::serving_kmip(3);
    let older = create(&c, leader, "client", "policy-older");
    // Initial Dates are whole seconds: the second key must be a second younger.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let newer = create(&c, leader, "client", "policy-newer");
    let policy =
        |name: &str| Attribute::new("Operation Policy Name", Value::TextString(name.to_owned()));
    assert_eq!(
        locate_by(&c, leader, "client", policy("default")),
        vec![newer.clone(), older.clone()]
    );
    assert!(locate_by(&c, leader, "client", policy("strict")).is_empty());
    // Asked for by name, a KMIP 1.x client is told the same.
    let payload = RequestPayload::GetAttributes(
        kmip_messages::payload::get_attributes::GetAttributesRequest {
            unique_identifier: Some(UniqueIdentifier::from(newer.as_str())),
            names: vec!["Operation Policy Name".into()],
        },
    );
    let item = one(&c, leader, "client", Operation::GET_ATTRIBUTES, payload);
    let Some(ResponsePayload::GetAttributes(got)) = item.payload else {
        panic!("{item:?}")
    };
    assert_eq!(
        got.attributes
            .get("Operation Policy Name")
            .map(|a| &a.value),
        Some(&Value::TextString("default".to_owned()))
    );
}

/// A store made before identities owns objects by certificate fingerprint; an operator moves
/// them, in bulk, to the identity the client's new certificate acts as, and the move is
/// recorded with who made it.
#[test]
fn objects_move_in_bulk_from_a_fingerprint_to_an_identity_and_the_move_is_recorded() {
    let (c, leader, follower) = Cluster::serving_kmip(3);
    c.issue_client("old");
    let fp = support::cli(&["certs", "fingerprint", &c.pki("old.pem")]);
    let fp = fp
        .split_whitespace()
        .next()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_owned();
    // As a certificate allowed before identities acts: its fingerprint is its identity.
    c.admin_ok(
        "clients",
        leader,
        &["allow", &c.pki("old.pem"), "--identity", &fp],
    );
    let keys: Vec<String> = (0..3)
        .map(|i| create(&c, leader, "old", &format!("moved-{i}")))
        .collect();
    let kept = create(&c, leader, "client", "kept");
    c.issue_client("renewed");
    c.admin_ok("clients", leader, &["allow", &c.pki("renewed.pem")]);
    assert_denied(&get(&c, follower, "renewed", &keys[0]));

    let unknown = c.admin_cmd(
        "objects",
        leader,
        &["move", "--from", &fp, "--to", "renewd"],
    );
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no certificate in the allow-list"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    let dry = c.admin_ok(
        "objects",
        follower,
        &["move", "--from", &fp, "--to", "renewed", "--dry-run"],
    );
    assert!(dry.contains("3 objects"), "{dry}");
    assert_denied(&get(&c, follower, "renewed", &keys[0]));
    let moved = c.admin_ok(
        "objects",
        follower,
        &["move", "--from", &fp, "--to", "renewed"],
    );
    assert!(moved.contains("moved 3 objects"), "{moved}");
    for uid in &keys {
        assert_eq!(
            get(&c, follower, "renewed", uid).result_status,
            ResultStatus::SUCCESS
        );
        assert_denied(&get(&c, leader, "old", uid));
    }
    assert_eq!(
        get(&c, leader, "client", &kept).result_status,
        ResultStatus::SUCCESS,
        "another owner's object stays"
    );
    let listed = c.admin_ok("objects", leader, &["list", "--owner", "renewed"]);
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let record = c.admin_ok("objects", leader, &["moves"]);
    assert!(
        record.contains(&format!("3 objects  {fp} -> renewed  by CN=admin")),
        "{record}"
    );
}

/// Refused because of the Name: KMIP 1.4 (these requests) says Invalid Field, 2.x Non Unique
/// Name Attribute.
fn assert_name_taken(item: &ResponseBatchItem) {
    assert_eq!(
        item.result_reason,
        Some(ResultReason::INVALID_FIELD),
        "{item:?}"
    );
    assert!(
        item.result_message
            .as_deref()
            .is_some_and(|m| m.contains("already used")),
        "{item:?}"
    );
}

/// KMIP's rule by default: no two live objects of the cluster share a Name. An operator may
/// narrow it to each client identity's objects, or lift it for clients that give every key
/// the same default name (PyKMIP); the state machine decides in log order either way.
#[test]
fn name_uniqueness_covers_the_cluster_unless_the_operator_narrows_it() {
    let (c, leader, follower) = Cluster::serving_kmip(3);
    c.issue_client("other");
    c.allow(leader, "other");
    create(&c, leader, "client", "shared");
    assert_name_taken(&try_create(&c, follower, "other", "shared"));
    assert_name_taken(&try_create(&c, follower, "client", "shared"));

    let scope = c.admin_ok("cluster", leader, &["name-scope", "identity"]);
    assert!(scope.contains("name scope identity"), "{scope}");
    c.wait_converged(&[0, 1, 2]);
    create(&c, follower, "other", "shared");
    assert_name_taken(&try_create(&c, follower, "client", "shared"));
    assert_name_taken(&try_create(&c, leader, "other", "shared"));

    c.admin_ok("cluster", follower, &["name-scope", "none"]);
    c.wait_converged(&[0, 1, 2]);
    create(&c, follower, "client", "shared");
    let shown = c.admin_ok("cluster", leader, &["name-scope"]);
    assert!(shown.contains("none"), "{shown}");

    // Back to the domain: what exists stays, a new duplicate is refused.
    c.admin_ok("cluster", leader, &["name-scope", "domain"]);
    c.wait_converged(&[0, 1, 2]);
    assert_name_taken(&try_create(&c, follower, "other", "shared"));
    assert_eq!(locate(&c, leader, "client", "shared").len(), 2);
}
