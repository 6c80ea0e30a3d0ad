//! vCenter-like clients on our failover client: Create → Get → Get Attributes (State) →
//! Activate → a batch of three Add Attribute items, with Gets and State reads of older keys,
//! Revokes and Destroys mixed in. Every operation is recorded with its start, end and outcome
//! (reads: what they saw, and whether the server marked them stale), and every key with what
//! the cluster acknowledged about it and when, for the checkers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kmip_messages::payload::add_attribute::AddAttributeRequest;
use kmip_messages::payload::get::GetResponse;
use kmip_messages::{
    Attribute, AttributeName, Attributes, RequestPayload, RevocationReason, UniqueIdentifier,
};
use kmip_ttlv::Value;
use kmip_ttlv::enums::{CryptographicAlgorithm, Operation, RevocationReasonCode};
use raftkeep_client::{Client, ClientError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Create,
    Get,
    GetState,
    Activate,
    AddAttribute,
    GetOld,
    /// Get Attributes (State) of an older key of this client's.
    StateOld,
    Revoke,
    Destroy,
}

impl Kind {
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Kind::Create | Kind::Activate | Kind::AddAttribute | Kind::Revoke | Kind::Destroy
        )
    }
}

/// How an operation ended, as the client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The server refused it: it did not happen.
    Failed(String),
    /// No server answered in time: it may or may not have happened.
    Unknown(String),
}

#[derive(Debug, Clone)]
pub struct Op {
    pub kind: Kind,
    pub uid: Option<String>,
    pub start: Instant,
    pub end: Instant,
    pub outcome: Outcome,
    /// For a State read: the State it returned.
    pub state: Option<u32>,
    /// The server marked the answer as read from a copy no leader confirmed.
    pub stale: bool,
}

/// What the cluster acknowledged about one key it acknowledged creating.
#[derive(Debug, Clone, Default)]
pub struct Key {
    /// The x-chaos attribute given at Create.
    pub tag: String,
    /// The first Get answered: later Gets must return the same object.
    pub first_get: Option<GetResponse>,
    pub activated: bool,
    /// When the Activate was acknowledged.
    pub activated_at: Option<Instant>,
    /// The value of the attributes of the Add Attribute batch, once it was acknowledged.
    pub note: Option<String>,
    /// Revoke: acknowledged, or tried with an unknown outcome.
    pub revoked: Option<Outcome>,
    /// When the Revoke was acknowledged.
    pub revoked_at: Option<Instant>,
    /// Destroy acknowledged at, or tried with an unknown outcome.
    pub destroyed_at: Option<Instant>,
    pub destroy_unknown: bool,
}

#[derive(Debug, Default)]
pub struct History {
    pub ops: Vec<Op>,
    pub keys: BTreeMap<String, Key>,
}

fn outcome<T>(result: &Result<T, ClientError>) -> Outcome {
    let described = |e: &ClientError| {
        let attempts: Vec<String> = e
            .attempts()
            .iter()
            .map(|a| format!("{}: {}", a.server, a.outcome))
            .collect();
        format!("{e} [attempts: {}]", attempts.join("; "))
    };
    match result {
        Ok(_) => Outcome::Ok,
        Err(e @ ClientError::Kmip { .. }) => Outcome::Failed(described(e)),
        Err(e) => Outcome::Unknown(described(e)),
    }
}

