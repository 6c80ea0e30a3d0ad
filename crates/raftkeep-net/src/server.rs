//! The gRPC service that hands a peer's Raft RPCs to this node's Raft.

use openraft::raft::AppendEntriesResponse;
use raftkeep_proto::raft::RaftMessage;
use raftkeep_proto::raft::raft_server::{Raft as RaftRpc, RaftServer};
use raftkeep_store::RaftNode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};

/// Serves this node's Raft to its peers.
#[derive(Clone)]
pub struct RaftService {
    node: RaftNode,
    identity: crate::ClusterIdentity,
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
        RaftService { node, identity }
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
