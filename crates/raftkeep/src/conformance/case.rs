//! Running one OASIS test-case file: its request and response messages alternate; each
//! request, its placeholders bound, goes to the server, and the response must match the
//! expected one.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use kmip_messages::ProtocolVersion;
use kmip_ttlv::{Limits, Tag, Ttlv, Value};

use super::compare::{self, Memory};
use super::document::Exchange;
use crate::kmip_conn::{KmipConnection, Resolved, Transport};
use kmip_text::Encoding;

/// How one file went.
#[derive(Debug)]
pub enum Outcome {
    /// Every response matched.
    Pass {
        /// Request/response pairs run.
        exchanges: usize,
    },
    /// The first failure.
    Fail(String),
    /// `--as-version` only: every response so far was in the version asked for, and one
    /// differed from the case (written for another version), which ends the conversation.
    Stopped {
        /// Request/response pairs in the file.
        exchanges: usize,
        /// Pairs run, the one that differed included.
        ran: usize,
        /// The difference.
        why: String,
    },
}

fn operations(message: &Ttlv) -> String {
    let ops: Vec<String> = message
        .items()
        .unwrap_or_default()
        .iter()
        .filter(|i| i.tag == Tag::BATCH_ITEM)
        .filter_map(|i| match i.child(Tag::OPERATION).map(|o| &o.value) {
            Some(kmip_ttlv::Value::Enumeration(op)) => {
                Some(kmip_ttlv::enums::Operation(*op).to_string())
            }
            _ => None,
        })
        .collect();
    ops.join(",")
}

/// The protocol version in a message's header.
pub fn version_of(message: &Ttlv) -> Option<ProtocolVersion> {
    let header = message
        .items()?
        .iter()
        .find(|i| i.tag == Tag::REQUEST_HEADER || i.tag == Tag::RESPONSE_HEADER)?;
    let version = header.child(Tag::PROTOCOL_VERSION)?;
    let part = |tag| match version.child(tag).map(|v| &v.value) {
        Some(kmip_ttlv::Value::Integer(n)) => Some(*n),
        _ => None,
    };
    Some(ProtocolVersion::new(
        part(Tag::PROTOCOL_VERSION_MAJOR)?,
        part(Tag::PROTOCOL_VERSION_MINOR)?,
    ))
}

/// The reason and message of the first failed item of a response, for the report.
fn server_said(response: &Ttlv) -> String {
    let failed = response.items().unwrap_or_default().iter().find_map(|i| {
        let reason = match i.child(Tag::RESULT_REASON).map(|r| &r.value) {
            Some(kmip_ttlv::Value::Enumeration(r)) => kmip_ttlv::enums::ResultReason(*r),
            _ => return None,
        };
        let message = match i.child(Tag::RESULT_MESSAGE).map(|m| &m.value) {
            Some(kmip_ttlv::Value::TextString(m)) => m.as_str(),
            _ => "",
        };
        Some(format!(" (the server said {reason}: {message})"))
    });
    failed.unwrap_or_default()
}

/// How to run one file.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The server and the client's credentials.
    pub target: &'a Resolved,
    /// Other credentials for named speakers of a multi-client case (`--client`).
    pub clients: &'a HashMap<String, Resolved>,
    /// How the messages travel.
    pub transport: Transport,
    /// A failure shows the whole response the server sent (KMIP XML).
    pub verbose: bool,
    /// Every request sent in this version instead of its own, and the expected responses
    /// read as of this version (`--as-version`): the case then shows what the server answers
    /// a client of that version; a difference from the case stops it without failing it.
    pub as_version: Option<ProtocolVersion>,
}

/// What the server's responses named and answered, over every file run.
#[derive(Debug, Default)]
pub struct Seen {
    /// Object identifiers, for `--reset`.
    pub objects: BTreeSet<String>,
    /// The operations of the batch items answered.
    pub operations: BTreeSet<String>,
    /// Responses received.
    pub responses: usize,
}

impl Seen {
    fn record(&mut self, response: &Ttlv) {
        super::reset::identifiers(response, &mut self.objects);
        self.responses += 1;
        let answered = operations(response);
        self.operations.extend(
            answered
                .split(',')
                .filter(|o| !o.is_empty())
                .map(str::to_owned),
        );
    }
}

