//! Login throttling: failed logins slow down the client that makes them, never the account's
//! owner on another network.
//!
//! Three counters of failures, each forgotten after a quiet `window`, each with exponential
//! backoff (`backoff`, doubling, at most `backoff_max`) once it passes its allowance:
//!
//! - **(account, client)**: the tight one. Guessing one account's password from one address.
//! - **client**: looser, across every account (password spraying, guessing unknown emails).
//! - **account**: the loosest, from everywhere at once (a distributed attack). Its backoff holds
//!   back only clients that have already failed on this account: a client with no failure on it
//!   gets one attempt, and a client that has logged in to it successfully before is exempt.
//!
//! An attempt is counted as a failure when it starts (so that parallel guesses cannot all slip
//! under the allowance) and taken back when the password turns out right. Throttled attempts
//! are answered before any password is checked, and do not count.
//!
//! Keys are keyed hashes (an email of a megabyte costs eight bytes), IPv6 clients count by /64
//! (one host owns a whole /64), and every table is a fixed number of shards, each a bounded
//! map with second-chance (CLOCK) eviction: memory is capped, and no request scans a table.
//!
//! The instances on one PostgreSQL share the counters instead ([`SharedThrottle`]): the same
//! rules, as functions in the database (migration `2026-12-05-000035_shared_limits`), one call
//! per attempt. [`Throttle`] chooses, so that the login handler need not know.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Bool, Integer, SmallInt};

use crate::clock::Clock;
use crate::db::limits::SharedLimits;
use crate::error::ApiResult;

/// Shards per table: requests for different keys rarely wait on one lock.
const SHARDS: usize = 16;
/// Entries per table (all shards together); a few MB at most.
const CAPACITY: usize = 64 * 1024;
/// How long a successful login makes its client known to the account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 86_400);

/// The allowances and timings (from `MASTHEAD_LOGIN_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed for one account from one client before backoff.
    pub per_account_client: u32,
    /// Failures allowed from one client across all accounts before backoff.
    pub per_client: u32,
    /// Failures allowed for one account from everywhere before its backoff.
    pub per_account: u32,
    /// The first wait once an allowance is spent; it doubles with each further failure.
    pub backoff: Duration,
    /// The longest wait.
    pub backoff_max: Duration,
    /// Failures are forgotten after this long without another.
    pub window: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            per_account_client: 5,
            per_client: 30,
            per_account: 100,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Failures under one key.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

impl Failures {
    fn none(now: Instant) -> Self {
        Self {
            count: 0,
            last: now,
            blocked_until: now,
        }
    }

    /// The record as it stands `now`: forgotten after a quiet window.
    fn current(self, now: Instant, window: Duration) -> Option<Self> {
        (now.saturating_duration_since(self.last) < window).then_some(self)
    }

    /// One failure fewer; under the allowance again, no wait (the count only grows within a
    /// window, so below the allowance there was none before this attempt either).
    fn take_back(record: Option<Self>, now: Instant, allowance: u32) -> Self {
        record.map_or(Self::none(now), |r| {
            let count = r.count.saturating_sub(1);
            Self {
                count,
                blocked_until: if count < allowance {
                    r.last
                } else {
                    r.blocked_until
                },
                ..r
            }
        })
    }

    fn wait(&self, now: Instant) -> Option<Duration> {
        let wait = self.blocked_until.saturating_duration_since(now);
        (!wait.is_zero()).then_some(wait)
    }

    /// One more failure; past `allowance`, the next attempt waits.
    fn add(record: Option<Self>, now: Instant, allowance: u32, policy: &Policy) -> Self {
        let count = record.map_or(0, |r| r.count).saturating_add(1);
        let blocked_until = if count >= allowance {
            let doublings = (count - allowance).min(30);
            let wait = policy
                .backoff
                .saturating_mul(1 << doublings)
                .min(policy.backoff_max);
            now + wait
        } else {
            record.map_or(now, |r| r.blocked_until)
        };
        Self {
            count,
            last: now,
            blocked_until,
        }
    }
}

/// A map of at most `CAPACITY` entries in `SHARDS` locks; the oldest untouched entry goes first.
struct Table<V> {
    shards: Vec<Mutex<Shard<V>>>,
}

struct Shard<V> {
    map: HashMap<u64, (V, bool)>,
    /// Every key in `map`, oldest first; a touched key gets a second chance at the front.
    ring: VecDeque<u64>,
}

