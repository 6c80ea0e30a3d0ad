//! KMIP clients written by others, against a 3-node cluster of real processes through a
//! follower, installed from their registries:
//!
//! - NLnet Labs' `kmip-protocol` (crates.io 0.4.3, Rust, KMIP 1.0–1.2), over its own
//!   synchronous TLS stream: Query, Create, Get, Activate, Revoke, Destroy, Create Key Pair,
//!   Sign, RNG Retrieve, and the refusals. Its Query used to fail to parse: the answer listed
//!   Set Attribute, a KMIP 2.0 operation its version does not define.
//! - libmongocrypt, the code every MongoDB driver uses for client-side field level
//!   encryption, through PyPI's pymongocrypt without a MongoDB server
//!   (`tests/mongocrypt/data_keys.py`): data keys made with Register / Activate / Get, and
//!   with `delegated: true` through Create / Encrypt / Decrypt.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::net::TcpStream;
use std::sync::Arc;

use kmip_protocol::client::{Client, ClientBuilder};
use kmip_protocol::types::common::{CryptographicAlgorithm, CryptographicUsageMask, ObjectType};
use kmip_protocol::types::request::{Attribute, RequestPayload, TemplateAttribute};
use kmip_protocol::types::response::ResponsePayload;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use support::Cluster;

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A TLS connection to node `node`'s KMIP port with the client certificate `cert`.
fn connect(c: &Cluster, node: usize, cert: &str) -> Tls {
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(c.pki("ca.pem")).unwrap() {
        roots.add(ca.unwrap()).unwrap();
    }
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(c.pki(&format!("{cert}.pem")))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let key = PrivateKeyDer::from_pem_file(c.pki(&format!("{cert}.key"))).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = TcpStream::connect(&c.nodes[node].kmip_addr).unwrap();
    rustls::StreamOwned::new(conn, tcp)
}

fn client(c: &Cluster, node: usize, cert: &str) -> Client<Tls> {
    ClientBuilder::new(connect(c, node, cert)).build()
}

#[test]
fn nlnet_kmip_protocol_queries_creates_uses_and_destroys_keys() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    c.wait_kmip(follower);
    let kmip = client(&c, follower, "client");

    // Query at KMIP 1.0: it parses, and lists what 1.0 defines.
    let q = kmip.query().expect("Query parses");
    let ops = q.operations.expect("operations listed");
    assert!(ops.len() >= 10, "{ops:?}");
    assert!(
        q.vendor_identification
            .unwrap_or_default()
            .starts_with("Raftkeep")
    );

    // Create, Get, Activate, Revoke, Destroy.
    let created = kmip
        .do_request(RequestPayload::Create(
            ObjectType::SymmetricKey,
            TemplateAttribute::unnamed(vec![
                Attribute::CryptographicAlgorithm(CryptographicAlgorithm::AES),
                Attribute::CryptographicLength(256),
                Attribute::CryptographicUsageMask(
                    CryptographicUsageMask::Encrypt | CryptographicUsageMask::Decrypt,
                ),
            ]),
        ))
        .expect("Create");
    let ResponsePayload::Create(created) = created else {
        panic!("{created:?}")
    };
    let uid = created.unique_identifier.0.clone();
    let got = kmip.get_key(&uid).expect("Get");
    assert_eq!(got.unique_identifier.0, uid);
    kmip.activate_key(&uid).expect("Activate");
    kmip.revoke_key(&uid).expect("Revoke");
    kmip.destroy_key(&uid).expect("Destroy");
    // The refusals parse too: a destroyed key is not served.
    assert!(kmip.get_key(&uid).is_err());
    assert!(kmip.get_key("no-such-key").is_err());

    // Create Key Pair, Sign (KMIP 1.2), RNG Retrieve.
    let (private, _public) = kmip
        .create_rsa_key_pair(2048, "nlnet-private".into(), "nlnet-public".into())
        .expect("Create Key Pair");
    kmip.activate_key(&private)
        .expect("Activate the private key");
    let signed = kmip
        .sign(&private, b"signed by NLnet's client")
        .expect("Sign");
    assert!(!signed.signature_data.is_empty());
    let random = kmip.rng_retrieve(32).expect("RNG Retrieve");
    assert_eq!(random.data.len(), 32);

    // A certificate the cluster never allowed is refused, and the refusal parses.
    c.issue_client("stranger");
    let stranger = client(&c, follower, "stranger");
    assert!(stranger.query().is_err());
}

#[test]
fn libmongocrypt_makes_and_uses_data_keys_in_both_kmip_modes() {
    let (c, _leader, follower) = Cluster::serving_kmip(3);
    c.wait_kmip(follower);
    let python = support::venv_python("mongocrypt");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/mongocrypt/data_keys.py"
    );
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(&c.nodes[follower].kmip_addr)
        .args([c.pki("ca.pem"), c.pki("client.pem"), c.pki("client.key")])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for mode in ["default", "delegated"] {
        let ok = said
            .lines()
            .filter(|l| l.starts_with(&format!("{mode}: ")) && l.ends_with(": ok"))
            .count();
        assert_eq!(ok, 6, "{mode}: {said}");
    }
}
