//! A per-key rate limit: `per_minute` requests, refilled evenly, bounded in memory. The
//! bookkeeping is governor's keyed GCRA limiter (equivalent to a token bucket) on a sharded map.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

/// Past this many clients, the ones whose allowance is full again are forgotten.
const MAX_KEYS: usize = 100_000;
/// The least time between two prunings (ms), so a crowd of active clients is not scanned on
/// every request.
const PRUNE_EVERY_MS: u64 = 1_000;

/// A rate limiter keyed by client address.
pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    started: Instant,
    /// Milliseconds after `started`, plus [`PRUNE_EVERY_MS`], of the last pruning (so the first
    /// is due at once).
    pruned_at: AtomicU64,
}

impl RateLimiter {
    /// Allows `per_minute` requests a minute per client, in bursts of up to `per_minute`.
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::dashmap(Quota::per_minute(per_minute)),
            started: Instant::now(),
            pruned_at: AtomicU64::new(0),
        }
    }

    /// Takes one request for `key`; `Err(wait)` says how long until the next is allowed.
    pub fn check(&self, key: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() >= MAX_KEYS {
            self.prune();
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    /// Forgets clients whose allowance is full again, at most once per [`PRUNE_EVERY_MS`];
    /// the map's shards are locked one at a time.
    fn prune(&self) {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let now = elapsed.saturating_add(PRUNE_EVERY_MS);
        let last = self.pruned_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= PRUNE_EVERY_MS
            && self
                .pruned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_request_in_a_minute_waits() {
        let limiter = RateLimiter::new(5);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..5 {
            assert!(limiter.check(a).is_ok());
        }
        let wait = limiter.check(a).unwrap_err();
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
        assert!(
            limiter.check(b).is_ok(),
            "another client has its own bucket"
        );
    }

    #[test]
    fn idle_clients_are_forgotten_past_the_bound() {
        let limiter = RateLimiter::new(60_000);
        for i in 0..u32::try_from(MAX_KEYS).unwrap() {
            let _ = limiter.check(IpAddr::from(i.to_be_bytes()));
        }
        // A thousand requests a second: every allowance is full again a millisecond later.
        std::thread::sleep(Duration::from_millis(5));
        let _ = limiter.check("192.0.2.1".parse().unwrap());
        assert!(limiter.limiter.len() < 10, "{}", limiter.limiter.len());
    }
}