/// One client's loop, until `deadline` or `max_ops` operations.
pub async fn run_client(
    id: usize,
    client: Client,
    deadline: Instant,
    max_ops: usize,
    seed: u64,
    history: Arc<Mutex<History>>,
) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut mine: Vec<String> = Vec::new();
    // Revoked and destroyed (or tried): Gets of them must not return them once destroyed.
    let mut retired: Vec<String> = Vec::new();
    let mut n = 0_usize;
    let record_read = |kind, uid: Option<&str>, start, outcome, stale| {
        let mut h = history.lock().unwrap();
        h.ops.push(Op {
            kind,
            uid: uid.map(str::to_owned),
            start,
            end: Instant::now(),
            outcome,
            state: None,
            stale,
        });
        h.ops.len()
    };
    let record =
        |kind, uid: Option<&str>, start, outcome| record_read(kind, uid, start, outcome, false);
    while Instant::now() < deadline && n < max_ops {
        n += 1;
        let tag = format!("c{id}-{n}");
        let start = Instant::now();
        let created = client
            .create_symmetric_key(
                CryptographicAlgorithm::AES,
                256,
                vec![text_attribute("x-chaos", &tag)],
            )
            .await;
        record(
            Kind::Create,
            created.as_deref().ok(),
            start,
            outcome(&created),
        );
        let Ok(uid) = created else {
            continue;
        };
        history.lock().unwrap().keys.insert(
            uid.clone(),
            Key {
                tag: tag.clone(),
                ..Key::default()
            },
        );

        let start = Instant::now();
        let got = get_marked(&client, &uid).await;
        let stale = got.as_ref().is_ok_and(|(_, s)| *s);
        record_read(Kind::Get, Some(&uid), start, outcome(&got), stale);
        if let Ok((got, _)) = got {
            let mut h = history.lock().unwrap();
            if let Some(k) = h.keys.get_mut(&uid) {
                k.first_get.get_or_insert(got);
            }
        }

        let start = Instant::now();
        let state = client
            .get_attributes(&uid, vec![AttributeName::new("State")])
            .await;
        record(Kind::GetState, Some(&uid), start, outcome(&state));

        let start = Instant::now();
        let activated = client.activate(&uid).await;
        record(Kind::Activate, Some(&uid), start, outcome(&activated));
        if activated.is_ok() {
            let at = Instant::now();
            update(&history, &uid, |k| {
                k.activated = true;
                k.activated_at = Some(at);
            });
        }

        let start = Instant::now();
        let added = add_attributes(&client, &uid, &tag).await;
        record(Kind::AddAttribute, Some(&uid), start, outcome(&added));
        if added.is_ok() {
            update(&history, &uid, |k| k.note = Some(tag.clone()));
        }

        if !mine.is_empty() && rng.u8(..3) == 0 {
            let old = mine[rng.usize(..mine.len())].clone();
            let start = Instant::now();
            let got = get_marked(&client, &old).await;
            let stale = got.as_ref().is_ok_and(|(_, s)| *s);
            record_read(Kind::GetOld, Some(&old), start, outcome(&got), stale);
        }
        if !retired.is_empty() && rng.u8(..3) == 0 {
            let old = retired[rng.usize(..retired.len())].clone();
            let start = Instant::now();
            let got = get_marked(&client, &old).await;
            let stale = got.as_ref().is_ok_and(|(_, s)| *s);
            record_read(Kind::GetOld, Some(&old), start, outcome(&got), stale);
        }
        // The State of an older key, Active or retired: the read checker compares it with
        // what was acknowledged before the read began.
        let known: Vec<&String> = mine.iter().chain(&retired).collect();
        if !known.is_empty() {
            let old = known[rng.usize(..known.len())].clone();
            let start = Instant::now();
            let read = read_state(&client, &old).await;
            let mut h = history.lock().unwrap();
            h.ops.push(Op {
                kind: Kind::StateOld,
                uid: Some(old),
                start,
                end: Instant::now(),
                outcome: outcome(&read),
                state: read.as_ref().ok().and_then(|(s, _)| *s),
                stale: read.as_ref().is_ok_and(|(_, stale)| *stale),
            });
        }
        if mine.len() > 3 && rng.u8(..5) == 0 {
            let victim = mine.swap_remove(rng.usize(..mine.len()));
            retire(&client, &victim, &history, &record).await;
            retired.push(victim);
        }
        mine.push(uid);
    }
}

/// Revoke, then Destroy.
async fn retire(
    client: &Client,
    uid: &str,
    history: &Arc<Mutex<History>>,
    record: &impl Fn(Kind, Option<&str>, Instant, Outcome) -> usize,
) {
    let start = Instant::now();
    let reason = RevocationReason {
        code: RevocationReasonCode::CESSATION_OF_OPERATION,
        message: None,
    };
    let revoked = client.revoke(uid, reason).await;
    let o = outcome(&revoked);
    record(Kind::Revoke, Some(uid), start, o.clone());
    let at = Instant::now();
    update(history, uid, |k| {
        k.revoked = Some(o.clone());
        k.revoked_at = (o == Outcome::Ok).then_some(at);
    });
    // Destroy needs the key revoked; after an unknown outcome it may not be.
    if o != Outcome::Ok {
        return;
    }
    let start = Instant::now();
    let destroyed = client.destroy(uid).await;
    let o = outcome(&destroyed);
    record(Kind::Destroy, Some(uid), start, o.clone());
    let at = Instant::now();
    update(history, uid, |k| match o {
        Outcome::Ok => k.destroyed_at = Some(at),
        Outcome::Unknown(_) => k.destroy_unknown = true,
        Outcome::Failed(_) => {}
    });
}

