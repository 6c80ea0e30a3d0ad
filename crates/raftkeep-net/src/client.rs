//! The openraft network over gRPC: one lazily connected channel per peer, shared by every
//! connection openraft makes to it. openraft 0.9 makes a new network client for each
//! leadership confirmation of a read; a channel of its own would cost a TCP and a TLS
//! handshake each time, more than the confirmation's timeout (one heartbeat interval) on a
//! WAN, and no read or write could then be confirmed at all.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
    channels: Channels,
}

/// The channel to each peer address, and the certificate generation it was made under.
#[derive(Debug, Clone, Default)]
struct Channels(Arc<Mutex<HashMap<String, (u64, Channel)>>>);

impl Channels {
    /// The shared channel to `addr`, made now if there is none of `generation`.
    fn get(
        &self,
        addr: &str,
        generation: u64,
        tls: Option<&ClusterTls>,
    ) -> Result<Channel, crate::NetError> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((made_under, channel)) = map.get(addr)
            && *made_under == generation
        {
            return Ok(channel.clone());
        }
        let channel = crate::channel::channel(addr, tls)?;
        map.insert(addr.to_owned(), (generation, channel.clone()));
        Ok(channel)
    }

    /// Forgets the channel to `addr`: the next connection to it makes a new one.
    fn forget(&self, addr: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(addr);
    }
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
    channels: Channels,
    client: Option<RaftClient<Channel>>,
    /// The [`ClusterTls::generation`] `client` was made under: after a renewal of this node's
    /// certificate the connection is replaced, so that peers are shown the new one.
    made_under: u64,
    /// A call that has started and not finished. Still set when the next call starts, the
    /// last one was dropped mid-way (openraft gave up on it after its timeout, one heartbeat
    /// interval): see [`GrpcConnection::replace_after`].
    in_flight: Option<Call>,
    /// When a call last succeeded on this connection, or when it was made.
    last_success: Instant,
}

/// What a call carried, for judging what an abandoned one may have left behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// Append entries, a vote.
    Small,
    /// A snapshot chunk (megabytes).
    Snapshot,
}

/// A connection on which nothing has succeeded for this long, and whose last call was
/// abandoned, is replaced: the peer stopped reading, or the path to it went dead silently.
const SILENT_CONNECTION: Duration = Duration::from_secs(3);

impl RaftNetworkFactory<TypeConfig> for GrpcNetwork {
    type Network = GrpcConnection;

    async fn new_client(&mut self, target: NodeId, node: &BasicNode) -> GrpcConnection {
        GrpcConnection {
            target,
            addr: self.dial.addr(target, &node.addr),
            tls: self.tls.clone(),
            identity: self.identity.clone(),
            committed: self.committed.clone(),
            channels: self.channels.clone(),
            client: None,
            made_under: 0,
            in_flight: None,
            last_success: Instant::now(),
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
        let channel = self
            .channels
            .get(&self.addr, generation, self.tls.as_ref())
            .map_err(|e| NetworkError::new(&e))?;
        let client = RaftClient::new(channel);
        self.client = Some(client.clone());
        self.made_under = generation;
        self.last_success = Instant::now();
        Ok(client)
    }

    /// Drops the channel, this connection's and the shared one: the next call connects anew.
    fn drop_channel(&mut self) {
        self.client = None;
        self.channels.forget(&self.addr);
    }

    /// Whether the connection must be replaced because the last call was abandoned: always
    /// after a snapshot chunk (megabytes queued towards a peer that stopped reading once grew
    /// a leader to gigabytes); after a small call only once nothing has succeeded for
    /// [`SILENT_CONNECTION`]. A small call abandoned on a slow link (its round trip near the
    /// heartbeat interval, or a new connection's TLS handshake on a WAN) leaves the connection
    /// alone, or every new connection would be dropped before its handshake completes.
    fn replace_after(&self, abandoned: Call) -> bool {
        abandoned == Call::Snapshot || self.last_success.elapsed() >= SILENT_CONNECTION
    }

    /// Sends one request with `send` and decodes the reply, an encoded `Result` from the peer;
    /// a connection that failed, or was abandoned as [`GrpcConnection::replace_after`] says,
    /// is replaced at the next call.
    async fn call<Req, Resp, E, F, Fut>(
        &mut self,
        kind: Call,
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
        if let Some(abandoned) = self.in_flight
            && self.replace_after(abandoned)
        {
            tracing::debug!(
                target = self.target,
                ?abandoned,
                "the last call was abandoned; reconnecting"
            );
            self.drop_channel();
        }
        self.in_flight = Some(kind);
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
        self.in_flight = None;
        match &result {
            Err(RPCError::Network(_) | RPCError::Unreachable(_)) => self.drop_channel(),
            _ => self.last_success = Instant::now(),
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
        self.call(Call::Small, &rpc, &option, |mut c, r| async move {
            c.append_entries(r).await
        })
        .await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, InstallSnapshotError> {
        self.call(Call::Snapshot, &rpc, &option, |mut c, r| async move {
            c.install_snapshot(r).await
        })
        .await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, Infallible> {
        self.call(Call::Small, &rpc, &option, |mut c, r| async move {
            c.vote(r).await
        })
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
            channels: Channels::default(),
            client: None,
            made_under: 0,
            in_flight: None,
            last_success: Instant::now(),
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
