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
//! material the server generated, random data, digests of generated keys) by length; the
//! Random Number Generator attribute by presence; what Query reports about the server
//! (operations, object types, vendor and server information) and the response header's
//! Server Correlation Value not at all — see [`normalize`].

use std::collections::{HashMap, HashSet};

use kmip_text::placeholders;
use kmip_ttlv::{Placeholder, Tag, Ttlv, Value};

/// Values bound to placeholders so far, by the placeholder's text.
pub type Bindings = HashMap<String, Value>;

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
pub fn bind_request(request: &mut Ttlv, bindings: &mut Bindings, now: i64) -> Vec<String> {
    let mut unbound = Vec::new();
    placeholders::bind(request, &mut |p: &Placeholder| {
        if let Some(v) = bindings.get(&p.text) {
            return Some(v.clone());
        }
        let (name, offset) = placeholders::parts(p);
        if name == "NOW" {
            let v = Value::DateTime(now + offset);
            bindings.insert(p.text.clone(), v.clone());
            return Some(v);
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

/// Compares `actual` with `expected`, binding new placeholders; `sent` holds the byte
/// strings the client sent in this conversation.
pub fn compare(
    expected: &Ttlv,
    actual: &Ttlv,
    bindings: &mut Bindings,
    sent: &HashSet<Vec<u8>>,
    now: i64,
) -> Result<(), Difference> {
    Comparer {
        bindings,
        sent,
        now,
    }
    .item(expected, actual, &mut Vec::new())
}

struct Comparer<'a> {
    bindings: &'a mut Bindings,
    sent: &'a HashSet<Vec<u8>>,
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
        if exp.tag != act.tag {
            return Err(Self::differ(
                path,
                format!("expected tag {}, got {}", exp.tag, act.tag),
            ));
        }
        let r = self.value(exp, act, path);
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
                if !self.sent.contains(e.as_slice())
                    && e.as_slice().len() == a.as_slice().len() =>
            {
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
        match self.bindings.get(&p.text) {
            Some(bound) if bound == act => Ok(()),
            Some(bound) => Err(Self::differ(
                path,
                format!("{} was {}, now {}", p.text, show(bound), show(act)),
            )),
            None => {
                self.bindings.insert(p.text.clone(), act.clone());
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
                let saved = self.bindings.clone();
                match self.item(e, a, path) {
                    Ok(()) => {
                        if let Some(u) = used.get_mut(i) {
                            *u = true;
                        }
                        found = true;
                        break;
                    }
                    Err(d) => {
                        *self.bindings = saved;
                        first_difference.get_or_insert(d);
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
        if let Some(i) = used.iter().position(|u| !u) {
            if let Some(a) = act.get(i) {
                return Err(Self::differ(
                    path,
                    format!("unexpected attribute {}", attribute_label(a)),
                ));
            }
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
