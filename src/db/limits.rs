//! Where the instances on one PostgreSQL share their limits: the `shared_limits` table, the
//! keys of its rows, one-statement access, and pruning. What a row counts, and how, is up to
//! each limit (`http::ratelimit`, `auth::throttle`). On SQLite there is one instance, and the
//! limits stay in its process.

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{Db, DbConn};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};

/// How often each instance deletes rows that say nothing any more.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(60);
/// Rows deleted per statement while pruning, so that no statement runs long.
const PRUNE_BATCH: i64 = 5_000;

/// The shared table, with what its users need: the clock, and the key its rows are hashed with.
pub struct SharedLimits {
    db: Arc<Db>,
    clock: Clock,
    /// Derived from the JWT secret, which every instance has the same: instances agree on the
    /// keys, and the table shows no email or address to whoever reads it.
    hash_key: [u8; 32],
}

impl SharedLimits {
    /// The shared limits on `db`, on `clock`, keyed from `secret`.
    pub fn new(db: Arc<Db>, clock: Clock, secret: &str) -> Self {
        Self {
            db,
            clock,
            hash_key: blake3::derive_key("masthead shared limits 2026-12-05", secret.as_bytes()),
        }
    }

    /// Now on the servers' clock, in microseconds since the Unix epoch (never the database's
    /// `now()`: a test moves this clock, and instances read the same wall time).
    pub fn now(&self) -> i64 {
        self.clock.unix_micros()
    }

    /// The row key of a counter of `kind` over `parts` (each length-prefixed, so that no two
    /// different lists hash alike).
    pub fn key(&self, kind: &str, parts: &[&[u8]]) -> [u8; 16] {
        let mut hasher = blake3::Hasher::new_keyed(&self.hash_key);
        for part in std::iter::once(kind.as_bytes()).chain(parts.iter().copied()) {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let mut key = [0; 16];
        hasher.finalize_xof().fill(&mut key);
        key
    }

    /// Runs one statement on PostgreSQL, outside a transaction (one round trip). Any failure
    /// is a 503: the limit cannot say whether the request may go ahead, so it does not (the
    /// request itself would need the same database).
    pub async fn run<T, F>(&self, statement: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PgConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db
            .autocommit(move |conn| match conn {
                DbConn::Pg(c) => Ok(statement(c)?),
                DbConn::Sqlite(_) => Err(ApiError::internal(std::io::Error::other(
                    "shared limits are kept on PostgreSQL only",
                ))),
            })
            .await
            .map_err(|e| match e {
                ApiError::Unavailable(_) => e,
                other => ApiError::Unavailable(format!("the shared limits failed: {other}")),
            })
    }
}

/// Deletes the rows that expired by `now` (microseconds since the Unix epoch), in batches,
/// passing over rows a request holds right now; returns how many went. Without this the table
/// would keep a row for every client ever limited.
pub fn prune(conn: &mut DbConn, now: i64) -> ApiResult<usize> {
    let DbConn::Pg(c) = conn else {
        return Ok(0);
    };
    let mut total = 0;
    loop {
        let deleted = diesel::sql_query(
            "DELETE FROM shared_limits WHERE key IN (\
                 SELECT key FROM shared_limits WHERE expires_us <= $1 \
                 LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind::<BigInt, _>(now)
        .bind::<BigInt, _>(PRUNE_BATCH)
        .execute(c)?;
        total += deleted;
        if i64::try_from(deleted).unwrap_or(i64::MAX) < PRUNE_BATCH {
            return Ok(total);
        }
    }
}

/// Prunes the shared table every `interval`, for as long as `limits` lives. Every instance
/// does; they skip each other's rows rather than wait for them.
pub fn keep_pruned(limits: Weak<SharedLimits>, interval: Duration) {
    crate::background::every("limits-prune", limits, interval, |limits| {
        let now = limits.now();
        match limits.db.write_blocking(|conn| prune(conn, now)) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(rows = n, "pruned shared limits"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the shared limits"),
        }
    });
}
