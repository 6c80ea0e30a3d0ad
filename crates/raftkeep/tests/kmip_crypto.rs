//! The cryptographic services end to end, through a follower of a 3-node cluster and the
//! client library: what the server computes is checked against this process's own
//! computation (AES-GCM, AES key unwrap), and signatures against their verification.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use kmip_messages::codec::{Body as _, Field as _};
use kmip_messages::{
    Attribute, CryptographicParameters, Ctx, KeyInformation, KeyMaterial, KeyValue,
    KeyWrappingSpecification, ManagedObject, ProtocolVersion, UniqueIdentifier,
};
use kmip_ttlv::enums::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, ResultReason, WrappingMethod,
};
use kmip_ttlv::{Limits, Tag, Value};
use raftkeep_client::{Client, ClientError, Plaintext};
use support::Cluster;

fn mask(m: CryptographicUsageMask) -> Attribute {
    Attribute::new("Cryptographic Usage Mask", Value::Integer(m.to_i32()))
}

fn attr(name: &str, value: Value) -> Attribute {
    Attribute::new(name, value)
}

/// An Active AES-256 key with `m`.
fn active_key(c: &Cluster, client: &Client, m: CryptographicUsageMask) -> String {
    let uid = c
        .block_on(client.create_symmetric_key(CryptographicAlgorithm::AES, 256, vec![mask(m)]))
        .unwrap();
    c.block_on(client.activate(&uid)).unwrap();
    uid
}

fn key_bytes(object: &ManagedObject) -> Vec<u8> {
    match object {
        ManagedObject::SymmetricKey(kb) => match &kb.key_value {
            Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(b),
                ..
            }) => b.as_slice().to_vec(),
            other => panic!("not a raw key: {other:?}"),
        },
        other => panic!("not a symmetric key: {other:?}"),
    }
}

/// A new EC signing pair of `bits` (private key, public key), both Pre-Active.
fn ec_pair(c: &Cluster, client: &Client, bits: i32) -> (String, String) {
    let common = vec![
        attr(
            "Cryptographic Algorithm",
            Value::Enumeration(CryptographicAlgorithm::EC.0),
        ),
        attr("Cryptographic Length", Value::Integer(bits)),
    ];
    c.block_on(client.create_key_pair(
        common,
        vec![mask(CryptographicUsageMask::SIGN)],
        vec![mask(CryptographicUsageMask::VERIFY)],
    ))
    .unwrap()
}

/// The object a Get answers with.
fn get_object(
    c: &Cluster,
    client: &Client,
    req: kmip_messages::payload::get::GetRequest,
) -> ManagedObject {
    use kmip_messages::{RequestPayload, ResponsePayload};
    let answer = c
        .block_on(client.call(kmip_ttlv::enums::Operation::GET, RequestPayload::Get(req)))
        .unwrap();
    match answer.payload {
        Some(ResponsePayload::Get(r)) => r.object,
        other => panic!("not a Get answer: {other:?}"),
    }
}

/// Wrap under key `by` with AES Key Wrap (RFC 3394), TTLV-encoded Key Value.
fn wrapping_spec(by: &str) -> KeyWrappingSpecification {
    KeyWrappingSpecification {
        wrapping_method: WrappingMethod::ENCRYPT,
        encryption_key_information: Some(KeyInformation {
            unique_identifier: UniqueIdentifier::Text(by.to_owned()),
            cryptographic_parameters: Some(CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::NISTKEYWRAP),
                ..CryptographicParameters::default()
            }),
        }),
        mac_signature_key_information: None,
        attribute_names: Vec::new(),
        encoding_option: None,
    }
}

fn gcm() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::GCM),
        tag_length: Some(16),
        ..CryptographicParameters::default()
    })
}

