//! The node-level API the KMIP server uses: writes that fail fast, linearizable reads, and
//! errors classified for the caller (forward to the leader, unavailable, fatal), never text
//! to be parsed (DESIGN.md invariant 5).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{CheckIsLeaderError, ClientWriteError, ForwardToLeader, RaftError};
use openraft::{BasicNode, Raft, ServerState};
use serde::{Deserialize, Serialize};

use crate::{Command, CommandResult, NodeId, StateMachine, TypeConfig};

/// How long a write or a linearizable read may wait for a quorum by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a write or a linearizable read could not be served here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum NodeError {
    /// This node is not the leader; the request belongs to the leader named, if known.
    #[error("not the leader; the leader is {}", leader_text(.leader_id, .leader_addr))]
    ForwardToLeader {
        /// The leader's node id, if this node knows it.
        leader_id: Option<NodeId>,
        /// The leader's address, if known.
        leader_addr: Option<String>,
    },
    /// No quorum answered within the bound: the cluster cannot commit now.
    #[error("no quorum within {waited:?}: the cluster cannot commit now")]
    Unavailable {
        /// How long the node waited.
        waited: Duration,
    },
    /// The leader is known but could not be reached to forward the request.
    #[error("the leader at {addr} cannot be reached: {reason}")]
    LeaderUnreachable {
        /// The leader's address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The Raft node has stopped (storage failure or shutdown).
    #[error("the Raft node has stopped: {0}")]
    Fatal(String),
    /// The node is shutting down: another node can serve the request. Whether a write sent
    /// just before took effect is not known.
    #[error("this node is shutting down")]
    Stopping,
    /// The node's disk is below its reserve: it takes no writes until space returns; another
    /// node can take them.
    #[error(
        "this node's disk is nearly full ({free_mib} MiB free under {dir}, below its reserve of {reserve_mib} MiB, cluster.min_free_mib): it takes no writes until space is freed"
    )]
    DiskLow {
        /// MiB free.
        free_mib: u64,
        /// The reserve in MiB.
        reserve_mib: u64,
        /// Where.
        dir: String,
    },
}

/// A Raft error as a node error: a shutdown is [`NodeError::Stopping`], not a failure.
fn fatal<E: std::fmt::Display>(e: RaftError<NodeId, E>) -> NodeError {
    match e {
        RaftError::Fatal(openraft::error::Fatal::Stopped) => NodeError::Stopping,
        e => NodeError::Fatal(e.to_string()),
    }
}

fn leader_text(id: &Option<NodeId>, addr: &Option<String>) -> String {
    match (id, addr) {
        (Some(id), Some(addr)) => format!("node {id} at {addr}"),
        (Some(id), None) => format!("node {id}"),
        _ => "unknown".to_owned(),
    }
}

impl From<ForwardToLeader<NodeId, BasicNode>> for NodeError {
    fn from(f: ForwardToLeader<NodeId, BasicNode>) -> Self {
        NodeError::ForwardToLeader {
            leader_id: f.leader_id,
            leader_addr: f.leader_node.map(|n| n.addr),
        }
    }
}

/// One node of the cluster: its Raft handle and its state machine.
#[derive(Clone)]
pub struct RaftNode {
    raft: Raft<TypeConfig>,
    sm: StateMachine,
    timeout: Duration,
    leader_contact: Arc<Mutex<Option<Instant>>>,
    committed: crate::CommitWatermark,
    disk: Option<Arc<crate::DiskSpace>>,
    candidacy: Arc<Mutex<Candidacy>>,
    announced: Arc<std::sync::atomic::AtomicU64>,
}

/// Whether this node stands in elections: not while a leadership transfer has paused it,
/// nor while it is unfit to lead (its disk below the reserve). One place decides, so that a
/// transfer's pause ending does not put a node with a full disk back into elections.
#[derive(Debug, Clone, Copy)]
struct Candidacy {
    paused_until: Option<Instant>,
    fit: bool,
}

impl Default for Candidacy {
    fn default() -> Self {
        Candidacy {
            paused_until: None,
            fit: true,
        }
    }
}

