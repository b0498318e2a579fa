//! A per-key rate limit: `per_minute` requests, refilled evenly (GCRA, equivalent to a token
//! bucket). One instance keeps it in process, bounded in memory (governor's keyed limiter on a
//! sharded map); the instances on one PostgreSQL share it through the database, with the same
//! arithmetic ([`RateLimit`] chooses, so that handlers need not know).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Integer};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::db::limits::SharedLimits;
use crate::error::{ApiError, ApiResult};

/// A rate limit of `per_minute` requests per client: in this process, or shared by every
/// instance on one PostgreSQL.
pub enum RateLimit {
    /// Counted here.
    InProcess(RateLimiter),
    /// Counted in `shared_limits`.
    Shared(SharedRateLimit),
}

impl RateLimit {
    /// `per_minute` requests a minute per client, in bursts of up to `per_minute`; shared
    /// through `shared` when there is one. `name` tells this limit's counters from others'.
    pub fn new(per_minute: u32, shared: Option<Arc<SharedLimits>>, name: &'static str) -> Self {
        match shared {
            None => Self::InProcess(RateLimiter::new(per_minute)),
            Some(limits) => Self::Shared(SharedRateLimit::new(per_minute, limits, name)),
        }
    }

    /// Takes one request for `key`: a 429 with the seconds to wait when it must wait, a 503 when
    /// the shared counter cannot be reached (the request would need the same database).
    pub async fn check(&self, key: IpAddr) -> ApiResult<()> {
        let waited = match self {
            Self::InProcess(limiter) => limiter.check(key),
            Self::Shared(limiter) => limiter.check(key).await?,
        };
        waited.map_err(|wait| ApiError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
        })
    }
}

/// The rate limit as a row per client in `shared_limits`, holding its theoretical arrival time
/// (GCRA, as governor keeps it): a request is let through when that time is at most a burst
/// ahead of now, and moves it on by one request's share. One upsert decides and counts, so
/// requests through any instance take turns on the row.
pub struct SharedRateLimit {
    limits: Arc<SharedLimits>,
    name: &'static str,
    /// Microseconds per request.
    emission: i64,
    /// How far ahead of now the arrival time may be (the burst, less one request).
    tolerance: i64,
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Integer)]
    count: i32,
    #[diesel(sql_type = BigInt)]
    at_us: i64,
}

impl SharedRateLimit {
    fn new(per_minute: u32, limits: Arc<SharedLimits>, name: &'static str) -> Self {
        let per_minute = i64::from(per_minute.max(1));
        let emission = 60_000_000 / per_minute;
        Self {
            limits,
            name,
            emission,
            tolerance: emission * (per_minute - 1),
        }
    }

    /// Takes one request for `key`; `Ok(Err(wait))` says how long until the next is allowed.
    async fn check(&self, key: IpAddr) -> ApiResult<Result<(), Duration>> {
        let row = self.limits.key(self.name, &[&ip_bytes(key)]);
        let now = self.limits.now();
        let (emission, tolerance) = (self.emission, self.tolerance);
        // `count` is 1 when this request was let through. A row whose time has passed says no
        // more than a missing one, and is pruned.
        let taken: Taken = self
            .limits
            .run(move |c| {
                diesel::sql_query(
                    "INSERT INTO shared_limits AS l (key, count, at_us, until_us, expires_us) \
                     VALUES ($1, 1, $2 + $3, 0, $2 + $3) \
                     ON CONFLICT (key) DO UPDATE SET \
                         count = (l.at_us - $4 <= $2)::int, \
                         at_us = CASE WHEN l.at_us - $4 <= $2 \
                             THEN GREATEST(l.at_us, $2) + $3 ELSE l.at_us END, \
                         expires_us = CASE WHEN l.at_us - $4 <= $2 \
                             THEN GREATEST(l.at_us, $2) + $3 ELSE l.at_us END \
                     RETURNING count, at_us",
                )
                .bind::<Binary, _>(row.to_vec())
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(emission)
                .bind::<BigInt, _>(tolerance)
                .get_result(c)
            })
            .await?;
        Ok(if taken.count == 1 {
            Ok(())
        } else {
            let wait = taken.at_us.saturating_sub(tolerance).saturating_sub(now);
            Err(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
        })
    }
}

/// An address's bytes, for a key.
fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

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
