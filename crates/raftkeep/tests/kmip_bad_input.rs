//! Hundreds of mutated KMIP requests — every request of the OASIS test cases, bytes flipped,
//! item types and lengths changed, inside well-framed messages — sent to a node of a real
//! 3-node cluster, through the whole engine and store. Each gets an answer or a closed
//! connection; afterwards every node still answers and the replicas agree.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::time::Duration;

use kmip_messages::{Message, ResponseMessage};
use kmip_text::placeholders;
use kmip_ttlv::{ItemType, Limits, Placeholder, Tag, Value};
use support::Cluster;

/// How many mutated messages are sent.
const MUTATIONS: usize = 400;

/// A value for a test-case placeholder, good enough to encode the message.
fn stand_in(p: &Placeholder) -> Option<Value> {
    Some(match p.item_type {
        ItemType::TEXT_STRING => Value::TextString("no-such-object".to_owned()),
        ItemType::BYTE_STRING => Value::ByteString(vec![7; 16].into()),
        ItemType::DATE_TIME => Value::DateTime(1_800_000_000),
        ItemType::INTEGER => Value::Integer(1),
        _ => return None,
    })
}

/// The encoded requests of every OASIS test case.
fn requests() -> Vec<Vec<u8>> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/kmip-testcases"
    );
    let mut out = Vec::new();
    for version in ["1.4", "2.1"] {
        let mut files: Vec<_> = std::fs::read_dir(format!("{dir}/{version}/mandatory"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for mut m in kmip_text::xml::from_xml_test_case(&text).unwrap() {
                if m.tag != Tag::REQUEST_MESSAGE {
                    continue;
                }
                placeholders::bind(&mut m, &mut stand_in);
                if let Ok(bytes) = kmip_ttlv::encode(&m) {
                    out.push(bytes);
                }
            }
        }
    }
    out
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One mutation inside the body; the 8-byte header keeps announcing the body's true length,
/// so the server always receives a whole frame (truncated and oversized frames are tested
/// at the listener).
fn mutate(message: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = message.to_vec();
    for _ in 0..=rng.below(3) {
        let at = 8 + rng.below(m.len() - 8);
        match rng.below(4) {
            0 => m[at] ^= 1 << rng.below(8),
            1 => m[at] = rng.next() as u8,
            // An item type byte or a length byte of some item.
            2 => m[at] = [0x01, 0x02, 0x05, 0x07, 0x08, 0x0a, 0xff][rng.below(7)],
            _ => m[at] = m[at].wrapping_add(8),
        }
    }
    m
}

#[test]
fn mutated_requests_never_stop_the_cluster() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let target = follower;
    let requests = requests();
    assert!(requests.len() > 200, "{}", requests.len());
    let mut rng = Rng(0x5eed_cafe_f00d_beef);
    let (mut answered, mut closed) = (0, 0);
    for n in 0..MUTATIONS {
        let original = &requests[rng.below(requests.len())];
        let bytes = mutate(original, &mut rng);
        let outcome = c.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(20),
                c.kmip_raw(target, "client", &bytes),
            )
            .await
        });
        match outcome {
            Ok(Some(response)) => {
                ResponseMessage::decode(&response, &Limits::default())
                    .unwrap_or_else(|e| panic!("mutation {n}: undecodable answer: {e}"));
                answered += 1;
            }
            Ok(None) => closed += 1,
            Err(_) => panic!(
                "mutation {n} ({}): no answer and no close within 20 s",
                hex::encode(&bytes)
            ),
        }
    }
    eprintln!("{MUTATIONS} mutated requests: {answered} answered, {closed} closed the connection");
    assert_eq!(answered + closed, MUTATIONS);
    assert!(answered > MUTATIONS / 2, "{answered}");
    // Every node still serves, and the replicas agree.
    for node in 0..3 {
        let discover = kmip_text::xml::from_xml(
            "<RequestMessage><RequestHeader><ProtocolVersion><ProtocolVersionMajor type=\"Integer\" value=\"1\"/><ProtocolVersionMinor type=\"Integer\" value=\"1\"/></ProtocolVersion><BatchCount type=\"Integer\" value=\"1\"/></RequestHeader><BatchItem><Operation type=\"Enumeration\" value=\"DiscoverVersions\"/><RequestPayload/></BatchItem></RequestMessage>",
            kmip_text::Mode::Message,
        )
        .unwrap();
        let response = c.block_on(c.kmip(node, "client", &kmip_ttlv::encode(&discover).unwrap()));
        assert_eq!(
            response.batch_items[0].result_status,
            kmip_ttlv::enums::ResultStatus::SUCCESS
        );
    }
    c.wait_converged(&[0, 1, 2]);
    // Every request is in the node's audit log, the undecodable ones too, and the chain holds.
    let log = c.nodes[target].data_dir.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().count() >= answered, "{}", text.lines().count());
    assert!(text.contains("InvalidMessage"));
    let out = std::process::Command::new(support::BIN)
        .args(["audit", "verify", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
