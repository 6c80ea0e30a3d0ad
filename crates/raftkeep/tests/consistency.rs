//! The cluster's read/write model as clients that know nothing of Raftkeep see it, with real
//! node processes (docs/architecture.md, "Consistency"):
//!
//! - decisions that depend on other objects are made at apply time: two Creates of one Name
//!   racing through two nodes make one object;
//! - reads survive a leader's death: PyKMIP reading through a follower gets every read
//!   answered while the leader is SIGKILLed and the others elect a new one;
//! - a node that cannot serve a request because of the cluster never answers it (an answer,
//!   even a failure, is final for vCenter): vCenter's own Create to a node whose peers are
//!   gone finds the connection closed or refused.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Instant;

use kmip_messages::Attribute;
use kmip_ttlv::enums::{CryptographicAlgorithm, NameType, Operation, ResultReason};
use kmip_ttlv::{Tag, Ttlv, Value};
use raftkeep_client::ClientError;
use support::{Cluster, Contact, http_get, vcenter_request};

fn name(text: &str) -> Attribute {
    Attribute::new(
        "Name",
        Value::Structure(vec![
            Ttlv::text(Tag::NAME_VALUE, text),
            Ttlv::enumeration(Tag::NAME_TYPE, NameType::UNINTERPRETED_TEXT_STRING.0),
        ]),
    )
}

/// Rounds of the race: enough that the two requests overlap many times (each Create is one
/// commit through the leader, ~ms), bounded.
const RACES: usize = 40;

#[test]
fn creates_of_one_name_racing_through_two_nodes_make_one_object() {
    let (c, leader, _) = Cluster::serving_kmip(3);
    // The two followers: each checks its own copy, then forwards to the leader.
    let followers: Vec<usize> = (0..3).filter(|i| *i != leader).collect();
    let clients: Vec<raftkeep_client::Client> = followers
        .iter()
        .map(|&i| c.client("client", &[c.nodes[i].kmip_addr.clone()], None, 10))
        .collect();
    let (a, b) = (&clients[0], &clients[1]);
    let leader_client = c.client("client", &[c.nodes[leader].kmip_addr.clone()], None, 10);
    let mut refusals = 0;
    for round in 0..RACES {
        let wanted = format!("raced-{round}");
        let (ra, rb) = c.block_on(async {
            tokio::join!(
                a.create_symmetric_key(CryptographicAlgorithm::AES, 256, vec![name(&wanted)]),
                b.create_symmetric_key(CryptographicAlgorithm::AES, 256, vec![name(&wanted)]),
            )
        });
        let made: Vec<&String> = [&ra, &rb]
            .into_iter()
            .filter_map(|r| r.as_ref().ok())
            .collect();
        assert_eq!(made.len(), 1, "round {round}: {ra:?} / {rb:?}");
        for r in [&ra, &rb] {
            if let Err(e) = r {
                assert!(
                    matches!(e, ClientError::Kmip { reason, .. }
                        if *reason == ResultReason::NON_UNIQUE_NAME_ATTRIBUTE),
                    "round {round}: {e}"
                );
                refusals += 1;
            }
        }
        // Through the leader's copy too: one object holds the name.
        let found = c
            .block_on(leader_client.locate(vec![name(&wanted)], None))
            .unwrap();
        assert_eq!(found, vec![made[0].clone()], "round {round}");
    }
    assert_eq!(refusals, RACES);
}