/// Sets the Protocol Version in a message's header.
fn set_version(message: &mut Ttlv, version: ProtocolVersion) {
    let Value::Structure(items) = &mut message.value else {
        return;
    };
    let header = items
        .iter_mut()
        .find(|i| i.tag == Tag::REQUEST_HEADER || i.tag == Tag::RESPONSE_HEADER);
    let Some(Value::Structure(fields)) = header.map(|h| &mut h.value) else {
        return;
    };
    for field in fields.iter_mut().filter(|f| f.tag == Tag::PROTOCOL_VERSION) {
        if let Value::Structure(parts) = &mut field.value {
            for part in parts.iter_mut() {
                if part.tag == Tag::PROTOCOL_VERSION_MAJOR {
                    part.value = Value::Integer(version.major);
                } else if part.tag == Tag::PROTOCOL_VERSION_MINOR {
                    part.value = Value::Integer(version.minor);
                }
            }
        }
    }
}

/// Runs one file's conversation on one connection, adding what the responses named and
/// answered to `seen`.
pub async fn run(text: &str, options: Options<'_>, seen: &mut Seen) -> Outcome {
    let exchanges = match super::document::exchanges(text) {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(format!("the file does not parse: {e}")),
    };
    // One connection per client of the conversation, opened when it first speaks.
    let mut connections: HashMap<String, KmipConnection> = HashMap::new();
    let mut memory = Memory::default();
    let count = exchanges.len();
    for (n, exchange) in exchanges.into_iter().enumerate() {
        let Exchange {
            client,
            mut request,
            response: mut expected,
        } = exchange;
        if let Some(v) = options.as_version {
            set_version(&mut request, v);
            set_version(&mut expected, v);
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let ops = operations(&request);
        if let Some(v) = options.as_version
            && let Err(untrue) = kmip_messages::untrue::check(&request, v)
        {
            return Outcome::Stopped {
                exchanges: count,
                ran: n,
                why: format!("request {n} ({ops}) is not one a KMIP {v} client sends: {untrue}"),
            };
        }
        let unbound = compare::bind_request(&mut request, &mut memory, now);
        if !unbound.is_empty() {
            return Outcome::Fail(format!(
                "request {n} ({ops}): no value for {} (an earlier response did not provide it)",
                unbound.join(", ")
            ));
        }
        memory.substitute(&mut request);
        compare::byte_strings(&request, &mut memory.sent);
        let exact = memory.computed(&request, &expected);
        let bytes = match kmip_ttlv::encode(&request) {
            Ok(b) => b,
            Err(e) => return Outcome::Fail(format!("request {n} ({ops}) does not encode: {e}")),
        };
        let target = options.clients.get(&client).unwrap_or(options.target);
        let conn = match connections.entry(client) {
            Entry::Occupied(c) => c.into_mut(),
            Entry::Vacant(slot) => match KmipConnection::connect(target, options.transport).await {
                Ok(c) => slot.insert(c),
                Err(e) => return Outcome::Fail(format!("{e:#}")),
            },
        };
        let answer = match conn.exchange(&bytes).await {
            Ok(a) => a,
            Err(e) => return Outcome::Fail(format!("request {n} ({ops}): {e:#}")),
        };
        let mut actual = match kmip_ttlv::decode_message(&answer, &Limits::default()) {
            Ok(a) => a,
            Err(e) => return Outcome::Fail(format!("response {n} ({ops}) does not decode: {e}")),
        };
        if let Some(version) = version_of(&request)
            && let Err(untrue) = kmip_messages::untrue::check(&actual, version)
        {
            return Outcome::Fail(format!(
                "response {n} ({ops}) is not in the request's version: {untrue}"
            ));
        }
        seen.record(&actual);
        compare::normalize(&mut expected, &mut actual);
        if let Err(d) = compare::compare(&expected, &actual, &mut memory, exact, now) {
            let said = server_said(&actual);
            if options.as_version.is_some() {
                return Outcome::Stopped {
                    exchanges: count,
                    ran: n + 1,
                    why: format!("response {n} ({ops}) differs {d}{said}"),
                };
            }
            let shown = if options.verbose {
                format!(
                    "\n--- the server's response:\n{}",
                    kmip_text::xml::to_xml(&actual)
                )
            } else {
                String::new()
            };
            return Outcome::Fail(format!("response {n} ({ops}) differs {d}{said}{shown}"));
        }
        memory.remember(&request, &actual);
    }
    Outcome::Pass { exchanges: count }
}

/// How a test-case file's messages travel: the message-encoding profiles' cases (MSGENC-HTTPS,
/// -XML, -JSON) over HTTPS in their encoding, every other case as framed TTLV.
pub fn transport_for(file_name: &str) -> Transport {
    if file_name.starts_with("MSGENC-HTTPS") {
        Transport::Https(Encoding::Ttlv)
    } else if file_name.starts_with("MSGENC-XML") {
        Transport::Https(Encoding::Xml)
    } else if file_name.starts_with("MSGENC-JSON") {
        Transport::Https(Encoding::Json)
    } else {
        Transport::Ttlv
    }
}
