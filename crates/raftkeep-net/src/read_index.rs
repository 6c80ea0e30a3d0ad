//! Linearizable reads from a node's own copy: a read index, as etcd and TiKV serve them.
//!
//! A read may be answered from this node's state machine once it has applied the leader's
//! commit index *as of a moment after the read arrived*, confirmed while that leader still
//! led. Then the copy holds every write acknowledged to any client before the read began
//! (a write is acknowledged only once the leader committed and applied it).
//!
//! - **Batched.** Reads that wait at the same moment share one confirmation: a round serves
//!   everything that was waiting when it started; reads arriving during a round wait for the
//!   next (an index taken before they arrived could miss a write acknowledged meanwhile).
//! - **On the leader**, a round is one heartbeat to a quorum (openraft's `get_read_log_id`),
//!   which also starts a lease: for [`ReadSettings::lease`] from the moment the round began,
//!   no other node can be elected (voters refuse to vote for `election_timeout_max` after
//!   they last heard from a leader, and a node refuses to vote for as long after it starts,
//!   see [`crate::RaftService`]), so a read within the lease needs no round at all: it takes
//!   the commit watermark ([`raftkeep_store::CommitWatermark`]) at once.
//! - **On a follower** (or learner), a round is one request on a stream to the leader
//!   (`ReadIndexStream`: a message each way, no call set-up), which answers from its own
//!   rounds; the follower then waits until it has applied that index and serves the reads
//!   from its copy.
//!
//! A round that cannot complete within [`ReadSettings::confirm_timeout`] fails every read of
//! its batch with a typed [`NodeError`]; the caller decides what to do then (the KMIP engine
//! may serve a bounded-stale read, `docs/architecture.md` "Consistency").

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use openraft::ServerState;
use openraft::error::{CheckIsLeaderError, RaftError};
use raftkeep_proto::cluster::{EncodedMessage, ReadIndexRequest};
use raftkeep_store::NodeError;
use tokio::sync::oneshot;

use crate::{Forwarder, NetError};

/// How long a confirmation may take and what it buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadSettings {
    /// How long the leader may serve reads after a confirmed round without another one.
    /// Must stay below the followers' leader lease (openraft: `election_timeout_max`).
    pub lease: Duration,
    /// How long one round (a heartbeat round, or the call to the leader and the wait until
    /// this node has applied the index) may take.
    pub confirm_timeout: Duration,
}

impl ReadSettings {
    /// The settings for a cluster whose largest election timeout is `election_timeout_max`
    /// and smallest `election_timeout_min`: a lease of 4/5 of the largest (the rest is margin
    /// for clock rates and scheduling), rounds bounded by the smallest (a leader that cannot
    /// confirm in that time is about to be replaced).
    pub fn for_timeouts(election_timeout_min: Duration, election_timeout_max: Duration) -> Self {
        ReadSettings {
            lease: election_timeout_max.mul_f64(0.8),
            confirm_timeout: election_timeout_min,
        }
    }
}

/// The read index of one node; cheap to clone.
#[derive(Debug, Clone)]
pub struct ReadIndex {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    forwarder: Forwarder,
    settings: ReadSettings,
    /// The leader's lease: its term, and until when.
    lease: Mutex<Option<(u64, Instant)>>,
    /// Set while this leader hands leadership over: no heartbeat rounds then (they would
    /// renew the followers' leases and keep the target from standing).
    handing_over: AtomicBool,
    batch: Mutex<Batch>,
    /// A follower's stream to the leader; used by one round at a time.
    stream: tokio::sync::Mutex<Option<LeaderStream>>,
}

/// A follower's open `ReadIndexStream` call to the leader.
#[derive(Debug)]
struct LeaderStream {
    addr: String,
    asks: tokio::sync::mpsc::Sender<ReadIndexRequest>,
    answers: tonic::Streaming<EncodedMessage>,
    /// An ask was sent and its answer not read yet: a round that timed out left it so, and
    /// the next answer on this stream would be that one. Such a stream is replaced.
    owed: bool,
}