#[test]
fn stored_keys_encrypt_wrap_and_sign_and_their_outputs_check_out_locally() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);

    // AES-GCM: the server's ciphertext is what this process computes with the same key.
    let uid = active_key(
        &c,
        &client,
        CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT,
    );
    let key = key_bytes(&c.block_on(client.get(&uid)).unwrap().object);
    let (iv, aad, data) = (
        [7u8; 12],
        b"header".as_slice(),
        b"attack at dawn".as_slice(),
    );
    let sent = Plaintext {
        data,
        parameters: gcm(),
        iv: Some(&iv),
        aad: Some(aad),
    };
    let out = c.block_on(client.encrypt(&uid, sent)).unwrap();
    let spec = raftkeep_crypto::CipherSpec {
        algorithm: CryptographicAlgorithm::AES,
        mode: Some(BlockCipherMode::GCM),
        padding: None,
        tag_length: None,
        initial_counter: None,
    };
    let local = raftkeep_crypto::encrypt(&spec, &key, Some(&iv), aad, data).unwrap();
    let (ciphertext, tag) = (
        out.data.unwrap().as_slice().to_vec(),
        out.authenticated_encryption_tag
            .unwrap()
            .as_slice()
            .to_vec(),
    );
    assert_eq!((&ciphertext, Some(&tag)), (&local.data, local.tag.as_ref()));
    let back = Plaintext {
        data: &ciphertext,
        parameters: gcm(),
        iv: Some(&iv),
        aad: Some(aad),
    };
    assert_eq!(
        c.block_on(client.decrypt(&uid, back.clone(), Some(&tag)))
            .unwrap(),
        data
    );
    let mut bad_tag = tag.clone();
    bad_tag[0] ^= 1;
    match c.block_on(client.decrypt(&uid, back, Some(&bad_tag))) {
        Err(ClientError::Kmip { reason, .. }) => {
            assert_eq!(reason, ResultReason::CRYPTOGRAPHIC_FAILURE)
        }
        other => panic!("a wrong tag decrypted: {other:?}"),
    }

    // A key without Wrap Key in its mask wraps nothing; one with it wraps, and the wrapped
    // Key Value unwraps here to the key Get returns in clear.
    let kek = active_key(&c, &client, CryptographicUsageMask::WRAP_KEY);
    let spec = wrapping_spec;
    let denied = c.block_on(client.get_wrapped(&kek, spec(&uid)));
    assert!(
        matches!(denied, Err(ClientError::Kmip { .. })),
        "{denied:?}"
    );
    let wrapped = c.block_on(client.get_wrapped(&uid, spec(&kek))).unwrap();
    let ManagedObject::SymmetricKey(kb) = wrapped.object else {
        panic!("not a key")
    };
    let Some(KeyValue::Wrapped(bytes)) = kb.key_value else {
        panic!("not wrapped: {:?}", kb.key_value)
    };
    assert!(kb.key_wrapping_data.is_some());
    let kek_bytes = key_bytes(&c.block_on(client.get(&kek)).unwrap().object);
    let plain = raftkeep_crypto::wrap::unwrap(&kek_bytes, None, bytes.as_slice()).unwrap();
    let item = kmip_ttlv::decode(&plain, &Limits::default()).unwrap();
    assert_eq!(item.tag, Tag::KEY_VALUE);
    let value = KeyValue::read(&item, &[], Ctx::new(ProtocolVersion::V1_4)).unwrap();
    let KeyValue::Plain {
        key_material: KeyMaterial::Bytes(inside),
        ..
    } = value
    else {
        panic!("{value:?}")
    };
    assert_eq!(inside.as_slice(), key.as_slice());

    // Key pairs: RSA and ECDSA sign; the public key verifies, an altered message fails.
    for (algorithm, length) in [
        (CryptographicAlgorithm::RSA, 2048),
        (CryptographicAlgorithm::EC, 256),
    ] {
        let common = vec![
            attr("Cryptographic Algorithm", Value::Enumeration(algorithm.0)),
            attr("Cryptographic Length", Value::Integer(length)),
        ];
        let (private, public) = c
            .block_on(client.create_key_pair(
                common,
                vec![mask(CryptographicUsageMask::SIGN)],
                vec![mask(CryptographicUsageMask::VERIFY)],
            ))
            .unwrap();
        c.block_on(client.activate(&private)).unwrap();
        c.block_on(client.activate(&public)).unwrap();
        let signature = c
            .block_on(client.sign(&private, b"release 1.0", None))
            .unwrap();
        assert!(
            c.block_on(client.signature_verify(&public, b"release 1.0", &signature, None))
                .unwrap(),
            "{algorithm}"
        );
        assert!(
            !c.block_on(client.signature_verify(&public, b"release 1.1", &signature, None))
                .unwrap(),
            "{algorithm}"
        );
        // The public key may not sign.
        assert!(
            c.block_on(client.sign(&public, b"release 1.0", None))
                .is_err()
        );
    }
}

