//! The client library's vCenter-style failover against real server processes: a killed
//! server is left at once, a paused one after the service timeout, a client tries its own
//! site first, a node without quorum sends the client on, a Create retried across a leader
//! change makes one key, and the CLI passes a Username/Password from the environment. The tests check the order and kind of attempts, never the
//! wall clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use kmip_messages::payload::create::CreateRequest;
use kmip_messages::{
    Attribute, Attributes, RequestPayload, ResponsePayload, TemplateAttribute, UniqueIdentifier,
};
use kmip_ttlv::Value;
use kmip_ttlv::enums::{ObjectType, Operation};
use raftkeep_client::{Client, ClientError, Outcome};
use support::{Cluster, free_port, wait_for};

/// An address where nothing listens: connecting is refused.
fn dead_address() -> String {
    format!("127.0.0.1:{}", free_port())
}

fn create_payload(tag: &str) -> kmip_messages::RequestPayload {
    kmip_messages::RequestPayload::Create(CreateRequest {
        object_type: ObjectType::SYMMETRIC_KEY,
        template: TemplateAttribute {
            template_names: Vec::new(),
            attributes: Attributes(vec![
                Attribute::new("Cryptographic Algorithm", Value::Enumeration(3)),
                Attribute::new("Cryptographic Length", Value::Integer(256)),
                Attribute::new("x-test", Value::TextString(tag.to_owned())),
            ]),
        },
        protection_storage_masks: None,
    })
}

fn created_uid(payload: Option<ResponsePayload>) -> String {
    match payload {
        Some(ResponsePayload::Create(r)) => match r.unique_identifier {
            UniqueIdentifier::Text(t) => t,
            other => panic!("{other:?}"),
        },
        other => panic!("not a Create response: {other:?}"),
    }
}

/// The kinds of the attempts and the servers they went to.
fn trail(attempts: &[raftkeep_client::Attempt]) -> Vec<(String, &'static str)> {
    attempts
        .iter()
        .map(|a| (a.server.address.clone(), a.outcome.label()))
        .collect()
}

fn tagged(c: &Cluster, client: &Client, tag: &str) -> Vec<String> {
    c.block_on(client.locate(
        vec![Attribute::new("x-test", Value::TextString(tag.to_owned()))],
        None,
    ))
    .unwrap()
}

#[test]
fn a_killed_first_server_is_left_at_once_for_the_next() {
    let (mut c, leader, _) = Cluster::serving_kmip(3);
    let first = (0..3).find(|i| *i != leader).unwrap();
    let rest: Vec<usize> = (0..3).filter(|i| *i != first).collect();
    let mut servers = vec![c.nodes[first].kmip_addr.clone()];
    servers.extend(rest.iter().map(|i| c.nodes[*i].kmip_addr.clone()));
    c.kill(first);
    // A 600 s service timeout: the test would time out had the down server been waited for.
    let client = c.client("client", &servers, None, 600);
    let answer = c
        .block_on(client.call(Operation::CREATE, create_payload("down")))
        .unwrap();
    assert_eq!(
        trail(&answer.attempts),
        vec![
            (servers[0].clone(), "down"),
            (servers[1].clone(), "answered")
        ]
    );
    assert!(
        matches!(&answer.attempts[0].outcome, Outcome::Down(why) if why.contains("refused")),
        "{:?}",
        answer.attempts[0]
    );
    let uid = created_uid(answer.payload);
    let got = c.block_on(client.get(&uid)).unwrap();
    assert_eq!(got.object_type, ObjectType::SYMMETRIC_KEY);
}

#[test]
fn a_paused_first_server_costs_the_service_timeout_then_the_next_answers() {
    let (c, leader, follower) = Cluster::serving_kmip(3);
    let other = (0..3).find(|i| *i != leader && *i != follower).unwrap();
    let servers = vec![
        c.nodes[follower].kmip_addr.clone(),
        c.nodes[leader].kmip_addr.clone(),
        c.nodes[other].kmip_addr.clone(),
    ];
    let client = c.client("client", &servers, None, 2);
    let uid = c.create_key(&client);
    c.pause(follower);
    let got = c.block_on(client.call(
        Operation::GET,
        kmip_messages::RequestPayload::Get(kmip_messages::payload::get::GetRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.clone())),
            key_format_type: None,
            key_wrap_type: None,
            key_compression_type: None,
            key_wrapping_specification: None,
        }),
    ));
    c.resume(follower);
    let answer = got.unwrap();
    assert_eq!(
        trail(&answer.attempts),
        vec![
            (servers[0].clone(), "hung"),
            (servers[1].clone(), "answered")
        ]
    );
    assert_eq!(
        answer.attempts[0].outcome,
        Outcome::Hung(std::time::Duration::from_secs(2))
    );
    assert_eq!(
        c.block_on(client.get(&uid)).unwrap().unique_identifier,
        UniqueIdentifier::Text(uid)
    );
}

