//! Starting and running one node: check the root key against the cluster before anything
//! else, then Raft and the gRPC server (Raft, cluster management, forwarding) over mutual TLS.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use openraft::{Config, Raft, SnapshotPolicy};
use raftkeep_net::{
    ClusterIdentity, ClusterService, ClusterTls, Forwarder, GrpcNetwork, RaftService, ReadIndex,
    ReadSettings, RoleCheck, TlsFiles,
};
use raftkeep_seal::{KeyVersion, Keyring, RootKey};
use raftkeep_server::{KeyStore, Purpose, StoreFailure, StoreFuture, View};
use raftkeep_store::{
    Command, CommandResult, LogStore, NodeError, RaftNode, StateMachine, StoreError, StoredObject,
    db,
};
use tokio::sync::{oneshot, watch};

use crate::config::KeySource;
use crate::reads::{ReadPolicy, Serving};
use crate::{NodeConfig, NodeStartError};

/// A node that is running: Raft, its store and its gRPC server.
#[derive(Debug)]
pub struct RunningNode {
    node: RaftNode,
    forwarder: Forwarder,
    local_addr: SocketAddr,
    stop_server: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
    fatal: watch::Receiver<bool>,
    kmip: Option<Kmip>,
    monitoring: Option<crate::monitoring::Endpoint>,
    /// Clock comparison, certificate re-checks: stopped with the node.
    background: Vec<tokio::task::JoinHandle<()>>,
}

/// The running KMIP listener, and the HTTPS one if configured.
#[derive(Debug)]
struct Kmip {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    https: Option<Box<Kmip>>,
    /// True while the listener accepts connections.
    open: watch::Receiver<bool>,
}

/// The replicated allow-list, read from this node's copy: an allow or revoke reaches every
/// node within a replication round trip.
struct ReplicatedAllowList(StateMachine);

impl raftkeep_server::AllowList for ReplicatedAllowList {
    fn identify(&self, client: &raftkeep_server::Client) -> Result<Option<String>, String> {
        let sm = &self.0;
        let fp = &client.fingerprint;
        // A named identity is stored and revoked together with its entry (`AllowClientAs`,
        // `RevokeClient`): found, the certificate is allowed — one read on every request.
        if let Some(named) = sm.identity_of(fp.as_bytes()).map_err(|e| e.to_string())? {
            return Ok(Some(named));
        }
        if sm.client(fp).map_err(|e| e.to_string())?.is_some() {
            // Allowed before identities: the fingerprint is the identity.
            return Ok(Some(fp.clone()));
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for issuer in sm.issuers().map_err(|e| e.to_string())? {
            match raftkeep_server::tls::chain_issued_by(&client.chain.0, &issuer.ca_der, now) {
                Ok(subject) if subject == issuer.subject => {
                    let key =
                        raftkeep_store::TrustedIssuer::key(&issuer.ca_fingerprint, &issuer.subject);
                    let named = sm.identity_of(&key).map_err(|e| e.to_string())?;
                    // An entry made before identities: each certificate its own, as then.
                    return Ok(Some(named.unwrap_or_else(|| fp.clone())));
                }
                Ok(subject) => {
                    tracing::debug!(%subject, wanted = %issuer.subject, "issued by a trusted CA, another subject")
                }
                Err(why) => {
                    tracing::debug!(ca = %issuer.ca_subject, %why, "not issued by this trusted CA")
                }
            }
        }
        Ok(None)
    }
}

/// The key store as the KMIP engine sees it on this node: reads from the local copy once the
/// read index (or, without a leader, the read policy) allows, writes through the leader
/// (forwarded if this node follows), visible here when they return.
struct NodeStore {
    reads: ReadIndex,
    policy: ReadPolicy,
}

impl NodeStore {
    fn node(&self) -> &RaftNode {
        self.reads.forwarder().node()
    }