fn update(history: &Arc<Mutex<History>>, uid: &str, f: impl FnOnce(&mut Key)) {
    if let Some(k) = history.lock().unwrap().keys.get_mut(uid) {
        f(k);
    }
}

pub fn text_attribute(name: &str, value: &str) -> Attribute {
    Attribute::new(name, Value::TextString(value.to_owned()))
}

/// The names vCenter-like clients add in one batch of three Add Attribute items.
pub const BATCH_ATTRIBUTES: [&str; 3] = ["x-chaos-note", "x-chaos-vendor", "x-chaos-product"];

/// One request of three Add Attribute items, as vCenter sends x-Vendor, x-Product and
/// x-Product_Version; every item must succeed.
async fn add_attributes(client: &Client, uid: &str, value: &str) -> Result<(), ClientError> {
    let item = |name: &str| {
        RequestPayload::AddAttribute(AddAttributeRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            attribute: text_attribute(name, value),
        })
    };
    let version = client.version().await?;
    let [first, rest @ ..] = BATCH_ATTRIBUTES;
    let mut request = client.request(version, Operation::ADD_ATTRIBUTE, item(first));
    for name in rest {
        let mut extra = request.batch_items[0].clone();
        extra.payload = item(name);
        request.batch_items.push(extra);
    }
    request.header.batch_count = request.batch_items.len() as i32;
    let exchange = client.send(request).await?;
    let items = &exchange.response.batch_items;
    let failed = items
        .iter()
        .find(|i| i.result_status != kmip_ttlv::enums::ResultStatus::SUCCESS);
    if failed.is_none() && items.len() == BATCH_ATTRIBUTES.len() {
        return Ok(());
    }
    Err(ClientError::Kmip {
        operation: Operation::ADD_ATTRIBUTE,
        server: exchange.server.to_string(),
        reason: failed
            .and_then(|i| i.result_reason)
            .unwrap_or(kmip_ttlv::enums::ResultReason::GENERAL_FAILURE),
        message: failed
            .and_then(|i| i.result_message.clone())
            .unwrap_or_else(|| "not every item answered".to_owned()),
        attempts: exchange.attempts.clone(),
    })
}

/// `uid`'s object as one Get returns it, and whether the answer was marked stale.
async fn get_marked(client: &Client, uid: &str) -> Result<(GetResponse, bool), ClientError> {
    let payload = RequestPayload::Get(kmip_messages::payload::get::GetRequest {
        unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
        ..Default::default()
    });
    let answer = client.call(Operation::GET, payload).await?;
    match answer.payload {
        Some(kmip_messages::ResponsePayload::Get(r)) => Ok((r, answer.stale)),
        _ => Err(ClientError::Kmip {
            operation: Operation::GET,
            server: answer.server.to_string(),
            reason: kmip_ttlv::enums::ResultReason::GENERAL_FAILURE,
            message: "no Get payload".to_owned(),
            attempts: answer.attempts,
        }),
    }
}

/// The State of `uid` as one Get Attributes reads it, and whether the answer was marked stale.
async fn read_state(client: &Client, uid: &str) -> Result<(Option<u32>, bool), ClientError> {
    let payload = RequestPayload::GetAttributes(
        kmip_messages::payload::get_attributes::GetAttributesRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            names: vec![AttributeName::new("State")],
        },
    );
    let answer = client.call(Operation::GET_ATTRIBUTES, payload).await?;
    let state = match answer.payload {
        Some(kmip_messages::ResponsePayload::GetAttributes(r)) => state_of(&r.attributes),
        _ => None,
    };
    Ok((state, answer.stale))
}

/// The text value of an attribute as Get Attributes returned it.
pub fn text_of(attributes: &Attributes, name: &str) -> Option<String> {
    attributes.0.iter().find_map(|a| match &a.value {
        Value::TextString(t) if a.name.as_str() == name => Some(t.clone()),
        _ => None,
    })
}

/// The State attribute as Get Attributes returned it.
pub fn state_of(attributes: &Attributes) -> Option<u32> {
    attributes.0.iter().find_map(|a| match &a.value {
        Value::Enumeration(e) if a.name.as_str() == "State" => Some(*e),
        _ => None,
    })
}