#[test]
fn a_client_at_site_two_tries_d_e_f_before_a_b_c() {
    let (c, _, _) = Cluster::serving_kmip(3);
    let live: Vec<String> = c.nodes.iter().map(|n| n.kmip_addr.clone()).collect();
    let dead: Vec<String> = (0..3).map(|_| dead_address()).collect();

    // Site 1 is A,B,C (the cluster), site 2 is D,E,F (down).
    let mut list: Vec<String> = live.iter().map(|a| format!("{a}@1")).collect();
    list.extend(dead.iter().map(|a| format!("{a}@2")));
    let at_site_2 = c.client("client", &list, Some("2"), 600);
    let answer = c
        .block_on(at_site_2.call(Operation::CREATE, create_payload("site2")))
        .unwrap();
    let expected: Vec<(String, &str)> = dead
        .iter()
        .map(|d| (d.clone(), "down"))
        .chain([(live[0].clone(), "answered")])
        .collect();
    assert_eq!(trail(&answer.attempts), expected);

    // The same list from site 1: A answers first.
    let at_site_1 = c.client("client", &list, Some("1"), 600);
    let answer = c
        .block_on(at_site_1.call(Operation::CREATE, create_payload("site1")))
        .unwrap();
    assert_eq!(trail(&answer.attempts), vec![(live[0].clone(), "answered")]);

    // Sites the other way round: site 2's servers are the live ones and come first.
    let mut list: Vec<String> = dead.iter().map(|a| format!("{a}@1")).collect();
    list.extend(live.iter().map(|a| format!("{a}@2")));
    let at_site_2 = c.client("client", &list, Some("2"), 600);
    let answer = c
        .block_on(at_site_2.call(Operation::CREATE, create_payload("site2-first")))
        .unwrap();
    assert_eq!(trail(&answer.attempts), vec![(live[0].clone(), "answered")]);
}

#[test]
fn a_node_without_quorum_sends_the_client_to_the_next_server() {
    let (mut c, _, _) = Cluster::serving_kmip(3);
    c.kill(1);
    c.kill(2);
    let alone = c.nodes[0].kmip_addr.clone();
    let client = c.client("client", &[alone.clone(), dead_address()], None, 600);
    let err = c
        .block_on(client.call(Operation::CREATE, create_payload("no-quorum")))
        .unwrap_err();
    let ClientError::NoServer { attempts } = &err else {
        panic!("expected NoServer, got {err}");
    };
    assert_eq!(attempts[0].server.address, alone);
    assert!(
        matches!(&attempts[0].outcome, Outcome::Unavailable(_)),
        "{:?}",
        attempts[0]
    );
    assert_eq!(attempts[1].outcome.label(), "down");
    // Reads are served from the node's own copy meanwhile (reads_without_quorum, on by
    // default; tests/reads_without_quorum.rs), and the answer says so.
    let version = c.block_on(client.version()).unwrap();
    let locate = client.request(
        version,
        Operation::LOCATE,
        RequestPayload::Locate(Default::default()),
    );
    let exchange = c.block_on(client.send(locate)).unwrap();
    assert_eq!(exchange.server.address, alone);
    assert!(exchange.stale(), "{:?}", exchange.response);
}