    fn sm(&self) -> &StateMachine {
        self.node().state_machine()
    }
}

fn internal(e: StoreError) -> StoreFailure {
    StoreFailure::Internal(e.to_string())
}

impl KeyStore for NodeStore {
    fn object(&self, uid: &str) -> Result<Option<StoredObject>, StoreFailure> {
        self.sm().object(uid).map_err(internal)
    }

    fn view(&self, purpose: Purpose) -> StoreFuture<'_, View> {
        // A node whose disk is low refuses writes at once, so that the client moves on.
        if let (Purpose::Write, Some(refusal)) = (purpose, self.node().disk_refusal()) {
            return Box::pin(std::future::ready(Err(StoreFailure::Unavailable(
                refusal.to_string(),
            ))));
        }
        Box::pin(self.policy.view(self.node(), &self.reads, purpose))
    }

    fn lookup(&self, kind: &str, value: &[u8]) -> Result<Vec<String>, StoreFailure> {
        self.sm().lookup(kind, value).map_err(internal)
    }

    fn objects_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredObject>, StoreFailure> {
        self.sm().objects_after(after, limit).map_err(internal)
    }

    fn name_scope(&self) -> Result<raftkeep_store::NameScope, StoreFailure> {
        self.sm().name_scope().map_err(internal)
    }

    fn groups_of(&self, fingerprint: &str) -> Result<Vec<String>, StoreFailure> {
        Ok(self
            .sm()
            .groups()
            .map_err(internal)?
            .into_iter()
            .filter(|g| g.members.iter().any(|m| m == fingerprint))
            .map(|g| g.name)
            .collect())
    }

    fn write(&self, cmd: Command) -> StoreFuture<'_, CommandResult> {
        Box::pin(async move {
            self.reads
                .forwarder()
                .write(cmd)
                .await
                .map_err(|e| match e {
                    NodeError::Fatal(reason) => StoreFailure::Internal(reason),
                    other => StoreFailure::Unavailable(other.to_string()),
                })
        })
    }
}

/// Keeps `open` true while the node can serve something that touches the store; the KMIP
/// listeners reset new connections while it is false, so every client moves on at once.
async fn gate(node: RaftNode, policy: ReadPolicy, open: watch::Sender<bool>) {
    let mut tick = tokio::time::interval(GATE_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Raft's changes (a leader known, the cluster's state applied) open the gate at once; the
    // tick notices silence (a leader no longer heard).
    let mut metrics = node.raft().metrics();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = metrics.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
        let serving = policy.serving(&node);
        let can = !matches!(serving, Serving::Nothing(_));
        open.send_if_modified(|was| {
            if *was == can {
                return false;
            }
            match &serving {
                Serving::Nothing(why) => tracing::warn!(%why, "resetting new KMIP connections"),
                _ => tracing::info!("serving new KMIP connections"),
            }
            *was = can;
            true
        });
        if open.is_closed() {
            return;
        }
    }
}

/// How often the listener's gate is re-evaluated.
const GATE_CHECK: std::time::Duration = std::time::Duration::from_millis(50);

/// Where the node writes its audit log.
fn audit_log_path(config: &NodeConfig, kmip: &crate::config::KmipConfig) -> std::path::PathBuf {
    kmip.audit_log
        .clone()
        .unwrap_or_else(|| config.data_dir.join("audit.jsonl"))
}

