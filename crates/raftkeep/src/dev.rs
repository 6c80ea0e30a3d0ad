//! `raftkeep dev`: a local 3-node cluster for trying Raftkeep out, each node its own OS
//! process. On first run it generates a CA, node, operator and client certificates and a
//! root key in `./raftkeep-dev/`, writes the node configurations, starts the nodes,
//! initializes the cluster and allows the client; then it writes what clients need
//! (`ca.pem`, `client.pem`, `client.key`, `client.toml`, `pykmip.conf`), prints how to
//! connect, and runs until Ctrl-C, which stops every node cleanly. A second run reuses
//! everything. Each node's pid is in `nodeN/pid`: kill one and watch the clients fail over.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use raftkeep_net::{ClusterTls, Peer, TlsFiles};
use raftkeep_proto::cluster::Member;
use raftkeep_store::Command;

use crate::certs;

/// The number of nodes: the smallest cluster that survives losing one.
const NODES: usize = 3;

/// `raftkeep dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Where the certificates, configurations and data go.
    #[arg(long, default_value = "raftkeep-dev")]
    pub dir: PathBuf,
    /// KMIP port of node 1; nodes 2 and 3 take the next two. Default 5696, or free ports
    /// when those are taken (0: free ports). Used on the first run only. The monitoring
    /// endpoints take 9696-9698 without it, free ports with it.
    #[arg(long)]
    pub base_port: Option<u16>,
    /// Cluster (Raft, admin) port of node 1; default 7101, or free ports. First run only.
    #[arg(long)]
    pub cluster_base_port: Option<u16>,
}

/// One node's files and addresses.
#[derive(Debug)]
struct Node {
    id: usize,
    dir: PathBuf,
    kmip: String,
    cluster: String,
    /// `/healthz`, `/readyz`, `/metrics`; `None` in a directory made before it existed.
    monitoring: Option<String>,
    /// KMIP over HTTPS; `None` in a directory made before it existed.
    https: Option<String>,
}

impl Node {
    fn config(&self) -> PathBuf {
        self.dir.join("node.toml")
    }
}

