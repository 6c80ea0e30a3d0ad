//! How the failover loop classifies servers that cannot answer, against sockets that
//! misbehave on purpose: a refused connection is *down* and left at once, a server that
//! accepts but says nothing *hangs* for the service timeout, one that closes the connection
//! during the TLS handshake is *down*. Every server is tried once, in order, and every
//! attempt is counted.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test")]

use std::time::Duration;

use raftkeep_client::{Client, ClientConfig, ClientError, Outcome, servers};

/// A CA and a client certificate signed by it, as PEM files in `dir`.
fn pki(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["client.invalid".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let paths = (dir.join("ca.pem"), dir.join("c.pem"), dir.join("c.key"));
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

#[tokio::test]
async fn refused_is_down_silent_is_hung_and_a_closed_handshake_is_down() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = pki(dir.path());

    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // Bound and listening but never accepting: the kernel completes the TCP handshake,
    // nothing answers the TLS one.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closing = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closing_addr = closing.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = closing.accept().await {
            drop(socket);
        }
    });

    let list = format!("{refused},{},{closing_addr}", silent.local_addr().unwrap());
    let mut config = ClientConfig::new(servers::parse_list(&list).unwrap(), ca, cert, key);
    config.service_timeout_secs = 1;
    config.version = Some("1.4".to_owned());
    let client = Client::new(&config).unwrap();
    let err = client.locate(Vec::new(), None).await.unwrap_err();
    let ClientError::NoServer { attempts } = &err else {
        panic!("{err}");
    };
    let kinds: Vec<&str> = attempts.iter().map(|a| a.outcome.label()).collect();
    assert_eq!(kinds, ["down", "hung", "down"], "{err}");
    assert_eq!(attempts[1].outcome, Outcome::Hung(Duration::from_secs(1)));
    assert!(
        matches!(&attempts[2].outcome, Outcome::Down(why) if why.contains("TLS handshake")),
        "{:?}",
        attempts[2]
    );
    let shown = err.to_string();
    assert!(
        shown.contains(&refused.to_string()) && shown.contains("no answer within 1s"),
        "{shown}"
    );
}

#[test]
fn every_attempt_is_counted_by_server_and_outcome() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = pki(dir.path());
    let down = [
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap(),
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap(),
    ];
    let list = format!("{}@1,{}@2", down[0], down[1]);
    let mut config = ClientConfig::new(servers::parse_list(&list).unwrap(), ca, cert, key);
    config.version = Some("2.1".to_owned());
    config.site = Some("2".to_owned());
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(&config).unwrap();
    metrics::with_local_recorder(&recorder, || {
        let _ = runtime.block_on(client.locate(Vec::new(), None));
        let _ = runtime.block_on(client.locate(Vec::new(), None));
    });
    let mut counted: Vec<(String, Vec<String>, u64)> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| match value {
            DebugValue::Counter(n) => Some((
                key.key().name().to_owned(),
                key.key()
                    .labels()
                    .map(|l| format!("{}={}", l.key(), l.value()))
                    .collect(),
                n,
            )),
            _ => None,
        })
        .collect();
    counted.sort();
    let mut expected = vec![
        (
            "raftkeep_client_attempts_total".to_owned(),
            vec![format!("server={}@1", down[0]), "outcome=down".to_owned()],
            2,
        ),
        (
            "raftkeep_client_attempts_total".to_owned(),
            vec![format!("server={}@2", down[1]), "outcome=down".to_owned()],
            2,
        ),
        (
            "raftkeep_client_failovers_total".to_owned(),
            vec!["reason=down".to_owned()],
            4,
        ),
    ];
    expected.sort();
    assert_eq!(counted, expected);
}