impl<V: Copy> Table<V> {
    fn new() -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        map: HashMap::new(),
                        ring: VecDeque::new(),
                    })
                })
                .collect(),
        }
    }

    fn with<T>(&self, key: u64, f: impl FnOnce(&mut Shard<V>) -> T) -> T {
        let shard = &self.shards[usize::try_from(key % SHARDS as u64).unwrap_or(0)];
        let mut guard = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    fn get(&self, key: u64) -> Option<V> {
        self.with(key, |s| {
            s.map.get_mut(&key).map(|(v, touched)| {
                *touched = true;
                *v
            })
        })
    }

    fn update(&self, key: u64, f: impl FnOnce(Option<V>) -> V) {
        self.with(key, |s| {
            let old = s.map.get(&key).map(|(v, _)| *v);
            if old.is_none() {
                s.make_room();
                s.ring.push_back(key);
            }
            s.map.insert(key, (f(old), true));
        });
    }
}

impl<V> Shard<V> {
    fn make_room(&mut self) {
        let limit = CAPACITY / SHARDS;
        // Each touched entry is passed over once; after `limit` passes one is certainly cold.
        let mut passes = 0;
        while self.map.len() >= limit {
            let Some(key) = self.ring.pop_front() else {
                return;
            };
            match self.map.get_mut(&key) {
                Some((_, touched)) if *touched && passes < limit => {
                    *touched = false;
                    passes += 1;
                    self.ring.push_back(key);
                }
                _ => {
                    self.map.remove(&key);
                }
            }
        }
    }
}

/// Why an attempt may not go ahead, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Whole seconds to wait (at least 1), for `Retry-After`.
    pub retry_after: u64,
    /// Which counter said so.
    pub scope: Scope,
}

/// The counter that throttled an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// This client, for this account.
    AccountClient,
    /// This client, for every account.
    Client,
    /// This account, for clients that have already failed on it.
    Account,
}

impl Scope {
    /// Its name in `/metrics` (`login_throttled_total{key=…}`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountClient => "account_client",
            Self::Client => "client",
            Self::Account => "account",
        }
    }
}

/// An attempt that was let through (and counted as a failure until [`LoginThrottle::succeeded`]).
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pair: u64,
    client: u64,
    account: u64,
    /// Whether this client has logged in to this account before.
    pub known: bool,
}

/// The state of every counter.
pub struct LoginThrottle {
    policy: Policy,
    /// What "now" is (the system's clock, or a test's).
    clock: Clock,
    hasher: RandomState,
    pairs: Table<Failures>,
    clients: Table<Failures>,
    accounts: Table<Failures>,
    /// When each (account, client) last logged in successfully.
    known: Table<Instant>,
}

impl LoginThrottle {
    /// Empty counters with this policy, on the system clock.
    pub fn new(policy: Policy) -> Self {
        Self::with_clock(policy, Clock::system())
    }

    /// Empty counters with this policy, reading the time from `clock`.
    pub fn with_clock(policy: Policy, clock: Clock) -> Self {
        Self {
            policy,
            clock,
            hasher: RandomState::new(),
            pairs: Table::new(),
            clients: Table::new(),
            accounts: Table::new(),
            known: Table::new(),
        }
    }

    fn key(&self, value: impl Hash) -> u64 {
        self.hasher.hash_one(value)
    }

    /// Decides whether `client` may try a password for `email` (normalised) now; if so, counts it
    /// as a failure until told otherwise.
    pub fn begin(&self, email: &str, client: Option<IpAddr>) -> Result<Attempt, Throttled> {
        self.begin_at(email, client, self.clock.now())
    }

