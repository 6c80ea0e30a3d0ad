//! `raftkeep cluster`: initialize a cluster, show its state, change its membership. Talks to
//! a node's cluster endpoint over mutual TLS with a certificate from the cluster CA.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use std::io::Write as _;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use raftkeep_net::{ClusterTls, Peer, TlsFiles};
use raftkeep_node::NodeConfig;
use raftkeep_proto::cluster::{Member, StatusReply};
use serde::Serialize;

/// Where and how to reach the cluster.
#[derive(Debug, Args)]
pub struct Connection {
    /// A node's configuration file: use its cluster address and TLS files (on a node).
    /// Default: ./raftkeep-dev/node1/node.toml if it exists and no other flag is given.
    #[arg(long, global = true, env = "RAFTKEEP_NODE_CONFIG")]
    pub config: Option<PathBuf>,
    /// A node's cluster endpoint, `host:port`.
    #[arg(long, global = true, env = "RAFTKEEP_NODE")]
    pub node: Option<String>,
    /// The cluster CA certificate (PEM).
    #[arg(long, global = true, env = "RAFTKEEP_CLUSTER_CA")]
    pub ca: Option<PathBuf>,
    /// A certificate issued by the cluster CA (PEM).
    #[arg(long, global = true, env = "RAFTKEEP_CLUSTER_CERT")]
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    #[arg(long, global = true, env = "RAFTKEEP_CLUSTER_KEY")]
    pub key: Option<PathBuf>,
    /// Seconds to wait for an answer (default 10; 30 for init, 70 for membership changes,
    /// which wait for a learner to catch up; 600 for rotate-root-key).
    #[arg(long, global = true)]
    pub timeout: Option<u64>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `raftkeep cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Connection settings.
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: ClusterCommand,
}

/// The cluster subcommands.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Initialize a new cluster on `--node`, alone or with the given voters.
    Init {
        /// Initial voters as `ID=HOST:PORT` (default: the node alone).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Members, leader, term, and per node its log, applied index, lag and state digest.
    Status,
    /// Add the node at ADDR as a learner (it receives the log but does not vote yet). Its id
    /// is asked from the node itself.
    AddLearner {
        /// The new node's cluster endpoint, `host:port`.
        addr: String,
    },
    /// Make a learner a voter.
    Promote {
        /// The node id.
        id: u64,
    },
    /// Remove a node (voter or learner) from the cluster.
    RemoveNode {
        /// The node id.
        id: u64,
    },
    /// Move leadership to the given voter (for maintenance of the current leader's host).
    TransferLeader {
        /// The node id.
        id: u64,
    },
    /// Re-seal all key material with the new root key. Before: every node restarted with the
    /// new key as `root_key` (higher `version`) and the old one under `[[root_key.held]]`.
    /// After: the old key can be dropped from the configurations.
    RotateRootKey,
    /// How far a Name must be unique: the whole cluster (`domain`, KMIP's rule and the
    /// default), each client identity's own objects (`identity`), or not at all (`none`, for
    /// clients that give every key the same default name, as PyKMIP does). Without a value,
    /// prints the current one.
    NameScope {
        /// The new scope.
        #[arg(value_enum)]
        scope: Option<Scope>,
    },
    /// Disaster recovery, run on a stopped node (--config): when the old cluster has lost its
    /// majority for good, make this node's store a new one-node cluster (new cluster id) that
    /// the other nodes then join. Refuses while the old cluster can still elect a leader,
    /// unless --force, and says what may be lost.
    Recover {
        /// Recover even though old members answer (they must be stopped and wiped after).
        #[arg(long)]
        force: bool,
    },
}

pub(crate) struct Target {
    pub(crate) addr: String,
    tls: ClusterTls,
    pub(crate) timeout: Duration,
}

/// Node 1's configuration of a `raftkeep dev` cluster in this directory, when nothing else
/// says where the cluster is: `raftkeep cluster status` just works next to `raftkeep dev`.
fn dev_node_config(c: &Connection) -> Option<PathBuf> {
    if c.node.is_some() || c.ca.is_some() || c.cert.is_some() || c.key.is_some() {
        return None;
    }
    Some(PathBuf::from("raftkeep-dev/node1/node.toml")).filter(|p| p.exists())
}

/// The node configuration a command uses: `--config`, or `raftkeep dev`'s node 1 here.
pub(crate) fn node_config_path(c: &Connection) -> Option<PathBuf> {
    c.config.clone().or_else(|| dev_node_config(c))
}

impl Target {
    pub(crate) fn from(c: &Connection) -> anyhow::Result<Self> {
        let config = node_config_path(c);
        let node_config = config.as_deref().map(NodeConfig::load).transpose()?;
        let pick = |flag: &Option<PathBuf>, from_node: Option<PathBuf>, what: &str| {
            flag.clone()
                .or(from_node)
                .with_context(|| format!("give --{what} (or --config with a node's configuration)"))
        };
        let tls = node_config.as_ref().map(|n| n.tls.clone());
        let files = TlsFiles {
            ca: pick(&c.ca, tls.as_ref().map(|t| t.ca.clone()), "ca")?,
            cert: pick(&c.cert, tls.as_ref().map(|t| t.cert.clone()), "cert")?,
            key: pick(&c.key, tls.as_ref().map(|t| t.key.clone()), "key")?,
        };
        let addr = c
            .node
            .clone()
            .or_else(|| node_config.as_ref().map(NodeConfig::advertise))
            .context("give --node HOST:PORT (or --config with a node's configuration)")?;
        Ok(Target {
            addr,
            tls: ClusterTls::load(&files)?,
            timeout: Duration::from_secs(c.timeout.unwrap_or(10)),
        })
    }

    pub(crate) fn peer(&self, addr: &str) -> anyhow::Result<Peer> {
        Ok(Peer::connect(addr, Some(&self.tls))?)
    }
}

/// Runs a `raftkeep cluster` command.
pub fn run(args: ClusterArgs) -> anyhow::Result<()> {
    let target = Target::from(&args.connection)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match args.command {
        ClusterCommand::Recover { force } => {
            let config =
                args.connection.config.as_deref().context(
                    "give --config with the configuration of the (stopped) node to recover",
                )?;
            let config = NodeConfig::load(config)?;
            runtime.block_on(crate::recover::run(&target, &config, force))
        }
        command => runtime.block_on(online(&target, command, &args.connection)),
    }
}

/// The commands answered by a running node.
async fn online(
    target: &Target,
    command: ClusterCommand,
    connection: &Connection,
) -> anyhow::Result<()> {
    let json = connection.json;
    let peer = target.peer(&target.addr)?;
    // The node bounds a membership change at 60 s, a learner's catch-up included.
    let membership = Duration::from_secs(connection.timeout.unwrap_or(70));
    match command {
        ClusterCommand::Recover { .. } => bail!("recover runs on a stopped node"),
        ClusterCommand::Init { members } => {
            let members = parse_members(&members)?;
            let timeout = Duration::from_secs(connection.timeout.unwrap_or(30));
            peer.init(members, timeout).await?;
            writeln!(std::io::stdout(), "cluster initialized on {}", target.addr)?;
            Ok(())
        }
        ClusterCommand::Status => status(target, &peer, json).await,
        ClusterCommand::AddLearner { addr } => {
            let new = target.peer(&addr)?.status(target.timeout, false).await?;
            let members = peer.add_learner(new.id, &addr, membership).await?;
            writeln!(
                std::io::stdout(),
                "node {} at {addr} added as a learner",
                new.id
            )?;
            print_members(&members, json)
        }
        ClusterCommand::Promote { id } => {
            let members = peer.promote(id, membership).await?;
            writeln!(std::io::stdout(), "node {id} is a voter")?;
            print_members(&members, json)
        }
        ClusterCommand::TransferLeader { id } => {
            peer.transfer_leader(id, target.timeout.max(Duration::from_secs(20)))
                .await?;
            writeln!(std::io::stdout(), "node {id} is the leader")?;
            Ok(())
        }
        ClusterCommand::RotateRootKey => {
            let timeout = Duration::from_secs(connection.timeout.unwrap_or(600));
            let r = peer.rotate_root_key(timeout).await?;
            writeln!(
                std::io::stdout(),
                "all material sealed with root key version {}: {} re-sealed, {} already current",
                r.root_key_version,
                r.resealed,
                r.already_current
            )?;
            Ok(())
        }
        ClusterCommand::RemoveNode { id } => {
            let members = peer.remove_node(id, membership).await?;
            writeln!(std::io::stdout(), "node {id} removed")?;
            print_members(&members, json)
        }
        ClusterCommand::NameScope { scope } => name_scope(target, &peer, scope, json).await,
    }
}

/// `cluster name-scope`'s values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Scope {
    /// No two live objects of the cluster share a Name (KMIP 1.4 §3.2; the default).
    Domain,
    /// No two live objects of one client identity share a Name.
    Identity,
    /// Names may repeat.
    None,
}

impl From<Scope> for raftkeep_store::NameScope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::Domain => raftkeep_store::NameScope::Domain,
            Scope::Identity => raftkeep_store::NameScope::Identity,
            Scope::None => raftkeep_store::NameScope::None,
        }
    }
}

fn scope_text(s: raftkeep_store::NameScope) -> &'static str {
    match s {
        raftkeep_store::NameScope::Domain => {
            "domain: no two live objects of the cluster share a Name"
        }
        raftkeep_store::NameScope::Identity => {
            "identity: no two live objects of one client identity share a Name"
        }
        raftkeep_store::NameScope::None => "none: Names may repeat",
    }
}

async fn name_scope(
    target: &Target,
    peer: &Peer,
    scope: Option<Scope>,
    json: bool,
) -> anyhow::Result<()> {
    let now = match scope {
        Some(s) => {
            let scope = raftkeep_store::NameScope::from(s);
            match peer
                .write(
                    &raftkeep_store::Command::SetNameScope(scope),
                    target.timeout,
                    false,
                )
                .await?
            {
                Ok((raftkeep_store::CommandResult::Ok, _)) => scope,
                Ok((other, _)) => bail!("the cluster refused: {other:?}"),
                Err(e) => bail!("{e}"),
            }
        }
        None => peer.list_clients(target.timeout).await?.name_scope,
    };
    if json {
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::json!({ "name_scope": now })
        )?;
    } else {
        writeln!(std::io::stdout(), "name scope {}", scope_text(now))?;
    }
    Ok(())
}

fn parse_members(specs: &[String]) -> anyhow::Result<Vec<Member>> {
    specs
        .iter()
        .map(|s| {
            let (id, addr) = s
                .split_once('=')
                .with_context(|| format!("--member {s:?}: expected ID=HOST:PORT"))?;
            let id = id
                .parse()
                .with_context(|| format!("--member {s:?}: {id:?} is not a node id"))?;
            Ok(Member {
                id,
                addr: addr.to_owned(),
                voter: true,
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct NodeView {
    id: u64,
    addr: String,
    voter: bool,
    state: Option<String>,
    term: Option<u64>,
    leader: Option<u64>,
    last_log_index: Option<u64>,
    committed_index: Option<u64>,
    applied_index: Option<u64>,
    lag: Option<u64>,
    millis_since_leader_contact: Option<u64>,
    digest: Option<String>,
    /// The applied index the digest covers (may be ahead of `applied_index`).
    digest_index: Option<u64>,
    /// Named in `cluster.preferred_leaders` (of the leader's configuration, or of the node
    /// asked when no leader answered).
    preferred_leader: bool,
    error: Option<String>,
}

async fn status(target: &Target, peer: &Peer, json: bool) -> anyhow::Result<()> {
    let first = peer.status(target.timeout, false).await?;
    if first.members.is_empty() {
        bail!(
            "node {} at {} is not part of a cluster yet: run `raftkeep cluster init` on one node",
            first.id,
            first.addr
        );
    }
    let mut replies: BTreeMap<u64, Result<StatusReply, String>> = BTreeMap::new();
    let asks = first.members.iter().map(|m| async move {
        let reply = match target.peer(&m.addr) {
            Ok(p) => p
                .status(target.timeout, true)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        (m.id, reply)
    });
    for (id, reply) in futures::future::join_all(asks).await {
        replies.insert(id, reply);
    }
    let leader = replies
        .values()
        .filter_map(|r| r.as_ref().ok())
        .find(|r| r.state == "Leader");
    let views: Vec<NodeView> = first
        .members
        .iter()
        .map(|m| view(m, replies.get(&m.id), leader))
        .map(|mut v| {
            v.preferred_leader = leader.unwrap_or(&first).preferred_leaders.contains(&v.id);
            v
        })
        .collect();
    if json {
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string_pretty(&views)?
        )?;
        return Ok(());
    }
    match leader {
        Some(l) => writeln!(
            std::io::stdout(),
            "leader: node {} (term {}){}",
            l.id,
            l.term,
            placement(l)
        )?,
        None => writeln!(std::io::stdout(), "leader: none reachable")?,
    }
    if !first.cluster_id.is_empty() {
        writeln!(std::io::stdout(), "cluster: {}", first.cluster_id)?;
    }
    if !first.last_backup_id.is_empty() {
        writeln!(
            std::io::stdout(),
            "last backup: {} at {} by node {}",
            first.last_backup_id,
            crate::backup::utc(first.last_backup_unix_millis),
            first.last_backup_node
        )?;
    }
    writeln!(
        std::io::stdout(),
        "{:<4} {:<22} {:<6} {:<10} {:>5} {:>9} {:>9} {:>9} {:>5} {:>9}  digest",
        "id",
        "address",
        "voter",
        "state",
        "term",
        "last log",
        "committed",
        "applied",
        "lag",
        "contact"
    )?;
    for v in &views {
        let dash = |x: Option<u64>| x.map_or("-".to_owned(), |x| x.to_string());
        if let Some(e) = &v.error {
            writeln!(
                std::io::stdout(),
                "{:<4} {:<22} {:<6} unreachable: {e}",
                v.id,
                v.addr,
                v.voter
            )?;
            continue;
        }
        writeln!(
            std::io::stdout(),
            "{:<4} {:<22} {:<6} {:<10} {:>5} {:>9} {:>9} {:>9} {:>5} {:>9}  {}",
            v.id,
            v.addr,
            v.voter,
            v.state.as_deref().unwrap_or("-"),
            dash(v.term),
            dash(v.last_log_index),
            dash(v.committed_index),
            dash(v.applied_index),
            dash(v.lag),
            v.millis_since_leader_contact
                .map_or("-".to_owned(), |ms| format!("{ms} ms")),
            v.digest
                .as_deref()
                .map_or("-", |d| d.get(..16).unwrap_or(d)),
        )?;
    }
    // Compared at the index each digest was taken at, not Raft's reported applied index,
    // which may trail the store while entries are being applied; a node with no applied
    // state yet (a learner still joining) has nothing to compare.
    let mut by_index: std::collections::BTreeMap<u64, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for v in &views {
        if let (Some(index), Some(digest)) = (v.digest_index, v.digest.as_deref()) {
            by_index.entry(index).or_default().insert(digest);
        }
    }
    if let Some((index, _)) = by_index.iter().find(|(_, digests)| digests.len() > 1) {
        bail!("nodes at the same applied index ({index}) have different state digests");
    }
    Ok(())
}

/// Where the leader is against where its configuration says it should be.
fn placement(leader: &StatusReply) -> String {
    let preferred = &leader.preferred_leaders;
    if preferred.is_empty() {
        return String::new();
    }
    let list = preferred
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if preferred.contains(&leader.id) {
        format!(", where it should be (preferred: {list})")
    } else {
        format!(
            ", NOT where it should be (preferred: {list}): it hands over once one of them has been caught up for {} s",
            raftkeep_net::placement::STEADY.as_secs()
        )
    }
}

fn view(
    m: &Member,
    reply: Option<&Result<StatusReply, String>>,
    leader: Option<&StatusReply>,
) -> NodeView {
    let mut v = NodeView {
        id: m.id,
        addr: m.addr.clone(),
        voter: m.voter,
        state: None,
        term: None,
        leader: None,
        last_log_index: None,
        committed_index: None,
        applied_index: None,
        lag: None,
        millis_since_leader_contact: None,
        digest: None,
        digest_index: None,
        preferred_leader: false,
        error: None,
    };
    match reply {
        Some(Ok(r)) => {
            v.state = Some(r.state.clone());
            v.term = Some(r.term);
            v.leader = r.leader_id;
            v.last_log_index = r.last_log_index;
            v.committed_index = r.committed_index;
            v.applied_index = r.applied_index;
            v.millis_since_leader_contact = r.millis_since_leader_contact;
            v.digest = (!r.digest.is_empty()).then(|| r.digest.clone());
            v.digest_index = r.digest_index;
        }
        Some(Err(e)) => v.error = Some(e.clone()),
        None => v.error = Some("not asked".to_owned()),
    }
    if let Some(l) = leader {
        let head = l.last_log_index.unwrap_or(0);
        v.lag = if l.id == m.id {
            Some(0)
        } else {
            l.replication
                .iter()
                .find(|r| r.id == m.id)
                .map(|r| head.saturating_sub(r.matched_index.unwrap_or(0)))
        };
    }
    v
}

fn print_members(members: &[Member], json: bool) -> anyhow::Result<()> {
    if json {
        let list: Vec<_> = members
            .iter()
            .map(|m| serde_json::json!({"id": m.id, "addr": m.addr, "voter": m.voter}))
            .collect();
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string_pretty(&list)?
        )?;
        return Ok(());
    }
    writeln!(std::io::stdout(), "members:")?;
    for m in members {
        let role = if m.voter { "voter" } else { "learner" };
        writeln!(std::io::stdout(), "  {:<4} {:<22} {role}", m.id, m.addr)?;
    }
    Ok(())
}