#[test]
fn usage_limits_are_spent_once_whichever_nodes_the_uses_come_through() {
    let (c, leader, follower) = Cluster::serving_kmip(3);
    let via = |i: usize| c.client("client", &[c.nodes[i].kmip_addr.clone()], None, 10);
    let (a, b) = (via(leader), via(follower));
    let limits = Value::Structure(vec![
        kmip_ttlv::Ttlv::new(Tag::USAGE_LIMITS_TOTAL, Value::LongInteger(160)),
        kmip_ttlv::Ttlv::enumeration(
            Tag::USAGE_LIMITS_UNIT,
            kmip_ttlv::enums::UsageLimitsUnit::BYTE.0,
        ),
    ]);
    let m = CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT;
    let uid = c
        .block_on(a.create_symmetric_key(
            CryptographicAlgorithm::AES,
            256,
            vec![mask(m), attr("Usage Limits", limits)],
        ))
        .unwrap();
    c.block_on(a.activate(&uid)).unwrap();
    let ecb = Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::ECB),
        ..CryptographicParameters::default()
    });
    // 20 uses of 16 bytes against a limit of 160: 10 through each node, all at once.
    let uses = (0..20).map(|i| {
        let client = if i % 2 == 0 { &a } else { &b };
        let p = Plaintext {
            data: &[0u8; 16],
            parameters: ecb.clone(),
            iv: None,
            aad: None,
        };
        client.encrypt(&uid, p)
    });
    let results = c.block_on(futures::future::join_all(uses));
    let spent = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(ClientError::Kmip { reason, .. }) if *reason == ResultReason::PERMISSION_DENIED))
        .count();
    assert_eq!((spent, refused), (10, 10), "{results:?}");
}

#[test]
fn derived_keys_equal_the_rfc_values_and_need_an_active_base() {
    use kmip_messages::payload::derive_key::DerivationParameters;
    use kmip_ttlv::enums::{DerivationMethod, HashingAlgorithm, ObjectType, SecretDataType};
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let password = ManagedObject::SecretData {
        secret_data_type: SecretDataType::PASSWORD,
        key_block: kmip_messages::KeyBlock {
            key_format_type: kmip_ttlv::enums::KeyFormatType::OPAQUE,
            key_compression_type: None,
            key_value: Some(KeyValue::Plain {
                key_material: KeyMaterial::Bytes(b"password".to_vec().into()),
                attributes: Default::default(),
            }),
            cryptographic_algorithm: None,
            cryptographic_length: None,
            key_wrapping_data: None,
        },
    };
    let base = c
        .block_on(client.register(password, vec![mask(CryptographicUsageMask::DERIVE_KEY)]))
        .unwrap();
    let parameters = DerivationParameters {
        cryptographic_parameters: Some(CryptographicParameters {
            hashing_algorithm: Some(HashingAlgorithm::SHA_1),
            ..CryptographicParameters::default()
        }),
        salt: Some(b"salt".to_vec().into()),
        iteration_count: Some(4096),
        ..DerivationParameters::default()
    };
    let wanted = vec![
        attr(
            "Cryptographic Algorithm",
            Value::Enumeration(CryptographicAlgorithm::AES.0),
        ),
        attr("Cryptographic Length", Value::Integer(160)),
    ];
    let derive = || {
        client.derive_key(
            ObjectType::SYMMETRIC_KEY,
            &base,
            DerivationMethod::PBKDF2,
            parameters.clone(),
            wanted.clone(),
        )
    };
    // Pre-Active: not usable for any cryptographic purpose.
    assert!(matches!(
        c.block_on(derive()),
        Err(ClientError::Kmip { .. })
    ));
    c.block_on(client.activate(&base)).unwrap();
    let uid = c.block_on(derive()).unwrap();
    let key = key_bytes(&c.block_on(client.get(&uid)).unwrap().object);
    assert_eq!(
        hex::encode(key),
        "4b007901b765489abead49d926f721d065a429c1",
        "RFC 6070"
    );
}

