//! Answers in the request's version, for every operation at every version: against a 3-node
//! cluster of real processes, a client of each KMIP version 1.0 to 2.1 sends every operation
//! the engine implements — on a key it made, a key pair, a re-keyed key, archived and
//! destroyed objects — and every encoded response must carry only the tags, enumeration
//! values and attribute names that version defines (`kmip_messages::untrue`). An operation
//! the version does not define is answered Operation Not Supported; every other one is
//! served. Each request is itself checked to be one a client of that version could send.
//!
//! The OASIS cases run at every version in `kmip_conformance.rs` (`--as-version`) cover the
//! successful answers of the cryptographic operations with the right keys; this test covers
//! the operations those cases never send.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::collections::BTreeMap;

use kmip_messages::{ProtocolVersion, since, untrue};
use kmip_ttlv::enums::{Operation, ResultReason, ResultStatus};
use kmip_ttlv::{ByteString, Limits, Tag, Ttlv, Value};
use support::Cluster;

fn structure(tag: Tag, items: Vec<Ttlv>) -> Ttlv {
    Ttlv::new(tag, Value::Structure(items))
}

fn text(tag: Tag, s: &str) -> Ttlv {
    Ttlv::new(tag, Value::TextString(s.to_owned()))
}

fn enumeration(tag: Tag, v: u32) -> Ttlv {
    Ttlv::new(tag, Value::Enumeration(v))
}

fn integer(tag: Tag, v: i32) -> Ttlv {
    Ttlv::new(tag, Value::Integer(v))
}

fn bytes(tag: Tag, b: &[u8]) -> Ttlv {
    Ttlv::new(tag, Value::ByteString(ByteString::new(b.to_vec())))
}

/// One attribute as a client of `v` writes it: by name in 1.x, by its own tag in 2.x.
fn attribute(v: ProtocolVersion, tag: Tag, value: Value) -> Ttlv {
    if v.major >= 2 {
        return Ttlv::new(tag, value);
    }
    structure(
        Tag::ATTRIBUTE,
        vec![
            text(Tag::ATTRIBUTE_NAME, tag.spec_name().unwrap()),
            Ttlv::new(Tag::ATTRIBUTE_VALUE, value),
        ],
    )
}

/// Attributes for a new object: a Template-Attribute in 1.x, Attributes in 2.x.
fn attributes(v: ProtocolVersion, list: Vec<Ttlv>) -> Ttlv {
    let tag = if v.major >= 2 {
        Tag::ATTRIBUTES
    } else {
        Tag::TEMPLATE_ATTRIBUTE
    };
    structure(tag, list)
}

/// The attribute changed by Add, Modify and Set Attribute, as a client of `v` sends it.
fn contact(v: ProtocolVersion, value: &str) -> Ttlv {
    let a = attribute(
        v,
        Tag::CONTACT_INFORMATION,
        Value::TextString(value.to_owned()),
    );
    if v.major >= 2 {
        structure(Tag::NEW_ATTRIBUTE, vec![a])
    } else {
        a
    }
}

