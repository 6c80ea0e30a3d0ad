//! `raftkeep certs` for KMIP clients, as an operator uses it with a real cluster: a client
//! certificate from `issue-client`, and vCenter's "KMS-signed CSR" mode — the client makes a
//! key and a CSR, `sign-csr` signs it, and once allowed the client connects with its own key.
//! `fingerprint` prints what the allow-list shows.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

mod support;

use support::{Cluster, cli};

#[test]
fn a_signed_csr_and_an_issued_client_certificate_connect_once_allowed() {
    let (c, leader, follower) = Cluster::serving_kmip(3);
    let pki = c.pki("");

    // The requester (vCenter) keeps its key; only the CSR travels.
    let out = signed_csr(&c, "vcenter");
    assert!(out.contains("vcenter.example"), "{out}");
    cli(&["certs", "issue-client", "--dir", &pki, "--name", "app"]);

    let servers = vec![c.nodes[follower].kmip_addr.clone()];
    for name in ["vcenter", "app"] {
        let client = c.client(name, &servers, None, 60);
        let refused = c.block_on(client.locate(Vec::new(), None));
        assert!(refused.is_err(), "{name} connected before it was allowed");
        c.allow(leader, name);
        let client = c.client(name, &servers, None, 60);
        let uid = c.create_key(&client);
        assert_eq!(
            c.block_on(client.locate(Vec::new(), None)).unwrap(),
            vec![uid]
        );
    }

    let printed = cli(&["certs", "fingerprint", &c.pki("vcenter.pem")]);
    let listed =
        String::from_utf8_lossy(&c.admin_cmd("clients", leader, &["list"]).stdout).into_owned();
    let fingerprint = printed.split_whitespace().next().unwrap();
    assert!(
        fingerprint.starts_with("sha256:") && listed.contains(fingerprint),
        "{printed} / {listed}"
    );
    assert!(printed.contains("CN=vcenter.example"), "{printed}");
}

/// A CSR made by the client itself (vCenter's "KMS-signed CSR" mode), signed as `name.pem`;
/// what `sign-csr` printed.
fn signed_csr(c: &Cluster, name: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name}.example"));
    let csr = params.serialize_request(&key).unwrap();
    std::fs::write(c.pki(&format!("{name}.csr")), csr.pem().unwrap()).unwrap();
    support::write_secret(
        std::path::Path::new(&c.pki(&format!("{name}.key"))),
        &key.serialize_pem(),
    );
    cli(&[
        "certs",
        "sign-csr",
        "--dir",
        &c.pki(""),
        "--csr",
        &c.pki(&format!("{name}.csr")),
        "--out",
        &c.pki(&format!("{name}.pem")),
    ])
}

/// `raftkeep <command> --node ... <args>` with the certificate `cert` instead of the
/// operator's.
fn as_holder(c: &Cluster, node: usize, cert: &str, command: &[&str]) -> std::process::Output {
    std::process::Command::new(support::BIN)
        .arg(command[0])
        .args(["--node", &c.nodes[node].addr, "--ca", &c.pki("ca.pem")])
        .args(["--cert", &c.pki(&format!("{cert}.pem"))])
        .args(["--key", &c.pki(&format!("{cert}.key"))])
        .args(&command[1..])
        .output()
        .unwrap()
}

#[test]
fn kmip_client_certificates_are_refused_on_every_cluster_endpoint_call() {
    let (c, leader) = Cluster::running(3);
    let follower = (0..3).find(|i| *i != leader).unwrap();
    signed_csr(&c, "vcenter");
    cli(&[
        "certs",
        "issue-client",
        "--dir",
        &c.pki(""),
        "--name",
        "app",
    ]);
    let backup = c.dir.path().join("stolen.rkb");
    let backup = backup.to_str().unwrap();
    let someone = "ab".repeat(32);
    let calls: Vec<Vec<&str>> = vec![
        vec!["cluster", "status"],
        vec!["cluster", "add-learner", &c.nodes[follower].addr],
        vec!["cluster", "promote", "3"],
        vec!["cluster", "remove-node", "3"],
        vec!["cluster", "transfer-leader", "2"],
        vec!["cluster", "rotate-root-key"],
        vec!["cluster", "name-scope", "none"],
        vec!["clients", "list"],
        vec!["clients", "revoke", "--fingerprint", &someone],
        vec!["access", "groups"],
        vec!["backup", "create", "--out", backup],
    ];
    let allow = ["clients", "allow", &c.pki("app.pem")];
    for cert in ["vcenter", "app", "client"] {
        for node in [leader, follower] {
            for call in calls.iter().map(Vec::as_slice).chain([&allow[..]]) {
                let out = as_holder(&c, node, cert, call);
                let said = String::from_utf8_lossy(&out.stderr);
                assert_eq!(
                    out.status.code(),
                    Some(3),
                    "{cert}: {call:?}: refused by the server is exit code 3"
                );
                assert!(
                    said.contains("KMIP client's certificate") && said.contains("issue-operator"),
                    "{cert}: {call:?}: {said}"
                );
            }
        }
    }
    assert!(
        !std::path::Path::new(backup).exists(),
        "a KMIP client took a backup"
    );
    // The operator's certificate does what the clients' could not; nothing changed.
    let status = c.cluster_cli(follower, &["status"]);
    assert!(status.contains("voter"), "{status}");
    let listed = c.admin_cmd("clients", leader, &["list"]);
    assert!(listed.status.success());
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("no client is allowed yet"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
    // Nor does a node's or an operator's certificate become a KMIP client's.
    for cert in ["node1", "admin"] {
        let out = c.admin_cmd(
            "clients",
            leader,
            &["allow", &c.pki(&format!("{cert}.pem"))],
        );
        assert!(!out.status.success(), "{cert} was allowed as a KMIP client");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("KMIP clients need their own"), "{said}");
    }
}