#[test]
fn a_rekeyed_pair_signs_with_new_keys_linked_to_the_old_ones() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let (old_private, old_public) = ec_pair(&c, &client, 256);
    let (private, public) = c.block_on(client.rekey_key_pair(&old_private, 0)).unwrap();
    assert_ne!((&private, &public), (&old_private, &old_public));
    // Active at once (offset 0), with the old keys' masks.
    let signature = c.block_on(client.sign(&private, b"v2", None)).unwrap();
    assert!(
        c.block_on(client.signature_verify(&public, b"v2", &signature, None))
            .unwrap()
    );
    let links = |uid: &str| {
        let attrs = c
            .block_on(client.get_attributes(uid, vec!["Link".into()]))
            .unwrap();
        attrs
            .0
            .iter()
            .map(|a| format!("{:?}", a.value))
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(
        links(&old_private).contains(&private),
        "the old private key names its replacement"
    );
    assert!(
        links(&old_public).contains(&public),
        "the old public key names its replacement"
    );
    assert!(links(&private).contains(&old_private) && links(&private).contains(&public));
}

/// One part of a streamed Encrypt, Decrypt or Hash.
fn streaming(
    correlation: Option<&kmip_ttlv::ByteString>,
    init: bool,
    last: bool,
) -> kmip_messages::Streaming {
    kmip_messages::Streaming {
        correlation_value: correlation.cloned(),
        init_indicator: init.then_some(true),
        final_indicator: last.then_some(true),
    }
}

