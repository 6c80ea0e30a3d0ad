//! The gRPC service that hands a peer's Raft RPCs to this node's Raft.

use openraft::raft::AppendEntriesResponse;
use raftkeep_proto::raft::RaftMessage;
use raftkeep_proto::raft::raft_server::{Raft as RaftRpc, RaftServer};
use raftkeep_store::RaftNode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};

/// Serves this node's Raft to its peers.
///
/// For `election_timeout_max` after it starts, the service refuses to vote. A leader serves
/// reads under a lease that rests on its voters refusing other candidates for that long after
/// they last heard from it ([`crate::ReadIndex`]); a voter that restarted has forgotten when
/// that was, and without this pause it could help elect a second leader while the first one's
/// lease still runs.
#[derive(Clone)]
pub struct RaftService {
    node: RaftNode,
    identity: crate::ClusterIdentity,
    votes_from: std::time::Instant,
}

impl std::fmt::Debug for RaftService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftService").finish_non_exhaustive()
    }
}

impl RaftService {
    /// A service for this node's Raft; it refuses requests from nodes of other clusters.
    pub fn new(node: RaftNode) -> Self {
        let identity = crate::ClusterIdentity::of(node.state_machine().clone());
        let lease = std::time::Duration::from_millis(node.raft().config().election_timeout_max);
        // A node that never voted granted no lease: it may vote at once (a new cluster forms
        // without this pause).
        let voted = node.raft().metrics().borrow().current_term > 0;
        let lease = if voted {
            lease
        } else {
            std::time::Duration::ZERO
        };
        RaftService {
            node,
            identity,
            votes_from: std::time::Instant::now() + lease,
        }
    }

    /// The tonic server wrapper, ready for `Server::add_service`.
    pub fn into_server(self) -> RaftServer<Self> {
        RaftServer::new(self)
    }
}

fn decode<T: DeserializeOwned>(request: Request<RaftMessage>) -> Result<T, Status> {
    raftkeep_store::codec::decode(&request.into_inner().data)
        .map_err(|e| Status::invalid_argument(format!("not a Raft message: {e}")))
}

/// Replies with the whole `Result`, so the caller gets the Raft error typed.
fn reply<T: Serialize>(result: &T) -> Result<Response<RaftMessage>, Status> {
    raftkeep_store::codec::encode(result)
        .map(|data| Response::new(RaftMessage { data }))
        .map_err(|e| Status::internal(format!("cannot encode the reply: {e}")))
}

#[tonic::async_trait]
impl RaftRpc for RaftService {
    async fn append_entries(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        self.identity.check(&request)?;
        let result = self.node.raft().append_entries(decode(request)?).await;
        // A success or a conflict both come from the current leader: this node is in touch.
        if matches!(
            result,
            Ok(AppendEntriesResponse::Success
                | AppendEntriesResponse::PartialSuccess(_)
                | AppendEntriesResponse::Conflict)
        ) {
            self.node.note_leader_contact();
        }
        reply(&result)
    }

    async fn vote(&self, request: Request<RaftMessage>) -> Result<Response<RaftMessage>, Status> {
        self.identity.check(&request)?;
        if std::time::Instant::now() < self.votes_from {
            return Err(Status::unavailable(
                "this node started less than an election timeout ago and does not vote yet",
            ));
        }
        reply(&self.node.raft().vote(decode(request)?).await)
    }

    async fn install_snapshot(
        &self,
        request: Request<RaftMessage>,
    ) -> Result<Response<RaftMessage>, Status> {
        self.identity.check(&request)?;
        reply(&self.node.raft().install_snapshot(decode(request)?).await)
    }
}
