//! A node's configuration file (TOML). Every setting but the identity and the paths has a
//! default; unknown keys are errors, so a typo is not silently ignored. Relative paths are
//! relative to the file's directory.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::NodeStartError;

/// A node's configuration.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// This node's id in the cluster; unique, never reused.
    pub node_id: u64,
    /// Where the node keeps its Raft log, state machine and snapshots.
    pub data_dir: PathBuf,
    /// The node-to-node endpoint.
    pub cluster: ClusterConfig,
    /// The cluster identity (mutual TLS between nodes).
    pub tls: TlsConfig,
    /// Where the root key comes from.
    pub root_key: RootKeyConfig,
    /// The KMIP listener; absent: this node serves no KMIP clients (it still replicates).
    #[serde(default)]
    pub kmip: Option<KmipConfig>,
    /// The monitoring endpoint (`/healthz`, `/readyz`, `/metrics`); absent: none.
    #[serde(default)]
    pub monitoring: Option<MonitoringConfig>,
}

/// The monitoring endpoint: plain HTTP, meant for a management network or localhost.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MonitoringConfig {
    /// Address to listen on.
    #[serde(default = "defaults::monitoring_listen")]
    pub listen: SocketAddr,
}

/// A request rate per client certificate, on each node.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests (messages) per second a client identity may send, sustained.
    pub requests_per_sec: u32,
    /// Requests it may send at once after a quiet time; default: `requests_per_sec`.
    #[serde(default)]
    pub burst: Option<u32>,
    /// Milliseconds a request over the rate waits for its turn before it is refused.
    #[serde(default = "defaults::rate_limit_max_wait_ms")]
    pub max_wait_ms: u64,
}

/// The KMIP listener (TTLV over TLS).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KmipConfig {
    /// Address to listen on; KMIP's port is 5696.
    #[serde(default = "defaults::kmip_listen")]
    pub listen: SocketAddr,
    /// Address for KMIP over HTTPS (clients POST TTLV, XML or JSON messages; same
    /// certificates, allow-list and access rules); absent: no HTTPS listener.
    #[serde(default)]
    pub https_listen: Option<SocketAddr>,
    /// The server certificate chain (PEM, leaf first), RSA or ECDSA, naming every address
    /// clients use.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// Connections served at once.
    #[serde(default = "defaults::kmip_max_connections")]
    pub max_connections: usize,
    /// Seconds a connection may stay idle between requests.
    #[serde(default = "defaults::kmip_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// The audit log's active file (JSON lines, hash-chained); default `audit.jsonl` in the
    /// data directory. Sealed segments go next to it.
    #[serde(default)]
    pub audit_log: Option<PathBuf>,
    /// When the audit log is sealed into segments, how long they are kept, and whether
    /// records are synced before answers.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The largest request accepted, in bytes; a larger one is refused from its header
    /// (before its body is read) and the connection closed.
    #[serde(default = "defaults::kmip_max_message_bytes")]
    pub max_message_bytes: usize,
    /// A request rate per client certificate; absent: no limit.
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
    /// Users whose Username/Password credential every request must carry; none: no check.
    #[serde(default)]
    pub users: Vec<KmipUser>,
}

/// The audit log's segments and syncing (docs/operations.md, "The audit log").
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The active file is sealed into a segment (`audit.jsonl.<first record>`) once it holds
    /// this many KiB (65536: 64 MiB, about 150,000 records).
    #[serde(default = "defaults::audit_segment_kib")]
    pub segment_kib: u64,
    /// ... or once its first record is this many hours old.
    #[serde(default = "defaults::audit_segment_hours")]
    pub segment_hours: u64,
    /// Sealed segments kept; older ones are removed (the removal is itself recorded, so the
    /// chain still verifies). Absent: all are kept.
    #[serde(default)]
    pub keep_segments: Option<usize>,
    /// Sealed segments last written more than this many days ago are removed. Absent: kept.
    #[serde(default)]
    pub keep_days: Option<u64>,
    /// Sync records to disk before the answers they record are sent, in groups (one sync
    /// serves every request answered meanwhile), so that an answered request's record
    /// survives a power loss. Off: records reach the disk when the OS writes them back.
    #[serde(default = "defaults::audit_sync")]
    pub sync: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            segment_kib: defaults::audit_segment_kib(),
            segment_hours: defaults::audit_segment_hours(),
            keep_segments: None,
            keep_days: None,
            sync: defaults::audit_sync(),
        }
    }
}