#[test]
fn streamed_parts_give_what_one_request_gives_and_stay_with_their_client() {
    use kmip_messages::payload::decrypt::DecryptRequest;
    use kmip_messages::payload::encrypt::EncryptRequest;
    use kmip_messages::payload::hash::HashRequest;
    use kmip_messages::{RequestPayload, ResponsePayload};
    use kmip_ttlv::ByteString;
    use kmip_ttlv::enums::{HashingAlgorithm, Operation};

    let (c, leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let uid = active_key(
        &c,
        &client,
        CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT,
    );
    let parts: [&[u8]; 3] = [b"the first part, ", b"a second, ", b"and the last."];
    let whole = parts.concat();
    let (iv, aad) = ([9u8; 12], b"header".as_slice());
    let one_shot = c
        .block_on(client.encrypt(
            &uid,
            Plaintext {
                data: &whole,
                parameters: gcm(),
                iv: Some(&iv),
                aad: Some(aad),
            },
        ))
        .unwrap();

    // Encrypt in three parts: the first names key, parameters, IV and AAD.
    let encrypt = |i: usize, correlation: Option<&ByteString>| {
        let first = i == 0;
        let req = EncryptRequest {
            unique_identifier: first.then(|| UniqueIdentifier::Text(uid.clone())),
            cryptographic_parameters: if first { gcm() } else { None },
            data: Some(ByteString::new(parts[i].to_vec())),
            iv_counter_nonce: first.then(|| ByteString::new(iv.to_vec())),
            authenticated_encryption_additional_data: first.then(|| ByteString::new(aad.to_vec())),
            streaming: streaming(correlation, first, i == parts.len() - 1),
        };
        match c
            .block_on(client.call(Operation::ENCRYPT, RequestPayload::Encrypt(req)))
            .unwrap()
            .payload
        {
            Some(ResponsePayload::Encrypt(r)) => r,
            other => panic!("not an Encrypt answer: {other:?}"),
        }
    };
    let first = encrypt(0, None);
    let correlation = first
        .correlation_value
        .clone()
        .expect("a Correlation Value");
    let second = encrypt(1, Some(&correlation));
    assert_eq!(second.correlation_value, Some(correlation.clone()));
    let last = encrypt(2, Some(&correlation));
    assert_eq!(last.correlation_value, None, "the stream is over");
    // Each part is answered with its own ciphertext (GCM settles every byte at once), the
    // last with the tag: together, what one request gives.
    let bytes = |r: &kmip_messages::payload::encrypt::EncryptResponse| {
        r.data
            .as_ref()
            .map(|d| d.as_slice().to_vec())
            .unwrap_or_default()
    };
    assert_eq!(bytes(&first).len(), parts[0].len());
    assert_eq!(bytes(&second).len(), parts[1].len());
    assert_eq!(
        [bytes(&first), bytes(&second), bytes(&last)].concat(),
        bytes(&one_shot),
        "three parts encrypt as one request does"
    );
    assert_eq!(
        last.authenticated_encryption_tag,
        one_shot.authenticated_encryption_tag
    );

    // The stream is finished: its Correlation Value is unknown now.
    let after = EncryptRequest {
        data: Some(ByteString::new(b"more".to_vec())),
        streaming: streaming(Some(&correlation), false, true),
        ..EncryptRequest::default()
    };
    let refused = c.block_on(client.call(Operation::ENCRYPT, RequestPayload::Encrypt(after)));
    assert!(
        matches!(&refused, Err(ClientError::Kmip { reason, .. }) if *reason == ResultReason::INVALID_FIELD),
        "{refused:?}"
    );

    // Decrypt in two parts, the tag with the last; another client cannot join the stream.
    let ciphertext = one_shot.data.unwrap().as_slice().to_vec();
    let (head, tail) = ciphertext.split_at(20);
    let opened = c
        .block_on(client.call(
            Operation::DECRYPT,
            RequestPayload::Decrypt(DecryptRequest {
                unique_identifier: Some(UniqueIdentifier::Text(uid.clone())),
                cryptographic_parameters: gcm(),
                data: Some(ByteString::new(head.to_vec())),
                iv_counter_nonce: Some(ByteString::new(iv.to_vec())),
                authenticated_encryption_additional_data: Some(ByteString::new(aad.to_vec())),
                streaming: streaming(None, true, false),
                ..DecryptRequest::default()
            }),
        ))
        .unwrap();
    let Some(ResponsePayload::Decrypt(opened)) = opened.payload else {
        panic!("not a Decrypt answer");
    };
    let correlation = opened.correlation_value.expect("a Correlation Value");
    let last_part = DecryptRequest {
        data: Some(ByteString::new(tail.to_vec())),
        authenticated_encryption_tag: one_shot.authenticated_encryption_tag.clone(),
        streaming: streaming(Some(&correlation), false, true),
        ..DecryptRequest::default()
    };
    c.issue_client("other");
    c.allow(leader, "other");
    let other = c.client("other", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let foreign = c.block_on(other.call(
        Operation::DECRYPT,
        RequestPayload::Decrypt(last_part.clone()),
    ));
    assert!(
        matches!(&foreign, Err(ClientError::Kmip { reason, .. }) if *reason == ResultReason::INVALID_FIELD),
        "{foreign:?}"
    );
    match c
        .block_on(client.call(Operation::DECRYPT, RequestPayload::Decrypt(last_part)))
        .unwrap()
        .payload
    {
        Some(ResponsePayload::Decrypt(r)) => {
            assert_eq!(r.data.unwrap().as_slice(), whole.as_slice())
        }
        other => panic!("not a Decrypt answer: {other:?}"),
    }

    // Hash needs no key: two parts give the digest of their concatenation.
    let hash = |data: &[u8], correlation: Option<&ByteString>| {
        let req = HashRequest {
            cryptographic_parameters: CryptographicParameters {
                hashing_algorithm: Some(HashingAlgorithm::SHA_256),
                ..CryptographicParameters::default()
            },
            data: Some(ByteString::new(data.to_vec())),
            streaming: streaming(correlation, correlation.is_none(), correlation.is_some()),
        };
        match c
            .block_on(client.call(Operation::HASH, RequestPayload::Hash(req)))
            .unwrap()
            .payload
        {
            Some(ResponsePayload::Hash(r)) => r,
            other => panic!("not a Hash answer: {other:?}"),
        }
    };
    let opened = hash(parts[0], None);
    let digest = hash(parts[1], opened.correlation_value.as_ref());
    assert_eq!(
        digest.data.unwrap().as_slice(),
        raftkeep_crypto::hash(HashingAlgorithm::SHA_256, &parts[..2].concat()).unwrap()
    );
}

#[test]
fn allocations_spend_usage_limits_and_archived_keys_wait_for_recover() {
    use kmip_messages::RequestPayload;
    use kmip_ttlv::Ttlv;
    use kmip_ttlv::enums::Operation;

    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let limits = Value::Structure(vec![
        Ttlv::new(Tag::USAGE_LIMITS_TOTAL, Value::LongInteger(64)),
        Ttlv::enumeration(
            Tag::USAGE_LIMITS_UNIT,
            kmip_ttlv::enums::UsageLimitsUnit::BYTE.0,
        ),
    ]);
    let uid = c
        .block_on(client.create_symmetric_key(
            CryptographicAlgorithm::AES,
            256,
            vec![
                mask(CryptographicUsageMask::ENCRYPT),
                attr("Usage Limits", limits),
            ],
        ))
        .unwrap();
    c.block_on(client.activate(&uid)).unwrap();
    let reason = |r: Result<_, ClientError>| match r {
        Err(ClientError::Kmip { reason, .. }) => Some(reason),
        _ => None,
    };
    let by_uid = |op: Operation, extra: Vec<Ttlv>| {
        let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid.clone())];
        items.extend(extra);
        c.block_on(client.call(
            op,
            RequestPayload::Other(Ttlv::structure(Tag::REQUEST_PAYLOAD, items)),
        ))
        .map(|_| ())
    };
    let allocate = |n: i64| {
        by_uid(
            Operation::GET_USAGE_ALLOCATION,
            vec![Ttlv::new(Tag::USAGE_LIMITS_COUNT, Value::LongInteger(n))],
        )
    };
    let encrypt = |n: usize| {
        let data = vec![0u8; n];
        let p = Plaintext {
            data: &data,
            parameters: Some(CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::ECB),
                ..CryptographicParameters::default()
            }),
            iv: None,
            aad: None,
        };
        c.block_on(client.encrypt(&uid, p)).map(|_| ())
    };

    // 48 of 64 bytes allocated to the client: the server may spend only the 16 left.
    allocate(48).unwrap();
    assert_eq!(reason(encrypt(32)), Some(ResultReason::PERMISSION_DENIED));
    encrypt(16).unwrap();
    assert_eq!(reason(allocate(1)), Some(ResultReason::PERMISSION_DENIED));
    assert_eq!(reason(allocate(0)), Some(ResultReason::INVALID_FIELD));

    // Archived: attributes stay readable, the key itself waits for Recover.
    by_uid(Operation::ARCHIVE, Vec::new()).unwrap();
    assert_eq!(
        reason(c.block_on(client.get(&uid)).map(|_| ())),
        Some(ResultReason::OBJECT_ARCHIVED)
    );
    let attributes = c.block_on(client.get_attributes(&uid, Vec::new())).unwrap();
    assert!(attributes.get("Archive Date").is_some());
    by_uid(Operation::RECOVER, Vec::new()).unwrap();
    c.block_on(client.get(&uid)).unwrap();
    let attributes = c.block_on(client.get_attributes(&uid, Vec::new())).unwrap();
    assert!(attributes.get("Archive Date").is_none());
}