/// Raft itself is for nodes: an operator's certificate, which may administer, may not vote
/// or append.
#[test]
fn the_raft_service_serves_node_certificates_only() {
    let (c, leader) = Cluster::running(3);
    let status = c.block_on(async {
        let endpoint =
            tonic::transport::Endpoint::from_shared(format!("https://{}", c.nodes[leader].addr))
                .unwrap()
                .tls_config(c.tls.client("127.0.0.1"))
                .unwrap();
        let channel = endpoint.connect().await.unwrap();
        let mut raft = raftkeep_proto::raft::raft_client::RaftClient::new(channel);
        raft.vote(raftkeep_proto::raft::RaftMessage { data: Vec::new() })
            .await
            .unwrap_err()
    });
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    assert!(
        status.message().contains("role operator"),
        "{}",
        status.message()
    );
}

fn leaf(path: &str) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::from_pem_file(path)
        .unwrap()
        .to_vec()
}

#[test]
fn a_renewed_certificate_keeps_its_names_and_role_and_a_renewed_node_rejoins() {
    let (mut c, leader) = Cluster::running(3);
    let follower = (0..3).find(|i| *i != leader).unwrap();
    let name = format!("node{}", c.nodes[follower].id);
    let pki = c.pki("");
    let before = leaf(&c.pki(&format!("{name}.pem")));
    let key_before = std::fs::read(c.pki(&format!("{name}.key"))).unwrap();
    let out = cli(&["certs", "renew", "node", "--dir", &pki, "--name", &name]);
    assert!(
        out.contains("same key") && out.contains("role node"),
        "{out}"
    );
    let after = leaf(&c.pki(&format!("{name}.pem")));
    assert_ne!(before, after);
    assert_eq!(
        key_before,
        std::fs::read(c.pki(&format!("{name}.key"))).unwrap()
    );
    assert_eq!(
        before,
        leaf(&c.pki(&format!("{name}.pem.old"))),
        "the old certificate is kept"
    );
    let parse = |der: &[u8]| {
        let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
        let names = format!("{:?}", cert.subject_alternative_name().unwrap().unwrap());
        (cert.subject().to_string(), names)
    };
    assert_eq!(parse(&before), parse(&after));
    assert_eq!(
        raftkeep_net::roles::marking(&after),
        Ok(raftkeep_net::roles::Marking::Role(raftkeep_net::Role::Node))
    );
    // The node starts with it and its peers take it.
    c.kill(follower);
    c.start(follower);
    c.wait_converged(&[0, 1, 2]);

    // An operator's, with a new key: it administers at once.
    let out = cli(&[
        "certs",
        "renew",
        "operator",
        "--dir",
        &pki,
        "--name",
        "admin",
        "--new-key",
    ]);
    assert!(out.contains("new key"), "{out}");
    assert_ne!(
        std::fs::read(c.pki("admin.key")).unwrap(),
        std::fs::read(c.pki("admin.key.old")).unwrap()
    );
    c.cluster_cli(leader, &["status"]);
    // A second renewal refuses to drop the first one's .old files.
    let again = std::process::Command::new(support::BIN)
        .args([
            "certs", "renew", "operator", "--dir", &pki, "--name", "admin",
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("remove an earlier .old first"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

/// A node whose cluster was never initialized resets KMIP connections; the CLI says so and
/// names the command that tells why.
#[test]
fn a_kmip_client_of_an_uninitialized_node_is_told_to_look_at_cluster_status() {
    let mut c = Cluster::new(1);
    c.start(0);
    support::wait_for("the node to listen", || {
        std::net::TcpStream::connect(&c.nodes[0].kmip_addr)
            .ok()
            .map(|_| ())
    });
    let out = std::process::Command::new(support::BIN)
        .args(["keys", "--servers", &c.nodes[0].kmip_addr])
        .args(["--ca", &c.pki("ca.pem")])
        .args([
            "--cert",
            &c.pki("client.pem"),
            "--key",
            &c.pki("client.key"),
        ])
        .args(["get", "some-uid"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(
        said.contains("hint: ") && said.contains("raftkeep cluster status"),
        "{said}"
    );
    // And `cluster status` says what to run.
    let status = c.cluster_cmd(0, &["status"]);
    let said = String::from_utf8_lossy(&status.stderr);
    assert!(said.contains("raftkeep cluster init"), "{said}");
}