    fn begin_at(
        &self,
        email: &str,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Result<Attempt, Throttled> {
        let client = client.map(network);
        let attempt = Attempt {
            pair: self.key(("pair", email, client)),
            client: self.key(("client", client)),
            account: self.key(("account", email)),
            known: false,
        };
        let window = self.policy.window;
        let known = self
            .known
            .get(attempt.pair)
            .is_some_and(|at| now.saturating_duration_since(at) < KNOWN_FOR);
        let pair = self
            .pairs
            .get(attempt.pair)
            .and_then(|r| r.current(now, window));
        let throttled = |wait: Duration, scope| Throttled {
            retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            scope,
        };
        if let Some(wait) = pair.and_then(|r| r.wait(now)) {
            return Err(throttled(wait, Scope::AccountClient));
        }
        if let Some(wait) = self
            .clients
            .get(attempt.client)
            .and_then(|r| r.current(now, window))
            .and_then(|r| r.wait(now))
        {
            return Err(throttled(wait, Scope::Client));
        }
        // The account's own backoff: only for clients that have failed on it, unless they are
        // known to it. The owner on a network of their own is never held back by it.
        if !known
            && pair.is_some_and(|r| r.count > 0)
            && let Some(wait) = self
                .accounts
                .get(attempt.account)
                .and_then(|r| r.current(now, window))
                .and_then(|r| r.wait(now))
        {
            return Err(throttled(wait, Scope::Account));
        }

        let policy = &self.policy;
        let record = |table: &Table<Failures>, key, allowance| {
            table.update(key, |old| {
                Failures::add(
                    old.and_then(|r| r.current(now, window)),
                    now,
                    allowance,
                    policy,
                )
            });
        };
        record(&self.pairs, attempt.pair, policy.per_account_client);
        record(&self.clients, attempt.client, policy.per_client);
        record(&self.accounts, attempt.account, policy.per_account);
        Ok(Attempt { known, ..attempt })
    }

    /// No password was checked after all (the line was full): the attempt is not counted.
    pub fn abandoned(&self, attempt: &Attempt) {
        let now = self.clock.now();
        let policy = &self.policy;
        self.pairs.update(attempt.pair, |old| {
            Failures::take_back(old, now, policy.per_account_client)
        });
        self.take_back_shared(attempt, now);
    }

    /// The password was right: this client's failures for the account are cleared, the other
    /// counters take back this attempt, and the client is known to the account from now on.
    pub fn succeeded(&self, attempt: &Attempt) {
        self.succeeded_at(attempt, self.clock.now());
    }

    fn succeeded_at(&self, attempt: &Attempt, now: Instant) {
        self.pairs.update(attempt.pair, |_| Failures::none(now));
        self.take_back_shared(attempt, now);
        self.known.update(attempt.pair, |_| now);
    }

    fn take_back_shared(&self, attempt: &Attempt, now: Instant) {
        let policy = &self.policy;
        self.clients.update(attempt.client, |old| {
            Failures::take_back(old, now, policy.per_client)
        });
        self.accounts.update(attempt.account, |old| {
            Failures::take_back(old, now, policy.per_account)
        });
    }
}

/// The login throttle: in this process, or shared by every instance on one PostgreSQL.
pub enum Throttle {
    /// Counted here.
    InProcess(LoginThrottle),
    /// Counted in `shared_limits`.
    Shared(SharedThrottle),
}

/// An attempt either throttle let through.
#[derive(Debug, Clone, Copy)]
pub enum LoginAttempt {
    /// Counted here.
    InProcess(Attempt),
    /// Counted in the database.
    Shared(SharedAttempt),
}

impl LoginAttempt {
    /// Whether this client has logged in to this account before.
    pub fn known(&self) -> bool {
        match self {
            Self::InProcess(a) => a.known,
            Self::Shared(a) => a.known,
        }
    }
}

impl Throttle {
    /// Decides whether `client` may try a password for `email` (normalised) now; if so, counts it
    /// as a failure until told otherwise. A shared throttle that cannot reach the database
    /// answers 503: letting every attempt through would turn the throttle off for whoever can
    /// make the database slow.
    pub async fn begin(
        &self,
        email: &str,
        client: Option<IpAddr>,
    ) -> ApiResult<Result<LoginAttempt, Throttled>> {
        Ok(match self {
            Self::InProcess(t) => t.begin(email, client).map(LoginAttempt::InProcess),
            Self::Shared(t) => t.begin(email, client).await?.map(LoginAttempt::Shared),
        })
    }

    /// No password was checked after all (the line was full): the attempt is not counted.
    pub async fn abandoned(&self, attempt: &LoginAttempt) {
        self.end(attempt, false).await;
    }

    /// The password was right: this client's failures for the account are cleared, the other
    /// counters take back this attempt, and the client is known to the account from now on.
    pub async fn succeeded(&self, attempt: &LoginAttempt) {
        self.end(attempt, true).await;
    }

