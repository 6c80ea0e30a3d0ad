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
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "vcenter.example");
    let csr = params.serialize_request(&key).unwrap();
    std::fs::write(c.pki("vcenter.csr"), csr.pem().unwrap()).unwrap();
    support::write_secret(
        std::path::Path::new(&c.pki("vcenter.key")),
        &key.serialize_pem(),
    );
    let out = cli(&[
        "certs",
        "sign-csr",
        "--dir",
        &pki,
        "--csr",
        &c.pki("vcenter.csr"),
        "--out",
        &c.pki("vcenter.pem"),
    ]);
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