impl AuditConfig {
    /// The audit log's options.
    pub fn options(&self) -> raftkeep_server::audit::AuditOptions {
        const DAY: u64 = 86_400;
        raftkeep_server::audit::AuditOptions {
            segment_bytes: self.segment_kib.max(1).saturating_mul(1024),
            segment_age: std::time::Duration::from_secs(
                self.segment_hours.max(1).saturating_mul(3600),
            ),
            keep_segments: self.keep_segments,
            keep_age: self
                .keep_days
                .map(|d| std::time::Duration::from_secs(d.saturating_mul(DAY))),
            sync: self.sync,
        }
    }
}

/// A KMIP user for the optional Username/Password check.
#[derive(Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct KmipUser {
    /// The Username clients send.
    pub username: String,
    /// The password's Argon2id PHC string (`raftkeep kmip hash-password`), never the password.
    pub password_hash: String,
}

impl std::fmt::Debug for KmipUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmipUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The node-to-node endpoint and Raft timing.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Address the gRPC server (Raft, cluster management, forwarding) listens on.
    pub listen: SocketAddr,
    /// Address the other nodes reach this one at (`host:port`); default: `listen`.
    #[serde(default)]
    pub advertise: Option<String>,
    /// Bound on a write, or on a request waiting for a leader, in milliseconds (fail fast
    /// without quorum).
    #[serde(default = "defaults::write_timeout_ms")]
    pub write_timeout_ms: u64,
    /// Leader heartbeat interval, in milliseconds.
    #[serde(default = "defaults::heartbeat_ms")]
    pub heartbeat_ms: u64,
    /// Lower end of the election timeout range, in milliseconds: a follower that hears no
    /// leader for its leader lease (`election_timeout_max_ms`) plus a random time in
    /// [min, max] stands for election. Also bounds how long a read waits for the leader to
    /// confirm it.
    #[serde(default = "defaults::election_timeout_min_ms")]
    pub election_timeout_min_ms: u64,
    /// Upper end of the election timeout range, in milliseconds; also the leader lease: a
    /// voter refuses other candidates for this long after it last heard from its leader, and
    /// the leader serves reads without a heartbeat round for 4/5 of it.
    #[serde(default = "defaults::election_timeout_max_ms")]
    pub election_timeout_max_ms: u64,
    /// Build a snapshot after this many log entries since the last one, or after a tenth of
    /// the store's objects if that is more: a snapshot copies the whole store, so a large
    /// store snapshots less often (at 1,000,000 keys, every 100,000 entries).
    #[serde(default = "defaults::snapshot_after_logs")]
    pub snapshot_after_logs: u64,
    /// Log entries kept after a snapshot (so that a briefly absent node catches up by log).
    #[serde(default = "defaults::keep_logs_after_snapshot")]
    pub keep_logs_after_snapshot: u64,
    /// Seconds after a Destroy before this node shreds what earlier copies of the destroyed
    /// material remain on its disk (log entries, the snapshot, store files): a snapshot, a
    /// log purge and a compaction, shared by every Destroy in that time. The material is gone
    /// from the disk within this plus the pass's time (docs/security.md).
    #[serde(default = "defaults::shred_after_secs")]
    pub shred_after_secs: u64,
    /// Serve reads while no leader can confirm this node's copy (an election after a leader
    /// died, or this node cut off from a quorum: a site cut off can still power on its VMs):
    /// Get, Get Attributes, Get Attribute List, Locate and the cryptographic operations with
    /// Active keys, from this node's copy, each counted (`raftkeep_kmip_stale_reads_total`)
    /// and audited (`stale_ms`). The copy may miss a revocation or a destroy made meanwhile
    /// elsewhere. Off: such a node waits for a leader within `write_timeout_ms`, then refuses
    /// reads as well as writes, and clients move on to another server.
    #[serde(default = "defaults::reads_without_quorum")]
    pub reads_without_quorum: bool,
    /// With `reads_without_quorum`: stop serving reads once the node has not heard from a
    /// leader for this many seconds.
    #[serde(default = "defaults::max_stale_read_secs")]
    pub max_stale_read_secs: u64,
    /// The free space (MiB) kept on the data directory's and the audit log's disks. Below
    /// it the node takes no writes (clients fail over to another node) and gives up
    /// leadership, keeps serving reads, and takes writes again once a quarter more is free.
    #[serde(default = "defaults::min_free_mib")]
    pub min_free_mib: u64,
    /// The voters that should lead (node ids; the same list on every node): the nodes of the
    /// site whose clients write, so their writes do not cross the WAN twice. A leader outside
    /// the list hands over to one of them once it has been caught up for 10 s. Empty: any.
    #[serde(default)]
    pub preferred_leaders: Vec<u64>,
    /// Where this node reaches other nodes when that differs from the address they advertise
    /// (NAT, port forwarding, a proxy): node id → `host:port`. Others: their advertised address.
    #[serde(default)]
    pub dial: std::collections::BTreeMap<String, String>,
}

