//! Comparing a server's response with a test case's expected response. The test cases write
//! `$NAME` placeholders where the server chooses the value; a placeholder seen for the first
//! time is bound to what the server sent (its type must match), and must equal that value
//! wherever it appears again. Result Message texts, response time stamps and dates the
//! server sets are compared by type (dates: within [`CLOCK_SLACK`] of the request's `$NOW`).
//! Attributes and attribute names are compared as sets: the server may send them in any
//! order.
//!
//! What a server chooses for itself and the test cases still spell out as the reference
//! server's values is compared by form, not value: byte strings the client never sent (key
//! material the server generated, random data, digests of generated keys, what is encrypted
//! with a generated key or under an IV the server picked) by length — and a later request
//! repeating such a value sends the server's own; the
//! Random Number Generator attribute by presence; what Query reports about the server
//! (operations, object types, vendor and server information) and the response header's
//! Server Correlation Value not at all — see [`normalize`].

use std::collections::{HashMap, HashSet};

use kmip_text::placeholders;
use kmip_ttlv::{Placeholder, Tag, Ttlv, Value};

/// Values bound to placeholders so far, by the placeholder's text.
pub type Bindings = HashMap<String, Value>;

/// What one conversation remembers from exchange to exchange.
#[derive(Debug, Default)]
pub struct Memory {
    /// Values bound to placeholders.
    pub bindings: Bindings,
    /// Every byte string the client sent (what it sent is not the server's choice).
    pub sent: HashSet<Vec<u8>>,
    /// Values the server chose that the test case spells out as the reference server's
    /// (compared by length): the test case's literal → this server's value, so a later
    /// request repeating the literal sends this server's value (a ciphertext made with a
    /// generated key, decrypted next).
    pub chosen: HashMap<Vec<u8>, Vec<u8>>,
    /// The latest value of each response payload field by folded name (`IVCounterNonce` → `IVCOUNTERNONCE`):
    /// some test cases use `$DATA_0`, `$IV_COUNTER_NONCE` or `$MAC_DATA` in a request where
    /// the response before spelled the value out instead of binding the placeholder.
    pub recent: HashMap<String, Value>,
    /// Symmetric keys the client registered in this conversation: what the server computes
    /// with them from the client's data (and IV) has one right answer. Generated keys,
    /// server-picked IVs and randomized schemes (RSA OAEP, PSS, ECDSA) have many.
    pub registered_symmetric: HashSet<String>,
}

