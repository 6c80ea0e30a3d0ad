//! A renewed certificate takes effect without a restart: against 3 node processes, a client
//! keeps reading a key — every read on a new connection, as vCenter does, and one
//! connection opened before the renewal kept open — while a node's certificate (its KMIP and
//! cluster certificate, one file here) is renewed with a new key and the node is sent
//! SIGHUP. No request fails, new KMIP connections and new connections to the cluster port
//! are shown the new certificate, the open connection goes on, and the cluster keeps
//! replicating through the renewed node.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use std::time::{Duration, Instant};

use kmip_messages::payload::get::GetRequest;
use kmip_messages::{
    Message, ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage, RequestPayload,
    ResponseMessage, UniqueIdentifier,
};
use kmip_ttlv::Limits;
use kmip_ttlv::enums::{Operation, ResultStatus};
use sha2::{Digest, Sha256};
use support::Cluster;

/// How long the client keeps reading after the renewal, at most.
const READ_AFTER_RENEWAL: Duration = Duration::from_secs(15);

fn get(uid: &str) -> Vec<u8> {
    RequestMessage {
        header: RequestHeader::new(ProtocolVersion::V1_1, 1),
        batch_items: vec![RequestBatchItem {
            operation: Operation::GET,
            ephemeral: None,
            unique_batch_item_id: None,
            payload: RequestPayload::Get(GetRequest {
                unique_identifier: Some(UniqueIdentifier::Text(uid.to_owned())),
                ..Default::default()
            }),
            message_extension: None,
        }],
    }
    .encode()
    .unwrap()
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// The SHA-256 of the certificate the server presented on `tls`.
fn presented(tls: &Tls) -> Vec<u8> {
    let certs = tls.get_ref().1.peer_certificates().unwrap();
    Sha256::digest(certs[0].as_ref()).to_vec()
}

/// The SHA-256 of the certificate node `i`'s cluster port presents to a new connection.
fn cluster_presented(c: &Cluster, i: usize) -> Vec<u8> {
    let mut config = c.client_tls("client");
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tls = c.block_on(async {
        let tcp = tokio::net::TcpStream::connect(&c.nodes[i].addr)
            .await
            .unwrap();
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(
                rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
                tcp,
            )
            .await
            .unwrap()
    });
    presented(&tls)
}

/// One request and its answer on `tls`: whether it succeeded.
async fn exchange(tls: &mut Tls, request: &[u8]) -> bool {
    support::kmip_exchange(tls, request).await.is_some_and(|m| {
        ResponseMessage::decode(&m, &Limits::default())
            .is_ok_and(|r| r.batch_items[0].result_status == ResultStatus::SUCCESS)
    })
}

#[test]
fn a_renewed_kmip_certificate_is_presented_without_a_restart_and_no_request_fails() {
    let (c, _leader, node) = Cluster::serving_kmip(3);
    let client = c.client("client", &[c.nodes[node].kmip_addr.clone()], None, 10);
    let uid = c.create_key(&client);
    let request = get(&uid);
    let mut kept_open = c.block_on(c.kmip_connect(node, "client"));
    let before = presented(&kept_open);
    assert_eq!(cluster_presented(&c, node), before);
    assert!(c.block_on(exchange(&mut kept_open, &request)));

    // The node's certificate renewed with a new key, as an operator does it, then SIGHUP.
    let name = format!("node{}", c.nodes[node].id);
    support::cli(&[
        "certs",
        "renew",
        "node",
        "--dir",
        &c.pki(""),
        "--name",
        &name,
        "--new-key",
    ]);
    let pid = c.nodes[node].child.as_ref().unwrap().id().to_string();
    let hup = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(hup.success());

    let started = Instant::now();
    let (mut reads, mut failed, mut new_seen) = (0, 0, 0);
    while started.elapsed() < READ_AFTER_RENEWAL && new_seen < 20 {
        let mut tls = c.block_on(c.kmip_connect(node, "client"));
        if presented(&tls) != before {
            new_seen += 1;
        }
        reads += 1;
        if !c.block_on(exchange(&mut tls, &request)) {
            failed += 1;
        }
        // The connection opened before the renewal goes on with its certificate.
        if !c.block_on(exchange(&mut kept_open, &request)) {
            failed += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("{reads} reads on new connections, {new_seen} shown the new certificate");
    assert_eq!(failed, 0, "requests failed across the renewal");
    assert!(
        new_seen >= 20,
        "new connections were not shown the renewed certificate within {READ_AFTER_RENEWAL:?}"
    );
    assert_eq!(presented(&kept_open), before);
    let renewed = cluster_presented(&c, node);
    assert_ne!(
        renewed, before,
        "the cluster port still shows the old certificate"
    );
    // Raft goes on through the renewed node: a write through it reaches every node.
    c.create_key(&client);
    c.wait_converged(&[0, 1, 2]);
}