/// Reads waiting for the next round, and whether a round runs.
#[derive(Debug, Default)]
struct Batch {
    running: bool,
    waiting: Vec<oneshot::Sender<Result<u64, NodeError>>>,
}

impl ReadIndex {
    /// The read index of the node `forwarder` serves.
    pub fn new(forwarder: Forwarder, settings: ReadSettings) -> Self {
        ReadIndex {
            inner: Arc::new(Inner {
                forwarder,
                settings,
                lease: Mutex::new(None),
                handing_over: AtomicBool::new(false),
                batch: Mutex::default(),
                stream: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// The forwarder this read index uses.
    pub fn forwarder(&self) -> &Forwarder {
        &self.inner.forwarder
    }

    /// The settings.
    pub fn settings(&self) -> ReadSettings {
        self.inner.settings
    }

    /// Returns once this node's copy holds every write acknowledged before the call; the
    /// index it has applied. Errors say whether no leader confirmed the index in time (the
    /// caller decides between waiting, a stale read and a refusal) or this node could not
    /// apply up to it in time (it lags: other nodes can serve).
    pub async fn barrier(&self) -> Result<u64, BarrierError> {
        let started = Instant::now();
        let index = self.index().await.map_err(BarrierError::Unconfirmed)?;
        let left = self
            .inner
            .settings
            .confirm_timeout
            .saturating_sub(started.elapsed());
        self.wait_applied(index, left).await?;
        Ok(index)
    }

    /// The commit index a read arriving now must wait for: on a leader within its lease, the
    /// commit watermark at once; else from the batched rounds.
    pub async fn index(&self) -> Result<u64, NodeError> {
        if let Some(index) = self.inner.leased_index() {
            metrics::counter!("raftkeep_read_index_rounds_total", "via" => "lease").increment(1);
            return Ok(index);
        }
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut b = self
                .inner
                .batch
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            b.waiting.push(tx);
            !std::mem::replace(&mut b.running, true)
        };
        if start {
            tokio::spawn(self.inner.clone().rounds());
        }
        rx.await.unwrap_or(Err(NodeError::Stopping))
    }

    /// The index as the leader confirms it, for a follower's `ReadIndexStream`: refused
    /// (typed) when this node does not lead.
    pub async fn leader_index(&self) -> Result<u64, NodeError> {
        if self.inner.forwarder.node().raft().metrics().borrow().state != ServerState::Leader {
            return Err(not_leader(&self.inner.forwarder));
        }
        self.index().await
    }

    /// While `on`, this leader takes no heartbeat rounds (a leadership transfer); reads then
    /// wait or fail as in an election.
    pub fn handing_over(&self, on: bool) {
        self.inner.handing_over.store(on, Ordering::SeqCst);
        if on {
            *self
                .inner
                .lease
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    async fn wait_applied(&self, index: u64, within: Duration) -> Result<(), BarrierError> {
        let raft = self.inner.forwarder.node().raft();
        let applied = |m: &openraft::RaftMetrics<_, _>| m.last_applied.map_or(0, |l| l.index);
        if applied(&raft.metrics().borrow()) >= index {
            return Ok(());
        }
        raft.wait(Some(within))
            .metrics(|m| applied(m) >= index, "the read index is applied here")
            .await
            .map(|_| ())
            .map_err(|_| BarrierError::Behind {
                index,
                applied: applied(&raft.metrics().borrow()),
            })
    }
}

/// Why a read cannot be served from this node's copy as current.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarrierError {
    /// No leader confirmed a read index in time (no leader known, the leader unreachable or
    /// without a quorum).
    #[error("no leader confirmed this node's copy: {0}")]
    Unconfirmed(NodeError),
    /// The leader confirmed `index`, but this node had applied only `applied` in time: it
    /// lags (catching up, or installing a snapshot) while others can serve.
    #[error("this node is catching up with the cluster (applied {applied} of {index})")]
    Behind {
        /// The read index.
        index: u64,
        /// What this node had applied.
        applied: u64,
    },
}

impl Inner {
    /// Runs rounds while reads wait, each serving every read that waited when it began.
    async fn rounds(self: Arc<Self>) {
        loop {
            let waiting = {
                let mut b = self.batch.lock().unwrap_or_else(PoisonError::into_inner);
                if b.waiting.is_empty() {
                    b.running = false;
                    return;
                }
                std::mem::take(&mut b.waiting)
            };
            let size = waiting.len();
            let result = tokio::time::timeout(self.settings.confirm_timeout, self.round())
                .await
                .unwrap_or(Err(NodeError::Unavailable {
                    waited: self.settings.confirm_timeout,
                }));
            metrics::histogram!("raftkeep_read_index_batch_size").record(size as f64);
            for tx in waiting {
                let _ = tx.send(result.clone());
            }
        }
    }

    /// One confirmation: the leader's own, or a call to the leader.
    async fn round(&self) -> Result<u64, NodeError> {
        let (state, term, leader) = {
            let m = self.forwarder.node().raft().metrics();
            let m = m.borrow();
            (m.state, m.current_term, m.current_leader)
        };
        if state == ServerState::Leader {
            return self.confirm_leadership(term).await;
        }
        if leader.is_none() {
            return Err(not_leader(&self.forwarder));
        }
        let addr = match self.forwarder.leader_addr_now() {
            Some(addr) => addr,
            None => return Err(not_leader(&self.forwarder)),
        };
        metrics::counter!("raftkeep_read_index_rounds_total", "via" => "leader").increment(1);
        let mut held = self.stream.lock().await;
        if held.as_ref().is_some_and(|s| s.addr != addr || s.owed) {
            *held = None;
        }
        let asked = self.ask(&mut held, &addr).await;
        if asked.is_err() {
            *held = None;
        }
        asked.and_then(|answer| answer)
    }

    /// One request on the stream to the leader at `addr` (opened if need be); the leader's
    /// answer, or why there is none.
    async fn ask(
        &self,
        held: &mut Option<LeaderStream>,
        addr: &str,
    ) -> Result<Result<u64, NodeError>, NodeError> {
        let waited = self.settings.confirm_timeout;
        let unreachable = |e: &NetError| unreachable(addr, e, waited);
        let broken = || NodeError::LeaderUnreachable {
            addr: addr.to_owned(),
            reason: "the read-index stream ended".to_owned(),
        };
        if held.is_none() {
            let peer = self.forwarder.peer(addr).map_err(|e| unreachable(&e))?;
            let (asks, answers) = peer
                .read_index_stream(waited)
                .await
                .map_err(|e| unreachable(&e))?;
            *held = Some(LeaderStream {
                addr: addr.to_owned(),
                asks,
                answers,
                owed: false,
            });
        }
        let Some(stream) = held.as_mut() else {
            return Err(broken());
        };
        stream.owed = true;
        stream
            .asks
            .send(ReadIndexRequest {})
            .await
            .map_err(|_| broken())?;
        let answer = stream
            .answers
            .message()
            .await
            .map_err(|s| unreachable(&NetError::rpc(addr, s)))?
            .ok_or_else(broken)?;
        stream.owed = false;
        raftkeep_store::codec::decode(&answer.data).map_err(|e| NodeError::LeaderUnreachable {
            addr: addr.to_owned(),
            reason: format!("an unreadable read-index answer: {e}"),
        })
    }

    /// The commit index, once leadership in `term` is confirmed: by the lease if it holds,
    /// else by a heartbeat round that starts a new lease.
    async fn confirm_leadership(&self, term: u64) -> Result<u64, NodeError> {
        let raft = self.forwarder.node().raft();
        if let Some(index) = self.leased_index() {
            metrics::counter!("raftkeep_read_index_rounds_total", "via" => "lease").increment(1);
            return Ok(index);
        }
        if self.handing_over.load(Ordering::SeqCst) {
            return Err(NodeError::Unavailable {
                waited: Duration::ZERO,
            });
        }
        let began = Instant::now();
        metrics::counter!("raftkeep_read_index_rounds_total", "via" => "heartbeat").increment(1);
        let (read_log_id, _) = raft.get_read_log_id().await.map_err(|e| match e {
            RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f)) => NodeError::from(f),
            RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(_)) => NodeError::Unavailable {
                waited: began.elapsed(),
            },
            RaftError::Fatal(openraft::error::Fatal::Stopped) => NodeError::Stopping,
            RaftError::Fatal(f) => NodeError::Fatal(f.to_string()),
        })?;
        if !self.handing_over.load(Ordering::SeqCst) {
            *self.lease.lock().unwrap_or_else(PoisonError::into_inner) =
                Some((term, began + self.settings.lease));
        }
        Ok(read_log_id.map_or(0, |l| l.index))
    }

    /// On a leader within its lease: the commit watermark, once it is of the lease's term
    /// (until this leader has committed an entry of its own, its commit index may trail what
    /// the previous leader committed). No call into the Raft core: the watermark is at least
    /// every write acknowledged and every commit a follower may have applied.
    fn leased_index(&self) -> Option<u64> {
        let (term, leads) = {
            let m = self.forwarder.node().raft().metrics();
            let m = m.borrow();
            (m.current_term, m.state == ServerState::Leader)
        };
        let lease = *self.lease.lock().unwrap_or_else(PoisonError::into_inner);
        let holds = lease.is_some_and(|(t, until)| t == term && Instant::now() < until)
            && leads
            && !self.handing_over.load(Ordering::SeqCst);
        let committed = self.forwarder.node().committed().get()?;
        (holds && committed.leader_id.term == term).then_some(committed.index)
    }
}

/// The answers of a `ReadIndexStream` call.
pub type AnswerStream = std::pin::Pin<
    Box<dyn tokio_stream::Stream<Item = Result<EncodedMessage, tonic::Status>> + Send + 'static>,
>;

/// Answers each request of a follower's `ReadIndexStream` call, in order, from `reads`: as
/// the response is polled, without a task of its own (one wake-up less per round).
pub fn answer_stream(reads: ReadIndex, asks: tonic::Streaming<ReadIndexRequest>) -> AnswerStream {
    use tokio_stream::StreamExt;
    // Requests until the follower closes the stream or it breaks.
    let asks = asks.map_while(Result::ok);
    Box::pin(asks.then(move |_| {
        let reads = reads.clone();
        async move {
            let answer = reads.leader_index().await;
            // The follower waits until it has applied this index: tell it the commit now.
            if let Ok(index) = &answer {
                reads.forwarder().node().announce_commit(*index).await;
            }
            raftkeep_store::codec::encode(&answer)
                .map(|data| EncodedMessage { data })
                .map_err(|e| tonic::Status::internal(format!("cannot encode the answer: {e}")))
        }
    }))
}

/// "Not the leader", with the leader this node knows of, if any.
fn not_leader(forwarder: &Forwarder) -> NodeError {
    let leader_id = forwarder.node().raft().metrics().borrow().current_leader;
    NodeError::ForwardToLeader {
        leader_id,
        leader_addr: forwarder.leader_addr_now(),
    }
}

/// A failed call to the leader at `addr`.
fn unreachable(addr: &str, e: &NetError, waited: Duration) -> NodeError {
    match e {
        NetError::Rpc {
            code: tonic::Code::DeadlineExceeded,
            ..
        } => NodeError::Unavailable { waited },
        _ => NodeError::LeaderUnreachable {
            addr: addr.to_owned(),
            reason: e.to_string(),
        },
    }
}