/// Starts the KMIP listener if the configuration has one.
async fn start_kmip(
    config: &NodeConfig,
    reads: ReadIndex,
    keyring: Keyring,
) -> Result<Option<Kmip>, NodeStartError> {
    let Some(k) = &config.kmip else {
        tracing::warn!("no [kmip] section: this node serves no KMIP clients");
        return Ok(None);
    };
    let certificate = raftkeep_server::tls::ReloadingCertificate::load(&k.cert, &k.key)?;
    let tls = certificate.server_config()?;
    tokio::spawn(reload_certificate(
        "KMIP",
        certificate,
        k.cert.clone(),
        k.key.clone(),
        None,
    ));
    let settings = raftkeep_server::Settings {
        max_connections: k.max_connections,
        idle_timeout: std::time::Duration::from_secs(k.idle_timeout_secs),
        limits: kmip_ttlv::Limits {
            max_message_len: k.max_message_bytes,
            ..kmip_ttlv::Limits::default()
        },
        ..raftkeep_server::Settings::default()
    };
    let policy = ReadPolicy::new(config);
    let node = reads.forwarder().node().clone();
    let (open, gate_open) = watch::channel(!matches!(policy.serving(&node), Serving::Nothing(_)));
    tokio::spawn(gate(node, policy, open));
    let listener = raftkeep_server::KmipListener::bind(k.listen, tls.clone(), settings.clone())
        .await?
        .gated(gate_open.clone());
    let local_addr = listener.local_addr()?;
    let open = listener.listening();
    let (stop, stopped) = oneshot::channel::<()>();
    let sm = reads.forwarder().node().state_machine().clone();
    let audit_path = audit_log_path(config, k);
    let audit =
        raftkeep_server::AuditLog::open_with(&audit_path, config.node_id, k.audit.options())?;
    tracing::info!(path = %audit_path.display(), "audit log open, chain verified");
    let engine = raftkeep_server::Engine::new(
        Arc::new(ReplicatedAllowList(sm)),
        Arc::new(NodeStore { reads, policy }),
        keyring,
    )
    .with_audit(Arc::new(audit));
    let engine = match k.rate_limit.as_ref().and_then(|r| r.settings()) {
        Some(rate) => {
            tracing::info!(
                per_second = rate.per_second,
                burst = rate.burst,
                "KMIP requests are rate-limited per client certificate"
            );
            let limit = Arc::new(raftkeep_server::RateLimit::new(rate));
            tokio::spawn(forget_idle_clients(limit.clone()));
            engine.with_rate_limit(limit)
        }
        None => engine,
    };
    let engine = if k.users.is_empty() {
        engine
    } else {
        let users = k
            .users
            .iter()
            .map(|u| (u.username.clone(), u.password_hash.clone()));
        let passwords = raftkeep_server::credentials::Passwords::new(users)
            .map_err(|reason| NodeStartError::Kmip(raftkeep_server::ServerError::Users(reason)))?;
        tracing::info!(
            users = k.users.len(),
            "KMIP requests need a Username/Password credential"
        );
        engine.with_passwords(Arc::new(passwords))
    };
    let engine = Arc::new(engine);
    let https = match k.https_listen {
        Some(addr) => {
            let listener = raftkeep_server::KmipListener::bind(addr, tls.clone(), settings.clone())
                .await?
                .https()
                .gated(gate_open.clone());
            let local_addr = listener.local_addr()?;
            let open = listener.listening();
            let (stop, stopped) = oneshot::channel::<()>();
            let task = tokio::spawn(listener.serve(engine.clone(), async {
                let _ = stopped.await;
            }));
            tracing::info!(%local_addr, "KMIP over HTTPS listener started");
            Some(Box::new(Kmip {
                local_addr,
                stop,
                task,
                https: None,
                open,
            }))
        }
        None => None,
    };
    let task = tokio::spawn(listener.serve(engine, async {
        let _ = stopped.await;
    }));
    tracing::info!(%local_addr, "KMIP listener started");
    Ok(Some(Kmip {
        local_addr,
        stop,
        task,
        https,
        open,
    }))
}

/// Drops idle clients from the rate limiter's table now and then.
async fn forget_idle_clients(limit: Arc<raftkeep_server::RateLimit>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        // The listener is gone when only this task holds the limiter.
        if Arc::strong_count(&limit) == 1 {
            return;
        }
        limit.forget_idle();
    }
}