    /// A shared throttle that cannot record the end only logs it: the attempt then stays
    /// counted as a failure, which errs on the strict side and never locks out by itself.
    async fn end(&self, attempt: &LoginAttempt, succeeded: bool) {
        match (self, attempt) {
            (Self::InProcess(t), LoginAttempt::InProcess(a)) if succeeded => t.succeeded(a),
            (Self::InProcess(t), LoginAttempt::InProcess(a)) => t.abandoned(a),
            (Self::Shared(t), LoginAttempt::Shared(a)) => {
                if let Err(e) = t.end(a, succeeded).await {
                    tracing::warn!(error = %e, "cannot record the end of a login attempt");
                }
            }
            _ => {}
        }
    }
}

/// An attempt the shared throttle let through: the keys of its counters.
#[derive(Debug, Clone, Copy)]
pub struct SharedAttempt {
    pair: [u8; 16],
    client: [u8; 16],
    account: [u8; 16],
    /// The row that says this client has logged in to this account.
    known_row: [u8; 16],
    /// Whether this client has logged in to this account before.
    pub known: bool,
}

/// The throttle's counters as rows of `shared_limits`, kept by the database functions
/// `login_attempt_begin` and `login_attempt_end` (one call each, the attempt's rows locked in
/// one order while it runs, so that parallel attempts through any instance take turns).
pub struct SharedThrottle {
    policy: Policy,
    limits: Arc<SharedLimits>,
}

#[derive(QueryableByName)]
struct Begun {
    #[diesel(sql_type = SmallInt)]
    scope: i16,
    #[diesel(sql_type = BigInt)]
    wait_us: i64,
    #[diesel(sql_type = Bool)]
    known: bool,
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn allowance(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl SharedThrottle {
    /// The throttle with `policy`, on `limits`.
    pub fn new(policy: Policy, limits: Arc<SharedLimits>) -> Self {
        Self { policy, limits }
    }

    async fn begin(
        &self,
        email: &str,
        client: Option<IpAddr>,
    ) -> ApiResult<Result<SharedAttempt, Throttled>> {
        let client = client.map(network).map_or_else(Vec::new, |ip| match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        });
        let (email, client) = (email.as_bytes(), client.as_slice());
        let limits = &self.limits;
        let attempt = SharedAttempt {
            pair: limits.key("login pair", &[email, client]),
            client: limits.key("login client", &[client]),
            account: limits.key("login account", &[email]),
            known_row: limits.key("login known", &[email, client]),
            known: false,
        };
        let (now, policy) = (limits.now(), self.policy);
        let begun: Begun = limits
            .run(move |c| {
                diesel::sql_query(
                    "SELECT scope, wait_us, known \
                     FROM login_attempt_begin($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind::<Binary, _>(attempt.pair.to_vec())
                .bind::<Binary, _>(attempt.client.to_vec())
                .bind::<Binary, _>(attempt.account.to_vec())
                .bind::<Binary, _>(attempt.known_row.to_vec())
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(micros(policy.window))
                .bind::<Integer, _>(allowance(policy.per_account_client))
                .bind::<Integer, _>(allowance(policy.per_client))
                .bind::<Integer, _>(allowance(policy.per_account))
                .bind::<BigInt, _>(micros(policy.backoff))
                .bind::<BigInt, _>(micros(policy.backoff_max))
                .get_result(c)
            })
            .await?;
        let scope = match begun.scope {
            0 => {
                return Ok(Ok(SharedAttempt {
                    known: begun.known,
                    ..attempt
                }));
            }
            1 => Scope::AccountClient,
            2 => Scope::Client,
            _ => Scope::Account,
        };
        let wait = u64::try_from(begun.wait_us).unwrap_or(0);
        Ok(Err(Throttled {
            retry_after: wait.div_ceil(1_000_000).max(1),
            scope,
        }))
    }

    async fn end(&self, attempt: &SharedAttempt, succeeded: bool) -> ApiResult<()> {
        let (attempt, now, policy) = (*attempt, self.limits.now(), self.policy);
        self.limits
            .run(move |c| {
                diesel::sql_query(
                    "SELECT login_attempt_end($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind::<Binary, _>(attempt.pair.to_vec())
                .bind::<Binary, _>(attempt.client.to_vec())
                .bind::<Binary, _>(attempt.account.to_vec())
                .bind::<Binary, _>(attempt.known_row.to_vec())
                .bind::<BigInt, _>(now)
                .bind::<Bool, _>(succeeded)
                .bind::<BigInt, _>(now.saturating_add(micros(KNOWN_FOR)))
                .bind::<Integer, _>(allowance(policy.per_account_client))
                .bind::<Integer, _>(allowance(policy.per_client))
                .bind::<Integer, _>(allowance(policy.per_account))
                .execute(c)
            })
            .await?;
        Ok(())
    }
}

/// What stands between a login and its password check: the throttle, then a short line for a core.
pub struct LoginGuard {
    /// Failed logins and their backoff.
    pub throttle: Throttle,
    /// Password checks running and waiting.
    pub queue: crate::work::Gate,
}

impl LoginGuard {
    /// Both: the throttle with `policy` on `clock` (shared through `shared` when there is one),
    /// and a line of at most `queue` password checks.
    pub fn new(
        policy: Policy,
        queue: usize,
        clock: Clock,
        shared: Option<Arc<SharedLimits>>,
    ) -> Self {
        Self {
            throttle: match shared {
                None => Throttle::InProcess(LoginThrottle::with_clock(policy, clock)),
                Some(limits) => Throttle::Shared(SharedThrottle::new(policy, limits)),
            },
            queue: crate::work::Gate::half_the_cores(queue),
        }
    }
}

/// The unit a client is counted by: its address, or for IPv6 its /64.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn policy() -> Policy {
        Policy {
            per_account_client: 3,
            per_client: 10,
            per_account: 20,
            ..Policy::default()
        }
    }

    #[test]
    fn backoff_starts_after_the_allowance_and_doubles() {
        let throttle = LoginThrottle::new(policy());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(throttle.begin_at("a@x", ip("192.0.2.1"), t0).is_ok());
        }
        let err = throttle.begin_at("a@x", ip("192.0.2.1"), t0).unwrap_err();
        assert_eq!((err.retry_after, err.scope), (1, Scope::AccountClient));
        let t1 = t0 + Duration::from_secs(1);
        assert!(throttle.begin_at("a@x", ip("192.0.2.1"), t1).is_ok());
        assert_eq!(
            throttle
                .begin_at("a@x", ip("192.0.2.1"), t1)
                .unwrap_err()
                .retry_after,
            2
        );
        let t2 = t1 + Duration::from_secs(2);
        assert!(throttle.begin_at("a@x", ip("192.0.2.1"), t2).is_ok());
        assert_eq!(
            throttle
                .begin_at("a@x", ip("192.0.2.1"), t2)
                .unwrap_err()
                .retry_after,
            4
        );
        // Another client, and this client for another account, are not held back.
        assert!(throttle.begin_at("a@x", ip("192.0.2.2"), t2).is_ok());
        assert!(throttle.begin_at("b@x", ip("192.0.2.1"), t2).is_ok());
        // A quiet window forgets everything.
        let later = t2 + policy().window;
        assert!(throttle.begin_at("a@x", ip("192.0.2.1"), later).is_ok());
    }

