//! What the client puts in a request header: an idempotency key in the Client Correlation
//! Value from KMIP 1.4 on (the field does not exist before), none when turned off for servers
//! that cannot parse it.

#![allow(clippy::unwrap_used, reason = "test")]

use kmip_messages::payload::locate::LocateRequest;
use kmip_messages::{ProtocolVersion, RequestPayload};
use kmip_ttlv::enums::Operation;
use raftkeep_client::{Client, ClientConfig, servers};

fn client(idempotency_keys: bool) -> Client {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["c.invalid".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (ca, c, k) = (
        dir.path().join("ca.pem"),
        dir.path().join("c.pem"),
        dir.path().join("c.key"),
    );
    std::fs::write(&ca, cert.pem()).unwrap();
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    let mut config = ClientConfig::new(servers::parse_list("127.0.0.1:1").unwrap(), ca, c, k);
    config.idempotency_keys = idempotency_keys;
    Client::new(&config).unwrap()
}

fn correlation(client: &Client, version: ProtocolVersion) -> Option<String> {
    let payload = RequestPayload::Locate(LocateRequest::default());
    client
        .request(version, Operation::LOCATE, payload)
        .header
        .client_correlation_value
}

#[test]
fn the_idempotency_key_is_sent_from_kmip_1_4_on_and_only_when_wanted() {
    let on = client(true);
    for v in [ProtocolVersion::V1_4, ProtocolVersion::V2_1] {
        let value = correlation(&on, v).unwrap();
        assert!(value.starts_with("idempotency-key:"), "{value}");
    }
    assert_eq!(correlation(&on, ProtocolVersion::V1_2), None);
    let a = correlation(&on, ProtocolVersion::V2_1);
    assert_ne!(
        a,
        correlation(&on, ProtocolVersion::V2_1),
        "a fresh key per request"
    );
    let off = client(false);
    assert_eq!(correlation(&off, ProtocolVersion::V2_1), None);
}