/// PEM files of the node's cluster identity.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The cluster CA certificate.
    pub ca: PathBuf,
    /// This node's certificate (issued by the cluster CA, naming the advertised host).
    pub cert: PathBuf,
    /// This node's private key.
    pub key: PathBuf,
    /// Accept, on the cluster endpoint, certificates issued before roles (no
    /// `urn:raftkeep:role:` mark) that allow server authentication — what `issue-server`
    /// wrote for nodes and operators — and start with such a certificate of this node's own.
    /// Only while a cluster made before roles is upgraded (docs/operations.md, "Certificate
    /// roles"): KMIP client certificates of that time are refused either way.
    #[serde(default)]
    pub accept_unmarked_peers: bool,
}

/// The root key: exactly one of a file (32 raw bytes or 64 hex digits, mode 0600), an
/// environment variable, or a command.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RootKeyConfig {
    /// A file holding the key.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// An environment variable holding the key in hex.
    #[serde(default)]
    pub env: Option<String>,
    /// A command (program and arguments, no shell) whose standard output is the key, in hex
    /// or as 32 raw bytes: fetches it from a secret manager or an HSM at start-up.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// The key's version (raised at each rotation).
    #[serde(default = "defaults::root_key_version")]
    pub version: u32,
    /// Other root keys this node can unseal with but does not seal with, during a rotation:
    /// the new key before it is current on every node, then the old one until
    /// `raftkeep cluster rotate-root-key` has re-sealed everything.
    #[serde(default)]
    pub held: Vec<HeldRootKey>,
}

/// A root key held, not sealing, during a rotation.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(serde::Serialize, schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct HeldRootKey {
    /// Its version.
    pub version: u32,
    /// A file holding it.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// An environment variable holding it in hex.
    #[serde(default)]
    pub env: Option<String>,
    /// A command whose standard output is the key (as for the current key).
    #[serde(default)]
    pub command: Option<Vec<String>>,
}

mod defaults {
    pub(super) fn min_free_mib() -> u64 {
        128
    }
    pub(super) fn write_timeout_ms() -> u64 {
        5_000
    }
    // Failover after a leader dies takes about election_timeout_max + a random time in
    // [min, max] + one tick (1.5 heartbeats): ~1.2-1.8 s with these (docs/benchmarks.md).
    pub(super) fn heartbeat_ms() -> u64 {
        100
    }
    pub(super) fn election_timeout_min_ms() -> u64 {
        400
    }
    pub(super) fn election_timeout_max_ms() -> u64 {
        800
    }
    pub(super) fn reads_without_quorum() -> bool {
        true
    }
    pub(super) fn snapshot_after_logs() -> u64 {
        10_000
    }
    pub(super) fn keep_logs_after_snapshot() -> u64 {
        1_000
    }
    pub(super) fn shred_after_secs() -> u64 {
        10
    }
    pub(super) fn max_stale_read_secs() -> u64 {
        3_600
    }
    pub(super) fn root_key_version() -> u32 {
        1
    }
    pub(super) fn audit_segment_kib() -> u64 {
        64 * 1024
    }
    pub(super) fn audit_segment_hours() -> u64 {
        24
    }
    pub(super) fn audit_sync() -> bool {
        true
    }
    pub(super) fn kmip_listen() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([0, 0, 0, 0], 5696))
    }
    pub(super) fn kmip_max_connections() -> usize {
        1024
    }
    pub(super) fn kmip_idle_timeout_secs() -> u64 {
        120
    }
    pub(super) fn kmip_max_message_bytes() -> usize {
        kmip_ttlv::Limits::DEFAULT_MAX_MESSAGE_LEN
    }
    pub(super) fn rate_limit_max_wait_ms() -> u64 {
        1_000
    }
    pub(super) fn monitoring_listen() -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], 9696))
    }
}