async fn load_key(
    version: u32,
    source: Result<KeySource<'_>, String>,
) -> Result<RootKey, NodeStartError> {
    let version = KeyVersion(version);
    // `NodeConfig::load` has refused a key without exactly one source.
    let source = source
        .map_err(|_| NodeStartError::RootKey(raftkeep_seal::SealError::NoSuchVersion(version)))?;
    match source {
        KeySource::File(file) => RootKey::from_file(version, file).map_err(NodeStartError::RootKey),
        KeySource::Env(var) => RootKey::from_env(version, var).map_err(NodeStartError::RootKey),
        KeySource::Command(argv) => crate::key_command::run(version, argv).await,
    }
}

/// What `raftkeep server --check-config` checks beyond the file's syntax: what the node itself
/// refuses at start without asking the cluster — its certificates (readable, matching their
/// keys, valid now) and every root key it reads from a file or a variable (present, 256 bits,
/// not readable by group or others). Key commands are not run; each is listed in the result.
pub fn check_start_files(config: &NodeConfig) -> Result<Vec<String>, NodeStartError> {
    let now = time::OffsetDateTime::now_utc();
    crate::certs::check_identity("cluster", &config.tls.cert, &config.tls.key, now)?;
    crate::certs::check_node_role(&config.tls.cert, config.tls.accept_unmarked_peers)?;
    if let Some(kmip) = &config.kmip {
        crate::certs::check_identity("KMIP", &kmip.cert, &kmip.key, now)?;
    }
    let rk = &config.root_key;
    let mut sources = vec![(rk.version, rk.source())];
    sources.extend(rk.held.iter().map(|h| (h.version, h.source())));
    let mut notes = Vec::new();
    for (version, source) in sources {
        let version = KeyVersion(version);
        match source {
            Ok(KeySource::File(file)) => {
                RootKey::from_file(version, file).map_err(NodeStartError::RootKey)?;
            }
            Ok(KeySource::Env(var)) => {
                RootKey::from_env(version, var).map_err(NodeStartError::RootKey)?;
            }
            Ok(KeySource::Command(argv)) => notes.push(format!(
                "root key version {} comes from `{}`, not run by --check-config",
                version.0,
                argv.join(" ")
            )),
            Err(_) => {
                return Err(NodeStartError::RootKey(
                    raftkeep_seal::SealError::NoSuchVersion(version),
                ));
            }
        }
    }
    Ok(notes)
}

/// The current root key and the others held during a rotation.
pub async fn load_keyring(config: &NodeConfig) -> Result<Keyring, NodeStartError> {
    let rk = &config.root_key;
    let mut keys = vec![load_key(rk.version, rk.source()).await?];
    for p in &rk.held {
        keys.push(load_key(p.version, p.source()).await?);
    }
    Keyring::new(KeyVersion(rk.version), keys).map_err(NodeStartError::RootKey)
}

fn raft_config(config: &NodeConfig) -> Result<Arc<Config>, NodeStartError> {
    let c = &config.cluster;
    let raft = Config {
        cluster_name: "raftkeep".to_owned(),
        heartbeat_interval: c.heartbeat_ms,
        election_timeout_min: c.election_timeout_min_ms,
        election_timeout_max: c.election_timeout_max_ms,
        // Snapshots are asked for by `snapshot_policy`, which scales with the store.
        snapshot_policy: SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: c.keep_logs_after_snapshot,
        // openraft's 200 ms is less than a 3 MiB chunk takes over a slow link between sites:
        // such a follower could never receive a snapshot.
        install_snapshot_timeout: INSTALL_SNAPSHOT_TIMEOUT_MS,
        ..Default::default()
    };
    raft.validate()
        .map(Arc::new)
        .map_err(|e| NodeStartError::Raft(e.to_string()))
}

/// How long one snapshot chunk (openraft's 3 MiB) may take to send and install: 10 s allows
/// a 3 Mbit/s link between sites.
const INSTALL_SNAPSHOT_TIMEOUT_MS: u64 = 10_000;

/// How long a requested snapshot may take before it is asked for again (a failed build).
const SNAPSHOT_RETRY: std::time::Duration = std::time::Duration::from_secs(300);

