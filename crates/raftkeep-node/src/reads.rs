//! What a node serves when no leader confirms its copy is current: one rule for the KMIP
//! engine ([`raftkeep_server::KeyStore::view`]), the KMIP listener's gate and `/readyz`
//! (docs/architecture.md, "Consistency").
//!
//! A request first asks the read index ([`raftkeep_net::ReadIndex`]). When that fails — no
//! leader known, the leader unreachable or unable to reach a quorum — the node decides by the
//! time since it last heard from a leader:
//!
//! | since a leader was heard | reads | writes |
//! |---|---|---|
//! | never (since start) | wait for one, within the write bound | the same |
//! | within twice `election_timeout_max` (an election) | stale, if allowed; else wait | wait for the new leader, within the write bound |
//! | longer, within `max_stale_read_secs` (cut off) | stale, if allowed | refused at once |
//! | longer still | refused | refused at once |
//!
//! "Stale" reads come from the node's own copy, Active keys only, counted and audited.
//! "Refused" is "unavailable": the connection closes unanswered unless the client understands
//! Raftkeep's mark. A node that can serve nothing at all resets new connections.

use std::time::Duration;

use raftkeep_net::BarrierError;
use raftkeep_server::{Purpose, StoreFailure, View};
use raftkeep_store::RaftNode;

use crate::NodeConfig;

/// A node's read policy, from its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadPolicy {
    /// A leader silent for longer than this is gone and no other was elected where this node
    /// can hear it: twice the largest election timeout, as long as an election can take (the
    /// voters wait out their leader lease, `election_timeout_max`, then up to the largest
    /// election timeout before they stand).
    pub(crate) leader_silence: Duration,
    /// How stale the node's copy may be and still serve reads; `None`: no stale reads.
    pub(crate) stale_reads: Option<Duration>,
    /// How long a request may wait for a leader.
    pub(crate) write_bound: Duration,
}

/// What a node can serve now, from what it knows without asking anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Serving {
    /// In touch with a leader (or in an election): everything.
    Everything,
    /// Cut off, within the stale window: reads of Active keys from its own copy.
    Reads {
        /// Time since it last heard from a leader.
        stale_by: Duration,
    },
    /// Nothing that touches the store; why.
    Nothing(String),
}

/// What a request does after the read index failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait for a leader and ask again (within the write bound).
    Wait,
    /// Serve from this node's copy, last confirmed `stale_by` ago.
    Stale(Duration),
    /// Refuse; why.
    Refuse(String),
}

impl ReadPolicy {
    pub(crate) fn new(config: &NodeConfig) -> Self {
        let c = &config.cluster;
        ReadPolicy {
            leader_silence: Duration::from_millis(c.election_timeout_max_ms.saturating_mul(2)),
            stale_reads: c
                .reads_without_quorum
                .then(|| Duration::from_secs(c.max_stale_read_secs)),
            write_bound: config.write_timeout(),
        }
    }

    /// What `node` can serve now: nothing before it holds the cluster's state (a new or
    /// wiped node joining knows no client and no key yet, and must not answer as if it did),
    /// then by [`ReadPolicy::serving_since`].
    pub(crate) fn serving(&self, node: &RaftNode) -> Serving {
        match node.state_machine().has_key_check() {
            Ok(true) => self.serving_since(node.since_leader_contact()),
            Ok(false) => Serving::Nothing(
                "this node has not received the cluster's state yet (it is joining, or the cluster is not initialized)".to_owned(),
            ),
            Err(e) => Serving::Nothing(format!("this node cannot read its store: {e}")),
        }
    }

    /// What a node that last heard from a leader `since` ago (`None`: not since it started)
    /// can serve.
    pub(crate) fn serving_since(&self, since: Option<Duration>) -> Serving {
        let Some(since) = since else {
            return Serving::Nothing(
                "no leader heard since this node started (the cluster is starting, or this node cannot reach it)".to_owned(),
            );
        };
        if since <= self.leader_silence {
            return Serving::Everything;
        }
        match self.stale_reads {
            Some(max) if since <= max => Serving::Reads { stale_by: since },
            _ => Serving::Nothing(self.cut_off(since)),
        }
    }

    /// What a request for `purpose` does when the read index failed, on a node that last
    /// heard from a leader `since` ago.
    pub(crate) fn after_failed_read_index(
        &self,
        since: Option<Duration>,
        purpose: Purpose,
    ) -> Next {
        let Some(since) = since else {
            return Next::Wait;
        };
        let electing = since <= self.leader_silence;
        match (purpose, self.stale_reads) {
            (Purpose::Read, Some(max)) if since <= max => Next::Stale(since),
            (_, _) if electing => Next::Wait,
            (Purpose::Write, _) => Next::Refuse(format!(
                "this node cannot reach a quorum (no leader heard for {:.1} s): writes go through another node",
                since.as_secs_f64()
            )),
            (Purpose::Read, _) => Next::Refuse(self.cut_off(since)),
        }
    }

