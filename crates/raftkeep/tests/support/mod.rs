//! Real `raftkeep server` processes on 127.0.0.1 for the cluster tests: certificates and
//! configuration made with the CLI, nodes started, SIGKILLed and restarted, polled with
//! bounded waits. Logs of every node are printed when a test fails.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use raftkeep_net::{ClusterTls, Peer, TlsFiles};
use raftkeep_proto::cluster::StatusReply;

pub const BIN: &str = env!("CARGO_BIN_EXE_raftkeep");
/// Bound on writes and linearizable reads in the test clusters.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest any wait in these tests may take before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What one request on a new connection came to (see [`Cluster::kmip_try`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// The server answered; the response's bytes.
    Answered(Vec<u8>),
    /// The connection was closed without an answer.
    Closed,
    /// No connection: refused, or reset before the TLS handshake completed (a node that can
    /// serve nothing resets new connections).
    Refused,
}

/// The requests of the captured vCenter 7.0.3 session, in order, as bytes.
pub fn vcenter_requests() -> Vec<Vec<u8>> {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/vcenter/vcenter-7.0.3-session.hex"
    );
    let text = std::fs::read_to_string(capture).unwrap();
    let mut requests = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with("# ") && line.contains(" REQ ") {
            requests.push(hex::decode(lines.next().unwrap().trim()).unwrap());
        }
    }
    requests
}

/// vCenter's first request of operation `op` in the capture.
pub fn vcenter_request(op: kmip_ttlv::enums::Operation) -> Vec<u8> {
    use kmip_messages::Message;
    vcenter_requests()
        .into_iter()
        .find(|bytes| {
            kmip_messages::RequestMessage::decode(bytes, &kmip_ttlv::Limits::default())
                .is_ok_and(|r| r.batch_items.first().is_some_and(|i| i.operation == op))
        })
        .unwrap()
}

pub struct Node {
    pub id: u64,
    pub addr: String,
    pub kmip_addr: String,
    /// KMIP over HTTPS.
    pub kmip_https_addr: String,
    /// `/healthz`, `/readyz`, `/metrics`.
    pub monitoring_addr: String,
    pub config: PathBuf,
    pub data_dir: PathBuf,
    pub log: PathBuf,
    pub child: Option<Child>,
    /// Started at least once: its addresses are in the cluster and can no longer change.
    pub started: bool,
}

/// One cluster at a time: several would compete for two cores and could miss heartbeats,
/// turning a test about failures into a test of the machine's load.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub struct Cluster {
    _serial: std::sync::MutexGuard<'static, ()>,
    pub dir: tempfile::TempDir,
    pub nodes: Vec<Node>,
    pub tls: ClusterTls,
    pub root_key: [u8; 32],
    pub rt: tokio::runtime::Runtime,
}

/// Runs the CLI and returns its stdout; panics with its stderr if it fails.
pub fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "raftkeep {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A port nothing listens on now, for a node to bind later. Chosen below Linux's ephemeral
/// range (32768-60999): a port from that range, released and bound again later, can be taken
/// meanwhile by any outgoing connection (a client's, a node's) — a test failed on exactly that
/// ("Address already in use" for a node's KMIP port).
/// Sends one KMIP request on `tls` and reads the response message; `None` when the server
/// closed the connection instead of answering.
pub async fn kmip_exchange(
    tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    request: &[u8],
) -> Option<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(request).await.ok()?;
    let mut message = vec![0_u8; 8];
    tls.read_exact(&mut message).await.ok()?;
    let len = u32::from_be_bytes([message[4], message[5], message[6], message[7]]) as usize;
    message.resize(8 + len, 0);
    tls.read_exact(&mut message[8..]).await.ok()?;
    Some(message)
}

pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Ports handed out by this process: a node may not have bound its ports yet when the
    // next one is chosen (two nodes once got the same port).
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let seed = std::process::id().wrapping_mul(7919)
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
    loop {
        let n = seed.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        let port = 20_000 + n as u16;
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}