/// Runs `raftkeep dev`.
pub fn run(args: &DevArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let dir = args
        .dir
        .canonicalize()
        .with_context(|| format!("resolving {}", args.dir.display()))?;
    let first_run = !dir.join("node1/node.toml").exists();
    if first_run {
        generate(&dir, args)?;
    }
    let nodes = read_nodes(&dir)?;
    for n in &nodes {
        if TcpListener::bind(&n.kmip).is_err() || TcpListener::bind(&n.cluster).is_err() {
            bail!(
                "node {} cannot listen on {} / {}: in use (is another `raftkeep dev` running on {}?)",
                n.id,
                n.kmip,
                n.cluster,
                dir.display()
            );
        }
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let mut children = start(&nodes)?;
    let result = runtime.block_on(serve(&dir, &nodes, &mut children));
    stop(&mut children, &nodes);
    result
}

/// Certificates, root key and node configurations, the first time.
fn generate(dir: &Path, args: &DevArgs) -> anyhow::Result<()> {
    let pki = dir.join("pki");
    if !pki.join("ca.pem").exists() {
        certs::init(&certs::InitArgs {
            dir: pki.clone(),
            name: "Raftkeep dev CA".to_owned(),
            days: 3650,
        })?;
        for i in 1..=NODES {
            let sans = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
            certs::issue_leaf(
                &pki,
                &format!("node{i}"),
                &sans,
                825,
                raftkeep_net::Role::Node,
            )?;
        }
        certs::issue_leaf(&pki, "admin", &[], 825, raftkeep_net::Role::Operator)?;
        certs::issue_leaf(&pki, "client", &[], 825, raftkeep_net::Role::KmipClient)?;
    }
    let root = dir.join("root.key");
    if !root.exists() {
        let mut key = [0_u8; 32];
        getrandom::getrandom(&mut key).context("the system random generator failed")?;
        certs::write_new(&root, hex::encode(key).as_bytes(), true)?;
    }
    let kmip = ports(args.base_port.unwrap_or(5696))?;
    let cluster = ports(args.cluster_base_port.unwrap_or(7101))?;
    // 9696.. by default; free ports when the KMIP ports were chosen (tests, several clusters).
    let monitoring = ports(if args.base_port.is_some() { 0 } else { 9696 })?;
    let https = ports(if args.base_port.is_some() { 0 } else { 8443 })?;
    for (i, (((k, c), m), h)) in kmip
        .iter()
        .zip(&cluster)
        .zip(&monitoring)
        .zip(&https)
        .enumerate()
    {
        let id = i + 1;
        let node_dir = dir.join(format!("node{id}"));
        std::fs::create_dir_all(&node_dir)?;
        let text = format!(
            "# Node {id} of `raftkeep dev`. Every key: README.md (Running a cluster).\n\
             node_id = {id}\ndata_dir = \"data\"\n\n[cluster]\nlisten = \"127.0.0.1:{c}\"\n\n\
             [tls]\nca = \"../pki/ca.pem\"\ncert = \"../pki/node{id}.pem\"\nkey = \"../pki/node{id}.key\"\n\n\
             [kmip]\nlisten = \"127.0.0.1:{k}\"\nhttps_listen = \"127.0.0.1:{h}\"\ncert = \"../pki/node{id}.pem\"\nkey = \"../pki/node{id}.key\"\n\n\
             [monitoring]\nlisten = \"127.0.0.1:{m}\"\n\n\
             [root_key]\nfile = \"../root.key\"\n"
        );
        std::fs::write(node_dir.join("node.toml"), text)?;
    }
    Ok(())
}

/// Three consecutive ports from `base` if all are free, else (or for base 0) three free
/// ports.
fn ports(base: u16) -> anyhow::Result<Vec<u16>> {
    let wanted: Vec<u16> = (0..NODES)
        .filter(|_| base != 0)
        .filter_map(|i| base.checked_add(u16::try_from(i).ok()?))
        .collect();
    if wanted.len() == NODES
        && wanted
            .iter()
            .all(|p| TcpListener::bind(("127.0.0.1", *p)).is_ok())
    {
        return Ok(wanted);
    }
    free_ports()
}

/// Where free ports are looked for: below the kernel's ephemeral range (32768 and up on
/// Linux), which outgoing connections draw from. A port the kernel picked for `bind(0)`
/// is from that range, and released until the node binds it, a connection of another
/// process could take it — a node that then cannot listen, or a client that reaches
/// another process.
const FREE_PORTS: std::ops::Range<u16> = 20_000..32_000;

/// Three free ports from [`FREE_PORTS`], starting at a random one.
fn free_ports() -> anyhow::Result<Vec<u16>> {
    let mut seed = [0_u8; 2];
    getrandom::getrandom(&mut seed).context("the system random generator failed")?;
    let span = FREE_PORTS.end - FREE_PORTS.start;
    let start = u16::from_le_bytes(seed) % span;
    // Ports this process chose before are left to their nodes, which may not listen yet.
    static CHOSEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut chosen = CHOSEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Hold the listeners until all are chosen so they differ.
    let mut held = Vec::new();
    for offset in 0..span {
        let port = FREE_PORTS.start + (start + offset) % span;
        if chosen.contains(&port) {
            continue;
        }
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(l);
            if held.len() == NODES {
                break;
            }
        }
    }
    if held.len() < NODES {
        bail!("finding free ports: none free among {FREE_PORTS:?}");
    }
    let ports = held
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect::<anyhow::Result<Vec<u16>>>()?;
    chosen.extend(&ports);
    Ok(ports)
}

/// The nodes as their configuration files describe them.
fn read_nodes(dir: &Path) -> anyhow::Result<Vec<Node>> {
    (1..=NODES)
        .map(|id| {
            let node_dir = dir.join(format!("node{id}"));
            let config = raftkeep_node::config::NodeConfig::load(&node_dir.join("node.toml"))?;
            let kmip = config
                .kmip
                .as_ref()
                .with_context(|| format!("node{id}/node.toml has no [kmip] section"))?;
            Ok(Node {
                id,
                dir: node_dir,
                kmip: kmip.listen.to_string(),
                cluster: config.cluster.listen.to_string(),
                monitoring: config.monitoring.as_ref().map(|m| m.listen.to_string()),
                https: kmip.https_listen.map(|h| h.to_string()),
            })
        })
        .collect()
}

/// Starts every node as a child process, its output appended to `nodeN/log`; if one cannot
/// start, the ones started are stopped again.
fn start(nodes: &[Node]) -> anyhow::Result<Vec<Child>> {
    let exe = std::env::current_exe().context("finding the raftkeep binary")?;
    let mut children = Vec::new();
    for n in nodes {
        match spawn_node(&exe, n) {
            Ok(child) => children.push(child),
            Err(e) => {
                stop(&mut children, nodes);
                return Err(e);
            }
        }
    }
    Ok(children)
}

fn spawn_node(exe: &Path, n: &Node) -> anyhow::Result<Child> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(n.dir.join("log"))
        .with_context(|| format!("opening {}/log", n.dir.display()))?;
    let mut child = std::process::Command::new(exe)
        .arg("server")
        .arg("--config")
        .arg(n.config())
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting node {}", n.id))?;
    if let Err(e) = std::fs::write(n.dir.join("pid"), format!("{}\n", child.id())) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e).with_context(|| format!("writing {}/pid", n.dir.display()));
    }
    Ok(child)
}

