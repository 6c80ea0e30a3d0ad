//! The KMIP listener over real TLS on 127.0.0.1: it answers, keeps connections open across
//! requests, answers bad input with Invalid Message or a closed connection, and keeps serving
//! other clients through hundreds of mutated messages.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kmip_messages::payload::discover_versions::DiscoverVersionsRequest;
use kmip_messages::{
    Message, ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage, RequestPayload,
    ResponseMessage, ResponsePayload,
};
use kmip_ttlv::enums::{Operation, ResultReason, ResultStatus};
use kmip_ttlv::{ByteString, Limits};
use raftkeep_seal::{KeyVersion, Keyring, RootKey};
use raftkeep_server::ops::discover_versions::SUPPORTED;
use raftkeep_server::{Engine, KeyStore, KmipListener, Settings, StoreFailure, StoreFuture};
use raftkeep_store::{Command, CommandResult, StoredObject};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

struct Pki {
    ca_der: CertificateDer<'static>,
    server_pem: (String, String),
    /// A client certificate from an unrelated CA, without extended key usage.
    client: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

fn ca(name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    (params, key)
}

fn pki() -> Pki {
    let (ca_params, ca_key) = ca("test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let (other_params, other_key) = ca("another CA");
    let other = Issuer::from_params(&other_params, &other_key);
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["client.invalid".to_owned()])
        .unwrap()
        .signed_by(&client_key, &other)
        .unwrap();
    Pki {
        ca_der: ca_cert.der().clone(),
        server_pem: (
            format!("{}{}", server.pem(), ca_cert.pem()),
            server_key.serialize_pem(),
        ),
        client: (
            client.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(client_key.serialize_der())),
        ),
    }
}

/// An allow-list of fixed fingerprints (the node's is the replicated one, tested with real
/// processes in `crates/raftkeep/tests/cluster_processes.rs`).
struct Fixed(Vec<String>);

impl raftkeep_server::AllowList for Fixed {
    fn identify(&self, client: &raftkeep_server::Client) -> Result<Option<String>, String> {
        Ok(self
            .0
            .contains(&client.fingerprint)
            .then(|| client.fingerprint.clone()))
    }
}

/// A store without objects that cannot commit: these tests are about the listener, the
/// operations are tested against a real cluster (`crates/raftkeep/tests/kmip_*.rs`).
struct NoObjects;

impl KeyStore for NoObjects {
    fn object(&self, _: &str) -> Result<Option<StoredObject>, StoreFailure> {
        Ok(None)
    }
    fn lookup(&self, _: &str, _: &[u8]) -> Result<Vec<String>, StoreFailure> {
        Ok(Vec::new())
    }
    fn objects_after(&self, _: Option<&str>, _: usize) -> Result<Vec<StoredObject>, StoreFailure> {
        Ok(Vec::new())
    }
    fn groups_of(&self, _: &str) -> Result<Vec<String>, StoreFailure> {
        Ok(Vec::new())
    }
    fn write(&self, _: Command) -> StoreFuture<'_, CommandResult> {
        Box::pin(async { Err(StoreFailure::Internal("no store in this test".to_owned())) })
    }
}

async fn start(pki: &Pki, settings: Settings) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    start_allowing(
        pki,
        settings,
        vec![raftkeep_server::tls::fingerprint(&pki.client.0)],
    )
    .await
}