/// Asks for a snapshot when the log since the last one reaches `after_logs` entries or a tenth
/// of the store's objects, whichever is more. A snapshot copies the whole store; with a fixed
/// interval a store of millions of keys would be snapshotting all the time, with this one a
/// snapshot costs a bounded number of record copies per write however large the store grows.
async fn snapshot_policy(node: RaftNode, after_logs: u64) {
    let mut rx = node.raft().metrics();
    let mut requested: Option<(Option<u64>, std::time::Instant)> = None;
    while rx.changed().await.is_ok() {
        let (applied, snapshot) = {
            let m = rx.borrow_and_update();
            (
                m.last_applied.map_or(0, |l| l.index),
                m.snapshot.map(|l| l.index),
            )
        };
        if let Some((at, when)) = requested {
            if at == snapshot && when.elapsed() < SNAPSHOT_RETRY {
                continue;
            }
            requested = None;
        }
        let since = applied.saturating_sub(snapshot.unwrap_or(0));
        if since < after_logs {
            continue;
        }
        let objects = node.state_machine().estimated_objects();
        if since < after_logs.max(objects / 10) {
            continue;
        }
        tracing::debug!(since, objects, "asking for a snapshot");
        if let Err(e) = node.raft().trigger().snapshot().await {
            tracing::warn!(error = %e, "could not ask for a snapshot");
        }
        requested = Some((snapshot, std::time::Instant::now()));
    }
}

/// Opens the store and refuses a root key that does not open the cluster's check value.
fn open_store(config: &NodeConfig, keyring: &Keyring) -> Result<StateMachine, NodeStartError> {
    let store_err = |source| NodeStartError::Store {
        path: config.data_dir.clone(),
        source,
    };
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        store_err(StoreError::Io {
            what: "creating the data directory".to_owned(),
            source: e,
        })
    })?;
    let db = db::open(&config.data_dir.join("db")).map_err(store_err)?;
    let sm = StateMachine::new(db, config.data_dir.join("snapshots")).map_err(store_err)?;
    match sm.verify_root_key(keyring) {
        Ok(()) => Ok(sm),
        Err(StoreError::WrongRootKey(_)) => Err(NodeStartError::WrongRootKey),
        Err(e) => Err(store_err(e)),
    }
}