impl std::fmt::Debug for RaftNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftNode")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RaftNode {
    /// Wraps a running Raft node and its state machine; `timeout` bounds every write and
    /// linearizable read.
    pub fn new(raft: Raft<TypeConfig>, sm: StateMachine, timeout: Duration) -> Self {
        RaftNode {
            raft,
            sm,
            timeout,
            leader_contact: Arc::default(),
            committed: crate::CommitWatermark::default(),
            disk: None,
            candidacy: Arc::default(),
            announced: Arc::default(),
        }
    }

    /// Sends followers the commit index now instead of at the next heartbeat, when another
    /// node waits to apply `index` (a write it forwarded, a read index it asked for); once
    /// per index. Not after every write: openraft 0.9 keeps one request in flight per
    /// follower, so a heartbeat sent after each write would hold the next write's entries
    /// back a round trip, which on a WAN is the largest part of a write's latency.
    pub async fn announce_commit(&self, index: u64) {
        let before = self
            .announced
            .fetch_max(index, std::sync::atomic::Ordering::SeqCst);
        if before < index
            && let Err(e) = self.raft.trigger().heartbeat().await
        {
            tracing::debug!(error = %e, "could not trigger a heartbeat");
        }
    }

    /// Keeps this node out of elections until `until` (a leadership transfer to another
    /// node); `None` lifts the pause. The caller re-checks with [`RaftNode::stand`] when
    /// the pause ends.
    pub fn pause_elections(&self, until: Option<Instant>) {
        self.candidacy_mut(|c| c.paused_until = until);
    }

    /// Whether this node may lead: a node unfit to lead starts no elections.
    pub fn set_fit_to_lead(&self, fit: bool) {
        self.candidacy_mut(|c| c.fit = fit);
    }

    /// Whether this node may lead now (its disk is not low).
    pub fn fit_to_lead(&self) -> bool {
        self.candidacy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .fit
    }

    /// Applies the candidacy to Raft: elections on unless paused or unfit.
    pub fn stand(&self) {
        self.candidacy_mut(|_| ());
    }

    fn candidacy_mut(&self, change: impl FnOnce(&mut Candidacy)) -> Candidacy {
        let mut c = self
            .candidacy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut c);
        if c.paused_until.is_some_and(|t| t <= Instant::now()) {
            c.paused_until = None;
        }
        self.raft
            .runtime_config()
            .elect(c.fit && c.paused_until.is_none());
        *c
    }

    /// The same node, proposing nothing while `disk` is below its reserve.
    pub fn with_disk_guard(mut self, disk: Arc<crate::DiskSpace>) -> Self {
        self.disk = Some(disk);
        self
    }

    /// Why this node may not write now, if its disk is low.
    pub fn disk_refusal(&self) -> Option<NodeError> {
        self.disk.as_ref().and_then(|d| d.refusal())
    }

    /// The same node, knowing the watermark its log store and network raise.
    pub fn with_watermark(mut self, committed: crate::CommitWatermark) -> Self {
        self.committed = committed;
        self
    }

    /// The highest commit this node has let out (see [`crate::CommitWatermark`]).
    pub fn committed(&self) -> &crate::CommitWatermark {
        &self.committed
    }

    /// The Raft handle (membership changes, metrics).
    pub fn raft(&self) -> &Raft<TypeConfig> {
        &self.raft
    }

    /// The state machine, for reads that need no freshness at all (status, digest).
    pub fn state_machine(&self) -> &StateMachine {
        &self.sm
    }

    /// The bound on writes and linearizable reads.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Records that a leader's append-entries (a heartbeat at least) reached this node now; the
    /// transport calls it (and [`RaftNode::note_elections`] when this node wins one). openraft 0.9 tracks no such time on followers, and a local read
    /// needs it to say how stale it may be.
    pub fn note_leader_contact(&self) {
        let mut contact = self
            .leader_contact
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *contact = Some(Instant::now());
    }

    /// Time since this node last heard from a leader (a follower), or since a quorum last
    /// acknowledged it (the leader). `None`: never, since this process started.
    pub fn since_leader_contact(&self) -> Option<Duration> {
        let (state, quorum_ack) = {
            let m = self.raft.metrics();
            let m = m.borrow();
            (m.state, m.millis_since_quorum_ack)
        };
        let contact = *self
            .leader_contact
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let contact = contact.map(|t| t.elapsed());
        if state == ServerState::Leader {
            // A leader elected a moment ago has no acknowledgement yet; its election was
            // one ([`RaftNode::note_leader_contact`] when it took office).
            return quorum_ack.map(Duration::from_millis).or(contact);
        }
        contact
    }

    /// Keeps [`RaftNode::since_leader_contact`] right when this node becomes the leader: a
    /// quorum just voted for it. Runs until Raft stops.
    pub async fn note_elections(self) {
        let mut metrics = self.raft.metrics();
        let mut was_leader = false;
        loop {
            let leads = metrics.borrow_and_update().state == ServerState::Leader;
            if leads && !was_leader {
                self.note_leader_contact();
            }
            was_leader = leads;
            if metrics.changed().await.is_err() {
                return;
            }
        }
    }

    /// Proposes a command and waits, at most the timeout, until a majority has it and it is
    /// applied here. Never waits longer: a client must be able to fail over at once.
    pub async fn write(&self, cmd: Command) -> Result<CommandResult, NodeError> {
        self.write_indexed(cmd).await.map(|(result, _)| result)
    }

    /// [`RaftNode::write`], also returning the log index the command was committed at, which
    /// another node waits for before it reads its own copy ([`RaftNode::wait_applied`]).
    pub async fn write_indexed(&self, cmd: Command) -> Result<(CommandResult, u64), NodeError> {
        if let Some(refusal) = self.disk_refusal() {
            return Err(refusal);
        }
        match tokio::time::timeout(self.timeout, self.raft.client_write(cmd)).await {
            Err(_) => Err(NodeError::Unavailable {
                waited: self.timeout,
            }),
            Ok(Ok(response)) => Ok((response.data, response.log_id.index)),
            Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f)))) => Err(f.into()),
            Ok(Err(e)) => Err(fatal(e)),
        }
    }

    /// The state machine, once this node has confirmed with a quorum that it leads and has
    /// applied everything committed before the call (a read index). On a follower this is
    /// [`NodeError::ForwardToLeader`]; the caller forwards or uses [`RaftNode::read_local`].
    pub async fn read_linearizable(&self) -> Result<&StateMachine, NodeError> {
        match tokio::time::timeout(self.timeout, self.raft.ensure_linearizable()).await {
            Err(_) => Err(NodeError::Unavailable {
                waited: self.timeout,
            }),
            Ok(Ok(_)) => Ok(&self.sm),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f)))) => Err(f.into()),
            Ok(Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_)))) => {
                Err(NodeError::Unavailable {
                    waited: self.timeout,
                })
            }
            Ok(Err(e)) => Err(fatal(e)),
        }
    }

    /// Waits, at most the timeout, until this node has applied the log up to `index`: a write
    /// committed through the leader is then visible in the local copy reads are served from.
    pub async fn wait_applied(&self, index: u64) -> Result<(), NodeError> {
        self.raft
            .wait(Some(self.timeout))
            .applied_index_at_least(Some(index), "the write is applied here")
            .await
            .map(|_| ())
            .map_err(|_| NodeError::Unavailable {
                waited: self.timeout,
            })
    }

    /// The local state machine without any check, with how far it may lag: the log index it
    /// has applied and the highest index this node knows to be committed.
    pub fn read_local(&self) -> (&StateMachine, LocalReadInfo) {
        let m = self.raft.metrics().borrow().clone();
        let info = LocalReadInfo {
            applied_index: m.last_applied.map(|l| l.index),
            last_log_index: m.last_log_index,
            leader: m.current_leader,
            since_leader_contact: self.since_leader_contact(),
        };
        (&self.sm, info)
    }
}

/// What a local read knows about its own freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalReadInfo {
    /// The last log index applied to the state machine read.
    pub applied_index: Option<u64>,
    /// The last log index this node holds (applied or not).
    pub last_log_index: Option<u64>,
    /// The leader this node currently follows, if any.
    pub leader: Option<NodeId>,
    /// How stale the read may be: time since this node last heard from a leader (or, on the
    /// leader, from a quorum). `None` if never since start-up: staleness unknown.
    pub since_leader_contact: Option<Duration>,
}
