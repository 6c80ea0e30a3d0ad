//! Clock skew between nodes. Each node asks every other member for its wall clock (the
//! `unix_millis` of a status reply) once a minute and compares it with its own at the middle
//! of the round trip. Raft itself does not care, but TLS does: a node whose clock is
//! minutes off rejects its peers' certificates as not yet valid or expired, and audit
//! records from different nodes stop lining up. The skew is a gauge per peer and a warning
//! in the log before it breaks anything.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Forwarder;

/// A skew above this is logged as a warning.
pub const WARN_SKEW: Duration = Duration::from_secs(30);
/// Around this, certificate validity checks start failing (a certificate issued on a fast
/// clock is "not yet valid" on a slow one).
pub const TLS_SKEW: Duration = Duration::from_secs(300);

/// This machine's wall clock, milliseconds since the Unix epoch.
pub fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The peer's clock minus ours, in milliseconds, for a request sent at `sent` and answered
/// at `received` (our clock) with the peer's `remote` time: the peer read its clock about
/// half-way through the round trip. Off by at most half the round trip.
pub fn skew_millis(sent: i64, received: i64, remote: i64) -> i64 {
    let midpoint = sent + (received - sent) / 2;
    remote.saturating_sub(midpoint)
}

/// What to say about a skew, if anything.
pub fn judge(skew: Duration) -> Option<&'static str> {
    if skew >= TLS_SKEW {
        Some(
            "clocks differ by more than 5 minutes: TLS between these nodes fails on certificate validity; fix time synchronisation (NTP/chrony) on both",
        )
    } else if skew >= WARN_SKEW {
        Some("clocks drift apart: check time synchronisation (NTP/chrony) on both nodes")
    } else {
        None
    }
}

/// Compares clocks with every other member every `every`, until the node shuts down.
pub async fn watch(forwarder: Forwarder, every: Duration) {
    // The first comparison a few seconds after start, when the node has found its peers.
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every / 12, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (me, peers) = {
            let m = forwarder.node().raft().metrics();
            let m = m.borrow();
            if m.running_state.is_err() {
                return;
            }
            let peers: Vec<(u64, String)> = m
                .membership_config
                .membership()
                .nodes()
                .filter(|(id, _)| **id != m.id)
                .map(|(id, n)| (*id, n.addr.clone()))
                .collect();
            (m.id, peers)
        };
        for (id, addr) in peers {
            compare(&forwarder, me, id, &addr).await;
        }
    }
}

async fn compare(forwarder: &Forwarder, me: u64, id: u64, addr: &str) {
    let Ok(peer) = forwarder.peer(addr) else {
        return;
    };
    let sent = unix_millis();
    let Ok(reply) = peer.status(Duration::from_secs(5), false).await else {
        // An unreachable peer is Raft's concern (and its metrics'), not a clock problem.
        return;
    };
    let received = unix_millis();
    let skew = skew_millis(sent, received, reply.unix_millis);
    metrics::gauge!("raftkeep_clock_skew_seconds", "peer" => id.to_string())
        .set(skew as f64 / 1000.0);
    let magnitude = Duration::from_millis(skew.unsigned_abs());
    match judge(magnitude) {
        Some(what) if magnitude >= TLS_SKEW => {
            tracing::error!(node = me, peer = id, %addr, skew_ms = skew, "{what}")
        }
        Some(what) => tracing::warn!(node = me, peer = id, %addr, skew_ms = skew, "{what}"),
        None => tracing::debug!(peer = id, skew_ms = skew, "clock compared"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_is_measured_against_the_middle_of_the_round_trip() {
        // Sent at 1000, answered at 1100: the peer read its clock at about 1050.
        assert_eq!(skew_millis(1_000, 1_100, 1_050), 0);
        assert_eq!(skew_millis(1_000, 1_100, 61_050), 60_000);
        assert_eq!(skew_millis(1_000, 1_100, -8_950), -10_000);
    }

    #[test]
    fn small_skews_are_quiet_large_ones_warn_and_tls_breaking_ones_say_so() {
        assert_eq!(judge(Duration::from_secs(2)), None);
        assert!(judge(Duration::from_secs(45)).is_some_and(|s| s.contains("drift")));
        assert!(judge(Duration::from_secs(400)).is_some_and(|s| s.contains("TLS")));
    }
}
