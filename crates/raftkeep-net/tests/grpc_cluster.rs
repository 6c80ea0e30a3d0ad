//! Three nodes replicating over real gRPC on 127.0.0.1: every node applies the leader's writes,
//! and with one node stopped the other two still commit and agree.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use openraft::{BasicNode, Config, Raft, SnapshotPolicy};
use raftkeep_net::{GrpcNetwork, RaftService};
use raftkeep_store::{
    Command, CommandResult, LogStore, Material, NodeId, StateMachine, StoredObject, TypeConfig, db,
};
use tokio::sync::oneshot;

struct Node {
    _dir: tempfile::TempDir,
    raft: Raft<TypeConfig>,
    sm: StateMachine,
    addr: String,
    stop: Option<oneshot::Sender<()>>,
}

/// Starts a node: its store, its Raft, and its gRPC server on a free port of 127.0.0.1.
async fn start(id: NodeId) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let db = db::open(&dir.path().join("db")).unwrap();
    let sm = StateMachine::new(db.clone(), dir.path().join("snapshots")).unwrap();
    let config = Config {
        heartbeat_interval: 250,
        election_timeout_min: 1500,
        election_timeout_max: 3000,
        snapshot_policy: SnapshotPolicy::Never,
        ..Default::default()
    };
    let raft = Raft::new(
        id,
        Arc::new(config.validate().unwrap()),
        GrpcNetwork::plaintext(),
        LogStore::new(db),
        sm.clone(),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (stop, stopped) = oneshot::channel::<()>();
    let service = RaftService::new(raftkeep_store::RaftNode::new(
        raft.clone(),
        sm.clone(),
        std::time::Duration::from_secs(5),
    ))
    .into_server();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async {
                    let _ = stopped.await;
                },
            ),
    );
    Node {
        _dir: dir,
        raft,
        sm,
        addr,
        stop: Some(stop),
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

const WAIT: Option<Duration> = Some(Duration::from_secs(30));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_replicate_over_grpc_and_survive_one_node_down() {
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        nodes.insert(id, start(id).await);
    }
    let members: BTreeMap<NodeId, BasicNode> = nodes
        .iter()
        .map(|(id, n)| (*id, BasicNode::new(&n.addr)))
        .collect();
    nodes[&1].raft.initialize(members).await.unwrap();
    let metrics = nodes[&1]
        .raft
        .wait(WAIT)
        .metrics(|m| m.current_leader.is_some(), "a leader")
        .await
        .unwrap();
    let leader_id = metrics.current_leader.unwrap();
    let leader = nodes[&leader_id].raft.clone();

    let mut last = 0;
    for i in 0..10 {
        let r = leader
            .client_write(Command::PutObject {
                object: object(&format!("k{i}")),
            })
            .await
            .unwrap();
        assert_eq!(r.data, CommandResult::Ok);
        last = r.log_id.index;
    }
    for n in nodes.values() {
        n.raft
            .wait(WAIT)
            .applied_index_at_least(Some(last), "replicated over gRPC")
            .await
            .unwrap();
        assert!(n.sm.object("k9").unwrap().is_some());
    }

    // Stop one follower (its server and its Raft): the other two are still a majority.
    let down = (1..=3).find(|id| *id != leader_id).unwrap();
    let mut stopped = nodes.remove(&down).unwrap();
    let _ = stopped.stop.take().unwrap().send(());
    stopped.raft.shutdown().await.unwrap();
    let r = leader
        .client_write(Command::PutObject {
            object: object("while-down"),
        })
        .await
        .unwrap();
    let mut digests = BTreeSet::new();
    for n in nodes.values() {
        n.raft
            .wait(WAIT)
            .applied_index_at_least(Some(r.log_id.index), "committed by two")
            .await
            .unwrap();
        digests.insert(n.sm.digest().unwrap());
    }
    assert_eq!(digests.len(), 1);
    for n in nodes.values() {
        n.raft.shutdown().await.unwrap();
    }
}
