//! A typed client of another node's `Cluster` service: what `raftkeep cluster` and the
//! forwarding of writes to the leader use.

use std::time::Duration;

use raftkeep_proto::cluster::cluster_client::ClusterClient;
use raftkeep_proto::cluster::{
    AddLearnerRequest, EncodedMessage, InitRequest, ListClientsRequest, Member, NodeIdRequest,
    PauseElectionsRequest, RotateRootKeyReply, RotateRootKeyRequest, StatusReply, StatusRequest,
};
use raftkeep_store::{Command, CommandResult, NodeError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::transport::Channel;

use crate::read::{ReadReply, ReadRequest};
use crate::{ClusterTls, NetError};

/// Metadata set on a request a node forwards, so that the receiver never forwards it again.
pub const FORWARDED: &str = "x-raftkeep-forwarded";

/// Another node, reached over its `Cluster` service.
#[derive(Debug, Clone)]
pub struct Peer {
    addr: String,
    client: ClusterClient<Channel>,
}

impl Peer {
    /// A lazily connected client of the node at `addr`.
    pub fn connect(addr: &str, tls: Option<&ClusterTls>) -> Result<Self, NetError> {
        Ok(Peer {
            addr: addr.to_owned(),
            client: ClusterClient::new(crate::channel::channel(addr, tls)?),
        })
    }

    /// The node's address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Awaits a call for at most `timeout`: tonic sends the deadline to the server but does
    /// not enforce it itself, so a hung peer (stopped, or behind a link that accepts and never
    /// answers) would keep the caller waiting for ever.
    async fn within<T>(
        &self,
        timeout: Duration,
        call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<tonic::Response<T>, tonic::Status> {
        tokio::time::timeout(timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(tonic::Status::deadline_exceeded(format!(
                    "no answer within {} ms",
                    timeout.as_millis()
                )))
            })
    }

    fn request<T>(message: T, timeout: Duration, forwarded: bool) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(timeout);
        if forwarded {
            request
                .metadata_mut()
                .insert(FORWARDED, tonic::metadata::MetadataValue::from_static("1"));
        }
        request
    }

    /// Initializes a new cluster on this node, with `members` (empty: the node alone).
    pub async fn init(&self, members: Vec<Member>, timeout: Duration) -> Result<(), NetError> {
        let request = Self::request(InitRequest { members }, timeout, false);
        self.within(timeout, self.client.clone().init(request))
            .await
            .map_err(|s| NetError::rpc(&self.addr, s))?;
        Ok(())
    }

    /// The node's view of itself and the cluster; `with_digest` also hashes its state
    /// machine (a full scan).
    pub async fn status(
        &self,
        timeout: Duration,
        with_digest: bool,
    ) -> Result<StatusReply, NetError> {
        let request = Self::request(StatusRequest { with_digest }, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().status(request))
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner())
    }

    /// Adds a learner (through the leader); returns the new membership.
    pub async fn add_learner(
        &self,
        id: u64,
        addr: &str,
        timeout: Duration,
    ) -> Result<Vec<Member>, NetError> {
        let message = AddLearnerRequest {
            id,
            addr: addr.to_owned(),
        };
        let reply = self
            .within(
                timeout,
                self.client
                    .clone()
                    .add_learner(Self::request(message, timeout, false)),
            )
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner()
            .members)
    }

    /// Makes a learner a voter (through the leader); returns the new membership.
    pub async fn promote(&self, id: u64, timeout: Duration) -> Result<Vec<Member>, NetError> {
        let request = Self::request(NodeIdRequest { id }, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().promote(request))
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner()
            .members)
    }

    /// Removes a node from the cluster (through the leader); returns the new membership.
    pub async fn remove_node(&self, id: u64, timeout: Duration) -> Result<Vec<Member>, NetError> {
        let request = Self::request(NodeIdRequest { id }, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().remove_node(request))
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner()
            .members)
    }

    /// Moves leadership to node `id` (through the leader); returns the membership.
    pub async fn transfer_leader(
        &self,
        id: u64,
        timeout: Duration,
    ) -> Result<Vec<Member>, NetError> {
        let request = Self::request(NodeIdRequest { id }, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().transfer_leader(request))
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner()
            .members)
    }

    /// Asks the node not to start elections for `pause` (zero: resume).
    pub async fn pause_elections(
        &self,
        pause: Duration,
        timeout: Duration,
    ) -> Result<(), NetError> {
        let millis = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX);
        let request = Self::request(PauseElectionsRequest { millis }, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().pause_elections(request))
            .await;
        reply.map_err(|s| NetError::rpc(&self.addr, s))?;
        Ok(())
    }

    /// Re-seals all material with the leader's current root key (through the leader).
    pub async fn rotate_root_key(&self, timeout: Duration) -> Result<RotateRootKeyReply, NetError> {
        let request = Self::request(RotateRootKeyRequest {}, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().rotate_root_key(request))
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner())
    }

    /// Starts a backup on this node; the stream carries the file's bytes in order. `timeout`
    /// bounds the whole transfer.
    pub async fn backup(
        &self,
        timeout: Duration,
    ) -> Result<tonic::Streaming<raftkeep_proto::cluster::BackupChunk>, NetError> {
        let request = Self::request(raftkeep_proto::cluster::BackupRequest {}, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().backup(request))
            .await;
        Ok(reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner())
    }

    /// Up to `limit` objects after the UID `after` (from the first when `None`), from this
    /// node's copy, in UID order.
    pub async fn list_objects(
        &self,
        after: Option<&str>,
        limit: u32,
        timeout: Duration,
    ) -> Result<Vec<raftkeep_store::StoredObject>, NetError> {
        let message = raftkeep_proto::cluster::ListObjectsRequest {
            after: after.unwrap_or_default().to_owned(),
            limit,
        };
        let reply = self
            .within(
                timeout,
                self.client
                    .clone()
                    .list_objects(Self::request(message, timeout, false)),
            )
            .await;
        self.decode(reply)
    }

    /// The client allow-list, as this node holds it.
    pub async fn list_clients(
        &self,
        timeout: Duration,
    ) -> Result<crate::AllowListEntries, NetError> {
        let request = Self::request(ListClientsRequest {}, timeout, false);
        let reply = self
            .within(timeout, self.client.clone().list_clients(request))
            .await;
        self.decode(reply)
    }

    /// Sends a store command; the reply carries the log index it was committed at.
    /// `forwarded`: this node is forwarding it, the receiver must not.
    pub async fn write(
        &self,
        cmd: &Command,
        timeout: Duration,
        forwarded: bool,
    ) -> Result<Result<(CommandResult, u64), NodeError>, NetError> {
        let message = self.encode(cmd)?;
        let reply = self
            .within(
                timeout,
                self.client
                    .clone()
                    .write(Self::request(message, timeout, forwarded)),
            )
            .await;
        self.decode(reply)
    }

    /// Reads one object. `forwarded`: as for [`Peer::write`].
    pub async fn read(
        &self,
        req: &ReadRequest,
        timeout: Duration,
        forwarded: bool,
    ) -> Result<Result<ReadReply, NodeError>, NetError> {
        let message = self.encode(req)?;
        let reply = self
            .within(
                timeout,
                self.client
                    .clone()
                    .read(Self::request(message, timeout, forwarded)),
            )
            .await;
        self.decode(reply)
    }

    /// A stream of read-index requests to this node (the leader): each request sent on the
    /// returned sender gets one answer, in order, on the returned stream.
    pub async fn read_index_stream(
        &self,
        timeout: Duration,
    ) -> Result<
        (
            tokio::sync::mpsc::Sender<raftkeep_proto::cluster::ReadIndexRequest>,
            tonic::Streaming<EncodedMessage>,
        ),
        NetError,
    > {
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let asks = tokio_stream::wrappers::ReceiverStream::new(rx);
        let reply = self
            .within(timeout, self.client.clone().read_index_stream(asks))
            .await
            .map_err(|s| NetError::rpc(&self.addr, s))?;
        Ok((tx, reply.into_inner()))
    }

    fn encode<T: Serialize>(&self, value: &T) -> Result<EncodedMessage, NetError> {
        raftkeep_store::codec::encode(value)
            .map(|data| EncodedMessage { data })
            .map_err(|e| NetError::BadReply {
                addr: self.addr.clone(),
                reason: format!("cannot encode the request: {e}"),
            })
    }

    /// The value an `EncodedMessage` reply carries (for writes and reads, a `Result` whose
    /// error is the remote node's).
    fn decode<T: DeserializeOwned>(
        &self,
        reply: Result<tonic::Response<EncodedMessage>, tonic::Status>,
    ) -> Result<T, NetError> {
        let data = reply
            .map_err(|s| NetError::rpc(&self.addr, s))?
            .into_inner()
            .data;
        raftkeep_store::codec::decode(&data).map_err(|e| NetError::BadReply {
            addr: self.addr.clone(),
            reason: e.to_string(),
        })
    }
}