/// A TCP listener on `addr`, and the address it got (useful with port 0).
pub(crate) async fn bind(
    addr: SocketAddr,
) -> Result<(tokio::net::TcpListener, SocketAddr), NodeStartError> {
    let fail = |e: std::io::Error| NodeStartError::Listen {
        addr: addr.to_string(),
        reason: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(fail)?;
    let local = listener.local_addr().map_err(fail)?;
    Ok((listener, local))
}

/// Starts a node from its configuration.
pub async fn start(config: &NodeConfig) -> Result<RunningNode, NodeStartError> {
    if config.monitoring.is_some() {
        // Before anything records: what is recorded without a recorder is lost.
        let _ = crate::monitoring::recorder();
    }
    let now = time::OffsetDateTime::now_utc();
    crate::certs::check_identity("cluster", &config.tls.cert, &config.tls.key, now)?;
    crate::certs::check_node_role(&config.tls.cert, config.tls.accept_unmarked_peers)?;
    if let Some(kmip) = &config.kmip {
        crate::certs::check_identity("KMIP", &kmip.cert, &kmip.key, now)?;
    }
    let keyring = load_keyring(config).await?;
    let sm = open_store(config, &keyring)?;
    if let Ok(Some(v)) = sm.agreed_key_version() {
        keyring.agree_on(v);
    }
    let dial = raftkeep_net::Dial::new(config.dial().map_err(|reason| NodeStartError::Config {
        path: config.data_dir.clone(),
        reason,
    })?);
    let tls = ClusterTls::load(&TlsFiles {
        ca: config.tls.ca.clone(),
        cert: config.tls.cert.clone(),
        key: config.tls.key.clone(),
    })?;
    let committed = raftkeep_store::CommitWatermark::default();
    let raft = Raft::new(
        config.node_id,
        raft_config(config)?,
        GrpcNetwork::tls(tls.clone())
            .in_cluster(ClusterIdentity::of(sm.clone()))
            .dialing(dial.clone())
            .with_watermark(committed.clone()),
        LogStore::new(sm.db().clone()).with_watermark(committed.clone()),
        sm.clone(),
    )
    .await
    .map_err(|e| NodeStartError::Raft(e.to_string()))?;
    let disk = crate::disk::guard(config);
    let node = RaftNode::new(raft, sm, config.write_timeout())
        .with_watermark(committed)
        .with_disk_guard(disk.clone());
    tokio::spawn(crate::disk::watch(node.clone(), disk));
    let forwarder =
        Forwarder::new(node.clone(), config.advertise(), Some(tls.clone())).dialing(dial);
    let reads = ReadIndex::new(
        forwarder.clone(),
        ReadSettings::for_timeouts(
            std::time::Duration::from_millis(config.cluster.election_timeout_min_ms),
            std::time::Duration::from_millis(config.cluster.election_timeout_max_ms),
        ),
    );
    tokio::spawn(raftkeep_net::placement::keep_placed(
        reads.clone(),
        config.cluster.preferred_leaders.clone(),
    ));

    let (listener, local_addr) = bind(config.cluster.listen).await?;
    let certificate =
        raftkeep_server::tls::ReloadingCertificate::load(&config.tls.cert, &config.tls.key)?;
    let cluster_tls = crate::cluster_tls::server_config(&config.tls.ca, &certificate)?;
    tokio::spawn(reload_certificate(
        "cluster",
        certificate,
        config.tls.cert.clone(),
        config.tls.key.clone(),
        Some(tls.clone()),
    ));
    let (stop_server, stopped) = oneshot::channel::<()>();
    let router = tonic::transport::Server::builder()
        .add_service(tonic::service::interceptor::InterceptedService::new(
            RaftService::new(node.clone()).into_server(),
            RoleCheck::raft(config.tls.accept_unmarked_peers),
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            ClusterService::new(reads.clone(), keyring.clone())
                .with_preferred_leaders(config.cluster.preferred_leaders.clone())
                .into_server(),
            RoleCheck::cluster(config.tls.accept_unmarked_peers),
        ));
    let incoming = crate::cluster_tls::incoming(listener, cluster_tls);
    let server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
        let _ = stopped.await;
    }));
    let fatal = watch_root_key(node.clone(), keyring.clone());
    let background = vec![
        tokio::spawn(node.clone().note_elections()),
        tokio::spawn(snapshot_policy(
            node.clone(),
            config.cluster.snapshot_after_logs,
        )),
        tokio::spawn(raftkeep_net::clock::watch(
            forwarder.clone(),
            std::time::Duration::from_secs(60),
        )),
        tokio::spawn(recheck_certificates(config.clone())),
        tokio::spawn(follow_agreed_key(node.clone(), keyring.clone())),
        tokio::spawn(crate::shred::run(
            node.clone(),
            std::time::Duration::from_secs(config.cluster.shred_after_secs),
        )),
    ];
    let kmip = start_kmip(config, reads, keyring).await?;
    let monitoring = match &config.monitoring {
        Some(m) => Some(
            crate::monitoring::start(
                m.listen,
                node.clone(),
                config.node_id,
                fatal.clone(),
                ReadPolicy::new(config),
                crate::monitoring::WatchedFiles {
                    snapshot: node.state_machine().snapshot_file(),
                    audit_log: config.kmip.as_ref().map(|k| audit_log_path(config, k)),
                },
            )
            .await?,
        ),
        None => None,
    };
    tracing::info!(node_id = config.node_id, %local_addr, advertise = %config.advertise(), "node started");
    Ok(RunningNode {
        node,
        forwarder,
        local_addr,
        stop_server,
        server,
        fatal,
        kmip,
        monitoring,
        background,
    })
}