impl NodeConfig {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Self, NodeStartError> {
        let text = std::fs::read_to_string(path).map_err(|source| NodeStartError::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        let mut config: NodeConfig = toml::from_str(&text).map_err(|e| NodeStartError::Config {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        config.check().map_err(|reason| NodeStartError::Config {
            path: path.to_owned(),
            reason,
        })?;
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        for p in [
            &mut self.data_dir,
            &mut self.tls.ca,
            &mut self.tls.cert,
            &mut self.tls.key,
        ] {
            *p = base.join(&*p);
        }
        if let Some(f) = &mut self.root_key.file {
            *f = base.join(&*f);
        }
        if let Some(k) = &mut self.kmip {
            k.cert = base.join(&k.cert);
            k.key = base.join(&k.key);
            if let Some(a) = &mut k.audit_log {
                *a = base.join(&*a);
            }
        }
        for p in &mut self.root_key.held {
            if let Some(f) = &mut p.file {
                *f = base.join(&*f);
            }
        }
    }

    fn check(&self) -> Result<(), String> {
        let c = &self.cluster;
        if c.election_timeout_min_ms <= c.heartbeat_ms
            || c.election_timeout_max_ms <= c.election_timeout_min_ms
        {
            return Err(format!(
                "cluster: need heartbeat_ms ({}) < election_timeout_min_ms ({}) < election_timeout_max_ms ({})",
                c.heartbeat_ms, c.election_timeout_min_ms, c.election_timeout_max_ms
            ));
        }
        if c.write_timeout_ms == 0 {
            return Err("cluster.write_timeout_ms must be above 0".to_owned());
        }
        self.dial()?;
        if let Some(k) = &self.kmip {
            check_kmip(k)?;
        }
        self.root_key
            .source()
            .map_err(|e| format!("root_key: {e}"))?;
        let mut versions = std::collections::BTreeSet::from([self.root_key.version]);
        for p in &self.root_key.held {
            p.source()
                .map_err(|e| format!("root_key.held (version {}): {e}", p.version))?;
            if !versions.insert(p.version) {
                return Err(format!("root_key: version {} appears twice", p.version));
            }
        }
        Ok(())
    }

    /// `cluster.dial` with its node ids parsed.
    pub fn dial(&self) -> Result<std::collections::BTreeMap<u64, String>, String> {
        self.cluster
            .dial
            .iter()
            .map(|(id, addr)| {
                id.parse()
                    .map(|id| (id, addr.clone()))
                    .map_err(|_| format!("cluster.dial: {id:?} is not a node id"))
            })
            .collect()
    }

    /// The address other nodes reach this one at.
    pub fn advertise(&self) -> String {
        self.cluster
            .advertise
            .clone()
            .unwrap_or_else(|| self.cluster.listen.to_string())
    }

    /// The bound on writes and linearizable reads.
    pub fn write_timeout(&self) -> Duration {
        Duration::from_millis(self.cluster.write_timeout_ms)
    }
}

fn check_kmip(k: &KmipConfig) -> Result<(), String> {
    // Below this a vCenter Get of an AES-256 key with its attributes would not fit.
    const SMALLEST: usize = 4096;
    if k.max_message_bytes < SMALLEST {
        return Err(format!(
            "kmip.max_message_bytes = {} is too small (at least {SMALLEST})",
            k.max_message_bytes
        ));
    }
    if let Some(r) = &k.rate_limit {
        if r.requests_per_sec == 0 {
            return Err(
                "kmip.rate_limit.requests_per_sec = 0 would refuse every request; remove [kmip.rate_limit] for no limit".to_owned(),
            );
        }
        if r.burst == Some(0) {
            return Err("kmip.rate_limit.burst = 0 would refuse every request".to_owned());
        }
    }
    Ok(())
}

impl RateLimitConfig {
    /// The limiter's settings (the values were checked at load).
    pub fn settings(&self) -> Option<raftkeep_server::RateLimitSettings> {
        let per_second = std::num::NonZeroU32::new(self.requests_per_sec)?;
        let burst = match self.burst {
            Some(b) => std::num::NonZeroU32::new(b)?,
            None => per_second,
        };
        Some(raftkeep_server::RateLimitSettings {
            per_second,
            burst,
            max_wait: Duration::from_millis(self.max_wait_ms),
        })
    }
}

/// Where one root key comes from.
#[derive(Debug, Clone, Copy)]
pub enum KeySource<'a> {
    /// A file.
    File(&'a Path),
    /// An environment variable.
    Env(&'a str),
    /// A command's standard output.
    Command(&'a [String]),
}

fn key_source<'a>(
    file: &'a Option<PathBuf>,
    env: &'a Option<String>,
    command: &'a Option<Vec<String>>,
) -> Result<KeySource<'a>, String> {
    match (file, env, command) {
        (Some(f), None, None) => Ok(KeySource::File(f)),
        (None, Some(e), None) => Ok(KeySource::Env(e)),
        (None, None, Some(c)) if c.is_empty() => {
            Err("`command` needs at least the program to run".to_owned())
        }
        (None, None, Some(c)) => Ok(KeySource::Command(c)),
        _ => Err("set exactly one of `file`, `env` and `command`".to_owned()),
    }
}

impl RootKeyConfig {
    /// Where the current root key comes from.
    pub fn source(&self) -> Result<KeySource<'_>, String> {
        key_source(&self.file, &self.env, &self.command)
    }
}

impl HeldRootKey {
    /// Where this held key comes from.
    pub fn source(&self) -> Result<KeySource<'_>, String> {
        key_source(&self.file, &self.env, &self.command)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "test")]

    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("node.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    const MINIMAL: &str = r#"
node_id = 1
data_dir = "data"
[cluster]
listen = "127.0.0.1:7001"
[tls]
ca = "ca.pem"
cert = "node.pem"
key = "node.key"
[root_key]
file = "root.key"
"#;

    #[test]
    fn minimal_config_gets_defaults_and_paths_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = NodeConfig::load(&write(dir.path(), MINIMAL)).unwrap();
        assert_eq!(c.data_dir, dir.path().join("data"));
        assert_eq!(c.tls.key, dir.path().join("node.key"));
        assert_eq!(c.advertise(), "127.0.0.1:7001");
        assert_eq!(c.write_timeout(), Duration::from_secs(5));
    }