#[test]
fn asymmetric_keys_are_served_in_each_format_and_transparent_ones_are_usable() {
    use kmip_messages::RequestPayload;
    use kmip_messages::payload::get::GetRequest;
    use kmip_ttlv::enums::{KeyFormatType, Operation};
    use raftkeep_crypto::{PrivateKey, PublicKey};

    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let (private, public) = ec_pair(&c, &client, 384);
    c.block_on(client.activate(&private)).unwrap();
    let get = |uid: &str, format: KeyFormatType| {
        let req = GetRequest {
            unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
            key_format_type: Some(format),
            ..GetRequest::default()
        };
        get_object(&c, &client, req)
    };
    let block = |o: ManagedObject| match o {
        ManagedObject::PrivateKey(kb) | ManagedObject::PublicKey(kb) => kb,
        other => panic!("not an asymmetric key: {other:?}"),
    };
    let components = |kb: &kmip_messages::KeyBlock| match &kb.key_value {
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Structure(items),
            ..
        }) => items.clone(),
        other => panic!("not Transparent: {other:?}"),
    };
    let der = |kb: &kmip_messages::KeyBlock| match &kb.key_value {
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(b),
            ..
        }) => b.as_slice().to_vec(),
        other => panic!("not DER: {other:?}"),
    };

    // The private key as PKCS#8 and as Transparent EC Private Key: the same key.
    let pkcs8 = block(get(&private, KeyFormatType::PKCS_8));
    let clear = block(get(&private, KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY));
    assert_eq!(
        clear.key_format_type,
        KeyFormatType::TRANSPARENT_EC_PRIVATE_KEY
    );
    let from_der = PrivateKey::from_der(KeyFormatType::PKCS_8, &der(&pkcs8)).unwrap();
    let from_parts =
        PrivateKey::from_transparent(clear.key_format_type, &components(&clear)).unwrap();
    assert_eq!(
        *from_der.to_der(KeyFormatType::PKCS_8).unwrap(),
        *from_parts.to_der(KeyFormatType::PKCS_8).unwrap()
    );
    // An EC key has no PKCS#1 form: Key Format Type Not Supported.
    let refused = c.block_on(client.call(
        Operation::GET,
        RequestPayload::Get(GetRequest {
            unique_identifier: Some(UniqueIdentifier::Text(private.clone())),
            key_format_type: Some(KeyFormatType::PKCS_1),
            ..GetRequest::default()
        }),
    ));
    assert!(
        matches!(&refused, Err(ClientError::Kmip { reason, .. }) if *reason == ResultReason::KEY_FORMAT_TYPE_NOT_SUPPORTED),
        "{refused:?}"
    );

    // The public key registered anew in its Transparent form verifies the pair's signatures.
    let transparent = block(get(&public, KeyFormatType::TRANSPARENT_EC_PUBLIC_KEY));
    let x509 = block(get(&public, KeyFormatType::X_509));
    assert_eq!(
        PublicKey::from_transparent(transparent.key_format_type, &components(&transparent))
            .unwrap()
            .to_der(KeyFormatType::X_509)
            .unwrap(),
        der(&x509)
    );
    let copy = c
        .block_on(client.register(
            ManagedObject::PublicKey(transparent),
            vec![mask(CryptographicUsageMask::VERIFY)],
        ))
        .unwrap();
    c.block_on(client.activate(&copy)).unwrap();
    let signature = c
        .block_on(client.sign(&private, b"firmware", None))
        .unwrap();
    assert!(
        c.block_on(client.signature_verify(&copy, b"firmware", &signature, None))
            .unwrap()
    );
    assert!(
        !c.block_on(client.signature_verify(&copy, b"firmwarf", &signature, None))
            .unwrap()
    );
}