/// Initializes the cluster once, allows the client, writes the client files, prints how to
/// connect, and waits for Ctrl-C.
async fn serve(dir: &Path, nodes: &[Node], children: &mut [Child]) -> anyhow::Result<()> {
    let pki = dir.join("pki");
    let tls = ClusterTls::load(&TlsFiles {
        ca: pki.join("ca.pem"),
        cert: pki.join("admin.pem"),
        key: pki.join("admin.key"),
    })?;
    let first = nodes.first().context("no nodes")?;
    let peer = Peer::connect(&first.cluster, Some(&tls))?;
    let marker = dir.join("initialized");
    if !marker.exists() {
        initialize(&peer, nodes).await?;
        let client = crate::clients::identity(&pki.join("client.pem"))?;
        // The dev client is the identity "client", as `raftkeep clients allow` would name it.
        peer.write(
            &Command::AllowClientAs {
                client,
                identity: "client".to_owned(),
            },
            Duration::from_secs(10),
            false,
        )
        .await?
        .map_err(|e| anyhow::anyhow!("allowing the client certificate: {e}"))?;
        std::fs::write(&marker, "")?;
    }
    write_client_files(dir, nodes)?;
    let leader = wait_leader(&peer).await;
    wait_kmip(dir, nodes).await;
    print_welcome(dir, nodes, leader)?;
    let shutdown = crate::server::shutdown_signal();
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut exited = vec![false; children.len()];
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = tick.tick() => report_exits(children, nodes, &mut exited)?,
        }
    }
    writeln!(std::io::stdout(), "stopping the nodes...")?;
    Ok(())
}

/// Reaps nodes that stopped (killed in a failover drill, crashed) and says so once.
fn report_exits(children: &mut [Child], nodes: &[Node], exited: &mut [bool]) -> anyhow::Result<()> {
    for ((child, node), done) in children.iter_mut().zip(nodes).zip(exited.iter_mut()) {
        if *done {
            continue;
        }
        if let Ok(Some(status)) = child.try_wait() {
            *done = true;
            let _ = std::fs::remove_file(node.dir.join("pid"));
            writeln!(
                std::io::stdout(),
                "node {} stopped ({status}); the other nodes keep serving. Its log: {}/log. \
                 Run `raftkeep dev` again (after Ctrl-C) to restart it.",
                node.id,
                node.dir.display()
            )?;
        }
    }
    Ok(())
}