/// Objects the conversation made, by role, and the last ciphertext.
#[derive(Default)]
struct Objects(BTreeMap<&'static str, String>, Vec<u8>);

impl Objects {
    fn uid(&self, role: &str) -> Ttlv {
        text(
            Tag::UNIQUE_IDENTIFIER,
            self.0.get(role).map_or("no-such-object", String::as_str),
        )
    }
}

fn cmac() -> Ttlv {
    structure(
        Tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![enumeration(
            Tag::BLOCK_CIPHER_MODE,
            kmip_ttlv::enums::BlockCipherMode::CMAC.0,
        )],
    )
}

/// The payload a client of `v` sends for `op`, on the objects made so far.
fn payload(op: Operation, v: ProtocolVersion, o: &Objects) -> Vec<Ttlv> {
    let key = || o.uid("key");
    match op {
        Operation::DISCOVER_VERSIONS => vec![],
        Operation::QUERY => vec![
            enumeration(Tag::QUERY_FUNCTION, 1),
            enumeration(Tag::QUERY_FUNCTION, 2),
            enumeration(Tag::QUERY_FUNCTION, 3),
        ],
        Operation::CREATE => vec![
            enumeration(Tag::OBJECT_TYPE, 2),
            attributes(
                v,
                vec![
                    attribute(v, Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(3)),
                    attribute(v, Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
                    // Encrypt | Decrypt | MAC Generate | MAC Verify | Derive Key.
                    attribute(
                        v,
                        Tag::CRYPTOGRAPHIC_USAGE_MASK,
                        Value::Integer(4 | 8 | 128 | 256 | 512),
                    ),
                    attribute(
                        v,
                        Tag::USAGE_LIMITS,
                        Value::Structure(vec![
                            Ttlv::new(Tag::USAGE_LIMITS_TOTAL, Value::LongInteger(1000)),
                            // Object: each use counts one.
                            enumeration(Tag::USAGE_LIMITS_UNIT, 2),
                        ]),
                    ),
                ],
            ),
        ],
        Operation::CREATE_KEY_PAIR => {
            let (common, private, public) = if v.major >= 2 {
                (
                    Tag::COMMON_ATTRIBUTES,
                    Tag::PRIVATE_KEY_ATTRIBUTES,
                    Tag::PUBLIC_KEY_ATTRIBUTES,
                )
            } else {
                (
                    Tag::COMMON_TEMPLATE_ATTRIBUTE,
                    Tag::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                    Tag::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                )
            };
            vec![
                structure(
                    common,
                    vec![
                        // ECDSA, a KMIP 1.0 algorithm, on P-256.
                        attribute(v, Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(6)),
                        attribute(v, Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
                    ],
                ),
                structure(
                    private,
                    vec![attribute(
                        v,
                        Tag::CRYPTOGRAPHIC_USAGE_MASK,
                        Value::Integer(1),
                    )],
                ),
                structure(
                    public,
                    vec![attribute(
                        v,
                        Tag::CRYPTOGRAPHIC_USAGE_MASK,
                        Value::Integer(2),
                    )],
                ),
            ]
        }
        Operation::REGISTER => vec![
            enumeration(Tag::OBJECT_TYPE, 7),
            attributes(
                v,
                vec![attribute(
                    v,
                    Tag::CRYPTOGRAPHIC_USAGE_MASK,
                    Value::Integer(512),
                )],
            ),
            structure(
                Tag::SECRET_DATA,
                vec![
                    enumeration(Tag::SECRET_DATA_TYPE, 1),
                    structure(
                        Tag::KEY_BLOCK,
                        vec![
                            enumeration(Tag::KEY_FORMAT_TYPE, 2),
                            structure(
                                Tag::KEY_VALUE,
                                vec![bytes(Tag::KEY_MATERIAL, b"correct horse")],
                            ),
                        ],
                    ),
                ],
            ),
        ],
        Operation::RE_KEY_KEY_PAIR => vec![text(
            Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
            o.0.get("private").map_or("no-such-object", String::as_str),
        )],
        Operation::GET_ATTRIBUTES | Operation::GET_ATTRIBUTE_LIST => vec![key()],
        Operation::ADD_ATTRIBUTE => vec![key(), contact(v, "ops@example.com")],
        Operation::MODIFY_ATTRIBUTE => vec![key(), contact(v, "security@example.com")],
        Operation::SET_ATTRIBUTE => vec![key(), contact(v, "kms@example.com")],
        Operation::DELETE_ATTRIBUTE if v.major >= 2 => vec![
            key(),
            enumeration(Tag::ATTRIBUTE_REFERENCE, Tag::CONTACT_INFORMATION.0),
        ],
        Operation::DELETE_ATTRIBUTE => {
            vec![key(), text(Tag::ATTRIBUTE_NAME, "Contact Information")]
        }
        Operation::LOCATE if v.major >= 2 => vec![attributes(
            v,
            vec![attribute(v, Tag::OBJECT_TYPE, Value::Enumeration(2))],
        )],
        Operation::LOCATE => vec![attribute(v, Tag::OBJECT_TYPE, Value::Enumeration(2))],
        Operation::REVOKE => vec![
            key(),
            structure(
                Tag::REVOCATION_REASON,
                vec![enumeration(Tag::REVOCATION_REASON_CODE, 5)],
            ),
        ],
        Operation::ENCRYPT | Operation::DECRYPT => vec![
            key(),
            structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![
                    // CBC, PKCS#5.
                    enumeration(Tag::BLOCK_CIPHER_MODE, 1),
                    enumeration(Tag::PADDING_METHOD, 3),
                ],
            ),
            if op == Operation::ENCRYPT {
                bytes(Tag::DATA, &[0x42; 16])
            } else {
                bytes(Tag::DATA, &o.1)
            },
            bytes(Tag::IV_COUNTER_NONCE, &[0; 16]),
        ],
        Operation::MAC => vec![key(), cmac(), bytes(Tag::DATA, b"data")],
        Operation::SIGN => vec![o.uid("private"), bytes(Tag::DATA, b"data")],
        Operation::MAC_VERIFY => vec![
            key(),
            cmac(),
            bytes(Tag::DATA, b"data"),
            bytes(Tag::MAC_DATA, &[0; 16]),
        ],
        Operation::SIGNATURE_VERIFY => vec![
            o.uid("public"),
            bytes(Tag::DATA, b"data"),
            bytes(Tag::SIGNATURE_DATA, &[0; 64]),
        ],
        Operation::HASH => vec![
            structure(
                Tag::CRYPTOGRAPHIC_PARAMETERS,
                vec![enumeration(Tag::HASHING_ALGORITHM, 6)],
            ),
            bytes(Tag::DATA, b"data"),
        ],
        Operation::DERIVE_KEY => vec![
            enumeration(Tag::OBJECT_TYPE, 2),
            o.uid("secret"),
            // PBKDF2 over the registered password.
            enumeration(Tag::DERIVATION_METHOD, 1),
            structure(
                Tag::DERIVATION_PARAMETERS,
                vec![
                    structure(
                        Tag::CRYPTOGRAPHIC_PARAMETERS,
                        vec![enumeration(Tag::HASHING_ALGORITHM, 6)],
                    ),
                    bytes(Tag::SALT, b"salt"),
                    integer(Tag::ITERATION_COUNT, 1000),
                ],
            ),
            attributes(
                v,
                vec![
                    attribute(v, Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(3)),
                    attribute(v, Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(128)),
                ],
            ),
        ],
        Operation::RNG_RETRIEVE => vec![integer(Tag::DATA_LENGTH, 16)],
        Operation::RNG_SEED => vec![bytes(Tag::DATA, &[7; 16])],
        Operation::LOG => vec![text(Tag::LOG_MESSAGE, "version probe")],
        Operation::INTEROP => vec![enumeration(Tag::INTEROP_FUNCTION, 1)],
        // The PKCS#11 Function values are KMIP 2.1's.
        Operation::PKCS_11 if v < ProtocolVersion::V2_1 => vec![],
        Operation::PKCS_11 => vec![enumeration(Tag::PKCS_11_FUNCTION, 3)],
        Operation::CHECK => vec![key(), integer(Tag::CRYPTOGRAPHIC_USAGE_MASK, 4)],
        Operation::GET_USAGE_ALLOCATION => vec![
            key(),
            Ttlv::new(Tag::USAGE_LIMITS_COUNT, Value::LongInteger(1)),
        ],
        Operation::ARCHIVE | Operation::RECOVER | Operation::OBTAIN_LEASE => {
            vec![o.uid("rekeyed")]
        }
        _ => vec![key()],
    }
}

/// The order a client would send them in: objects made before they are used, the key
/// destroyed last.
fn conversation() -> Vec<Operation> {
    let mut ops: Vec<Operation> = raftkeep_server::ops::query::OPERATIONS
        .into_iter()
        .filter(|op| ![Operation::REVOKE, Operation::DESTROY].contains(op))
        .collect();
    let first = [
        Operation::CREATE,
        Operation::REGISTER,
        Operation::ACTIVATE,
        Operation::CREATE_KEY_PAIR,
        Operation::RE_KEY,
    ];
    ops.retain(|op| !first.contains(op));
    let mut order = first.to_vec();
    order.extend(ops);
    order.extend([Operation::REVOKE, Operation::DESTROY, Operation::GET]);
    order
}

fn request(v: ProtocolVersion, op: Operation, payload: Vec<Ttlv>) -> Ttlv {
    structure(
        Tag::REQUEST_MESSAGE,
        vec![
            structure(
                Tag::REQUEST_HEADER,
                vec![
                    structure(
                        Tag::PROTOCOL_VERSION,
                        vec![
                            integer(Tag::PROTOCOL_VERSION_MAJOR, v.major),
                            integer(Tag::PROTOCOL_VERSION_MINOR, v.minor),
                        ],
                    ),
                    integer(Tag::BATCH_COUNT, 1),
                ],
            ),
            structure(
                Tag::BATCH_ITEM,
                vec![
                    enumeration(Tag::OPERATION, op.0),
                    structure(Tag::REQUEST_PAYLOAD, payload),
                ],
            ),
        ],
    )
}

/// What came back for one batch item.
struct Answer {
    status: u32,
    reason: Option<u32>,
    message: Option<String>,
    payload: Option<Ttlv>,
}

fn answer(response: &Ttlv) -> Answer {
    let item = response.child(Tag::BATCH_ITEM).unwrap();
    let enum_of = |tag| match item.child(tag).map(|t| &t.value) {
        Some(Value::Enumeration(e)) => Some(*e),
        _ => None,
    };
    Answer {
        status: enum_of(Tag::RESULT_STATUS).unwrap(),
        reason: enum_of(Tag::RESULT_REASON),
        message: match item.child(Tag::RESULT_MESSAGE).map(|m| &m.value) {
            Some(Value::TextString(m)) => Some(m.clone()),
            _ => None,
        },
        payload: item.child(Tag::RESPONSE_PAYLOAD).cloned(),
    }
}

fn text_of(payload: &Option<Ttlv>, tag: Tag) -> Option<String> {
    match payload.as_ref()?.child(tag).map(|t| &t.value) {
        Some(Value::TextString(s)) => Some(s.clone()),
        _ => None,
    }
}

/// Runs the whole conversation at `v`; the operations that succeeded.
fn converse(c: &Cluster, node: usize, v: ProtocolVersion) -> Vec<Operation> {
    let mut objects = Objects::default();
    let mut served = Vec::new();
    for op in conversation() {
        let defined = since::defined(since::operation(op), v);
        // An operation the version lacks is sent as such a client could: naming the object.
        let body = if defined || op == Operation::DISCOVER_VERSIONS {
            payload(op, v, &objects)
        } else {
            vec![objects.uid("key")]
        };
        let message = request(v, op, body);
        if let Err(e) = untrue::check(&message, v) {
            panic!("the test's own {op} request is not one a KMIP {v} client sends: {e}");
        }
        let bytes = c
            .block_on(c.kmip_raw(node, "client", &kmip_ttlv::encode(&message).unwrap()))
            .unwrap_or_else(|| panic!("{op} at KMIP {v}: the server closed the connection"));
        let response = kmip_ttlv::decode_message(&bytes, &Limits::default()).unwrap();
        if let Err(e) = untrue::check(&response, v) {
            panic!("the answer to {op} at KMIP {v} is not in KMIP {v}: {e}");
        }
        let a = answer(&response);
        let not_supported = a.reason == Some(ResultReason::OPERATION_NOT_SUPPORTED.0);
        let discover = op == Operation::DISCOVER_VERSIONS;
        assert_eq!(
            not_supported,
            !defined && !discover,
            "{op} at KMIP {v}: refused as not supported exactly when KMIP {v} lacks it (reason {:?})",
            a.reason
        );
        if a.status != ResultStatus::SUCCESS.0 {
            eprintln!("KMIP {v}: {op} failed: {:?} {:?}", a.reason, a.message);
            continue;
        }
        served.push(op);
        let uid = text_of(&a.payload, Tag::UNIQUE_IDENTIFIER);
        match op {
            Operation::CREATE => objects.0.insert("key", uid.unwrap()),
            Operation::REGISTER => objects.0.insert("secret", uid.unwrap()),
            Operation::RE_KEY => objects.0.insert("rekeyed", uid.unwrap()),
            Operation::CREATE_KEY_PAIR => {
                let public = text_of(&a.payload, Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER).unwrap();
                objects.0.insert("public", public);
                objects.0.insert(
                    "private",
                    text_of(&a.payload, Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER).unwrap(),
                )
            }
            _ => None,
        };
        if let (Operation::ENCRYPT, Some(Value::ByteString(data))) = (
            op,
            a.payload
                .as_ref()
                .and_then(|p| p.child(Tag::DATA))
                .map(|d| &d.value),
        ) {
            objects.1 = data.as_slice().to_vec();
        }
        // Derive Key needs an active base, Sign and Signature Verify active keys.
        let activated: &[&str] = match op {
            Operation::REGISTER => &["secret"],
            Operation::CREATE_KEY_PAIR => &["private", "public"],
            _ => &[],
        };
        for role in activated {
            let activate = request(v, Operation::ACTIVATE, vec![objects.uid(role)]);
            c.block_on(c.kmip_raw(node, "client", &kmip_ttlv::encode(&activate).unwrap()));
        }
    }
    served
}

#[test]
fn every_operation_at_every_version_is_answered_in_that_version() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    for v in ProtocolVersion::ALL.into_iter().rev() {
        let served = converse(&c, follower, v);
        eprintln!("KMIP {v}: served {served:?}");
        // The lifecycle every version has, served at every version: not a vacuous pass.
        for op in [
            Operation::CREATE,
            Operation::REGISTER,
            Operation::CREATE_KEY_PAIR,
            Operation::RE_KEY,
            Operation::GET_ATTRIBUTES,
            Operation::GET_ATTRIBUTE_LIST,
            Operation::ADD_ATTRIBUTE,
            Operation::MODIFY_ATTRIBUTE,
            Operation::DELETE_ATTRIBUTE,
            Operation::LOCATE,
            Operation::QUERY,
            Operation::OBTAIN_LEASE,
            Operation::GET_USAGE_ALLOCATION,
            Operation::CHECK,
            Operation::DISCOVER_VERSIONS,
            Operation::ARCHIVE,
            Operation::RECOVER,
            Operation::ACTIVATE,
            Operation::DERIVE_KEY,
            Operation::REVOKE,
            Operation::DESTROY,
        ] {
            assert!(served.contains(&op), "{op} was not served at KMIP {v}");
        }
        if v >= ProtocolVersion::V1_2 {
            for op in [
                Operation::ENCRYPT,
                Operation::DECRYPT,
                Operation::HASH,
                Operation::RNG_RETRIEVE,
                Operation::RNG_SEED,
                Operation::MAC,
                Operation::MAC_VERIFY,
                Operation::SIGN,
                Operation::SIGNATURE_VERIFY,
            ] {
                assert!(served.contains(&op), "{op} was not served at KMIP {v}");
            }
        }
        if v >= ProtocolVersion::V2_0 {
            for op in [Operation::SET_ATTRIBUTE, Operation::LOG, Operation::INTEROP] {
                assert!(served.contains(&op), "{op} was not served at KMIP {v}");
            }
        }
        if v >= ProtocolVersion::V2_1 {
            assert!(served.contains(&Operation::PKCS_11), "PKCS#11 at KMIP {v}");
        }
    }
}