/// A tag or placeholder name without case, separators or a trailing `_n` index.
fn folded(name: &str) -> String {
    let base = match name.rsplit_once('_') {
        Some((b, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => b,
        _ => name,
    };
    base.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Operations whose responses are computed from what the client sent, unless the key or IV
/// was the server's choice: compared exactly.
const COMPUTED: [kmip_ttlv::enums::Operation; 7] = [
    kmip_ttlv::enums::Operation::ENCRYPT,
    kmip_ttlv::enums::Operation::DECRYPT,
    kmip_ttlv::enums::Operation::MAC,
    kmip_ttlv::enums::Operation::MAC_VERIFY,
    kmip_ttlv::enums::Operation::HASH,
    kmip_ttlv::enums::Operation::SIGN,
    kmip_ttlv::enums::Operation::SIGNATURE_VERIFY,
];

fn batch_items(
    message: &Ttlv,
) -> impl Iterator<Item = (kmip_ttlv::enums::Operation, Option<&Ttlv>)> {
    message
        .items()
        .unwrap_or_default()
        .iter()
        .filter(|i| i.tag == Tag::BATCH_ITEM)
        .filter_map(|i| match i.child(Tag::OPERATION).map(|o| &o.value) {
            Some(Value::Enumeration(op)) => Some((
                kmip_ttlv::enums::Operation(*op),
                i.child(Tag::REQUEST_PAYLOAD)
                    .or_else(|| i.child(Tag::RESPONSE_PAYLOAD)),
            )),
            _ => None,
        })
}

impl Memory {
    /// Sends this server's values where a request repeats a literal the server chose.
    pub fn substitute(&self, request: &mut Ttlv) {
        if let Value::ByteString(b) = &request.value
            && let Some(ours) = self.chosen.get(b.as_slice())
        {
            request.value = Value::ByteString(kmip_ttlv::ByteString::new(ours.clone()));
        }
        if let Value::Structure(items) = &mut request.value {
            for i in items.iter_mut() {
                self.substitute(i);
            }
        }
    }

    /// True when every item of `request` computes its answer from what the client sent: a
    /// Hash, or a cryptographic operation with a symmetric key the client registered and no
    /// IV the server picked
    /// (`expected` returns one). Its byte strings must then equal the test case's.
    pub fn computed(&self, request: &Ttlv, expected: &Ttlv) -> bool {
        let server_iv = batch_items(expected)
            .any(|(_, p)| p.is_some_and(|p| p.child(Tag::IV_COUNTER_NONCE).is_some()));
        let mut items = batch_items(request).peekable();
        !server_iv
            && items.peek().is_some()
            && items.all(|(op, payload)| {
                let uid = payload
                    .and_then(|p| p.child(Tag::UNIQUE_IDENTIFIER))
                    .and_then(|u| match &u.value {
                        Value::TextString(s) => Some(s.as_str()),
                        _ => None,
                    });
                COMPUTED.contains(&op)
                    && (op == kmip_ttlv::enums::Operation::HASH
                        || uid.is_some_and(|u| self.registered_symmetric.contains(u)))
            })
    }

    /// Remembers what a matched exchange brought: the response's payload fields, and the
    /// symmetric keys the client registered.
    pub fn remember(&mut self, request: &Ttlv, response: &Ttlv) {
        let symmetric = Value::Enumeration(kmip_ttlv::enums::ObjectType::SYMMETRIC_KEY.0);
        let registered: Vec<bool> = batch_items(request)
            .map(|(op, p)| {
                op == kmip_ttlv::enums::Operation::REGISTER
                    && p.and_then(|p| p.child(Tag::OBJECT_TYPE))
                        .is_some_and(|t| t.value == symmetric)
            })
            .collect();
        for (n, (_, payload)) in batch_items(response).enumerate() {
            let Some(fields) = payload.and_then(Ttlv::items) else {
                continue;
            };
            for f in fields {
                if let Some(name) = f.tag.name() {
                    self.recent.insert(folded(name), f.value.clone());
                }
                if let (Some(true), Tag::UNIQUE_IDENTIFIER, Value::TextString(uid)) =
                    (registered.get(n), f.tag, &f.value)
                {
                    self.registered_symmetric.insert(uid.clone());
                }
            }
        }
    }
}

/// How far a server-set date may be from the `$NOW` it stands for, in seconds.
pub const CLOCK_SLACK: i64 = 120;

/// The first difference between expected and actual: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Tag path from the message root.
    pub path: String,
    /// What differs.
    pub what: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at {}: {}", self.path, self.what)
    }
}

/// Binds the placeholders of a request: `$NOW±n` to the clock, others to earlier bindings.
/// Returns the placeholders that stay unbound.
pub fn bind_request(request: &mut Ttlv, memory: &mut Memory, now: i64) -> Vec<String> {
    let mut unbound = Vec::new();
    placeholders::bind(request, &mut |p: &Placeholder| {
        if let Some(v) = memory.bindings.get(&p.text) {
            return Some(v.clone());
        }
        let (name, offset) = placeholders::parts(p);
        if name == "NOW" {
            let v = Value::DateTime(now + offset);
            memory.bindings.insert(p.text.clone(), v.clone());
            return Some(v);
        }
        // Named after a field of the last response that spelled its value out.
        if let Some(v) = memory.recent.get(&folded(name)) {
            memory.bindings.insert(p.text.clone(), v.clone());
            return Some(v.clone());
        }
        unbound.push(p.text.clone());
        None
    });
    unbound
}

/// Every byte string in a message (the requests' ones tell client data from server choices).
pub fn byte_strings(item: &Ttlv, out: &mut HashSet<Vec<u8>>) {
    item.walk(&mut |i| {
        if let Value::ByteString(b) = &i.value {
            out.insert(b.as_slice().to_vec());
        }
    });
}

/// Query's answers describe the server that gave them.
const SERVER_INFORMATION: [Tag; 14] = [
    Tag::OPERATION,
    Tag::OBJECT_TYPE,
    Tag::VENDOR_IDENTIFICATION,
    Tag::SERVER_INFORMATION,
    Tag::APPLICATION_NAMESPACE,
    Tag::EXTENSION_INFORMATION,
    Tag::ATTESTATION_TYPE,
    Tag::RNG_PARAMETERS,
    Tag::PROFILE_INFORMATION,
    Tag::VALIDATION_INFORMATION,
    Tag::CAPABILITY_INFORMATION,
    Tag::CLIENT_REGISTRATION_METHOD,
    Tag::DEFAULTS_INFORMATION,
    Tag::PROTECTION_STORAGE_MASKS,
];

/// Attributes that describe the server rather than the object.
const SERVER_DESCRIBED: [&str; 1] = ["Random Number Generator"];

/// Drops from both messages what only describes the server that answered: the header's
/// Server Correlation Value and what Query reports. The remaining Query payload (if any)
/// is still compared.
pub fn normalize(expected: &mut Ttlv, actual: &mut Ttlv) {
    for m in [&mut *expected, &mut *actual] {
        let Value::Structure(items) = &mut m.value else {
            continue;
        };
        for item in items.iter_mut() {
            match (item.tag, &mut item.value) {
                (Tag::RESPONSE_HEADER, Value::Structure(h)) => {
                    h.retain(|f| f.tag != Tag::SERVER_CORRELATION_VALUE);
                }
                (Tag::BATCH_ITEM, Value::Structure(b)) => {
                    let query = b.iter().any(|f| {
                        f.tag == Tag::OPERATION
                            && f.value == Value::Enumeration(kmip_ttlv::enums::Operation::QUERY.0)
                    });
                    if !query {
                        continue;
                    }
                    for f in b.iter_mut() {
                        if let (Tag::RESPONSE_PAYLOAD, Value::Structure(p)) = (f.tag, &mut f.value)
                        {
                            p.retain(|x| !SERVER_INFORMATION.contains(&x.tag));
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Compares `actual` with `expected`, binding new placeholders in `memory`; with `exact`,
/// byte strings the server did not choose must be equal.
pub fn compare(
    expected: &Ttlv,
    actual: &Ttlv,
    memory: &mut Memory,
    exact: bool,
    now: i64,
) -> Result<(), Difference> {
    Comparer { memory, exact, now }.item(expected, actual, &mut Vec::new())
}

struct Comparer<'a> {
    memory: &'a mut Memory,
    /// Byte strings must be equal (the response is computed from what the client sent).
    exact: bool,
    now: i64,
}

fn path_text(path: &[Tag]) -> String {
    path.iter()
        .map(|t| {
            t.spec_name()
                .map_or_else(|| format!("{:#08x}", t.0), |n| n.replace(' ', ""))
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn show(v: &Value) -> String {
    match v {
        Value::Structure(items) => format!("a structure of {} items", items.len()),
        Value::ByteString(b) => format!(
            "{} bytes ({})",
            b.as_slice().len(),
            hex::encode(b.as_slice())
        ),
        other => format!("{other:?}"),
    }
}

impl Comparer<'_> {
    fn differ(path: &[Tag], what: String) -> Difference {
        Difference {
            path: path_text(path),
            what,
        }
    }

    fn item(&mut self, exp: &Ttlv, act: &Ttlv, path: &mut Vec<Tag>) -> Result<(), Difference> {
        path.push(exp.tag);
        // Popped on every way out: a failed try of one sibling must not leave its tag on the
        // path the next try (and the reported difference) starts from.
        let r = if exp.tag == act.tag {
            self.value(exp, act, path)
        } else {
            Err(Self::differ(
                path,
                format!("expected tag {}, got {}", exp.tag, act.tag),
            ))
        };
        path.pop();
        r
    }

    fn value(&mut self, exp: &Ttlv, act: &Ttlv, path: &mut Vec<Tag>) -> Result<(), Difference> {
        if let Value::Placeholder(p) = &exp.value {
            return self.placeholder(p, &act.value, path);
        }
        if exp.value.item_type() != act.value.item_type() {
            return Err(Self::differ(
                path,
                format!(
                    "expected a {}, got a {}",
                    exp.value.item_type(),
                    act.value.item_type()
                ),
            ));
        }
        // Free text the server writes, and the moment it answered.
        if matches!(exp.tag, Tag::RESULT_MESSAGE | Tag::TIME_STAMP) {
            return Ok(());
        }
        match (&exp.value, &act.value) {
            (Value::Structure(e), Value::Structure(a)) => self.children(e, a, path),
            (e, a) if e == a => Ok(()),
            // Chosen by the server (generated key, random data): the same size will do.
            (Value::ByteString(e), Value::ByteString(a))
                if !self.exact
                    && !self.memory.sent.contains(e.as_slice())
                    && e.as_slice().len() == a.as_slice().len() =>
            {
                self.memory
                    .chosen
                    .insert(e.as_slice().to_vec(), a.as_slice().to_vec());
                Ok(())
            }
            (e, a) => Err(Self::differ(
                path,
                format!("expected {}, got {}", show(e), show(a)),
            )),
        }
    }

    fn placeholder(
        &mut self,
        p: &Placeholder,
        act: &Value,
        path: &[Tag],
    ) -> Result<(), Difference> {
        if act.item_type() != p.item_type {
            return Err(Self::differ(
                path,
                format!("expected a {} ({}), got {}", p.item_type, p.text, show(act)),
            ));
        }
        let (name, offset) = placeholders::parts(p);
        if name == "NOW" {
            let want = self.now + offset;
            return match act {
                Value::DateTime(t) if (t - want).abs() <= CLOCK_SLACK => Ok(()),
                other => Err(Self::differ(
                    path,
                    format!(
                        "expected a date near {} ({}), got {}",
                        want,
                        p.text,
                        show(other)
                    ),
                )),
            };
        }
        match self.memory.bindings.get(&p.text) {
            Some(bound) if bound == act => Ok(()),
            Some(bound) => Err(Self::differ(
                path,
                format!("{} was {}, now {}", p.text, show(bound), show(act)),
            )),
            None => {
                self.memory.bindings.insert(p.text.clone(), act.clone());
                Ok(())
            }
        }
    }

    fn children(
        &mut self,
        exp: &[Ttlv],
        act: &[Ttlv],
        path: &mut Vec<Tag>,
    ) -> Result<(), Difference> {
        // Attributes, in any order; everything else in order.
        let in_attributes = path.last() == Some(&Tag::ATTRIBUTES);
        let is_attr = |t: &Ttlv| {
            in_attributes
                || matches!(
                    t.tag,
                    Tag::ATTRIBUTE | Tag::ATTRIBUTE_NAME | Tag::ATTRIBUTE_REFERENCE
                )
        };
        let (exp_attrs, exp_rest): (Vec<&Ttlv>, Vec<&Ttlv>) = exp.iter().partition(|t| is_attr(t));
        let (act_attrs, act_rest): (Vec<&Ttlv>, Vec<&Ttlv>) = act.iter().partition(|t| is_attr(t));
        for (i, e) in exp_rest.iter().enumerate() {
            let Some(a) = act_rest.get(i) else {
                path.push(e.tag);
                let d = Self::differ(path, "missing".to_owned());
                path.pop();
                return Err(d);
            };
            self.item(e, a, path)?;
        }
        if let Some(extra) = act_rest.get(exp_rest.len()) {
            path.push(extra.tag);
            let d = Self::differ(path, format!("unexpected {}", show(&extra.value)));
            path.pop();
            return Err(d);
        }
        self.attribute_set(&exp_attrs, &act_attrs, path)
    }

    fn attribute_set(
        &mut self,
        exp: &[&Ttlv],
        act: &[&Ttlv],
        path: &mut Vec<Tag>,
    ) -> Result<(), Difference> {
        let mut used = vec![false; act.len()];
        for e in exp {
            if SERVER_DESCRIBED.contains(&attribute_label(e).as_str()) {
                let same = act.iter().enumerate().find(|(i, a)| {
                    !used.get(*i).copied().unwrap_or(true)
                        && attribute_label(a) == attribute_label(e)
                });
                match same {
                    Some((i, _)) => {
                        if let Some(u) = used.get_mut(i) {
                            *u = true;
                        }
                        continue;
                    }
                    None => {
                        return Err(Self::differ(
                            path,
                            format!(
                                "expected attribute {} not in the response",
                                attribute_label(e)
                            ),
                        ));
                    }
                }
            }
            let mut first_difference = None;
            let mut found = false;
            for (i, a) in act.iter().enumerate() {
                if used.get(i).copied().unwrap_or(true) {
                    continue;
                }
                let saved = (self.memory.bindings.clone(), self.memory.chosen.clone());
                match self.item(e, a, path) {
                    Ok(()) => {
                        if let Some(u) = used.get_mut(i) {
                            *u = true;
                        }
                        found = true;
                        break;
                    }
                    Err(d) => {
                        (self.memory.bindings, self.memory.chosen) = saved;
                        // The closest miss is the attribute of the same name, if there is one.
                        if attribute_label(a) == attribute_label(e) {
                            first_difference = Some(d);
                        } else {
                            first_difference.get_or_insert(d);
                        }
                    }
                }
            }
            if !found {
                return Err(Self::differ(
                    path,
                    format!(
                        "expected attribute {} not in the response{}",
                        attribute_label(e),
                        first_difference
                            .map(|d| format!(" (closest: {d})"))
                            .unwrap_or_default()
                    ),
                ));
            }
        }
        if let Some(i) = used.iter().position(|u| !u)
            && let Some(a) = act.get(i)
        {
            return Err(Self::differ(
                path,
                format!("unexpected attribute {}", attribute_label(a)),
            ));
        }
        Ok(())
    }
}

/// An attribute's name for messages (KMIP 1.x name text or KMIP 2.x tag).
fn attribute_label(t: &Ttlv) -> String {
    match t.child(Tag::ATTRIBUTE_NAME).map(|n| &n.value) {
        Some(Value::TextString(name)) => name.clone(),
        _ => t
            .tag
            .spec_name()
            .map_or_else(|| format!("{:#08x}", t.tag.0), str::to_owned),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]
mod tests {
    use super::*;

    /// One request and its response, in the test cases' XML.
    fn exchange(op: &str, request: &str, response: &str) -> (Ttlv, Ttlv) {
        let text = format!(
            r#"<RequestMessage><RequestHeader><ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion><BatchCount type="Integer" value="1"/></RequestHeader><BatchItem><Operation type="Enumeration" value="{op}"/><RequestPayload>{request}</RequestPayload></BatchItem></RequestMessage>
<ResponseMessage><ResponseHeader><ProtocolVersion><ProtocolVersionMajor type="Integer" value="1"/><ProtocolVersionMinor type="Integer" value="4"/></ProtocolVersion><TimeStamp type="DateTime" value="$NOW"/><BatchCount type="Integer" value="1"/></ResponseHeader><BatchItem><Operation type="Enumeration" value="{op}"/><ResultStatus type="Enumeration" value="Success"/><ResponsePayload>{response}</ResponsePayload></BatchItem></ResponseMessage>"#
        );
        let mut m = kmip_text::xml::from_xml_test_case(&text).unwrap();
        let resp = m.pop().unwrap();
        (m.pop().unwrap(), resp)
    }

    fn uid(u: &str) -> String {
        format!(r#"<UniqueIdentifier type="TextString" value="{u}"/>"#)
    }

    fn data(tag: &str, hex: &str) -> String {
        format!(r#"<{tag} type="ByteString" value="{hex}"/>"#)
    }

    /// Runs one exchange the way `case::run` does, with `actual` as the server's answer.
    fn run(
        memory: &mut Memory,
        (mut req, exp): (Ttlv, Ttlv),
        actual: &Ttlv,
    ) -> Result<Ttlv, Difference> {
        assert!(bind_request(&mut req, memory, 0).is_empty());
        memory.substitute(&mut req);
        byte_strings(&req, &mut memory.sent);
        let exact = memory.computed(&req, &exp);
        let mut act = actual.clone();
        // The server's answer carries its clock, not a placeholder.
        placeholders::bind(&mut act, &mut |_: &Placeholder| Some(Value::DateTime(0)));
        let mut exp = exp;
        normalize(&mut exp, &mut act);
        compare(&exp, &act, memory, exact, 0)?;
        memory.remember(&req, &act);
        Ok(req)
    }

    #[test]
    fn a_difference_path_names_each_level_once_after_siblings_were_tried() {
        // KMIP 2.x attributes: each its own tag, so trying one against the others mismatches
        // tags first (the old path kept every tried tag: .../CryptographicLength/CryptographicLength/...).
        let wanted = format!(
            r#"{}<Attributes><CryptographicLength type="Integer" value="128"/></Attributes>"#,
            uid("k1")
        );
        let answered = format!(
            r#"{}<Attributes><CryptographicAlgorithm type="Enumeration" value="AES"/><ObjectType type="Enumeration" value="SymmetricKey"/><CryptographicLength type="Integer" value="256"/></Attributes>"#,
            uid("k1")
        );
        let (_, actual) = exchange("GetAttributes", "", &answered);
        let d = run(
            &mut Memory::default(),
            exchange("GetAttributes", &uid("k1"), &wanted),
            &actual,
        )
        .unwrap_err();
        let text = d.to_string();
        let repeated = |path: &str| {
            let parts: Vec<&str> = path.split('/').collect();
            parts.windows(2).any(|w| w[0] == w[1])
        };
        assert!(!repeated(&d.path), "{text}");
        assert!(d.path.ends_with("ResponsePayload/Attributes"), "{text}");
        // The closest candidate is the attribute of the same name, with both values shown.
        assert!(text.contains("CryptographicLength"), "{text}");
        assert!(text.contains("128") && text.contains("256"), "{text}");
    }

    #[test]
    fn ciphertexts_of_registered_keys_must_equal_the_test_cases() {
        let mut memory = Memory::default();
        let register = exchange(
            "Register",
            r#"<ObjectType type="Enumeration" value="SymmetricKey"/>"#,
            &uid("k1"),
        );
        run(&mut memory, register.clone(), &register.1).unwrap();
        let e = exchange(
            "Encrypt",
            &(uid("k1") + &data("Data", "0102")),
            &(uid("k1") + &data("Data", "aaaa")),
        );
        let server = exchange("Encrypt", "", &(uid("k1") + &data("Data", "bbbb"))).1;
        assert!(run(&mut memory, e.clone(), &server).is_err());
        let right = exchange("Encrypt", "", &(uid("k1") + &data("Data", "aaaa"))).1;
        assert!(run(&mut memory, e, &right).is_ok());
    }

    #[test]
    fn ciphertexts_of_generated_keys_match_by_length_and_stand_in_later_requests() {
        let mut memory = Memory::default();
        let create = exchange("Create", "", &uid("k1"));
        run(&mut memory, create.clone(), &create.1).unwrap();
        let e = exchange(
            "Encrypt",
            &(uid("k1") + &data("Data", "0102")),
            &(uid("k1") + &data("Data", "aaaa")),
        );
        let server = exchange("Encrypt", "", &(uid("k1") + &data("Data", "bbbb"))).1;
        run(&mut memory, e, &server).unwrap();
        let d = exchange(
            "Decrypt",
            &(uid("k1") + &data("Data", "aaaa")),
            &(uid("k1") + &data("Data", "0102")),
        );
        let sent = run(&mut memory, d.clone(), &d.1).unwrap();
        let mut seen = HashSet::new();
        byte_strings(&sent, &mut seen);
        assert!(
            seen.contains(&vec![0xbb, 0xbb]),
            "the server's ciphertext is sent, not the test case's"
        );
    }

    #[test]
    fn placeholders_named_after_a_response_field_take_its_latest_value() {
        let mut memory = Memory::default();
        let m = exchange(
            "MAC",
            &(uid("k1") + &data("Data", "01")),
            &(uid("k1") + &data("MACData", "c0ffee")),
        );
        run(&mut memory, m.clone(), &m.1).unwrap();
        let v = exchange(
            "MACVerify",
            &(uid("k1") + &data("Data", "01") + &data("MACData", "$MAC_DATA")),
            &uid("k1"),
        );
        let sent = run(&mut memory, v.clone(), &v.1).unwrap();
        let mut seen = HashSet::new();
        byte_strings(&sent, &mut seen);
        assert!(seen.contains(&vec![0xc0, 0xff, 0xee]));
    }
}
