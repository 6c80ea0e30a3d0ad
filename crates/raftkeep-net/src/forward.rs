//! Writes from any node: served here on the leader, forwarded to the leader over gRPC from a
//! follower, so a client may talk to any node. Reads are served by each node from its own
//! copy once [`crate::ReadIndex`] says it is current.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use raftkeep_store::{Command, CommandResult, NodeError, RaftNode};

use crate::{ClusterTls, NetError, Peer};

/// Routes a node's writes and reads to wherever they can be served.
#[derive(Debug, Clone)]
pub struct Forwarder {
    node: RaftNode,
    addr: String,
    tls: Option<ClusterTls>,
    dial: crate::Dial,
    /// Connections by address, with the [`ClusterTls::generation`] they were made under.
    peers: Arc<Mutex<HashMap<String, (u64, Peer)>>>,
}

impl Forwarder {
    /// A forwarder for `node`, which its peers reach at `addr`; it reaches them with `tls`
    /// (plaintext if `None`: tests only).
    pub fn new(node: RaftNode, addr: String, tls: Option<ClusterTls>) -> Self {
        Forwarder {
            node,
            addr,
            tls,
            dial: crate::Dial::default(),
            peers: Arc::default(),
        }
    }

    /// Reaches the leader at the address `dial` gives for it, if any.
    pub fn dialing(mut self, dial: crate::Dial) -> Self {
        self.dial = dial;
        self
    }

    fn unreachable(&self, addr: &str, e: &NetError) -> NodeError {
        match e {
            // The leader did not answer within the bound: the cluster cannot serve now.
            NetError::Rpc {
                code: tonic::Code::DeadlineExceeded,
                ..
            } => NodeError::Unavailable {
                waited: self.node.timeout(),
            },
            _ => NodeError::LeaderUnreachable {
                addr: addr.to_owned(),
                reason: e.to_string(),
            },
        }
    }

    /// This node as its peers know it.
    pub fn own_node(&self) -> openraft::BasicNode {
        openraft::BasicNode::new(&self.addr)
    }

    /// The local node.
    pub fn node(&self) -> &RaftNode {
        &self.node
    }

    /// A client of the node at `addr`, reusing its connection unless this node's certificate
    /// was renewed since it was made.
    pub fn peer(&self, addr: &str) -> Result<Peer, NetError> {
        let generation = self.tls.as_ref().map_or(0, ClusterTls::generation);
        let mut peers = self.peers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((made_under, peer)) = peers.get(addr)
            && *made_under == generation
        {
            return Ok(peer.clone());
        }
        let peer = Peer::connect(addr, self.tls.as_ref())?;
        peers.insert(addr.to_owned(), (generation, peer.clone()));
        Ok(peer)
    }

    /// The leader's address, waiting (within the node's bound) while an election runs.
    /// `Ok(None)`: this node leads.
    pub async fn leader_addr(&self) -> Result<Option<String>, NodeError> {
        let raft = self.node.raft();
        let waited = self.node.timeout();
        let metrics = raft
            .wait(Some(waited))
            .metrics(|m| m.current_leader.is_some(), "a leader is known")
            .await
            .map_err(|_| NodeError::Unavailable { waited })?;
        let Some(leader) = metrics.current_leader else {
            return Err(NodeError::Unavailable { waited });
        };
        if leader == metrics.id {
            return Ok(None);
        }
        let addr = metrics
            .membership_config
            .membership()
            .get_node(&leader)
            .map(|n| self.dial.addr(leader, &n.addr));
        match addr {
            Some(addr) => Ok(Some(addr)),
            None => Err(NodeError::ForwardToLeader {
                leader_id: Some(leader),
                leader_addr: None,
            }),
        }
    }

    /// The leader's address as this node knows it now, without waiting; `None` when no
    /// leader is known, its address is not, or this node leads.
    pub fn leader_addr_now(&self) -> Option<String> {
        let m = self.node.raft().metrics();
        let m = m.borrow();
        let leader = m.current_leader.filter(|l| *l != m.id)?;
        m.membership_config
            .membership()
            .get_node(&leader)
            .map(|n| self.dial.addr(leader, &n.addr))
    }