/// A node runs for months: its certificates are checked again twice a day, so the expiry
/// warning (and the error once expired) reaches the log while there is time to renew.
async fn recheck_certificates(config: NodeConfig) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(12 * 3600));
    tick.tick().await;
    loop {
        tick.tick().await;
        let now = time::OffsetDateTime::now_utc();
        let mut identities = vec![("cluster", &config.tls.cert, &config.tls.key)];
        if let Some(k) = &config.kmip {
            identities.push(("KMIP", &k.cert, &k.key));
        }
        for (role, cert, key) in identities {
            if let Err(e) = crate::certs::check_identity(role, cert, key, now) {
                tracing::error!(error = %e, "certificate check failed");
            }
        }
    }
}

/// How often the certificate files are read again (SIGHUP reads them at once).
const CERTIFICATE_RELOAD: std::time::Duration = std::time::Duration::from_secs(5);

/// Presents a renewed certificate (`role`: the KMIP or the cluster one) without a restart:
/// every few seconds, and on SIGHUP, the certificate and key files are read again; new
/// connections get the new chain, open ones go on with theirs. Files that do not load (a
/// renewal caught halfway) leave the current certificate in place until they do. The
/// cluster certificate is also the one the node shows its peers (`outgoing`): its cached
/// connections to them are made again with the new one.
async fn reload_certificate(
    role: &'static str,
    certificate: Arc<raftkeep_server::tls::ReloadingCertificate>,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    outgoing: Option<ClusterTls>,
) {
    use raftkeep_server::tls::Reloaded;
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(role, error = %e, "cannot listen for SIGHUP: the certificate is read again every 5 s only");
            None
        }
    };
    let mut tick = tokio::time::interval(CERTIFICATE_RELOAD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let signalled = async {
            match hangup.as_mut() {
                Some(h) => h.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {}
            _ = signalled => tracing::info!(role, "SIGHUP: reading the certificate again"),
        }
        match certificate.reload() {
            Ok(Reloaded::Unchanged) => {}
            Ok(Reloaded::Now(subject)) => {
                if let Some(tls) = &outgoing {
                    let (chain, private) = certificate.pem();
                    tls.renew(chain, private);
                }
                metrics::counter!("raftkeep_certificate_reloads_total", "certificate" => role)
                    .increment(1);
                tracing::info!(role, %subject, "certificate reloaded: new connections are shown it");
                // Its validity warnings and expiry gauge follow the certificate presented.
                let now = time::OffsetDateTime::now_utc();
                if let Err(e) = crate::certs::check_identity(role, &cert, &key, now) {
                    tracing::error!(error = %e, "certificate check failed");
                }
            }
            Err(e) => {
                metrics::counter!("raftkeep_certificate_reload_failures_total", "certificate" => role)
                    .increment(1);
                tracing::warn!(role, error = %e, "the certificate files do not load: still presenting the previous certificate");
            }
        }
    }
}

/// A node that joined before the cluster recorded its key check, or by snapshot, learns the
/// check value through replication: verify it as soon as it arrives.
/// How often a node looks for a new agreed root key version.
const AGREED_KEY_CHECK: std::time::Duration = std::time::Duration::from_millis(200);

