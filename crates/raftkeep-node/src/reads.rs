//! When a node may serve reads: while it hears from a leader, or, cut off from it, within the
//! staleness the operator allows (`cluster.reads_without_quorum`, DESIGN.md invariant 6). One
//! rule for the KMIP engine ([`raftkeep_server::KeyStore::read_mode`]) and for `/readyz`.

use std::time::Duration;

use raftkeep_server::ReadMode;

use crate::NodeConfig;

/// A node's read policy, from its configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadPolicy {
    /// A leader silent for longer than this (the largest election timeout) may be gone.
    pub(crate) leader_silence: Duration,
    /// How stale the node's copy may be and still serve reads without quorum; `None`: no
    /// reads then.
    pub(crate) stale_reads: Option<Duration>,
}

impl ReadPolicy {
    pub(crate) fn new(config: &NodeConfig) -> Self {
        let c = &config.cluster;
        ReadPolicy {
            leader_silence: Duration::from_millis(c.election_timeout_max_ms),
            stale_reads: c
                .reads_without_quorum
                .then(|| Duration::from_secs(c.max_stale_read_secs)),
        }
    }

    /// How `node` may serve reads now: not at all before it holds the cluster's state (a new
    /// or wiped node joining knows no client and no key yet, and must not answer as if it
    /// did: clients move on to another server), then by [`ReadPolicy::mode`].
    pub(crate) fn mode_of(&self, node: &raftkeep_store::RaftNode) -> ReadMode {
        match node.state_machine().has_key_check() {
            Ok(true) => self.mode(node.since_leader_contact()),
            Ok(false) => ReadMode::Refuse(
                "this node has not received the cluster's state yet (it is joining, or the cluster is not initialized)".to_owned(),
            ),
            Err(e) => ReadMode::Refuse(format!("this node cannot read its store: {e}")),
        }
    }

    /// How a node that last heard from a leader `since` ago (`None`: not since it started)
    /// may serve reads.
    pub(crate) fn mode(&self, since: Option<Duration>) -> ReadMode {
        let Some(since) = since else {
            return ReadMode::NoLeaderYet;
        };
        if since <= self.leader_silence {
            return ReadMode::Current;
        }
        let secs = since.as_secs();
        match self.stale_reads {
            None => ReadMode::Refuse(format!(
                "this node cannot reach a quorum (no leader heard for {secs} s) and does not serve reads then (cluster.reads_without_quorum is off)"
            )),
            Some(max) if since <= max => ReadMode::Stale { stale_by: since },
            Some(max) => ReadMode::Refuse(format!(
                "this node cannot reach a quorum (no leader heard for {secs} s), longer than the {} s it may serve stale reads (cluster.max_stale_read_secs)",
                max.as_secs()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SILENCE: Duration = Duration::from_secs(2);

    fn policy(stale_reads: Option<u64>) -> ReadPolicy {
        ReadPolicy {
            leader_silence: SILENCE,
            stale_reads: stale_reads.map(Duration::from_secs),
        }
    }

    #[test]
    fn a_node_cut_off_serves_reads_only_within_the_allowed_staleness() {
        let secs = |s| Some(Duration::from_secs(s));
        for p in [policy(None), policy(Some(60))] {
            assert_eq!(p.mode(None), ReadMode::NoLeaderYet);
            assert_eq!(p.mode(secs(2)), ReadMode::Current);
        }
        assert!(
            matches!(policy(None).mode(secs(3)), ReadMode::Refuse(why) if why.contains("reads_without_quorum is off"))
        );
        assert_eq!(
            policy(Some(60)).mode(secs(60)),
            ReadMode::Stale {
                stale_by: Duration::from_secs(60)
            }
        );
        assert!(
            matches!(policy(Some(60)).mode(secs(61)), ReadMode::Refuse(why) if why.contains("max_stale_read_secs"))
        );
    }
}