    /// Commits `cmd`, here or through the leader, within the node's bound. While no leader
    /// is known or the known one refuses connections (an election after a crash), it tries
    /// again until the bound: the request never reached a leader, so retrying is safe.
    ///
    /// When it returns, this node's own copy has applied the write too, so a client that
    /// writes and then reads through this node sees its write (vCenter creates a key and
    /// fetches it on a new connection right after).
    pub async fn write(&self, cmd: Command) -> Result<CommandResult, NodeError> {
        let started = std::time::Instant::now();
        let (result, index) = self.write_indexed(cmd).await?;
        let committed = started.elapsed();
        let waited = self.node.wait_applied(index).await;
        tracing::debug!(index, ?committed, applied_here = ?started.elapsed(), "write done");
        if let Err(e) = waited {
            // Committed, so not an error to the client; its next read here may lag.
            tracing::warn!(index, error = %e, "a committed write is not applied on this node yet");
        }
        Ok(result)
    }

    /// Commits `cmd` like [`Forwarder::write`], returning the log index it was committed at
    /// without waiting for this node to apply it.
    pub async fn write_indexed(&self, cmd: Command) -> Result<(CommandResult, u64), NodeError> {
        self.until_bound(|| self.write_once(&cmd)).await
    }

    async fn until_bound<T, F, Fut>(&self, mut attempt: F) -> Result<T, NodeError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Attempt<T>>,
    {
        let waited = self.node.timeout();
        let attempts = async {
            loop {
                match attempt().await {
                    Attempt::Done(result) => return result,
                    Attempt::Retry(why) => {
                        tracing::debug!(%why, "no leader to serve the request yet; retrying");
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                }
            }
        };
        tokio::time::timeout(waited, attempts)
            .await
            .unwrap_or(Err(NodeError::Unavailable { waited }))
    }

    async fn write_once(&self, cmd: &Command) -> Attempt<(CommandResult, u64)> {
        let addr = match self.node.write_indexed(cmd.clone()).await {
            Err(e) => match leader_of(e) {
                // Through the address this node dials the leader at (`cluster.dial`).
                Ok((id, addr)) => self.dial.addr(id, &addr),
                Err(attempt) => return attempt,
            },
            done => return Attempt::Done(done),
        };
        match self.peer(&addr) {
            Ok(peer) => {
                tracing::debug!(leader = %addr, "forwarding a write to the leader");
                self.remote(&addr, peer.write(cmd, self.node.timeout(), true).await)
            }
            Err(e) => Attempt::Done(Err(self.unreachable(&addr, &e))),
        }
    }

    /// The outcome of a call to the leader at `addr`.
    fn remote<T>(&self, addr: &str, reply: Result<Result<T, NodeError>, NetError>) -> Attempt<T> {
        match reply {
            // It is no longer the leader: ask again who is.
            Ok(Err(NodeError::ForwardToLeader { .. })) => {
                Attempt::Retry(format!("{addr} is no longer the leader"))
            }
            Ok(result) => Attempt::Done(result),
            // Refused or not listening: the request never reached it.
            Err(NetError::Rpc {
                code: tonic::Code::Unavailable,
                message,
                ..
            }) => Attempt::Retry(format!("leader {addr} unreachable: {message}")),
            Err(e) => Attempt::Done(Err(self.unreachable(addr, &e))),
        }
    }
}

/// How long to pause between attempts while a leader is being elected: short, so a write
/// waiting out an election goes on as soon as the new leader is known (an attempt against a
/// leader that died is a refused connection, ~0.1 ms).
const RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// One try at serving a request.
enum Attempt<T> {
    Done(Result<T, NodeError>),
    Retry(String),
}

/// The leader to forward to (its id and advertised address), or what to do instead.
fn leader_of<T>(e: NodeError) -> Result<(u64, String), Attempt<T>> {
    match e {
        NodeError::ForwardToLeader {
            leader_id: Some(id),
            leader_addr: Some(addr),
        } => Ok((id, addr)),
        NodeError::ForwardToLeader { leader_id, .. } => Err(Attempt::Retry(match leader_id {
            Some(id) => format!("the address of leader {id} is not known yet"),
            None => "no leader elected".to_owned(),
        })),
        other => Err(Attempt::Done(Err(other))),
    }
}
