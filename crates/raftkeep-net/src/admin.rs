//! The `Cluster` service of a node: cluster management for `raftkeep cluster`, and the entry
//! point of writes and reads forwarded by other nodes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use openraft::error::{ClientWriteError, InitializeError, RaftError};
use openraft::{BasicNode, ChangeMembers, RaftMetrics, ServerState};
use raftkeep_proto::cluster::cluster_server::{Cluster, ClusterServer};
use raftkeep_proto::cluster::{
    AddLearnerRequest, BackupRequest, EncodedMessage, InitReply, InitRequest, ListClientsRequest,
    ListObjectsRequest, Member, MembershipReply, NodeIdRequest, PauseElectionsReply,
    PauseElectionsRequest, Replication, RotateRootKeyReply, RotateRootKeyRequest, StatusReply,
    StatusRequest,
};
use raftkeep_seal::Keyring;
use raftkeep_store::{Command, NodeError, NodeId};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};

use crate::peer::FORWARDED;
use crate::read::{Consistency, ReadReply, ReadRequest};
use crate::{Forwarder, NetError, ReadIndex};

/// The most objects one `ListObjects` page holds (a page stays a few MiB).
const LIST_LIMIT: usize = 1000;

/// How long a membership change may take, a learner's catch-up included.
const MEMBERSHIP_TIMEOUT: Duration = Duration::from_secs(60);

/// Serves cluster management and forwarded requests.
#[derive(Debug, Clone)]
pub struct ClusterService {
    forwarder: Forwarder,
    reads: ReadIndex,
    keyring: Keyring,
    preferred_leaders: Vec<u64>,
}

impl ClusterService {
    /// The service of a node holding `keyring`: it records the keyring's check value when it
    /// initializes a cluster, and re-seals with it during a rotation. Reads and the read
    /// index followers ask for come from `reads`.
    pub fn new(reads: ReadIndex, keyring: Keyring) -> Self {
        ClusterService {
            forwarder: reads.forwarder().clone(),
            reads,
            keyring,
            preferred_leaders: Vec::new(),
        }
    }

    /// The same service, reporting `preferred` as the voters that should lead.
    pub fn with_preferred_leaders(mut self, preferred: Vec<u64>) -> Self {
        self.preferred_leaders = preferred;
        self
    }

    fn key_check(&self) -> Result<Vec<u8>, Status> {
        self.keyring
            .key_check()
            .map(|b| b.as_bytes().to_vec())
            .map_err(|e| Status::internal(e.to_string()))
    }

    /// The tonic server wrapper, ready for `Server::add_service`.
    pub fn into_server(self) -> ClusterServer<Self> {
        ClusterServer::new(self)
    }

    fn metrics(&self) -> RaftMetrics<NodeId, BasicNode> {
        // Cloned at once: a borrow held across an await would stall RaftCore.
        self.forwarder.node().raft().metrics().borrow().clone()
    }

    /// The leader's client when this node is not the leader; `None` when it is.
    async fn leader(&self) -> Result<Option<crate::Peer>, Status> {
        match self.forwarder.leader_addr().await {
            Ok(None) => Ok(None),
            Ok(Some(addr)) => self.forwarder.peer(&addr).map(Some).map_err(net_status),
            Err(e) => Err(node_status(&e)),
        }
    }

    /// On a follower, the membership change `call` made on the leader; `None` on the leader,
    /// which makes the change itself.
    async fn on_leader<F, Fut>(&self, call: F) -> Result<Option<Response<MembershipReply>>, Status>
    where
        F: FnOnce(crate::Peer) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Member>, NetError>>,
    {
        let Some(leader) = self.leader().await? else {
            return Ok(None);
        };
        let members = call(leader).await.map_err(net_status)?;
        Ok(Some(Response::new(MembershipReply { members })))
    }

    /// One object from this node's copy: after the read index for a linearizable read, with
    /// what the node knows of its lag for a local one.
    async fn read_here(&self, req: &ReadRequest) -> Result<ReadReply, NodeError> {
        let node = self.forwarder.node();
        let local = match req.consistency {
            Consistency::Linearizable => {
                self.barrier_within(node.timeout()).await?;
                None
            }
            Consistency::Local => Some(node.read_local().1),
        };
        let object = node
            .state_machine()
            .object(&req.uid)
            .map_err(|e| NodeError::Fatal(e.to_string()))?;
        Ok(ReadReply { object, local })
    }

