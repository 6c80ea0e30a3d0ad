//! The store under real openraft: three nodes in one process, joined by an in-memory network
//! (this test's only stand-in; the product's gRPC transport comes later). A write reaches every
//! node, a node added after the log was purged catches up by snapshot, and every node ends with
//! the same state digest.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{AnyError, BasicNode, Config, Raft, SnapshotPolicy};
use raftkeep_store::{
    Command, CommandResult, LogStore, Material, NodeError, NodeId, RaftNode, StateMachine,
    StoredObject, TypeConfig, db,
};

type Router = Arc<Mutex<BTreeMap<NodeId, Raft<TypeConfig>>>>;

/// Delivers RPCs by calling the target node's `Raft` handle directly.
#[derive(Clone)]
struct Network {
    router: Router,
}

struct Conn {
    router: Router,
    target: NodeId,
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Conn;
    async fn new_client(&mut self, target: NodeId, _node: &BasicNode) -> Conn {
        Conn {
            router: self.router.clone(),
            target,
        }
    }
}

impl Conn {
    fn raft(&self) -> Option<Raft<TypeConfig>> {
        self.router.lock().unwrap().get(&self.target).cloned()
    }

    fn down<E: std::error::Error>(&self) -> RPCError<NodeId, BasicNode, E> {
        RPCError::Network(NetworkError::new(&AnyError::error(format!(
            "node {} is down",
            self.target
        ))))
    }
}

