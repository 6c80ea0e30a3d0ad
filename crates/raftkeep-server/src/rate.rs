//! Per-client rate limits: a token bucket (GCRA) per client certificate fingerprint. A client
//! over its rate waits — a burst is smoothed, not refused — up to `max_wait`; past that the
//! request is refused (Throttled) so one client cannot hold a node's sessions.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::OpError;

/// A request rate per client identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Requests (messages, whatever their batch size) per second, sustained.
    pub per_second: NonZeroU32,
    /// Requests a client may send at once after being quiet.
    pub burst: NonZeroU32,
    /// How long a request over the rate may wait for its turn before it is refused.
    pub max_wait: Duration,
}

/// The limiter shared by every session of a listener.
pub struct RateLimit {
    settings: RateLimitSettings,
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// A limiter with these settings.
    pub fn new(settings: RateLimitSettings) -> Self {
        let quota = Quota::per_second(settings.per_second).allow_burst(settings.burst);
        RateLimit {
            settings,
            limiter: RateLimiter::dashmap(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Waits until `client` may send one more request, or refuses it when that would take
    /// longer than `max_wait`.
    pub async fn admit(&self, client: &str) -> Result<(), OpError> {
        let key = client.to_owned();
        let deadline = tokio::time::Instant::now() + self.settings.max_wait;
        loop {
            let wait = match self.limiter.check_key(&key) {
                Ok(()) => return Ok(()),
                Err(not_until) => not_until.wait_time_from(self.clock.now()),
            };
            let now = tokio::time::Instant::now();
            if now + wait > deadline {
                metrics::counter!("raftkeep_kmip_throttled_total").increment(1);
                return Err(OpError::Throttled(format!(
                    "this client sends more than {} requests per second (burst {}); retry later",
                    self.settings.per_second, self.settings.burst
                )));
            }
            // Another session of the same client may take the slot first: check again.
            tokio::time::sleep(wait).await;
        }
    }

    /// Forgets clients that have been quiet long enough to have a full bucket again, so the
    /// table does not grow with every certificate ever seen.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32, max_wait_ms: u64) -> RateLimit {
        let n = |v| NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN);
        RateLimit::new(RateLimitSettings {
            per_second: n(per_second),
            burst: n(burst),
            max_wait: Duration::from_millis(max_wait_ms),
        })
    }

    #[tokio::test]
    async fn a_client_over_its_burst_without_wait_is_refused() {
        let l = limit(1, 3, 0);
        for _ in 0..3 {
            assert_eq!(l.admit("a").await, Ok(()));
        }
        let refused = l.admit("a").await;
        assert!(
            matches!(refused, Err(OpError::Throttled(ref m)) if m.contains("1 requests per second")),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn one_client_over_its_rate_does_not_slow_another() {
        let l = limit(1, 1, 0);
        assert_eq!(l.admit("a").await, Ok(()));
        assert!(l.admit("a").await.is_err());
        assert_eq!(l.admit("b").await, Ok(()));
    }

    #[tokio::test]
    async fn a_burst_within_the_wait_is_smoothed_not_refused() {
        // 50/s with a burst of 1: the next slot is 20 ms away, well inside a 2 s wait.
        let l = limit(50, 1, 2_000);
        for _ in 0..3 {
            assert_eq!(l.admit("a").await, Ok(()));
        }
    }
}