    /// The read index, asked again (an election may be under way) until it answers or
    /// `bound` has passed: then the cluster cannot serve reads through this node.
    async fn barrier_within(&self, bound: Duration) -> Result<u64, NodeError> {
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            match self.reads.barrier().await {
                Ok(index) => return Ok(index),
                Err(crate::BarrierError::Unconfirmed(NodeError::Fatal(e))) => {
                    return Err(NodeError::Fatal(e));
                }
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    tracing::debug!(error = %e, "no leader confirmed a read within the bound");
                    return Err(NodeError::Unavailable { waited: bound });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    async fn change(
        &self,
        change: ChangeMembers<NodeId, BasicNode>,
    ) -> Result<Response<MembershipReply>, Status> {
        let raft = self.forwarder.node().raft();
        let result =
            tokio::time::timeout(MEMBERSHIP_TIMEOUT, raft.change_membership(change, false))
                .await
                .map_err(|_| Status::deadline_exceeded("the membership change did not commit"))?;
        result.map_err(write_status)?;
        Ok(Response::new(MembershipReply {
            members: members(&self.metrics()),
        }))
    }
}

/// The caller's deadline (`grpc-timeout`), or a generous default for long operations.
fn request_timeout<T>(request: &Request<T>) -> Duration {
    request
        .metadata()
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout)
        .unwrap_or(Duration::from_secs(600))
}

/// `grpc-timeout` is digits and a unit letter (H, M, S, m, u, n).
fn parse_grpc_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

pub(crate) fn members(m: &RaftMetrics<NodeId, BasicNode>) -> Vec<Member> {
    let membership = m.membership_config.membership();
    let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
    membership
        .nodes()
        .map(|(id, node)| Member {
            id: *id,
            addr: node.addr.clone(),
            voter: voters.contains(id),
        })
        .collect()
}

fn status_text(state: ServerState) -> &'static str {
    match state {
        ServerState::Leader => "Leader",
        ServerState::Follower => "Follower",
        ServerState::Candidate => "Candidate",
        ServerState::Learner => "Learner",
        ServerState::Shutdown => "Shutdown",
    }
}

fn node_status(e: &NodeError) -> Status {
    match e {
        NodeError::Unavailable { .. }
        | NodeError::LeaderUnreachable { .. }
        | NodeError::Stopping
        | NodeError::DiskLow { .. } => Status::unavailable(e.to_string()),
        NodeError::ForwardToLeader { .. } => Status::failed_precondition(e.to_string()),
        NodeError::Fatal(_) => Status::internal(e.to_string()),
    }
}

fn net_status(e: NetError) -> Status {
    Status::unavailable(e.to_string())
}

fn write_status(e: RaftError<NodeId, ClientWriteError<NodeId, BasicNode>>) -> Status {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
            node_status(&NodeError::from(f))
        }
        RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => {
            Status::failed_precondition(c.to_string())
        }
        RaftError::Fatal(f) => Status::internal(f.to_string()),
    }
}

fn decode<T: DeserializeOwned>(request: Request<EncodedMessage>) -> Result<(T, bool), Status> {
    let forwarded = request.metadata().contains_key(FORWARDED);
    let value = raftkeep_store::codec::decode(&request.into_inner().data)
        .map_err(|e| Status::invalid_argument(format!("not a valid request: {e}")))?;
    Ok((value, forwarded))
}

fn reply<T: Serialize>(result: &T) -> Result<Response<EncodedMessage>, Status> {
    raftkeep_store::codec::encode(result)
        .map(|data| Response::new(EncodedMessage { data }))
        .map_err(|e| Status::internal(format!("cannot encode the reply: {e}")))
}

#[tonic::async_trait]
impl Cluster for ClusterService {
    async fn init(&self, request: Request<InitRequest>) -> Result<Response<InitReply>, Status> {
        let metrics = self.metrics();
        let mut nodes = BTreeMap::new();
        for m in request.into_inner().members {
            nodes.insert(m.id, BasicNode::new(m.addr));
        }
        if nodes.is_empty() {
            nodes.insert(metrics.id, self.forwarder.own_node());
        }
        let raft = self.forwarder.node().raft();
        match raft.initialize(nodes).await {
            Ok(()) => {}
            Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {
                return Err(Status::already_exists(
                    "this node is already part of a cluster",
                ));
            }
            Err(e) => return Err(Status::failed_precondition(e.to_string())),
        }
        tracing::info!("cluster initialized; recording the root-key check value");
        let blob = self.key_check()?;
        self.forwarder
            .write(Command::SetKeyCheck { blob })
            .await
            .map_err(|e| node_status(&e))?;
        let id = uuid::Uuid::new_v4().to_string();
        tracing::info!(cluster_id = %id, "recording the cluster id");
        self.forwarder
            .write(Command::SetClusterId { id })
            .await
            .map_err(|e| node_status(&e))?;
        Ok(Response::new(InitReply {}))
    }