#[test]
fn vcenters_create_to_a_node_whose_peers_are_gone_is_never_answered() {
    let (mut c, leader, follower) = Cluster::serving_kmip(3);
    let create = vcenter_request(Operation::CREATE);
    // Answered while the cluster is whole (vCenter's request is a KMIP 1.1 Create).
    let Contact::Answered(_) = c.block_on(c.kmip_try(follower, "client", &create)) else {
        panic!("a healthy node did not answer vCenter's Create");
    };
    for i in (0..3).filter(|i| *i != follower) {
        c.kill(i);
    }
    let _ = leader;
    // At once (the node may think an election is under way and wait for a leader, within
    // the write bound), then once it knows it is cut off (refused at once).
    let mut seen = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let contact = c.block_on(c.kmip_try(follower, "client", &create));
        eprintln!(
            "vCenter's Create to the cut-off node: {} after {} ms",
            match &contact {
                Contact::Answered(_) => "answered",
                Contact::Closed => "connection closed unanswered",
                Contact::Refused => "connection refused",
            },
            started.elapsed().as_millis()
        );
        assert_ne!(
            std::mem::discriminant(&contact),
            std::mem::discriminant(&Contact::Answered(Vec::new())),
            "an answer is final for vCenter: it would not try its next server"
        );
        seen.push(contact);
        support::wait_for("the node to see it is cut off", || {
            let (_, body) = http_get(&c.nodes[follower].monitoring_addr, "/readyz")?;
            body.contains("\"reason\":\"cut off").then_some(())
        });
    }
    let (_, metrics) = http_get(&c.nodes[follower].monitoring_addr, "/metrics").unwrap();
    let closed: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("raftkeep_kmip_closed_unavailable_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let expected = seen.iter().filter(|s| **s == Contact::Closed).count() as u64;
    assert_eq!(closed, expected, "{metrics}");
}

/// How long PyKMIP reads, and how often.
const READ_FOR_SECS: u64 = 8;
const READ_EVERY_MS: u64 = 100;

#[test]
fn pykmip_reading_through_a_follower_gets_every_read_answered_while_the_leader_is_killed() {
    let python = support::pykmip_python();
    let (mut c, leader, follower) = Cluster::serving_kmip(3);
    let ours = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&ours);
    c.block_on(ours.activate(&uid)).unwrap();

    let home = tempfile::tempdir().unwrap();
    let (host, port) = c.nodes[follower].kmip_addr.rsplit_once(':').unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/pykmip/read_loop.py"
    );
    let mut reader = Command::new(&python)
        .arg(script)
        .args([host, port, &c.pki("ca.pem"), &c.pki("client.pem")])
        .args([&c.pki("client.key"), &uid])
        .args([
            READ_FOR_SECS.to_string(),
            (READ_EVERY_MS as f64 / 1000.0).to_string(),
        ])
        // PyKMIP reads ~/.pykmip/pykmip.conf: none here.
        .env("HOME", home.path())
        .env("PYTHONWARNINGS", "ignore")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(reader.stdout.take().unwrap()).lines();
    let mut reads = Vec::new();
    let mut killed_at = None;
    for line in lines {
        let line: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        // A second of reads with the leader alive, then the kill.
        if killed_at.is_none() && line["t"].as_f64().unwrap() >= 1.0 {
            c.kill(leader);
            killed_at = line["t"].as_f64();
        }
        reads.push(line);
    }
    let status = reader.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut reader.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{stderr}");
    let killed_at = killed_at.expect("the reader ran for a second");
    let failed: Vec<&serde_json::Value> = reads.iter().filter(|r| r["ok"] != true).collect();
    let after = reads
        .iter()
        .filter(|r| r["t"].as_f64().unwrap() > killed_at)
        .count();
    let slowest = reads
        .iter()
        .filter_map(|r| r["ms"].as_f64())
        .fold(0.0_f64, f64::max);
    let (_, metrics) = http_get(&c.nodes[follower].monitoring_addr, "/metrics").unwrap();
    let stale = metrics
        .lines()
        .find_map(|l| l.strip_prefix("raftkeep_kmip_stale_reads_total "))
        .unwrap_or("0")
        .trim()
        .to_owned();
    eprintln!(
        "PyKMIP: {} reads, {after} after the leader was killed at {killed_at} s, {} failed, \
         {stale} served from the follower's own copy during the election, slowest {slowest} ms",
        reads.len(),
        failed.len()
    );
    assert!(
        after as u64 >= (READ_FOR_SECS - 3) * 1000 / READ_EVERY_MS / 2,
        "too few reads after the kill to say anything: {after}"
    );
    assert!(failed.is_empty(), "reads not answered: {failed:?}");
    // The election is over: the follower serves current reads again.
    let _ = c.wait_leader(&(0..3).filter(|i| *i != leader).collect::<Vec<_>>());
    let got = c.block_on(ours.call(
        Operation::GET,
        kmip_messages::RequestPayload::Get(kmip_messages::payload::get::GetRequest {
            unique_identifier: Some(kmip_messages::UniqueIdentifier::Text(uid.clone())),
            ..Default::default()
        }),
    ));
    assert!(
        !got.unwrap().stale,
        "a read after the election was served stale"
    );
}