/// Keeps the keyring sealing with the version the cluster agreed on (its key check value's):
/// a node restarted with a newer root key does not seal with it before every member holds it
/// and the rotation switches the cluster over.
async fn follow_agreed_key(node: RaftNode, keyring: Keyring) {
    let mut tick = tokio::time::interval(AGREED_KEY_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        tick.tick().await;
        match node.state_machine().agreed_key_version() {
            Ok(Some(v)) if Some(v) != last => {
                keyring.agree_on(v);
                if keyring.sealing() == v {
                    tracing::info!(
                        root_key_version = v.0,
                        "sealing new key material with the cluster's root key version"
                    );
                } else {
                    tracing::warn!(
                        root_key_version = v.0,
                        "the cluster seals with a root key version this node does not hold"
                    );
                }
                last = Some(v);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the cluster's root key version"),
        }
    }
}

fn watch_root_key(node: RaftNode, keyring: Keyring) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let mut metrics = node.raft().metrics();
        loop {
            let sm = node.state_machine();
            match sm.has_key_check() {
                Ok(true) => {
                    if sm.verify_root_key(&keyring).is_err() {
                        tracing::error!("{}", NodeStartError::WrongRootKey);
                        let _ = tx.send(true);
                    }
                    return;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the key check value"),
            }
            if metrics.changed().await.is_err() {
                return;
            }
        }
    });
    rx
}

impl RunningNode {
    /// The address the gRPC server listens on (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address the KMIP listener listens on, if the node has one.
    pub fn kmip_addr(&self) -> Option<SocketAddr> {
        self.kmip.as_ref().map(|k| k.local_addr)
    }

    /// Waits, at most `within`, until the KMIP listener serves new connections (it resets them
    /// while the node can serve nothing: before it has heard from a leader, say); whether it
    /// does.
    pub async fn kmip_accepting(&self, within: std::time::Duration) -> bool {
        let Some(mut open) = self.kmip.as_ref().map(|k| k.open.clone()) else {
            return false;
        };
        tokio::time::timeout(within, open.wait_for(|o| *o))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// The address the KMIP over HTTPS listener is bound to, if it runs.
    pub fn kmip_https_addr(&self) -> Option<SocketAddr> {
        self.kmip
            .as_ref()
            .and_then(|k| k.https.as_ref())
            .map(|h| h.local_addr)
    }

    /// The address of the monitoring endpoint, if the node has one.
    pub fn monitoring_addr(&self) -> Option<SocketAddr> {
        self.monitoring.as_ref().map(|m| m.local_addr)
    }

    /// The node's Raft and store.
    pub fn node(&self) -> &RaftNode {
        &self.node
    }

    /// Writes and reads from this node, forwarded to the leader where needed.
    pub fn forwarder(&self) -> &Forwarder {
        &self.forwarder
    }

    /// Runs until `stop` completes (a signal), the server fails, or the node finds it cannot
    /// serve (wrong root key); then stops Raft and the server.
    pub async fn run_until(mut self, stop: impl Future<Output = ()>) -> Result<(), NodeStartError> {
        let outcome = tokio::select! {
            () = stop => Ok(()),
            joined = &mut self.server => Err(NodeStartError::Listen {
                addr: self.local_addr.to_string(),
                reason: match joined {
                    Ok(Ok(())) => "the server stopped".to_owned(),
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => e.to_string(),
                },
            }),
            () = wait_fatal(self.fatal.clone()) => Err(NodeStartError::WrongRootKey),
        };
        tracing::info!("node stopping");
        if let Some(kmip) = self.kmip.take() {
            // The listeners finish the requests in flight (bounded) before Raft goes away.
            if let Some(https) = kmip.https {
                let _ = https.stop.send(());
                let _ = https.task.await;
            }
            let _ = kmip.stop.send(());
            let _ = kmip.task.await;
        }
        for task in &self.background {
            task.abort();
        }
        if let Some(m) = self.monitoring.take() {
            let _ = m.stop.send(());
        }
        let _ = self.stop_server.send(());
        if let Err(e) = self.node.raft().shutdown().await {
            tracing::warn!(error = %e, "raft did not shut down cleanly");
        }
        outcome
    }
}

async fn wait_fatal(mut rx: watch::Receiver<bool>) {
    loop {
        if *rx.borrow_and_update() {
            return;
        }
        if rx.changed().await.is_err() {
            // The watcher ended without finding a problem: never fatal from here on.
            std::future::pending::<()>().await;
        }
    }
}