    async fn status(
        &self,
        request: Request<StatusRequest>,
    ) -> Result<Response<StatusReply>, Status> {
        let m = self.metrics();
        let node = self.forwarder.node();
        let (digest_index, digest) = if request.into_inner().with_digest {
            let (index, digest) = node
                .state_machine()
                .digest_at()
                .map_err(|e| Status::internal(e.to_string()))?;
            (index, hex::encode(digest))
        } else {
            (None, String::new())
        };
        let replication = m
            .replication
            .iter()
            .flatten()
            .filter(|(id, _)| **id != m.id)
            .map(|(id, matched)| Replication {
                id: *id,
                matched_index: matched.map(|l| l.index),
            })
            .collect();
        let addr = self.forwarder.own_node().addr;
        let sm = node.state_machine();
        let internal = |e: raftkeep_store::StoreError| Status::internal(e.to_string());
        let last_backup = sm.last_backup().map_err(internal)?;
        Ok(Response::new(StatusReply {
            preferred_leaders: self.preferred_leaders.clone(),
            cluster_id: sm.cluster_id().map_err(internal)?.unwrap_or_default(),
            last_backup_unix_millis: last_backup.as_ref().map_or(0, |b| b.unix_millis),
            last_backup_node: last_backup.as_ref().map_or(0, |b| b.node),
            last_backup_id: last_backup.map(|b| b.id).unwrap_or_default(),
            id: m.id,
            addr,
            state: status_text(m.state).to_owned(),
            term: m.current_term,
            leader_id: m.current_leader,
            last_log_index: m.last_log_index,
            applied_index: m.last_applied.map(|l| l.index),
            snapshot_index: m.snapshot.map(|l| l.index),
            purged_index: m.purged.map(|l| l.index),
            members: members(&m),
            replication,
            millis_since_leader_contact: node
                .since_leader_contact()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            digest,
            digest_index,
            committed_index: raftkeep_store::log_store::committed_index(node.state_machine().db())
                .map_err(|e| Status::internal(e.to_string()))?,
            root_key_version: self.keyring.current().0,
            root_key_versions: self.keyring.versions().map(|v| v.0).collect(),
            unix_millis: crate::clock::unix_millis(),
        }))
    }

    async fn add_learner(
        &self,
        request: Request<AddLearnerRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        let AddLearnerRequest { id, addr } = request.into_inner();
        let to = addr.clone();
        let forwarded = self
            .on_leader(
                |leader| async move { leader.add_learner(id, &to, MEMBERSHIP_TIMEOUT).await },
            )
            .await?;
        if let Some(reply) = forwarded {
            return Ok(reply);
        }
        let raft = self.forwarder.node().raft();
        let added = tokio::time::timeout(
            MEMBERSHIP_TIMEOUT,
            raft.add_learner(id, BasicNode::new(addr), true),
        )
        .await
        .map_err(|_| {
            Status::deadline_exceeded(
                "the learner was added but has not caught up yet; watch `raftkeep cluster status`",
            )
        })?;
        added.map_err(write_status)?;
        Ok(Response::new(MembershipReply {
            members: members(&self.metrics()),
        }))
    }

    async fn promote(
        &self,
        request: Request<NodeIdRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        let id = request.into_inner().id;
        let forwarded = self
            .on_leader(|leader| async move { leader.promote(id, MEMBERSHIP_TIMEOUT).await })
            .await?;
        if let Some(reply) = forwarded {
            return Ok(reply);
        }
        self.change(ChangeMembers::AddVoterIds(BTreeSet::from([id])))
            .await
    }

    async fn remove_node(
        &self,
        request: Request<NodeIdRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        let id = request.into_inner().id;
        let forwarded = self
            .on_leader(|leader| async move { leader.remove_node(id, MEMBERSHIP_TIMEOUT).await })
            .await?;
        if let Some(reply) = forwarded {
            return Ok(reply);
        }
        let m = self.metrics();
        let membership = m.membership_config.membership();
        if membership.voter_ids().any(|v| v == id) {
            // `retain = false` in `change`: a removed voter leaves the node list too.
            self.change(ChangeMembers::RemoveVoters(BTreeSet::from([id])))
                .await
        } else if membership.get_node(&id).is_some() {
            self.change(ChangeMembers::RemoveNodes(BTreeSet::from([id])))
                .await
        } else {
            Err(Status::not_found(format!("node {id} is not a member")))
        }
    }