async fn start_allowing(
    pki: &Pki,
    settings: Settings,
    allowed: Vec<String>,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let tls = raftkeep_server::tls::server_config(
        pki.server_pem.0.as_bytes(),
        pki.server_pem.1.as_bytes(),
    )
    .unwrap();
    let listener = KmipListener::bind("127.0.0.1:0".parse().unwrap(), tls, settings)
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let engine = Engine::new(
        Arc::new(Fixed(allowed)),
        Arc::new(NoObjects),
        Keyring::single(RootKey::new(KeyVersion(1), [7; 32])),
    );
    tokio::spawn(listener.serve(Arc::new(engine), async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

fn connector(pki: &Pki, with_cert: bool) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = if with_cert {
        builder
            .with_client_auth_cert(vec![pki.client.0.clone()], pki.client.1.clone_key())
            .unwrap()
    } else {
        builder.with_no_client_auth()
    };
    TlsConnector::from(Arc::new(config))
}

async fn connect(pki: &Pki, addr: SocketAddr) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    connector(pki, true).connect(name, tcp).await.unwrap()
}

/// Sends bytes and reads one response; `None` when the server closed the connection instead.
async fn exchange(stream: &mut TlsStream<TcpStream>, bytes: &[u8]) -> Option<ResponseMessage> {
    stream.write_all(bytes).await.ok()?;
    let limits = Limits::default();
    let read = raftkeep_server::framing::read_message(stream, &limits, Duration::from_secs(10));
    let bytes = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("the server neither answered nor closed")
        .ok()??;
    Some(ResponseMessage::decode(&bytes, &Limits::default()).unwrap())
}

fn request(version: ProtocolVersion, items: Vec<(Operation, RequestPayload)>) -> Vec<u8> {
    let batch_items: Vec<RequestBatchItem> = items
        .into_iter()
        .enumerate()
        .map(|(i, (operation, payload))| RequestBatchItem {
            operation,
            ephemeral: None,
            unique_batch_item_id: Some(ByteString::new(vec![i as u8; 8])),
            payload,
            message_extension: None,
        })
        .collect();
    RequestMessage {
        header: RequestHeader::new(version, batch_items.len() as i32),
        batch_items,
    }
    .encode()
    .unwrap()
}

fn discover_versions() -> Vec<u8> {
    request(
        ProtocolVersion::V1_1,
        vec![(
            Operation::DISCOVER_VERSIONS,
            RequestPayload::DiscoverVersions(DiscoverVersionsRequest::default()),
        )],
    )
}

fn assert_discovers_all(response: &ResponseMessage) {
    assert_eq!(response.header.protocol_version, ProtocolVersion::V1_1);
    let item = &response.batch_items[0];
    assert_eq!(item.result_status, ResultStatus::SUCCESS, "{item:?}");
    match &item.payload {
        Some(ResponsePayload::DiscoverVersions(r)) => assert_eq!(r.versions, SUPPORTED.to_vec()),
        other => panic!("unexpected payload {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_not_allowed_completes_the_handshake_and_gets_permission_denied() {
    let pki = pki();
    let (addr, _stop) = start_allowing(&pki, Settings::default(), Vec::new()).await;
    let mut s = connect(&pki, addr).await;
    let response = exchange(&mut s, &discover_versions()).await.unwrap();
    let item = &response.batch_items[0];
    assert_eq!(item.result_reason, Some(ResultReason::PERMISSION_DENIED));
    let text = item.result_message.as_deref().unwrap();
    assert!(
        text.contains(&raftkeep_server::tls::fingerprint(&pki.client.0)),
        "{text}"
    );
    assert_eq!(item.unique_batch_item_id, Some(ByteString::new(vec![0; 8])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_serves_many_requests_from_a_certificate_of_any_ca() {
    let pki = pki();
    let (addr, _stop) = start(&pki, Settings::default()).await;
    let mut s = connect(&pki, addr).await;
    for _ in 0..3 {
        assert_discovers_all(&exchange(&mut s, &discover_versions()).await.unwrap());
    }
    // A vendor operation this server does not know: a clear failure with the batch item ID
    // echoed, and the connection stays usable.
    let vendor = request(
        ProtocolVersion::V1_4,
        vec![(
            Operation(0x8000_0001),
            RequestPayload::Other(kmip_ttlv::Ttlv::structure(
                kmip_ttlv::Tag::REQUEST_PAYLOAD,
                vec![],
            )),
        )],
    );
    let response = exchange(&mut s, &vendor).await.unwrap();
    let item = &response.batch_items[0];
    assert_eq!(
        item.result_reason,
        Some(ResultReason::OPERATION_NOT_SUPPORTED)
    );
    assert_eq!(item.unique_batch_item_id, Some(ByteString::new(vec![0; 8])));
    assert_eq!(response.header.protocol_version, ProtocolVersion::V1_4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vcenters_query_gets_server_information_and_operations_are_truthful() {
    use kmip_messages::payload::query::QueryRequest;
    use kmip_ttlv::enums::QueryFunction;
    let pki = pki();
    let (addr, _stop) = start(&pki, Settings::default()).await;
    let mut s = connect(&pki, addr).await;
    // vCenter 7.0.3's Query(Server Information), byte for byte from the capture.
    let vcenter = "42007801000000804200770100000038420069010000002042006a02000000040000000100000000\
42006b0200000004000000010000000042000d0200000004000000010000000042000f0100000038\
42005c050000000400000018000000004200930800000008514c4b43010000004200790100000010\
42007405000000040000000300000000";
    let response = exchange(&mut s, &hex::decode(vcenter).unwrap())
        .await
        .unwrap();
    let item = &response.batch_items[0];
    assert_eq!(item.result_status, ResultStatus::SUCCESS, "{item:?}");
    assert_eq!(
        item.unique_batch_item_id,
        Some(ByteString::new(b"QLKC\x01\0\0\0".to_vec()))
    );
    let Some(ResponsePayload::Query(q)) = &item.payload else {
        panic!("{item:?}")
    };
    assert!(
        q.vendor_identification
            .as_deref()
            .unwrap()
            .starts_with("Raftkeep ")
    );
    assert!(q.operations.is_empty(), "only what was asked");

    let ask = request(
        ProtocolVersion::V1_4,
        vec![(
            Operation::QUERY,
            RequestPayload::Query(QueryRequest {
                functions: vec![
                    QueryFunction::QUERY_OPERATIONS,
                    QueryFunction::QUERY_OBJECTS,
                ],
            }),
        )],
    );
    let response = exchange(&mut s, &ask).await.unwrap();
    let Some(ResponsePayload::Query(q)) = &response.batch_items[0].payload else {
        panic!("{response:?}")
    };
    // Every operation the engine implements that KMIP 1.4 defines, and none it does not.
    let defined_in_1_4: Vec<Operation> = raftkeep_server::ops::query::OPERATIONS
        .into_iter()
        .filter(|op| {
            kmip_messages::since::defined(
                kmip_messages::since::operation(*op),
                ProtocolVersion::V1_4,
            )
        })
        .collect();
    assert_eq!(q.operations, defined_in_1_4);
    assert!(!q.operations.contains(&Operation::SET_ATTRIBUTE));
    for vcenter_needs in [Operation::CREATE, Operation::GET, Operation::ADD_ATTRIBUTE] {
        assert!(q.operations.contains(&vcenter_needs), "{vcenter_needs}");
    }
    assert!(
        q.object_types
            .contains(&kmip_ttlv::enums::ObjectType::SYMMETRIC_KEY)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_requests_get_invalid_message_and_the_connection_goes_on() {
    let pki = pki();
    let (addr, _stop) = start(&pki, Settings::default()).await;
    let mut s = connect(&pki, addr).await;
    // Frames as a message (Request Message, 8-byte body) but the body is not a request.
    let mut bad = vec![0x42, 0x00, 0x78, 0x01, 0, 0, 0, 8];
    bad.extend_from_slice(&[0x42, 0x00, 0x01, 0x02, 0, 0, 0, 0]);
    let response = exchange(&mut s, &bad).await.unwrap();
    assert_eq!(
        response.batch_items[0].result_reason,
        Some(ResultReason::INVALID_MESSAGE)
    );
    assert_discovers_all(&exchange(&mut s, &discover_versions()).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_kmip_oversized_and_truncated_input_closes_only_that_connection() {
    let pki = pki();
    let settings = Settings {
        read_timeout: Duration::from_millis(500),
        ..Settings::default()
    };
    let (addr, _stop) = start(&pki, settings).await;

    let mut s = connect(&pki, addr).await;
    let response = exchange(&mut s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(
        response.batch_items[0].result_reason,
        Some(ResultReason::INVALID_MESSAGE)
    );
    assert!(
        exchange(&mut s, &discover_versions()).await.is_none(),
        "closed after garbage"
    );

    let mut s = connect(&pki, addr).await;
    let oversized = [0x42, 0x00, 0x78, 0x01, 0x7f, 0xff, 0xff, 0xf8];
    let response = exchange(&mut s, &oversized).await.unwrap();
    assert_eq!(
        response.batch_items[0].result_reason,
        Some(ResultReason::INVALID_MESSAGE)
    );

    // A message that never completes: closed after the read timeout, no answer.
    let mut s = connect(&pki, addr).await;
    assert!(
        exchange(&mut s, &[0x42, 0x00, 0x78, 0x01, 0, 0, 0, 64, 1, 2, 3])
            .await
            .is_none()
    );

    // Without a client certificate the handshake fails.
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let no_cert = connector(&pki, false).connect(name, tcp).await;
    if let Ok(mut s) = no_cert {
        // TLS 1.3 reports the refusal on the first read.
        let _ = s.write_all(&discover_versions()).await;
        let mut buf = [0_u8; 1];
        assert!(matches!(s.read(&mut buf).await, Err(_) | Ok(0)));
    }

    let mut s = connect(&pki, addr).await;
    assert_discovers_all(&exchange(&mut s, &discover_versions()).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_mutated_messages_never_stop_the_server() {
    let pki = pki();
    let settings = Settings {
        read_timeout: Duration::from_millis(200),
        ..Settings::default()
    };
    let (addr, _stop) = start(&pki, settings).await;
    let valid = discover_versions();
    let (mut answered, mut closed) = (0, 0);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut s = connect(&pki, addr).await;
    for _ in 0..300 {
        let mut msg = valid.clone();
        for _ in 0..1 + seed % 4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % msg.len() as u64) as usize;
            msg[at] ^= (seed >> 32) as u8 | 1;
        }
        match exchange(&mut s, &msg).await {
            Some(_) => answered += 1,
            None => {
                closed += 1;
                s = connect(&pki, addr).await;
            }
        }
    }
    eprintln!("300 mutated messages: {answered} answered, {closed} closed the connection");
    assert_eq!(answered + closed, 300);
    let mut s = connect(&pki, addr).await;
    assert_discovers_all(&exchange(&mut s, &discover_versions()).await.unwrap());
}

/// One HTTP/1.1 request on a fresh TLS connection; the status code and the body.
async fn http(pki: &Pki, addr: SocketAddr, head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = connect(pki, addr).await;
    let mut request = format!(
        "{head}\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    stream.write_all(&request).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut reply),
    )
    .await
    .expect("no HTTP answer")
    .ok();
    let text = String::from_utf8_lossy(&reply);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let at = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(reply.len(), |p| p + 4);
    (status, reply[at..].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kmip_over_https_answers_each_encoding_in_kind_and_refuses_what_is_not_kmip() {
    let pki = pki();
    let tls = raftkeep_server::tls::server_config(
        pki.server_pem.0.as_bytes(),
        pki.server_pem.1.as_bytes(),
    )
    .unwrap();
    let listener = KmipListener::bind("127.0.0.1:0".parse().unwrap(), tls, Settings::default())
        .await
        .unwrap()
        .https();
    let addr = listener.local_addr().unwrap();
    let engine = Engine::new(
        Arc::new(Fixed(vec![raftkeep_server::tls::fingerprint(
            &pki.client.0,
        )])),
        Arc::new(NoObjects),
        Keyring::single(RootKey::new(KeyVersion(1), [7; 32])),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(listener.serve(Arc::new(engine), async {
        let _ = stopped.await;
    }));

    // TTLV in, TTLV out.
    let (status, body) = http(
        &pki,
        addr,
        "POST /kmip HTTP/1.1\r\nContent-Type: application/octet-stream",
        &discover_versions(),
    )
    .await;
    assert_eq!(status, 200);
    assert_discovers_all(&ResponseMessage::decode(&body, &Limits::default()).unwrap());
    // XML in, XML out; JSON in, JSON out: the same answer.
    let tree = kmip_ttlv::decode_message(&discover_versions(), &Limits::default()).unwrap();
    for (content_type, text) in [
        ("text/xml", kmip_text::xml::to_xml(&tree)),
        ("application/json", kmip_text::json::to_json(&tree)),
    ] {
        let (status, body) = http(
            &pki,
            addr,
            &format!("POST /kmip HTTP/1.1\r\nContent-Type: {content_type}"),
            text.as_bytes(),
        )
        .await;
        assert_eq!(status, 200, "{content_type}");
        let body = std::str::from_utf8(&body).unwrap();
        let back = if content_type == "text/xml" {
            kmip_text::xml::from_xml(body, kmip_text::Mode::Message).unwrap()
        } else {
            kmip_text::json::from_json(body, kmip_text::Mode::Message).unwrap()
        };
        let response =
            ResponseMessage::decode(&kmip_ttlv::encode(&back).unwrap(), &Limits::default())
                .unwrap();
        assert_discovers_all(&response);
    }
    // Not KMIP: a GET, an unknown media type, XML that is not a message.
    assert_eq!(http(&pki, addr, "GET /kmip HTTP/1.1", b"").await.0, 405);
    assert_eq!(
        http(
            &pki,
            addr,
            "POST /kmip HTTP/1.1\r\nContent-Type: text/plain",
            b"hello"
        )
        .await
        .0,
        415
    );
    let (status, body) = http(
        &pki,
        addr,
        "POST /kmip HTTP/1.1\r\nContent-Type: text/xml",
        b"<nope>",
    )
    .await;
    assert_eq!(status, 200, "a KMIP answer, Invalid Message");
    assert!(String::from_utf8_lossy(&body).contains("InvalidMessage"));
    let _ = stop.send(());
}

/// A store on a node that cannot serve anything now (cut off from the cluster).
struct CutOff;

impl KeyStore for CutOff {
    fn object(&self, _: &str) -> Result<Option<StoredObject>, StoreFailure> {
        Ok(None)
    }
    fn lookup(&self, _: &str, _: &[u8]) -> Result<Vec<String>, StoreFailure> {
        Ok(Vec::new())
    }
    fn objects_after(&self, _: Option<&str>, _: usize) -> Result<Vec<StoredObject>, StoreFailure> {
        Ok(Vec::new())
    }
    fn groups_of(&self, _: &str) -> Result<Vec<String>, StoreFailure> {
        Ok(Vec::new())
    }
    fn write(&self, _: Command) -> StoreFuture<'_, CommandResult> {
        Box::pin(async { Err(StoreFailure::Unavailable("cut off".to_owned())) })
    }
    fn view(&self, _: raftkeep_server::Purpose) -> StoreFuture<'_, raftkeep_server::View> {
        Box::pin(async { Err(StoreFailure::Unavailable("cut off".to_owned())) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_cluster_cannot_serve_looks_down_over_ttlv_and_https_and_a_shut_gate_refuses() {
    let pki = pki();
    let tls = raftkeep_server::tls::server_config(
        pki.server_pem.0.as_bytes(),
        pki.server_pem.1.as_bytes(),
    )
    .unwrap();
    let engine = Arc::new(Engine::new(
        Arc::new(Fixed(vec![raftkeep_server::tls::fingerprint(
            &pki.client.0,
        )])),
        Arc::new(CutOff),
        Keyring::single(RootKey::new(KeyVersion(1), [7; 32])),
    ));
    let (gate, open) = tokio::sync::watch::channel(true);
    let ttlv = KmipListener::bind(
        "127.0.0.1:0".parse().unwrap(),
        tls.clone(),
        Settings::default(),
    )
    .await
    .unwrap()
    .gated(open);
    let https = KmipListener::bind("127.0.0.1:0".parse().unwrap(), tls, Settings::default())
        .await
        .unwrap()
        .https();
    let (ttlv_addr, https_addr) = (ttlv.local_addr().unwrap(), https.local_addr().unwrap());
    let mut listening = ttlv.listening();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    for listener in [ttlv, https] {
        let mut stopped = stopped.clone();
        tokio::spawn(listener.serve(engine.clone(), async move {
            let _ = stopped.changed().await;
        }));
    }
    let get = request(
        ProtocolVersion::V1_1,
        vec![(
            Operation::GET,
            RequestPayload::Get(kmip_messages::payload::get::GetRequest {
                unique_identifier: Some(kmip_messages::UniqueIdentifier::Text("k".to_owned())),
                ..Default::default()
            }),
        )],
    );

    // TTLV: the connection closes without an answer; what touches no key is still answered.
    let mut stream = connect(&pki, ttlv_addr).await;
    assert_eq!(exchange(&mut stream, &get).await, None);
    let mut stream = connect(&pki, ttlv_addr).await;
    assert_discovers_all(&exchange(&mut stream, &discover_versions()).await.unwrap());
    // HTTPS: 503, HTTP's "try another server", never a KMIP answer.
    let (status, body) = http(
        &pki,
        https_addr,
        "POST /kmip HTTP/1.1\r\nContent-Type: application/octet-stream",
        &get,
    )
    .await;
    assert_eq!(status, 503, "{}", String::from_utf8_lossy(&body));

    // A shut gate resets every new connection before the TLS handshake, until it opens again;
    // the port stays bound meanwhile.
    gate.send_replace(false);
    listening.wait_for(|l| !*l).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    // The reset may come before the connect completes (seen under load) or after it.
    let refused = match TcpStream::connect(ttlv_addr).await {
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        Ok(tcp) => connector(&pki, true).connect(name, tcp).await.is_err(),
    };
    assert!(refused, "a shut gate let a TLS handshake through");
    assert!(
        std::net::TcpListener::bind(ttlv_addr).is_err(),
        "the port was let go"
    );
    gate.send_replace(true);
    listening.wait_for(|l| *l).await.unwrap();
    let mut stream = connect(&pki, ttlv_addr).await;
    assert_discovers_all(&exchange(&mut stream, &discover_versions()).await.unwrap());
    let _ = stop.send(true);
}