pub fn write_secret(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

impl Cluster {
    /// Certificates, a root key and the configuration of `n` nodes; none started.
    pub fn new(n: u64) -> Cluster {
        let serial = SERIAL
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let pki = dir.path().join("pki");
        let pki_s = pki.to_str().unwrap();
        cli(&["certs", "init", "--dir", pki_s]);
        cli(&["certs", "issue-operator", "--dir", pki_s, "--name", "admin"]);
        cli(&["certs", "issue-client", "--dir", pki_s, "--name", "client"]);
        let mut root_key = [0u8; 32];
        for (i, b) in root_key.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37).wrapping_add(11);
        }
        write_secret(&dir.path().join("root.key"), &hex::encode(root_key));
        let nodes = (1..=n)
            .map(|id| {
                let name = format!("node{id}");
                issue(pki_s, &name, "127.0.0.1");
                let addr = format!("127.0.0.1:{}", free_port());
                let kmip_addr = format!("127.0.0.1:{}", free_port());
                let kmip_https_addr = format!("127.0.0.1:{}", free_port());
                let monitoring_addr = format!("127.0.0.1:{}", free_port());
                let config = dir.path().join(format!("{name}.toml"));
                std::fs::write(
                    &config,
                    format!(
                        r#"node_id = {id}
data_dir = "{name}"
[cluster]
listen = "{addr}"
write_timeout_ms = {timeout}
heartbeat_ms = 100
election_timeout_min_ms = 800
election_timeout_max_ms = 1600
snapshot_after_logs = 50
keep_logs_after_snapshot = 10
[tls]
ca = "pki/ca.pem"
cert = "pki/{name}.pem"
key = "pki/{name}.key"
[kmip]
listen = "{kmip_addr}"
https_listen = "{kmip_https_addr}"
cert = "pki/{name}.pem"
key = "pki/{name}.key"
[monitoring]
listen = "{monitoring_addr}"
[root_key]
file = "root.key"
"#,
                        timeout = WRITE_TIMEOUT.as_millis()
                    ),
                )
                .unwrap();
                Node {
                    id,
                    addr,
                    kmip_addr,
                    kmip_https_addr,
                    monitoring_addr,
                    config,
                    data_dir: dir.path().join(&name),
                    log: dir.path().join(format!("{name}.log")),
                    child: None,
                    started: false,
                }
            })
            .collect();
        let tls = ClusterTls::load(&TlsFiles {
            ca: pki.join("ca.pem"),
            cert: pki.join("admin.pem"),
            key: pki.join("admin.key"),
        })
        .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Cluster {
            _serial: serial,
            dir,
            nodes,
            tls,
            root_key,
            rt,
        }
    }

    pub fn pki(&self, file: &str) -> String {
        self.dir
            .path()
            .join("pki")
            .join(file)
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Runs `raftkeep cluster --node <node i> ...` with the admin certificate.
    pub fn cluster_cmd(&self, i: usize, args: &[&str]) -> std::process::Output {
        self.admin_cmd("cluster", i, args)
    }

    /// Runs `raftkeep <command> --node <node i> ...` with the admin certificate.
    pub fn admin_cmd(&self, command: &str, i: usize, args: &[&str]) -> std::process::Output {
        let (ca, cert, key) = (
            self.pki("ca.pem"),
            self.pki("admin.pem"),
            self.pki("admin.key"),
        );
        Command::new(BIN)
            .args([command, "--node", &self.nodes[i].addr, "--ca", &ca])
            .args(["--cert", &cert, "--key", &key])
            .args(args)
            .output()
            .unwrap()
    }

    /// As [`Cluster::cluster_cmd`], and it must succeed; its stdout.
    pub fn cluster_cli(&self, i: usize, args: &[&str]) -> String {
        self.admin_ok("cluster", i, args)
    }

    /// As [`Cluster::admin_cmd`], and it must succeed; its stdout.
    pub fn admin_ok(&self, command: &str, i: usize, args: &[&str]) -> String {
        let out = self.admin_cmd(command, i, args);
        assert!(
            out.status.success(),
            "raftkeep {command} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A certificate `name` made by `raftkeep <command> --dir ca_dir --name name` with another
    /// CA than the cluster's (as vCenter's VMCA), copied into the PKI directory (where the
    /// tests' connections take client certificates from), replacing an earlier one.
    pub fn issue_with_other_ca(&self, ca_dir: &Path, command: &[&str], name: &str) {
        let out = Command::new(BIN)
            .args(command)
            .args(["--dir", ca_dir.to_str().unwrap(), "--name", name])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command:?}: {out:?}");
        for ext in ["pem", "key"] {
            std::fs::copy(
                ca_dir.join(format!("{name}.{ext}")),
                self.pki(&format!("{name}.{ext}")),
            )
            .unwrap();
        }
    }

    /// `n` nodes started and initialized as one cluster; returns it and its leader's index.
    pub fn running(n: u64) -> (Cluster, usize) {
        let mut c = Cluster::new(n);
        for i in 0..c.nodes.len() {
            c.start(i);
        }
        c.init_all();
        let all: Vec<usize> = (0..c.nodes.len()).collect();
        let leader = c.wait_leader(&all);
        (c, leader)
    }

    /// `n` nodes with the default Raft timers (heartbeat, election timeouts, write bound)
    /// instead of the tests' own; not started.
    pub fn with_default_timers(n: u64) -> Cluster {
        let c = Cluster::new(n);
        for node in &c.nodes {
            let config = std::fs::read_to_string(&node.config).unwrap();
            let config: String = config
                .lines()
                .filter(|l| {
                    !["write_timeout_ms", "heartbeat_ms", "election_timeout_"]
                        .iter()
                        .any(|k| l.starts_with(k))
                })
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&node.config, config).unwrap();
        }
        c
    }

    /// As [`Cluster::running`], with the test client certificate (`client.pem`) allowed to
    /// use KMIP; also returns the index of a follower.
    pub fn serving_kmip(n: u64) -> (Cluster, usize, usize) {
        let (c, leader) = Cluster::running(n);
        c.allow(leader, "client");
        let follower = (0..c.nodes.len()).find(|i| *i != leader).unwrap();
        (c, leader, follower)
    }

    /// Allows the client certificate `cert.pem` through node `i`.
    /// Returns once every running node that answers has applied the entry: an allow
    /// reaches each node only as that node applies it (docs/reliability.md), and a test that
    /// connects to a follower at once would race it.
    pub fn allow(&self, i: usize, cert: &str) {
        let out = self.admin_cmd("clients", i, &["allow", &self.pki(&format!("{cert}.pem"))]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let Some(committed) = self.status(i).and_then(|s| s.applied_index) else {
            return;
        };
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| self.nodes[n].child.is_some())
            .collect();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let behind = running.iter().any(|&n| {
                self.status(n)
                    .is_some_and(|s| s.applied_index.unwrap_or(0) < committed)
            });
            if !behind {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Adds `line` (`key = value`) to the `[cluster]` section of node `i`'s configuration;
    /// it takes effect at the node's next start.
    pub fn set_cluster_option(&self, i: usize, line: &str) {
        let config = std::fs::read_to_string(&self.nodes[i].config).unwrap();
        let config = config.replacen("[cluster]\n", &format!("[cluster]\n{line}\n"), 1);
        std::fs::write(&self.nodes[i].config, config).unwrap();
    }

    /// Starts node `i` as its own process, appending its log to `nodeN.log`.
    pub fn start(&mut self, i: usize) {
        if self.nodes[i].started {
            self.spawn(i);
            return;
        }
        // A port chosen free may be taken by another process before the node binds it
        // (seen once in CI): before the node is part of a cluster, move it to new ports.
        for _ in 0..3 {
            self.spawn(i);
            if !self.lost_a_port(i) {
                break;
            }
            self.move_to_new_ports(i);
        }
        self.nodes[i].started = true;
    }

    /// Whether node `i` exited at start because one of its ports was in use.
    fn lost_a_port(&mut self, i: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let node = &mut self.nodes[i];
            if std::net::TcpStream::connect(&node.addr).is_ok() {
                return false;
            }
            let exited = node
                .child
                .as_mut()
                .is_some_and(|c| c.try_wait().ok().flatten().is_some());
            if exited {
                // Any other reason to stop is the test's business: the child stays.
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                let lost = log.contains("Address already in use");
                if lost {
                    node.child = None;
                }
                return lost;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn move_to_new_ports(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let mut config = std::fs::read_to_string(&node.config).unwrap();
        for addr in [
            &mut node.addr,
            &mut node.kmip_addr,
            &mut node.kmip_https_addr,
            &mut node.monitoring_addr,
        ] {
            let fresh = format!("127.0.0.1:{}", free_port());
            config = config.replace(&format!("\"{addr}\""), &format!("\"{fresh}\""));
            *addr = fresh;
        }
        std::fs::write(&node.config, config).unwrap();
    }

    fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        assert!(node.child.is_none(), "node {} is running", node.id);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .unwrap();
        let child = Command::new(BIN)
            .args(["server", "--config", node.config.to_str().unwrap()])
            .env(
                "RAFTKEEP_LOG",
                std::env::var("RAFTKEEP_TEST_LOG")
                    .unwrap_or_else(|_| "info,openraft=warn".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        node.child = Some(child);
    }

    /// Waits until node `i` serves KMIP connections: a node resets them until it has heard
    /// from a leader and holds the cluster's state.
    pub fn wait_kmip(&self, i: usize) {
        wait_for("the node to serve KMIP connections", || {
            self.block_on(self.kmip_serves(i)).then_some(())
        });
    }

    /// Whether node `i` answers vCenter's Discover Versions on a new connection now.
    pub async fn kmip_serves(&self, i: usize) -> bool {
        let ask = vcenter_request(kmip_ttlv::enums::Operation::DISCOVER_VERSIONS);
        matches!(self.kmip_try(i, "client", &ask).await, Contact::Answered(_))
    }

    /// SIGKILL: no shutdown, no flush beyond what was synced.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGSTOP: the process stays, its sockets accept, nothing answers.
    pub fn pause(&self, i: usize) {
        self.signal(i, "-STOP");
    }

    /// SIGCONT after [`Cluster::pause`].
    pub fn resume(&self, i: usize) {
        self.signal(i, "-CONT");
    }

    fn signal(&self, i: usize, sig: &str) {
        let pid = self.nodes[i].child.as_ref().expect("node is running").id();
        let ok = Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} {pid}");
    }

    /// A KMIP client (the library) with the certificate `cert`, trying `servers` in order.
    pub fn client(
        &self,
        cert: &str,
        servers: &[String],
        site: Option<&str>,
        service_timeout_secs: u64,
    ) -> raftkeep_client::Client {
        let list = servers
            .iter()
            .map(|s| s.parse().unwrap())
            .collect::<Vec<raftkeep_client::Server>>();
        let mut config = raftkeep_client::ClientConfig::new(
            list,
            self.pki("ca.pem").into(),
            self.pki(&format!("{cert}.pem")).into(),
            self.pki(&format!("{cert}.key")).into(),
        );
        config.site = site.map(str::to_owned);
        config.service_timeout_secs = service_timeout_secs;
        let _runtime = self.rt.enter();
        raftkeep_client::Client::new(&config).unwrap()
    }

    /// Initializes the cluster on node 0 with every node as a voter, through the CLI.
    pub fn init_all(&self) {
        self.init_first(self.nodes.len());
    }

    /// Initializes the cluster on node 0 with the first `n` nodes as voters; the others stay
    /// spare (to restore into, to join later).
    pub fn init_first(&self, n: usize) {
        let members: Vec<String> = self.nodes[..n]
            .iter()
            .map(|n| format!("{}={}", n.id, n.addr))
            .collect();
        let mut args = vec!["init"];
        for m in &members {
            args.extend(["--member", m.as_str()]);
        }
        // The nodes may still be binding their ports.
        wait_for("node 1 to accept init", || {
            self.cluster_cmd(0, &args).status.success().then_some(())
        });
    }

    /// A client of node `i`'s cluster endpoint (bound to this cluster's runtime).
    pub fn peer(&self, i: usize) -> Peer {
        let _runtime = self.rt.enter();
        Peer::connect(&self.nodes[i].addr, Some(&self.tls)).unwrap()
    }

    /// Issues a client certificate `NAME.pem` / `NAME.key` from the cluster CA.
    pub fn issue_client(&self, name: &str) {
        cli(&[
            "certs",
            "issue-client",
            "--dir",
            &self.pki(""),
            "--name",
            name,
        ]);
    }

    /// A new TLS connection to node `i`'s KMIP port with the client certificate `cert`
    /// (`cert.pem` / `cert.key` in the PKI directory).
    pub async fn kmip_connect(
        &self,
        i: usize,
        cert: &str,
    ) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
        self.try_kmip_connect(i, cert)
            .await
            .expect("the node refused or reset the connection")
    }

    /// [`Cluster::kmip_connect`], `None` when the connection is refused or reset.
    pub async fn try_kmip_connect(
        &self,
        i: usize,
        cert: &str,
    ) -> Option<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let config = self.client_tls(cert);
        let tcp = tokio::net::TcpStream::connect(&self.nodes[i].kmip_addr)
            .await
            .ok()?;
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .ok()
    }

    /// TLS toward the nodes, trusting the cluster CA and presenting `cert` (`cert.pem` /
    /// `cert.key` in the PKI directory).
    pub fn client_tls(&self, cert: &str) -> rustls::ClientConfig {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};

        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(self.pki("ca.pem")).unwrap())
            .unwrap();
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from_pem_file(self.pki(&format!("{cert}.pem"))).unwrap()],
            PrivateKeyDer::from_pem_file(self.pki(&format!("{cert}.key"))).unwrap(),
        )
        .unwrap()
    }

    /// Sends one KMIP request to node `i` on a new TLS connection (as vCenter does) with the
    /// client certificate `cert`; the response.
    pub async fn kmip(
        &self,
        i: usize,
        cert: &str,
        request: &[u8],
    ) -> kmip_messages::ResponseMessage {
        let bytes = self
            .kmip_raw(i, cert, request)
            .await
            .expect("the server closed the connection");
        kmip_messages::Message::decode(&bytes, &kmip_ttlv::Limits::default()).unwrap()
    }

    /// What a client that knows nothing of Raftkeep sees when it sends `request` to node `i`
    /// on a new connection: the response's bytes, the connection closed without one, or no
    /// connection at all (refused, or the handshake failed).
    pub async fn kmip_try(&self, i: usize, cert: &str, request: &[u8]) -> Contact {
        let Some(mut tls) = self.try_kmip_connect(i, cert).await else {
            return Contact::Refused;
        };
        match kmip_exchange(&mut tls, request).await {
            Some(message) => Contact::Answered(message),
            None => Contact::Closed,
        }
    }

    /// Sends raw bytes on a new connection; the response's bytes, or `None` when the server
    /// closed the connection instead of answering.
    pub async fn kmip_raw(&self, i: usize, cert: &str, request: &[u8]) -> Option<Vec<u8>> {
        let mut tls = self.kmip_connect(i, cert).await;
        let message = kmip_exchange(&mut tls, request).await?;
        assert!(message.len() <= kmip_ttlv::Limits::default().max_message_len);
        Some(message)
    }

    /// Encodes and sends a typed request; see [`Cluster::kmip`].
    pub fn kmip_request(
        &self,
        i: usize,
        cert: &str,
        request: &kmip_messages::RequestMessage,
    ) -> kmip_messages::ResponseMessage {
        use kmip_messages::Message;
        self.block_on(self.kmip(i, cert, &request.encode().unwrap()))
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// An AES-256 key made through `client`; its UID.
    pub fn create_key(&self, client: &raftkeep_client::Client) -> String {
        self.block_on(client.create_symmetric_key(
            kmip_ttlv::enums::CryptographicAlgorithm::AES,
            256,
            Vec::new(),
        ))
        .unwrap()
    }

    pub fn status(&self, i: usize) -> Option<StatusReply> {
        let peer = self.peer(i);
        self.block_on(peer.status(Duration::from_secs(2), true))
            .ok()
    }

    /// Waits until the running nodes among `among` agree on one leader; returns its index.
    pub fn wait_leader(&self, among: &[usize]) -> usize {
        wait_for("the nodes to agree on a leader", || {
            let statuses: Vec<StatusReply> = among
                .iter()
                .map(|&i| self.status(i))
                .collect::<Option<_>>()?;
            let leader = statuses.iter().find(|s| s.state == "Leader")?;
            statuses
                .iter()
                .all(|s| s.leader_id == Some(leader.id) && s.term == leader.term)
                .then(|| self.index_of(leader.id))
        })
    }

    pub fn index_of(&self, id: u64) -> usize {
        self.nodes.iter().position(|n| n.id == id).unwrap()
    }

    /// Waits until the nodes `among` have applied the same index and have equal digests.
    pub fn wait_converged(&self, among: &[usize]) -> (u64, String) {
        wait_for("the nodes to converge", || {
            let statuses: Vec<StatusReply> = among
                .iter()
                .map(|&i| self.status(i))
                .collect::<Option<_>>()?;
            let first = statuses.first()?;
            statuses
                .iter()
                .all(|s| s.digest_index == first.digest_index && s.digest == first.digest)
                .then(|| (first.digest_index.unwrap_or(0), first.digest.clone()))
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
        if std::thread::panicking() {
            for n in &self.nodes {
                let log = std::fs::read_to_string(&n.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                eprintln!("---- node {} log (last 40 lines) ----", n.id);
                for line in tail.iter().rev() {
                    eprintln!("{line}");
                }
            }
        }
    }
}

/// Polls `f` every 100 ms until it gives a value; fails the test after [`PATIENCE`].
/// `raftkeep certs issue` of `name` with one SAN into the PKI directory `pki`.
fn issue(pki: &str, name: &str, san: &str) {
    cli(&[
        "certs",
        "issue-node",
        "--dir",
        pki,
        "--name",
        name,
        "--san",
        san,
    ]);
}

pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < PATIENCE, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every file under `dir` that contains `needle`. A running node's files may vanish while
/// they are read (a compaction, a new snapshot): those hold nothing any more.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(entries) => entries,
            Err(e) if gone(&e) => continue,
            Err(e) => panic!("{}: {e}", d.display()),
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            match std::fs::read(&path) {
                Ok(bytes) if bytes.windows(needle.len()).any(|w| w == needle) => hits.push(path),
                Ok(_) => {}
                Err(e) if gone(&e) => {}
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    hits
}

/// `GET path` on a monitoring endpoint: the status code and the body; `None` if nothing
/// answers there.
pub fn http_get(addr: &str, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split(' ').nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// The Python with PyKMIP installed (tests/pykmip/venv.sh installs it when missing).
pub fn pykmip_python() -> String {
    venv_python("pykmip")
}

/// The Python of the virtualenv `tests/<name>/venv.sh` prints, installing what it holds
/// from PyPI when missing.
pub fn venv_python(name: &str) -> String {
    let script = format!("{}/../../tests/{name}/venv.sh", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "installing the {name} virtualenv: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