/// Sends Init to node 1 until the nodes are up to take it (at most a minute).
async fn initialize(peer: &Peer, nodes: &[Node]) -> anyhow::Result<()> {
    let members: Vec<Member> = nodes
        .iter()
        .map(|n| Member {
            id: u64::try_from(n.id).unwrap_or(u64::MAX),
            addr: n.cluster.clone(),
            voter: true,
        })
        .collect();
    let mut last: Option<raftkeep_net::NetError> = None;
    for _ in 0..300 {
        match peer.init(members.clone(), Duration::from_secs(30)).await {
            Ok(()) => return Ok(()),
            // An earlier attempt that timed out on a slow machine initialized it after all.
            Err(raftkeep_net::NetError::Rpc {
                code: tonic::Code::AlreadyExists,
                ..
            }) if last.is_some() => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!(
        "could not initialize the cluster (see node1/log): {}",
        last.map(|e| e.to_string()).unwrap_or_default()
    )
}

/// Waits (at most 10 s per node) until every node serves KMIP connections: a node resets them
/// until it has heard from a leader and holds the cluster's state.
/// Waits, up to 30 s per node, until every node answers a Discover Versions on a new
/// connection; says which did not (a busy machine, a port another process took).
async fn wait_kmip(dir: &Path, nodes: &[Node]) {
    for node in nodes {
        if !serves_kmip(dir, node).await {
            eprintln!(
                "warning: node {} does not answer on its KMIP port {} after 30 s; its log: {}",
                node.id,
                node.kmip,
                node.dir.join("log").display()
            );
        }
    }
}

async fn serves_kmip(dir: &Path, node: &Node) -> bool {
    let Ok(server) = node.kmip.parse::<raftkeep_client::Server>() else {
        return false;
    };
    let mut config = raftkeep_client::ClientConfig::new(
        vec![server],
        dir.join("ca.pem"),
        dir.join("client.pem"),
        dir.join("client.key"),
    );
    config.service_timeout_secs = 2;
    for _ in 0..300 {
        // A fresh client each time: a Discover Versions on a new connection.
        let serves = match raftkeep_client::Client::new(&config) {
            Ok(client) => client.version().await.is_ok(),
            Err(_) => false,
        };
        if serves {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

async fn wait_leader(peer: &Peer) -> Option<u64> {
    for _ in 0..100 {
        if let Ok(s) = peer.status(Duration::from_secs(2), false).await
            && s.leader_id.is_some()
        {
            return s.leader_id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// `ca.pem`, `client.pem`, `client.key`, `client.toml` and `pykmip.conf` at the top.
fn write_client_files(dir: &Path, nodes: &[Node]) -> anyhow::Result<()> {
    let pki = dir.join("pki");
    for (from, to) in [
        ("ca.pem", "ca.pem"),
        ("client.pem", "client.pem"),
        ("client.key", "client.key"),
    ] {
        if !dir.join(to).exists() {
            let bytes = std::fs::read(pki.join(from))?;
            certs::write_new(&dir.join(to), &bytes, to.ends_with(".key"))?;
        }
    }
    let servers: Vec<String> = nodes.iter().map(|n| n.kmip.clone()).collect();
    crate::connect::write_client_config(
        &dir.join("client.toml"),
        &servers,
        "ca.pem",
        "client.pem",
        "client.key",
    )?;
    let first = nodes.first().context("no nodes")?;
    let (host, port) = first
        .kmip
        .rsplit_once(':')
        .context("a KMIP address without a port")?;
    let d = dir.display();
    let conf = format!(
        "# PyKMIP client settings for `raftkeep dev`: ProxyKmipClient(config='raftkeep',\n\
         # config_file='{d}/pykmip.conf'). Other nodes: ports {}.\n\
         [raftkeep]\nhost={host}\nport={port}\ncertfile={d}/client.pem\nkeyfile={d}/client.key\n\
         ca_certs={d}/ca.pem\ncert_reqs=CERT_REQUIRED\nssl_version=PROTOCOL_SSLv23\n\
         do_handshake_on_connect=True\nsuppress_ragged_eofs=True\n",
        nodes
            .iter()
            .skip(1)
            .map(|n| n.kmip.rsplit_once(':').map_or("", |(_, p)| p))
            .collect::<Vec<_>>()
            .join(", ")
    );
    std::fs::write(dir.join("pykmip.conf"), conf)?;
    Ok(())
}

fn print_welcome(dir: &Path, nodes: &[Node], leader: Option<u64>) -> anyhow::Result<()> {
    let d = dir.display();
    let mut text = String::new();
    writeln!(text, "\nRaftkeep dev cluster running in {d}")?;
    for n in nodes {
        let role = if leader == u64::try_from(n.id).ok() {
            "  (leader)"
        } else {
            ""
        };
        writeln!(
            text,
            "  node {}: KMIP {}  cluster {}  pid file {}/pid  log {}/log{role}",
            n.id,
            n.kmip,
            n.cluster,
            n.dir.display(),
            n.dir.display()
        )?;
        if let Some(m) = &n.monitoring {
            writeln!(text, "          http://{m}/readyz  http://{m}/metrics")?;
        }
        if let Some(h) = &n.https {
            writeln!(
                text,
                "          KMIP over HTTPS: POST TTLV, XML or JSON to https://{h}/kmip"
            )?;
        }
    }
    let first = nodes.first().context("no nodes")?;
    writeln!(
        text,
        "\nKMIP clients: CA {d}/ca.pem, client certificate {d}/client.pem, key {d}/client.key (allowed).\n\
         Our CLI (reads {d}/client.toml; run it from {}):\n  \
         raftkeep keys create --name demo-key --activate\n  raftkeep keys list\n  \
         raftkeep keys get <UID> --verbose\n  raftkeep cluster status\n\
         PyKMIP: {d}/pykmip.conf, section [raftkeep].\n\
         vCenter (docs/vcenter.md): Key Provider servers {} (port {}), \"KMS certificate and private key\":\n  \
         upload {d}/client.pem and {d}/client.key; make vCenter trust the KMS with the CA {d}/ca.pem (it outlives node certificates).\n\
         Failover: kill -9 $(cat {}/pid) and run the CLI again.\n\
         Ctrl-C stops every node; a second run reuses the data.",
        dir.parent()
            .map_or_else(|| d.to_string(), |p| p.display().to_string()),
        nodes
            .iter()
            .map(|n| n.kmip.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        first.kmip.rsplit_once(':').map_or("5696", |(_, p)| p),
        first.dir.display(),
    )?;
    write!(std::io::stdout(), "{text}")?;
    std::io::stdout().flush()?;
    Ok(())
}

/// SIGTERM to every node still running, then waits (SIGKILL after 20 s).
fn stop(children: &mut [Child], nodes: &[Node]) {
    for c in children.iter() {
        // std has no SIGTERM; `kill` is on every Unix.
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(c.id().to_string())
            .stderr(Stdio::null())
            .status();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    for c in children.iter_mut() {
        loop {
            match c.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if std::time::Instant::now() > deadline => {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    for n in nodes {
        let _ = std::fs::remove_file(n.dir.join("pid"));
    }
}
