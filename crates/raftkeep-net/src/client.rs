//! The openraft network over gRPC: one lazily connected channel per peer.

use std::future::Future;

use openraft::error::{
    Infallible, InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{AnyError, BasicNode};
use raftkeep_proto::raft::RaftMessage;
use raftkeep_proto::raft::raft_client::RaftClient;
use raftkeep_store::{NodeId, TypeConfig};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::transport::Channel;

use crate::{ClusterIdentity, ClusterTls, Dial};

/// Creates connections to peers; a peer's address is its `BasicNode::addr` (`host:port`).
#[derive(Debug, Clone, Default)]
pub struct GrpcNetwork {
    tls: Option<ClusterTls>,
    identity: ClusterIdentity,
    dial: Dial,
    committed: raftkeep_store::CommitWatermark,
}

impl GrpcNetwork {
    /// Peers over mutual TLS with the cluster identity.
    pub fn tls(tls: ClusterTls) -> Self {
        GrpcNetwork {
            tls: Some(tls),
            ..Default::default()
        }
    }

    /// Peers over plaintext gRPC; only for tests on loopback.
    pub fn plaintext() -> Self {
        GrpcNetwork::default()
    }

    /// Reaches the nodes in `dial` at the addresses it gives instead of their advertised ones.
    pub fn dialing(mut self, dial: Dial) -> Self {
        self.dial = dial;
        self
    }

    /// Raises `committed` with the commit index of every append-entries sent, before it is
    /// sent (see [`raftkeep_store::CommitWatermark`]).
    pub fn with_watermark(mut self, committed: raftkeep_store::CommitWatermark) -> Self {
        self.committed = committed;
        self
    }

    /// Marks every request with this node's cluster id, so nodes of other clusters refuse it.
    pub fn in_cluster(mut self, identity: ClusterIdentity) -> Self {
        self.identity = identity;
        self
    }
}

/// A connection to one peer.
#[derive(Debug)]
pub struct GrpcConnection {
    target: NodeId,
    addr: String,
    tls: Option<ClusterTls>,
    identity: ClusterIdentity,
    committed: raftkeep_store::CommitWatermark,
    client: Option<RaftClient<Channel>>,
    /// The [`ClusterTls::generation`] `client` was made under: after a renewal of this node's
    /// certificate the connection is replaced, so that peers are shown the new one.
    made_under: u64,
    /// A call has started and not finished. Still set when the next call starts, the last
    /// one was dropped mid-way (openraft gave up on it): its bytes may sit in the connection's
    /// buffers towards a peer that stopped reading, so the connection is replaced.
    in_flight: bool,
}

impl RaftNetworkFactory<TypeConfig> for GrpcNetwork {
    type Network = GrpcConnection;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> GrpcConnection {
        GrpcConnection {
            target,
            addr: self.dial.addr(target, &node.addr),
            tls: self.tls.clone(),
            identity: self.identity.clone(),
            committed: self.committed.clone(),
            client: None,
            made_under: 0,
            in_flight: false,
        }
    }
}

type RpcResult<T, E> = Result<T, RPCError<NodeId, BasicNode, RaftError<NodeId, E>>>;

impl GrpcConnection {
    fn client(&mut self) -> Result<RaftClient<Channel>, NetworkError> {
        let generation = self.tls.as_ref().map_or(0, ClusterTls::generation);
        if let Some(c) = &self.client
            && self.made_under == generation
        {
            return Ok(c.clone());
        }
        let channel = crate::channel::channel(&self.addr, self.tls.as_ref())
            .map_err(|e| NetworkError::new(&e))?;
        let client = RaftClient::new(channel);
        self.client = Some(client.clone());
        self.made_under = generation;
        Ok(client)
    }

    /// Sends one request with `send` and decodes the reply, an encoded `Result` from the peer;
    /// a connection that failed or was abandoned is replaced at the next call.
    async fn call<Req, Resp, E, F, Fut>(
        &mut self,
        req: &Req,
        option: &RPCOption,
        send: F,
    ) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
        F: FnOnce(RaftClient<Channel>, tonic::Request<RaftMessage>) -> Fut,
        Fut: Future<Output = Result<tonic::Response<RaftMessage>, tonic::Status>>,
    {
        if self.in_flight {
            // Robustness: a hung peer with a stream of abandoned snapshot chunks queued behind
            // it once grew a leader to gigabytes; a fresh connection drops them.
            tracing::debug!(
                target = self.target,
                "the last call was abandoned; reconnecting"
            );
            self.client = None;
        }
        self.in_flight = true;
        // One call on the current connection.
        let result = async {
            let network = |e: &dyn std::fmt::Display| {
                RPCError::Network(NetworkError::new(&AnyError::error(e.to_string())))
            };
            let data = raftkeep_store::codec::encode(req).map_err(|e| network(&e))?;
            let client = self.client().map_err(RPCError::Network)?;
            let mut request = tonic::Request::new(RaftMessage { data });
            request.set_timeout(option.hard_ttl());
            self.identity.stamp(&mut request);
            let reply = send(client, request)
                .await
                .map_err(|status| match status.code() {
                    // The peer is down or not listening: openraft backs off instead of retrying at once.
                    tonic::Code::Unavailable => RPCError::Unreachable(Unreachable::new(&status)),
                    _ => RPCError::Network(NetworkError::new(&status)),
                })?;
            let result: Result<Resp, RaftError<NodeId, E>> =
                raftkeep_store::codec::decode(&reply.into_inner().data).map_err(|e| network(&e))?;
            result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
        }
        .await;
        self.in_flight = false;
        if let Err(RPCError::Network(_) | RPCError::Unreachable(_)) = &result {
            self.client = None;
        }
        result
    }
}

impl RaftNetwork<TypeConfig> for GrpcConnection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>, Infallible> {
        self.committed.raise(rpc.leader_commit.as_ref());
        self.call(&rpc, &option, |mut c, r| async move {
            c.append_entries(r).await
        })
        .await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        self.call(&rpc, &option, |mut c, r| async move {
            c.install_snapshot(r).await
        })
        .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, Infallible> {
        self.call(&rpc, &option, |mut c, r| async move { c.vote(r).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test")]

    use super::*;

    fn pair(cn: &str) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let cert = params.self_signed(&key).unwrap();
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes())
    }

    #[tokio::test]
    async fn a_connection_is_made_again_after_the_nodes_certificate_is_renewed() {
        let (ca, _) = pair("ca");
        let (cert, key) = pair("node1");
        let tls = ClusterTls::from_pem(ca, cert, key);
        let mut conn = GrpcConnection {
            target: 2,
            addr: "127.0.0.1:7102".to_owned(),
            tls: Some(tls.clone()),
            identity: ClusterIdentity::default(),
            committed: raftkeep_store::CommitWatermark::default(),
            client: None,
            made_under: 0,
            in_flight: false,
        };
        conn.client().unwrap();
        assert_eq!(conn.made_under, 0);
        // The same pair again changes nothing; a new one makes the connection again.
        let (cert, key) = pair("node1");
        tls.renew(cert.clone(), key.clone());
        assert_eq!(tls.generation(), 1);
        tls.renew(cert, key);
        assert_eq!(tls.generation(), 1);
        conn.client().unwrap();
        assert_eq!(conn.made_under, 1);
    }
}