#[test]
fn keys_registered_wrapped_are_kept_as_registered_and_unwrapped_for_use() {
    use kmip_messages::payload::get::GetRequest;
    use kmip_ttlv::enums::KeyWrapType;

    let (c, _leader, follower) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[follower].kmip_addr.clone()], None, 10);
    let both = CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT;
    let kek = active_key(
        &c,
        &client,
        CryptographicUsageMask::WRAP_KEY | CryptographicUsageMask::UNWRAP_KEY,
    );
    let original = active_key(&c, &client, both);
    let key = key_bytes(&c.block_on(client.get(&original)).unwrap().object);

    // A key wrapped elsewhere (here: by this server) is registered as it is.
    let wrapped = c
        .block_on(client.get_wrapped(&original, wrapping_spec(&kek)))
        .unwrap()
        .object;
    let copy = c
        .block_on(client.register(wrapped, vec![mask(both)]))
        .unwrap();
    c.block_on(client.activate(&copy)).unwrap();
    let get = |wrap: Option<KeyWrapType>| {
        let req = GetRequest {
            unique_identifier: Some(UniqueIdentifier::Text(copy.clone())),
            key_wrap_type: wrap,
            ..GetRequest::default()
        };
        get_object(&c, &client, req)
    };
    let ManagedObject::SymmetricKey(as_registered) = get(None) else {
        panic!("not a key")
    };
    assert!(matches!(
        as_registered.key_value,
        Some(KeyValue::Wrapped(_))
    ));
    assert_eq!(key_bytes(&get(Some(KeyWrapType::NOT_WRAPPED))), key);

    // Used, it is the original key: the same ciphertext.
    let encrypt = |uid: &str| {
        let p = Plaintext {
            data: &[5u8; 32],
            parameters: Some(CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::ECB),
                ..CryptographicParameters::default()
            }),
            iv: None,
            aad: None,
        };
        c.block_on(client.encrypt(uid, p)).map(|r| r.data)
    };
    assert_eq!(encrypt(&copy).unwrap(), encrypt(&original).unwrap());

    // Under a key that may wrap but not unwrap, the registered key cannot be used.
    let wrap_only = active_key(&c, &client, CryptographicUsageMask::WRAP_KEY);
    let wrapped = c
        .block_on(client.get_wrapped(&original, wrapping_spec(&wrap_only)))
        .unwrap()
        .object;
    let stuck = c
        .block_on(client.register(wrapped, vec![mask(both)]))
        .unwrap();
    c.block_on(client.activate(&stuck)).unwrap();
    let refused = encrypt(&stuck);
    assert!(
        matches!(&refused, Err(ClientError::Kmip { reason, message, .. }) if *reason == ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK && message.contains(&wrap_only)),
        "{refused:?}"
    );

    // Wrapped under a key this server does not hold: kept and served as registered, not usable.
    let ManagedObject::SymmetricKey(mut foreign) = get(None) else {
        panic!("not a key")
    };
    foreign.key_wrapping_data = Some(
        kmip_messages::KeyWrappingData {
            wrapping_method: WrappingMethod::ENCRYPT,
            encryption_key_information: Some(KeyInformation {
                unique_identifier: UniqueIdentifier::Text("42".to_owned()),
                cryptographic_parameters: None,
            }),
            mac_signature_key_information: None,
            mac_signature: None,
            iv_counter_nonce: None,
            encoding_option: None,
        }
        .write_item(Tag::KEY_WRAPPING_DATA, Ctx::new(ProtocolVersion::V1_4)),
    );
    let foreign = c
        .block_on(client.register(ManagedObject::SymmetricKey(foreign), vec![mask(both)]))
        .unwrap();
    c.block_on(client.activate(&foreign)).unwrap();
    c.block_on(client.get(&foreign)).unwrap();
    let refused = encrypt(&foreign);
    assert!(
        matches!(&refused, Err(ClientError::Kmip { message, .. }) if message.contains("wrapped under 42, which this server does not hold")),
        "{refused:?}"
    );
}