    #[test]
    fn kmip_users_and_audit_log_are_read_and_the_hash_is_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let kmip = "[kmip]\ncert = \"kms.pem\"\nkey = \"kms.key\"\naudit_log = \"log/audit.jsonl\"\n\
            [[kmip.users]]\nusername = \"vcenter\"\npassword_hash = \"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA\"\n";
        let c = NodeConfig::load(&write(dir.path(), &format!("{MINIMAL}{kmip}"))).unwrap();
        let k = c.kmip.unwrap();
        assert_eq!(k.audit_log, Some(dir.path().join("log/audit.jsonl")));
        assert_eq!(k.users[0].username, "vcenter");
        assert!(!format!("{k:?}").contains("argon2"));
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let text = MINIMAL.replace("[cluster]", "[cluster]\nlisten_port = 3");
        let e = NodeConfig::load(&write(dir.path(), &text)).unwrap_err();
        assert!(e.to_string().contains("listen_port"), "{e}");
    }

    #[test]
    fn root_key_needs_exactly_one_source() {
        let dir = tempfile::tempdir().unwrap();
        let text = MINIMAL.replace("file = \"root.key\"", "file = \"a\"\nenv = \"B\"");
        let e = NodeConfig::load(&write(dir.path(), &text)).unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let text = MINIMAL.replace("file = \"root.key\"", "file = \"a\"\ncommand = [\"vault\"]");
        let e = NodeConfig::load(&write(dir.path(), &text)).unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
        let text = MINIMAL.replace("file = \"root.key\"", "command = []");
        let e = NodeConfig::load(&write(dir.path(), &text)).unwrap_err();
        assert!(e.to_string().contains("at least the program"), "{e}");
        let text = MINIMAL.replace("file = \"root.key\"", "command = [\"vault\", \"read\"]");
        let c = NodeConfig::load(&write(dir.path(), &text)).unwrap();
        assert!(matches!(c.root_key.source(), Ok(KeySource::Command(argv)) if argv.len() == 2));
    }

    #[test]
    fn held_root_keys_need_distinct_versions() {
        let dir = tempfile::tempdir().unwrap();
        let held = "\n[[root_key.held]]\nversion = 1\nfile = \"old.key\"\n";
        let e = NodeConfig::load(&write(dir.path(), &format!("{MINIMAL}{held}"))).unwrap_err();
        assert!(e.to_string().contains("version 1 appears twice"), "{e}");
        let text = MINIMAL.replace("file = \"root.key\"", "file = \"root.key\"\nversion = 2");
        let c = NodeConfig::load(&write(dir.path(), &format!("{text}{held}"))).unwrap();
        assert_eq!(
            c.root_key.held[0].file.as_deref(),
            Some(dir.path().join("old.key").as_path())
        );
    }

    #[test]
    fn inverted_election_timeouts_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let text = MINIMAL.replace("[cluster]", "[cluster]\nelection_timeout_min_ms = 100");
        let e = NodeConfig::load(&write(dir.path(), &text)).unwrap_err();
        assert!(e.to_string().contains("heartbeat_ms"), "{e}");
    }
}