    async fn transfer_leader(
        &self,
        request: Request<NodeIdRequest>,
    ) -> Result<Response<MembershipReply>, Status> {
        let id = request.into_inner().id;
        let forwarded = self
            .on_leader(|leader| async move { leader.transfer_leader(id, MEMBERSHIP_TIMEOUT).await })
            .await?;
        if let Some(reply) = forwarded {
            return Ok(reply);
        }
        crate::transfer::transfer(&self.reads, id).await?;
        Ok(Response::new(MembershipReply {
            members: members(&self.metrics()),
        }))
    }

    async fn pause_elections(
        &self,
        request: Request<PauseElectionsRequest>,
    ) -> Result<Response<PauseElectionsReply>, Status> {
        // Never longer than a transfer may take, whatever the caller asks.
        let millis = request.into_inner().millis.min(30_000);
        crate::transfer::pause_elections(self.forwarder.node(), Duration::from_millis(millis));
        Ok(Response::new(PauseElectionsReply {}))
    }

    async fn rotate_root_key(
        &self,
        request: Request<RotateRootKeyRequest>,
    ) -> Result<Response<RotateRootKeyReply>, Status> {
        if let Some(leader) = self.leader().await? {
            let timeout = request_timeout(&request);
            let reply = leader.rotate_root_key(timeout).await.map_err(net_status)?;
            return Ok(Response::new(reply));
        }
        crate::rotate::rotate(&self.forwarder, &self.keyring, &members(&self.metrics()))
            .await
            .map(Response::new)
    }

    async fn list_clients(
        &self,
        _request: Request<ListClientsRequest>,
    ) -> Result<Response<EncodedMessage>, Status> {
        let sm = self.forwarder.node().state_machine();
        let internal = |e: raftkeep_store::StoreError| Status::internal(e.to_string());
        reply(&crate::AllowListEntries {
            clients: sm.clients().map_err(internal)?,
            issuers: sm.issuers().map_err(internal)?,
            groups: sm.groups().map_err(internal)?,
            identities: sm.identities().map_err(internal)?,
            moves: sm.moves().map_err(internal)?,
            name_scope: sm.name_scope().map_err(internal)?,
        })
    }

    async fn write(
        &self,
        request: Request<EncodedMessage>,
    ) -> Result<Response<EncodedMessage>, Status> {
        let by = crate::roles::peer_subject(&request);
        let (mut cmd, forwarded): (Command, bool) = decode(request)?;
        if let (Command::MoveObjects { record, .. }, Some((subject, role))) = (&mut cmd, by)
            && role != crate::Role::Node
        {
            // Who moved keys is recorded as the node that took the request saw them, not as
            // they said.
            record.by = subject;
        }
        let result = if forwarded {
            let node = self.forwarder.node();
            let result = node.write_indexed(cmd).await;
            // The forwarding node waits until it has applied the write: tell it the commit now.
            if let Ok((_, index)) = &result {
                node.announce_commit(*index).await;
            }
            result
        } else {
            self.forwarder.write_indexed(cmd).await
        };
        reply(&result)
    }

    async fn list_objects(
        &self,
        request: Request<ListObjectsRequest>,
    ) -> Result<Response<EncodedMessage>, Status> {
        let ListObjectsRequest { after, limit } = request.into_inner();
        let after = Some(after.as_str()).filter(|a| !a.is_empty());
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(LIST_LIMIT);
        let objects = self
            .forwarder
            .node()
            .state_machine()
            .objects_after(after, limit)
            .map_err(|e| Status::internal(e.to_string()))?;
        reply(&objects)
    }

    type BackupStream = crate::backup::BackupStream;

    async fn backup(
        &self,
        _request: Request<BackupRequest>,
    ) -> Result<Response<Self::BackupStream>, Status> {
        crate::backup::start(&self.forwarder, self.keyring.clone())
            .await
            .map(Response::new)
    }

    async fn read(
        &self,
        request: Request<EncodedMessage>,
    ) -> Result<Response<EncodedMessage>, Status> {
        // The flag of forwarded reads is still sent by older nodes; reads are local now.
        let (req, _forwarded): (ReadRequest, bool) = decode(request)?;
        reply(&self.read_here(&req).await)
    }

    type ReadIndexStreamStream = crate::read_index::AnswerStream;

    async fn read_index_stream(
        &self,
        request: Request<tonic::Streaming<raftkeep_proto::cluster::ReadIndexRequest>>,
    ) -> Result<Response<Self::ReadIndexStreamStream>, Status> {
        Ok(Response::new(crate::read_index::answer_stream(
            self.reads.clone(),
            request.into_inner(),
        )))
    }
}