    #[test]
    fn a_distributed_attack_holds_back_failing_clients_not_new_or_known_ones() {
        let throttle = LoginThrottle::new(policy());
        let t0 = Instant::now();
        let owner = throttle.begin_at("a@x", ip("198.51.100.7"), t0).unwrap();
        throttle.succeeded_at(&owner, t0);
        for i in 0..25 {
            let bot = format!("203.0.113.{i}");
            assert!(throttle.begin_at("a@x", ip(&bot), t0).is_ok());
        }
        let err = throttle.begin_at("a@x", ip("203.0.113.1"), t0).unwrap_err();
        assert_eq!(err.scope, Scope::Account);
        assert!(
            throttle.begin_at("a@x", ip("192.0.2.99"), t0).is_ok(),
            "new"
        );
        let owner = throttle.begin_at("a@x", ip("198.51.100.7"), t0).unwrap();
        assert!(owner.known);
        // Even after failing once, the known client is not held back by the account.
        assert!(throttle.begin_at("a@x", ip("198.51.100.7"), t0).is_ok());
    }

    #[test]
    fn success_clears_the_pair_and_a_client_spraying_accounts_is_slowed() {
        let throttle = LoginThrottle::new(policy());
        let t0 = Instant::now();
        for _ in 0..2 {
            throttle.begin_at("a@x", ip("192.0.2.1"), t0).unwrap();
        }
        let ok = throttle.begin_at("a@x", ip("192.0.2.1"), t0).unwrap();
        throttle.succeeded_at(&ok, t0);
        for _ in 0..3 {
            assert!(throttle.begin_at("a@x", ip("192.0.2.1"), t0).is_ok());
        }
        assert!(throttle.begin_at("a@x", ip("192.0.2.1"), t0).is_err());
        let sprayer = ip("2001:db8::1");
        for i in 0..10 {
            assert!(throttle.begin_at(&format!("{i}@x"), sprayer, t0).is_ok());
        }
        let err = throttle
            .begin_at("new@x", ip("2001:db8::ffff"), t0)
            .unwrap_err();
        assert_eq!(
            err.scope,
            Scope::Client,
            "the same /64 counts as one client"
        );
    }

    #[test]
    fn tables_stay_bounded() {
        let table: Table<u32> = Table::new();
        for key in 0..(3 * CAPACITY as u64) {
            table.update(key, |_| 1);
        }
        let total: usize = table
            .shards
            .iter()
            .map(|s| s.lock().unwrap().map.len())
            .sum();
        assert!(total <= CAPACITY, "{total}");
        assert_eq!(table.get(3 * CAPACITY as u64 - 1), Some(1), "newest kept");
    }
}