#[test]
fn the_same_create_sent_again_after_the_leader_died_makes_one_key() {
    let (mut c, leader, follower) = Cluster::serving_kmip(3);
    let to_leader = c.client("client", &[c.nodes[leader].kmip_addr.clone()], None, 600);
    let version = c.block_on(to_leader.version()).unwrap();
    let request = to_leader.request(version, Operation::CREATE, create_payload("resent"));
    let first = c.block_on(to_leader.send(request.clone())).unwrap();
    let first_uid = created_uid(first.response.batch_items[0].payload.clone());

    c.kill(leader);
    let survivors: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    c.wait_leader(&survivors);
    let to_follower = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 600);
    let again = c.block_on(to_follower.send(request)).unwrap();
    let item = &again.response.batch_items[0];
    assert_eq!(
        item.result_status,
        kmip_ttlv::enums::ResultStatus::SUCCESS,
        "{item:?}"
    );
    assert_eq!(created_uid(item.payload.clone()), first_uid);
    assert_eq!(tagged(&c, &to_follower, "resent"), vec![first_uid]);

    // A new request (new key) makes a new key.
    c.block_on(to_follower.call(Operation::CREATE, create_payload("resent")))
        .unwrap();
    assert_eq!(tagged(&c, &to_follower, "resent").len(), 2);
}

#[test]
fn a_create_left_with_a_paused_leader_is_carried_out_once() {
    let (c, leader, _) = Cluster::serving_kmip(3);
    let mut servers = vec![c.nodes[leader].kmip_addr.clone()];
    servers.extend(
        (0..3)
            .filter(|i| *i != leader)
            .map(|i| c.nodes[i].kmip_addr.clone()),
    );
    // Longer than an election: the next server knows the new leader.
    let client = c.client("client", &servers, None, 4);
    c.block_on(client.version()).unwrap();
    c.pause(leader);
    // The request waits unread in the paused leader's socket; after the service timeout the
    // client sends it (same idempotency key) to a follower, which commits it once a new
    // leader is elected.
    let answer = c.block_on(client.call(Operation::CREATE, create_payload("paused")));
    c.resume(leader);
    let answer = answer.unwrap();
    assert_eq!(answer.attempts[0].outcome.label(), "hung");
    assert_eq!(answer.attempts.last().unwrap().outcome.label(), "answered");
    let uid = created_uid(answer.payload);

    // The old leader, resumed, reads the request it held and carries it out too: the
    // cluster recognizes the idempotency key and answers with the key made before. (On a
    // loaded machine the resumed node may still believe it leads when its write bound runs
    // out; it then answers with a failure — also no second key.)
    let audit = c.nodes[leader].data_dir.join("audit.jsonl");
    let held = wait_for("the resumed node to answer the Create it held", || {
        let log = std::fs::read_to_string(&audit).ok()?;
        log.lines()
            .find(|l| l.contains("\"operation\":\"Create\""))
            .map(str::to_owned)
    });
    let held: serde_json::Value = serde_json::from_str(&held).unwrap();
    if held["status"] == "Success" {
        assert_eq!(held["uids"], serde_json::json!([uid]), "{held}");
    }
    let reader = c.client("client", &servers[1..], None, 600);
    assert_eq!(tagged(&c, &reader, "paused"), vec![uid]);
}

#[test]
fn the_cli_sends_the_username_and_the_password_from_the_named_variable() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut c = Cluster::new(3);
    let mut hasher = Command::new(support::BIN)
        .args(["kmip", "hash-password"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    hasher.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let hash = String::from_utf8(hasher.wait_with_output().unwrap().stdout).unwrap();
    for n in &c.nodes {
        let mut config = std::fs::read_to_string(&n.config).unwrap();
        config.push_str(&format!(
            "\n[[kmip.users]]\nusername = \"backup\"\npassword_hash = \"{}\"\n",
            hash.trim()
        ));
        std::fs::write(&n.config, config).unwrap();
    }
    for i in 0..3 {
        c.start(i);
    }
    c.init_all();
    let leader = c.wait_leader(&[0, 1, 2]);
    c.allow(leader, "client");
    let keys = |password: &str| {
        Command::new(support::BIN)
            .args([
                "keys",
                "--servers",
                &c.nodes[0].kmip_addr,
                "--ca",
                &c.pki("ca.pem"),
            ])
            .args([
                "--cert",
                &c.pki("client.pem"),
                "--key",
                &c.pki("client.key"),
            ])
            .args([
                "--username",
                "backup",
                "--password-env",
                "BACKUP_KMS_PASSWORD",
            ])
            .args(["create", "--json"])
            .env("BACKUP_KMS_PASSWORD", password)
            .output()
            .unwrap()
    };
    let good = keys("s3cret");
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let bad = keys("guess");
    assert_eq!(bad.status.code(), Some(3));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("AuthenticationNotSuccessful"), "{said}");
    assert!(
        !said.contains("guess"),
        "the password appeared in an error: {said}"
    );
}
