//! Where the leader lives. An operator can name the voters that should lead
//! (`cluster.preferred_leaders`: the nodes of the site whose clients write, so that their
//! writes do not cross the WAN twice). The leader checks every second; it hands leadership
//! over (`transfer`, the same mechanism as `raftkeep cluster transfer-leader`) when
//!
//! - its disk is below the reserve: to any voter that has caught up, a preferred one first,
//!   at once (it takes no writes meanwhile);
//! - it is not one of the preferred voters and one of them has been caught up for
//!   [`STEADY`]: leadership goes back where it should be once that node is healthy, not the
//!   moment it reappears.
//!
//! After any attempt the leader waits [`COOL_DOWN`] before the next, so a target that cannot
//! take over (its own disk low, a partition) does not make leadership flap.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use raftkeep_store::NodeId;

use crate::ReadIndex;

/// How long a preferred voter must have been caught up before leadership moves to it.
pub const STEADY: Duration = Duration::from_secs(10);
/// The least time between two transfers started by this loop.
pub const COOL_DOWN: Duration = Duration::from_secs(30);
/// How often the leader looks.
const CHECK: Duration = Duration::from_secs(1);

/// Why leadership should move, and to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    /// This node's disk is low.
    Disk(NodeId),
    /// A preferred voter is ready.
    Preferred(NodeId),
}

/// Runs on every node until Raft stops; acts only while the node leads.
pub async fn keep_placed(reads: ReadIndex, preferred: Vec<NodeId>) {
    let node = reads.forwarder().node().clone();
    let mut metrics = node.raft().metrics();
    let mut caught_up: HashMap<NodeId, Instant> = HashMap::new();
    let mut last_attempt: Option<Instant> = None;
    let mut tick = tokio::time::interval(CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if metrics.has_changed().is_err() {
            return;
        }
        let m = metrics.borrow_and_update().clone();
        let now = Instant::now();
        track_caught_up(&m, now, &mut caught_up);
        if m.state != openraft::ServerState::Leader {
            continue;
        }
        let voters: Vec<NodeId> = m.membership_config.membership().voter_ids().collect();
        let fit = node.fit_to_lead();
        let Some(want) = wanted(m.id, &voters, &preferred, fit, &caught_up, now) else {
            continue;
        };
        if last_attempt.is_some_and(|t| now.duration_since(t) < COOL_DOWN) {
            continue;
        }
        last_attempt = Some(now);
        let (target, reason) = match want {
            Move::Disk(t) => (t, "disk"),
            Move::Preferred(t) => (t, "preferred"),
        };
        tracing::info!(target, reason, "moving leadership");
        match crate::transfer::transfer(&reads, target).await {
            Ok(()) => {
                metrics::counter!("raftkeep_leader_moves_total", "reason" => reason).increment(1);
                tracing::info!(target, reason, "leadership moved");
            }
            Err(e) => {
                tracing::warn!(target, reason, error = %e.message(), "leadership did not move; trying again in {} s", COOL_DOWN.as_secs());
            }
        }
    }
}

/// Keeps, for each voter the leader replicates to, since when it has had every entry; a
/// voter that falls behind starts over.
fn track_caught_up(
    m: &openraft::RaftMetrics<NodeId, openraft::BasicNode>,
    now: Instant,
    caught_up: &mut HashMap<NodeId, Instant>,
) {
    let head = m.last_log_index.unwrap_or(0);
    let Some(replication) = m.replication.as_ref() else {
        caught_up.clear();
        return;
    };
    caught_up.retain(|id, _| {
        replication
            .get(id)
            .copied()
            .flatten()
            .is_some_and(|l| l.index >= head)
    });
    for (id, matched) in replication {
        if *id != m.id && matched.is_some_and(|l| l.index >= head) {
            caught_up.entry(*id).or_insert(now);
        }
    }
}

/// Where leadership should go now from leader `me`, if anywhere.
fn wanted(
    me: NodeId,
    voters: &[NodeId],
    preferred: &[NodeId],
    fit: bool,
    caught_up: &HashMap<NodeId, Instant>,
    now: Instant,
) -> Option<Move> {
    let ready = |id: &NodeId, steady: Duration| {
        *id != me
            && voters.contains(id)
            && caught_up
                .get(id)
                .is_some_and(|since| now.duration_since(*since) >= steady)
    };
    if !fit {
        return preferred
            .iter()
            .chain(voters.iter().filter(|v| !preferred.contains(v)))
            .find(|id| ready(id, Duration::ZERO))
            .copied()
            .map(Move::Disk);
    }
    if preferred.is_empty() || preferred.contains(&me) {
        return None;
    }
    preferred
        .iter()
        .find(|id| ready(id, STEADY))
        .copied()
        .map(Move::Preferred)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since(now: Instant, secs: u64) -> Instant {
        now.checked_sub(Duration::from_secs(secs)).unwrap_or(now)
    }

    #[test]
    fn leadership_goes_to_a_preferred_voter_only_once_it_has_been_caught_up_for_a_while() {
        let now = Instant::now();
        let voters = [1, 2, 3, 4, 5];
        let mut caught_up = HashMap::from([(3, since(now, 60)), (4, since(now, 2))]);
        // Leader 3 outside the preferred 4, 5: 4 has been caught up for 2 s only, 5 not at all.
        assert_eq!(wanted(3, &voters, &[4, 5], true, &caught_up, now), None);
        caught_up.insert(4, since(now, 11));
        assert_eq!(
            wanted(3, &voters, &[4, 5], true, &caught_up, now),
            Some(Move::Preferred(4))
        );
        // A preferred leader stays, and no preference means no move.
        assert_eq!(wanted(4, &voters, &[4, 5], true, &caught_up, now), None);
        assert_eq!(wanted(3, &voters, &[], true, &caught_up, now), None);
        // A preferred node that is not a voter (a learner) is not a target.
        assert_eq!(wanted(3, &[1, 2, 3], &[4], true, &caught_up, now), None);
    }

    #[test]
    fn a_leader_with_a_full_disk_hands_over_at_once_to_a_caught_up_voter_preferred_first() {
        let now = Instant::now();
        let voters = [1, 2, 3];
        let caught_up = HashMap::from([(1, since(now, 0)), (2, since(now, 0))]);
        assert_eq!(
            wanted(3, &voters, &[], false, &caught_up, now),
            Some(Move::Disk(1))
        );
        assert_eq!(
            wanted(3, &voters, &[2], false, &caught_up, now),
            Some(Move::Disk(2))
        );
        // Even a preferred leader leaves; with nobody caught up, nowhere to go.
        assert_eq!(
            wanted(2, &voters, &[2], false, &caught_up, now),
            Some(Move::Disk(1))
        );
        assert_eq!(wanted(3, &voters, &[], false, &HashMap::new(), now), None);
    }
}