/// KMIP 2.1 §4.23: a Register may say its key is not fresh (it was used before), as the
/// OASIS 2.1 case does; a key made here starts fresh.
#[test]
fn a_register_may_mark_its_key_not_fresh_and_new_keys_are_fresh() {
    let (c, leader, _) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[leader].kmip_addr.clone()], None, 10);
    let object = ManagedObject::SymmetricKey(kmip_messages::KeyBlock {
        key_format_type: kmip_ttlv::enums::KeyFormatType::RAW,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(kmip_ttlv::ByteString::new(vec![7; 32])),
            attributes: kmip_messages::Attributes::default(),
        }),
        cryptographic_algorithm: Some(CryptographicAlgorithm::AES),
        cryptographic_length: Some(256),
        key_wrapping_data: None,
    });
    let uid = c
        .block_on(client.register(object, vec![attr("Fresh", Value::Boolean(false))]))
        .unwrap();
    let fresh = |uid: &str| {
        let got = c
            .block_on(client.get_attributes(uid, vec!["Fresh".into()]))
            .unwrap();
        got.0.first().map(|a| a.value.clone())
    };
    assert_eq!(fresh(&uid), Some(Value::Boolean(false)));
    let made = c.create_key(&client);
    assert_eq!(
        fresh(&made),
        Some(Value::Boolean(true)),
        "new keys are fresh"
    );
}