impl RaftNetwork<TypeConfig> for Conn {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        let raft = self.raft().ok_or_else(|| self.down())?;
        raft.append_entries(rpc)
            .await
            .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<NodeId>,
        RPCError<NodeId, BasicNode, RaftError<NodeId, InstallSnapshotError>>,
    > {
        let raft = self.raft().ok_or_else(|| self.down())?;
        raft.install_snapshot(rpc)
            .await
            .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        _option: RPCOption,
    ) -> Result<VoteResponse<NodeId>, RPCError<NodeId, BasicNode, RaftError<NodeId>>> {
        let raft = self.raft().ok_or_else(|| self.down())?;
        raft.vote(rpc)
            .await
            .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

struct Node {
    _dir: tempfile::TempDir,
    raft: Raft<TypeConfig>,
    sm: StateMachine,
}

async fn start(id: NodeId, router: &Router) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let db = db::open(&dir.path().join("db")).unwrap();
    let sm = StateMachine::new(db.clone(), dir.path().join("snapshots")).unwrap();
    let config = Config {
        // Generous: every node fsyncs on one shared (virtual) disk, and a missed heartbeat here
        // would only make the test slower, never wrong.
        heartbeat_interval: 250,
        election_timeout_min: 1500,
        election_timeout_max: 3000,
        snapshot_policy: SnapshotPolicy::Never,
        max_in_snapshot_log_to_keep: 0,
        purge_batch_size: 1,
        ..Default::default()
    };
    let config = Arc::new(config.validate().unwrap());
    let network = Network {
        router: router.clone(),
    };
    let raft = Raft::new(id, config, network, LogStore::new(db), sm.clone())
        .await
        .unwrap();
    router.lock().unwrap().insert(id, raft.clone());
    Node {
        _dir: dir,
        raft,
        sm,
    }
}

fn object(uid: &str) -> StoredObject {
    StoredObject {
        uid: uid.into(),
        object_type: 2,
        state: 1,
        owner: "client-a".into(),
        attributes: Vec::new(),
        material: Material::Sealed(vec![0xAA; 60]),
        grants: BTreeMap::new(),
    }
}

const WAIT: Option<Duration> = Some(Duration::from_secs(20));

/// Starts nodes 1..=3, initializes the cluster and waits for a leader.
async fn cluster() -> (Router, BTreeMap<NodeId, Node>, NodeId) {
    let router: Router = Arc::default();
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        nodes.insert(id, start(id, &router).await);
    }
    let members: BTreeMap<NodeId, BasicNode> = (1..=3)
        .map(|id| (id, BasicNode::new(format!("node-{id}"))))
        .collect();
    nodes[&1].raft.initialize(members).await.unwrap();
    let metrics = nodes[&1]
        .raft
        .wait(WAIT)
        .metrics(|m| m.current_leader.is_some(), "a leader")
        .await
        .unwrap();
    let leader_id = metrics.current_leader.unwrap();
    (router, nodes, leader_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_replicate_and_a_late_node_catches_up_by_snapshot() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("openraft=warn")
        .with_test_writer()
        .try_init();
    let (router, mut nodes, leader_id) = cluster().await;
    let leader = nodes[&leader_id].raft.clone();

    // Writes through the leader are applied on every node.
    for i in 0..20 {
        let r = leader
            .client_write(Command::PutObject {
                object: object(&format!("key-{i}")),
            })
            .await
            .unwrap();
        assert_eq!(r.data, CommandResult::Ok);
    }
    let dup = leader
        .client_write(Command::PutObject {
            object: object("key-0"),
        })
        .await
        .unwrap();
    assert_eq!(dup.data, CommandResult::AlreadyExists("key-0".into()));
    // The write's own log id: the leader's metrics may not show it applied yet.
    let last = Some(dup.log_id.index);
    for n in nodes.values() {
        n.raft
            .wait(WAIT)
            .applied_index_at_least(last, "all writes applied")
            .await
            .unwrap();
        assert_eq!(n.sm.object("key-7").unwrap().unwrap(), object("key-7"));
    }

    // Snapshot the leader, which purges its log up to the snapshot (no log kept behind it), then
    // add a node: it can only catch up by snapshot. (Metrics are never borrowed across an
    // await: a held borrow blocks the node from publishing new metrics.)
    leader.trigger().snapshot().await.unwrap();
    leader
        .wait(WAIT)
        .metrics(
            |m| m.snapshot.is_some() && m.purged == m.snapshot,
            "snapshot built and log purged",
        )
        .await
        .unwrap();
    nodes.insert(4, start(4, &router).await);
    leader
        .add_learner(4, BasicNode::new("node-4"), true)
        .await
        .unwrap();
    nodes[&4]
        .raft
        .wait(WAIT)
        .applied_index_at_least(last, "learner caught up")
        .await
        .unwrap();
    let learner_snapshot = nodes[&4].raft.metrics().borrow().snapshot;
    assert!(
        learner_snapshot.is_some(),
        "the learner was brought up by a snapshot, not by log entries"
    );

    // One more write after the catch-up reaches the learner too; all digests agree.
    let after = leader
        .client_write(Command::PutObject {
            object: object("after"),
        })
        .await
        .unwrap();
    let last = Some(after.log_id.index);
    let mut digests = BTreeSet::new();
    for n in nodes.values() {
        n.raft
            .wait(WAIT)
            .applied_index_at_least(last, "final write applied")
            .await
            .unwrap();
        digests.insert(n.sm.digest().unwrap());
    }
    assert_eq!(digests.len(), 1, "every node holds the same state");
    assert!(nodes[&4].sm.object("after").unwrap().is_some());

    for n in nodes.values() {
        n.raft.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_fail_fast_without_quorum_and_followers_name_the_leader() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("openraft=error")
        .with_test_writer()
        .try_init();
    let (router, nodes, leader_id) = cluster().await;
    let bound = Duration::from_secs(1);
    let node = |id: NodeId| RaftNode::new(nodes[&id].raft.clone(), nodes[&id].sm.clone(), bound);
    let leader = node(leader_id);
    let follower_id = (1..=3).find(|id| *id != leader_id).unwrap();
    let follower = node(follower_id);

    assert_eq!(
        leader
            .write(Command::PutObject {
                object: object("k")
            })
            .await,
        Ok(CommandResult::Ok)
    );
    let expected = NodeError::ForwardToLeader {
        leader_id: Some(leader_id),
        leader_addr: Some(format!("node-{leader_id}")),
    };
    assert_eq!(
        follower
            .write(Command::PutObject {
                object: object("k2")
            })
            .await,
        Err(expected.clone())
    );
    assert_eq!(follower.read_linearizable().await.err(), Some(expected));
    assert!(
        leader
            .read_linearizable()
            .await
            .unwrap()
            .object("k")
            .unwrap()
            .is_some()
    );

    // Both followers die: the leader can no longer commit, and says so within the bound.
    for id in (1..=3).filter(|id| *id != leader_id) {
        let raft = router.lock().unwrap().remove(&id).unwrap();
        raft.shutdown().await.unwrap();
    }
    let e = leader
        .write(Command::PutObject {
            object: object("lost"),
        })
        .await
        .unwrap_err();
    assert_eq!(e, NodeError::Unavailable { waited: bound });
    assert!(e.to_string().contains("no quorum"), "{e}");
    assert_eq!(
        leader.read_linearizable().await.err(),
        Some(NodeError::Unavailable { waited: bound })
    );

    // The local read still answers, and says what it has applied.
    let (sm, info) = leader.read_local();
    assert!(sm.object("k").unwrap().is_some());
    assert!(info.applied_index.is_some());
    leader.raft().shutdown().await.unwrap();
}