    fn cut_off(&self, since: Duration) -> String {
        let secs = format!("{:.1}", since.as_secs_f64());
        match self.stale_reads {
            None => format!(
                "this node cannot reach a quorum (no leader heard for {secs} s) and does not serve reads then (cluster.reads_without_quorum is off)"
            ),
            Some(max) => format!(
                "this node cannot reach a quorum (no leader heard for {secs} s), longer than the {} s it may serve stale reads (cluster.max_stale_read_secs)",
                max.as_secs()
            ),
        }
    }

    /// The view a request for `purpose` gets on `node`: after the read index, or by the
    /// rule above when it fails; waits are bounded by the write bound.
    pub(crate) async fn view(
        &self,
        node: &RaftNode,
        reads: &raftkeep_net::ReadIndex,
        purpose: Purpose,
    ) -> Result<View, StoreFailure> {
        match self.serving(node) {
            // Before it has any state, or cut off past the window: no point asking.
            Serving::Nothing(why) if node.since_leader_contact().is_some() => {
                return Err(StoreFailure::Unavailable(why));
            }
            // Cut off: the read index cannot succeed before a leader is heard again.
            Serving::Reads { stale_by } => {
                return match self.after_failed_read_index(Some(stale_by), purpose) {
                    Next::Stale(stale_by) => Ok(View::Stale { stale_by }),
                    Next::Refuse(why) => Err(StoreFailure::Unavailable(why)),
                    Next::Wait => Err(StoreFailure::Unavailable(self.cut_off(stale_by))),
                };
            }
            _ => {}
        }
        let deadline = tokio::time::Instant::now() + self.write_bound;
        loop {
            let failed = match reads.barrier().await {
                Ok(_) => return Ok(View::Current),
                // A leader is there and other nodes are current: let them serve.
                Err(behind @ BarrierError::Behind { .. }) => {
                    return Err(StoreFailure::Unavailable(behind.to_string()));
                }
                Err(BarrierError::Unconfirmed(e)) => e,
            };
            match self.after_failed_read_index(node.since_leader_contact(), purpose) {
                Next::Stale(stale_by) => return Ok(View::Stale { stale_by }),
                Next::Refuse(why) => return Err(StoreFailure::Unavailable(why)),
                Next::Wait if tokio::time::Instant::now() >= deadline => {
                    return Err(StoreFailure::Unavailable(format!(
                        "no leader confirmed this node's copy within {} ms ({failed})",
                        self.write_bound.as_millis()
                    )));
                }
                Next::Wait => tokio::time::sleep(LEADER_POLL).await,
            }
        }
    }
}

/// How often a request waiting for a leader asks again (an attempt against a leader that died
/// is a refused connection: cheap).
const LEADER_POLL: Duration = Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::*;

    const SILENCE: Duration = Duration::from_secs(2);

    fn policy(stale_reads: Option<u64>) -> ReadPolicy {
        ReadPolicy {
            leader_silence: SILENCE,
            stale_reads: stale_reads.map(Duration::from_secs),
            write_bound: Duration::from_secs(5),
        }
    }

    fn secs(s: u64) -> Option<Duration> {
        Some(Duration::from_secs(s))
    }

    #[test]
    fn a_node_serves_stale_reads_only_within_its_window_and_writes_only_through_a_leader() {
        let (on, off) = (policy(Some(60)), policy(None));
        // In an election: reads from the copy at once (if allowed), writes wait for the leader.
        assert_eq!(
            on.after_failed_read_index(secs(1), Purpose::Read),
            Next::Stale(Duration::from_secs(1))
        );
        assert_eq!(
            off.after_failed_read_index(secs(1), Purpose::Read),
            Next::Wait
        );
        for p in [&on, &off] {
            assert_eq!(
                p.after_failed_read_index(secs(1), Purpose::Write),
                Next::Wait
            );
            assert_eq!(p.after_failed_read_index(None, Purpose::Read), Next::Wait);
        }
        // Cut off: writes refused at once, reads within the window.
        assert!(matches!(
            on.after_failed_read_index(secs(3), Purpose::Write),
            Next::Refuse(why) if why.contains("another node")
        ));
        assert_eq!(
            on.after_failed_read_index(secs(60), Purpose::Read),
            Next::Stale(Duration::from_secs(60))
        );
        assert!(matches!(
            on.after_failed_read_index(secs(61), Purpose::Read),
            Next::Refuse(why) if why.contains("max_stale_read_secs")
        ));
        assert!(matches!(
            off.after_failed_read_index(secs(3), Purpose::Read),
            Next::Refuse(why) if why.contains("reads_without_quorum is off")
        ));
    }

    #[test]
    fn a_node_that_can_serve_nothing_says_so() {
        let on = policy(Some(60));
        assert!(matches!(on.serving_since(None), Serving::Nothing(_)));
        assert_eq!(on.serving_since(secs(2)), Serving::Everything);
        assert_eq!(
            on.serving_since(secs(30)),
            Serving::Reads {
                stale_by: Duration::from_secs(30)
            }
        );
        assert!(matches!(on.serving_since(secs(61)), Serving::Nothing(_)));
        assert!(matches!(
            policy(None).serving_since(secs(3)),
            Serving::Nothing(why) if why.contains("reads_without_quorum is off")
        ));
    }
}
