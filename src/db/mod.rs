//! Database access: one connection type over SQLite and PostgreSQL, pools, migrations.

pub mod keys;
mod lanes;
pub mod limits;
pub mod schema;
pub mod text;
pub mod time;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::{ApiError, ApiResult};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long SQLite waits for a lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// The page cache of each SQLite reader, in KiB. Every connection has a cache of its own, and
/// SQLite's default holds too little of a search's index, which is then copied in from the
/// kernel again and again; readers are few, so the cost is bounded (`bench/README.md`).
const SQLITE_READER_CACHE_KIB: u32 = 6_000;

/// A connection to either backend; queries are written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// PostgreSQL.
    Pg(PgConnection),
    /// The embedded SQLite default.
    Sqlite(SqliteConnection),
}

/// The backend of [`DbConn`] (for boxed queries).
pub type DbBackend = <DbConn as diesel::Connection>::Backend;

/// Which database a URL points to, chosen by its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A `postgres://` or `postgresql://` URL, passed to libpq as it is.
    Postgres(String),
    /// A `sqlite://path` URL: the path of the database file.
    Sqlite(PathBuf),
}

impl DbTarget {
    /// Parses a `DATABASE_URL`, or says what is wrong with it.
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| format!("`{url}` is neither a sqlite:// nor a postgres:// URL"))?;
        if path.is_empty() || path == ":memory:" {
            return Err(
                "SQLite needs a file path (sqlite://data/masthead.db); in-memory databases are not supported"
                    .to_owned(),
            );
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    /// The backend's name, for logs.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgres",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// Opens connections for a pool, with the backend chosen up front so that a failure reports the
/// real cause (diesel's own multi-backend `establish` hides it).
#[derive(Debug, Clone)]
pub struct Connector {
    target: DbTarget,
    read_only: bool,
    /// Connections found lost so far (shared by the pools of one database).
    losses: Arc<AtomicU64>,
}

impl Connector {
    /// Opens one connection, with its settings applied.
    pub fn connect(&self) -> Result<DbConn, ConnectError> {
        match &self.target {
            DbTarget::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                // Every statement the API runs reads or writes a page of rows. A generic plan
                // estimates a `LIMIT $n` at a tenth of the table, which can make a page look
                // worth parallel workers or JIT compilation that cost far more than the page
                // (`bench/README.md`).
                conn.batch_execute("SET max_parallel_workers_per_gather = 0; SET jit = off")?;
                Ok(DbConn::Pg(conn))
            }
            DbTarget::Sqlite(path) => {
                let path = path.to_str().ok_or(ConnectError::NonUtf8Path)?;
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA query_only = {};
                     PRAGMA cache_size = -{};",
                    if self.read_only { "ON" } else { "OFF" },
                    if self.read_only {
                        SQLITE_READER_CACHE_KIB
                    } else {
                        2_000
                    }
                ))?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The driver refused (server down, bad credentials, unreadable file).
    #[error(transparent)]
    Connection(#[from] diesel::ConnectionError),
    /// A setting could not be applied to a new connection.
    #[error("could not configure the connection: {0}")]
    Setup(#[from] diesel::result::Error),
    /// SQLite's path must be UTF-8 to pass it to the driver.
    #[error("the SQLite path is not valid UTF-8")]
    NonUtf8Path,
}

/// How long a PostgreSQL connection that just answered is trusted without a `SELECT 1` as it
/// leaves the pool. Under load every connection answers many times a second, so the check (a
/// round trip and a statement, for a page that needs two or three) is skipped; a connection that
/// sat idle longer, or whose last use failed, is checked.
const TRUSTED_FOR: Duration = Duration::from_secs(1);

/// A pooled connection and when it last answered without an error.
pub struct Checked {
    conn: DbConn,
    /// When it last answered, and how many lost connections the pool had seen by then.
    answered: Option<(Instant, u64)>,
    /// How PostgreSQL plans its statements now.
    plans: Plans,
}

/// How PostgreSQL plans a request's prepared statements (its `plan_cache_mode`). SQLite prepares
/// each statement once and has no such choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plans {
    /// PostgreSQL's default: a plan for each execution's values, until a generic plan looks as
    /// cheap. For statements whose best plan depends on the values (search terms, several
    /// filters, staff lists), and for every write.
    ForValues,
    /// One generic plan per statement, reused for every execution. For the public lists, whose
    /// statements each have one best plan whatever the values (a range of one index): PostgreSQL
    /// never switches those to a generic plan by itself, since its generic estimate of a
    /// `LIMIT $n` is a tenth of the table, so it planned them on every execution, which took
    /// three times as long as running them.
    Reused,
    /// Either is as good: statements that look rows up by key (an article by slug, its images,
    /// the content version), whose plan is the same for every value. The connection is left as
    /// its last use set it, so that mixed traffic does not switch it back and forth.
    Either,
}

impl Checked {
    /// Whether its last answer is recent and no connection has been lost since: when the server
    /// goes away every connection goes with it, so one lost connection puts all under check.
    fn trusted(&self, losses: u64) -> bool {
        self.answered
            .is_some_and(|(at, seen)| seen == losses && at.elapsed() < TRUSTED_FOR)
    }

    /// Records how its use ended: after an error of any kind (the server gone, or only a
    /// statement refused) it is checked before its next use.
    fn used(&mut self, losses: &AtomicU64, ok: bool) {
        self.answered = ok.then(|| (Instant::now(), losses.load(Ordering::Acquire)));
    }

    /// Records the end of a request's use; a lost connection (a 503) puts every connection of
    /// the pool under check.
    fn finished<T>(&mut self, losses: &AtomicU64, result: &ApiResult<T>) {
        if matches!(result, Err(ApiError::Unavailable(_))) {
            losses.fetch_add(1, Ordering::AcqRel);
        }
        self.used(losses, result.is_ok());
    }

    /// Sets how PostgreSQL plans the next statements, if that is not how it plans them already.
    fn plan(&mut self, plans: Plans) -> ApiResult<()> {
        let unchanged = plans == self.plans || plans == Plans::Either;
        if unchanged || !matches!(self.conn, DbConn::Pg(_)) {
            return Ok(());
        }
        self.conn.batch_execute(if plans == Plans::Reused {
            "SET plan_cache_mode = force_generic_plan"
        } else {
            "RESET plan_cache_mode"
        })?;
        self.plans = plans;
        Ok(())
    }

    /// Runs `work` on this connection with statements planned as `plans` says, and records how
    /// it ended.
    fn run<T>(
        &mut self,
        losses: &AtomicU64,
        plans: Plans,
        work: impl FnOnce(&mut DbConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let result = self.plan(plans).and_then(|()| work(&mut self.conn));
        self.finished(losses, &result);
        result
    }
}

impl std::ops::Deref for Checked {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Checked {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for Connector {
    type Connection = Checked;
    type Error = ConnectError;

    fn connect(&self) -> Result<Checked, ConnectError> {
        let mut conn = Checked {
            conn: Connector::connect(self)?,
            answered: None,
            plans: Plans::ForValues,
        };
        conn.used(&self.losses, true);
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Checked) -> Result<(), ConnectError> {
        if conn.trusted(self.losses.load(Ordering::Acquire)) {
            return Ok(());
        }
        let alive = conn.conn.batch_execute("SELECT 1");
        conn.used(&self.losses, alive.is_ok());
        alive.map_err(ConnectError::Setup)
    }

    /// A connection whose transaction could not be ended (a failed `ROLLBACK`) is dropped, not
    /// pooled: its next use would run inside that transaction.
    fn has_broken(&self, conn: &mut Checked) -> bool {
        diesel::r2d2::R2D2Connection::is_broken(&mut conn.conn)
    }
}

/// A pooled connection.
pub type PooledConn = PooledConnection<Connector>;

/// The database: a pool for writes and one for reads. On SQLite the writer pool holds exactly one
/// connection (SQLite allows one writer at a time; queueing in the pool beats lock retries) and
/// readers are read-only. On PostgreSQL both are the same pool.
///
/// Requests' work reaches a connection through [`lanes::Lanes`]: a thread per pooled connection
/// taking jobs from one queue, rather than a task of the blocking pool per job. On SQLite reads
/// have lanes of their own and writes one lane for the one writer; on PostgreSQL, where reads
/// and writes share the pool, they share the lanes too, so that neither can hold every
/// connection while the other waits, and they take turns first come, first served.
#[derive(Clone)]
pub struct Db {
    writer: Pool<Connector>,
    reader: Pool<Connector>,
    /// The threads that run reads.
    reads: lanes::Lanes,
    /// The threads that run writes (on PostgreSQL, the same as `reads`).
    writes: lanes::Lanes,
    backend: &'static str,
    /// Connections found lost so far, shared with the pools' [`Connector`]s.
    losses: Arc<AtomicU64>,
    /// Opens connections like the write pool's, for [`Db::with_own_connection`].
    connector: Connector,
    /// When a request last asked for or finished a write (see [`Db::writing_lately`]).
    last_write: Arc<AtomicU64>,
}

/// Milliseconds on a monotonic clock, from 1 at the first call (0 is never).
fn clock_ms() -> u64 {
    static START: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);
    u64::try_from(START.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .saturating_add(1)
}

/// Why the database could not be opened at start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is not one we understand.
    #[error("DATABASE_URL: {0}")]
    Url(String),
    /// The directory for the SQLite file could not be made.
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    Directory {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The first connection failed; this is the driver's own message.
    #[error("cannot connect to the {backend} database: {source}")]
    Connect {
        /// sqlite or postgres.
        backend: &'static str,
        /// The driver's error.
        source: ConnectError,
    },
    /// Migrations failed.
    #[error("cannot apply database migrations: {0}")]
    Migrate(String),
    /// The pool could not be built.
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    /// The threads that run reads and writes could not be started.
    #[error("cannot start the database threads: {0}")]
    Threads(std::io::Error),
}

impl Db {
    /// Opens the database at `url`, applies pending migrations and builds the pools.
    pub fn open(url: &str, max_connections: u32) -> Result<Self, OpenError> {
        let target = DbTarget::parse(url).map_err(OpenError::Url)?;
        let backend = target.backend();
        if let DbTarget::Sqlite(path) = &target {
            ensure_parent_dir(path)?;
        }
        let losses = Arc::new(AtomicU64::new(0));
        let writer_connector = Connector {
            target: target.clone(),
            read_only: false,
            losses: losses.clone(),
        };
        // One connection first: it reports the driver's real error, and migrates.
        let connector = writer_connector.clone();
        let mut first = writer_connector
            .connect()
            .map_err(|source| OpenError::Connect { backend, source })?;
        run_migrations(&mut first).map_err(OpenError::Migrate)?;
        drop(first);

        // A PostgreSQL connection can die with its server or the network between them, so one
        // that has not answered in the last second is checked (`SELECT 1`) as it leaves the pool;
        // a SQLite connection is a file handle that cannot, and is never checked.
        let check = matches!(target, DbTarget::Postgres(_));
        let build = |connector: Connector, size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .test_on_check_out(check)
                .connection_timeout(Duration::from_secs(10))
                .build(connector)
        };
        let size = usize::try_from(max_connections).unwrap_or(1);
        let lanes =
            |count: usize, name: &str| lanes::Lanes::start(count, name).map_err(OpenError::Threads);
        let (writer, reader, reads, writes) = match target {
            DbTarget::Postgres(_) => {
                let pool = build(writer_connector, max_connections)?;
                let shared = lanes(size, "masthead-db")?;
                (pool.clone(), pool, shared.clone(), shared)
            }
            DbTarget::Sqlite(_) => {
                let reader_connector = Connector {
                    read_only: true,
                    ..writer_connector.clone()
                };
                (
                    build(writer_connector, 1)?,
                    build(reader_connector, max_connections)?,
                    lanes(size, "masthead-read")?,
                    lanes(1, "masthead-write")?,
                )
            }
        };
        Ok(Self {
            writer,
            reader,
            reads,
            writes,
            backend,
            losses,
            connector,
            last_write: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The pools' use now, for `/metrics`: (pool, connections open, of them idle, of them held
    /// by a request's work). On PostgreSQL reads and writes share one pool, reported under both
    /// names.
    pub fn pool_use(&self) -> [(&'static str, u32, u32, usize); 2] {
        let (w, r) = (self.writer.state(), self.reader.state());
        [
            (
                "write",
                w.connections,
                w.idle_connections,
                self.writes.running(),
            ),
            (
                "read",
                r.connections,
                r.idle_connections,
                self.reads.running(),
            ),
        ]
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Runs `query` on a read connection, off the async workers.
    pub async fn read<T, F>(&self, query: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read_with(Plans::ForValues, query).await
    }

    /// Runs `query` on a read connection, off the async workers, with its statements planned as
    /// `plans` says.
    pub async fn read_with<T, F>(&self, plans: Plans, query: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.reader.clone();
        let losses = self.losses.clone();
        let span = tracing::Span::current();
        let work = move || {
            let _entered = span.enter();
            pool.get()?.run(&losses, plans, query)
        };
        self.reads.run(work).await
    }

    /// Runs `change` in one transaction on the write connection, off the async workers: a
    /// change that returns an error writes nothing.
    pub async fn write<T, F>(&self, change: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.last_write.store(clock_ms(), Ordering::Relaxed);
        let pool = self.writer.clone();
        let losses = self.losses.clone();
        let span = tracing::Span::current();
        let done = self
            .writes
            .run(move || {
                let _entered = span.enter();
                pool.get()?
                    .run(&losses, Plans::ForValues, |c| c.transaction(change))
            })
            .await;
        self.last_write.store(clock_ms(), Ordering::Relaxed);
        done
    }

    /// Runs `statement` on the write connection outside any explicit transaction, off the
    /// async workers: for one statement that is atomic by itself (a counter's upsert), which
    /// then costs one round trip rather than three (`BEGIN`, it, `COMMIT`).
    pub async fn autocommit<T, F>(&self, statement: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.writer.clone();
        let losses = self.losses.clone();
        let span = tracing::Span::current();
        self.writes
            .run(move || {
                let _entered = span.enter();
                pool.get()?.run(&losses, Plans::Either, statement)
            })
            .await
    }

    /// Whether a request asked for or finished a write within `window`: background work that
    /// holds the write connection for long (merging SQLite's search index) waits for a pause.
    pub fn writing_lately(&self, window: Duration) -> bool {
        let last = self.last_write.load(Ordering::Relaxed);
        last != 0
            && clock_ms().saturating_sub(last) < u64::try_from(window.as_millis()).unwrap_or(0)
    }

    /// Runs `change` in one transaction on the write connection, on the calling thread (for
    /// background threads): it queues for the connection with the requests' writes.
    pub fn write_blocking<T>(
        &self,
        change: impl FnOnce(&mut DbConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.writer
            .get()?
            .run(&self.losses, Plans::ForValues, |c| c.transaction(change))
    }

    /// Runs `query` on a read connection, on the calling thread (for background threads' key
    /// lookups, such as the content version: their statements run with the plans the connection
    /// has, see [`Plans::Either`]).
    pub fn read_blocking<T>(
        &self,
        query: impl FnOnce(&mut DbConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.reader.get()?.run(&self.losses, Plans::Either, query)
    }

    /// Runs `work` on a connection of its own, opened for it and closed after, outside any
    /// transaction, on the calling thread: for background upkeep that may take long and holds
    /// session state (`CREATE INDEX CONCURRENTLY` under an advisory lock), so that it neither
    /// takes a connection from the requests' pool nor leaves anything behind on one.
    pub fn with_own_connection<T>(
        &self,
        work: impl FnOnce(&mut DbConn) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let mut conn = self
            .connector
            .connect()
            .map_err(|e| ApiError::Unavailable(e.to_string()))?;
        work(&mut conn)
    }

    /// A connection for synchronous callers (the CLI).
    pub fn writer_conn(&self) -> Result<PooledConn, r2d2::PoolError> {
        self.writer.get()
    }
}

fn ensure_parent_dir(path: &Path) -> Result<(), OpenError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| OpenError::Directory {
                path: dir.to_owned(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// Applies every pending migration of the connection's backend; returns their names.
pub fn run_migrations(conn: &mut DbConn) -> Result<Vec<String>, String> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.iter().map(ToString::to_string).collect()),
        DbConn::Pg(c) => {
            // Several instances may start at once on one PostgreSQL: one migrates, the others
            // wait for it and then find nothing pending.
            c.batch_execute("SELECT pg_advisory_lock(4242001)")
                .map_err(|e| e.to_string())?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect::<Vec<_>>());
            c.batch_execute("SELECT pg_advisory_unlock(4242001)")
                .map_err(|e| e.to_string())?;
            result
        }
    }
    .map_err(|e| e.to_string())?;
    Ok(applied)
}

/// Reverts every applied migration (used by the migration tests).
pub fn revert_all_migrations(conn: &mut DbConn) -> Result<(), String> {
    match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS),
    }
    .map(|_| ())
    .map_err(|e| e.to_string())
}

/// Reverts the newest applied migration (used by the migration tests, which check that data
/// survives a migration down and up again).
pub fn revert_last_migration(conn: &mut DbConn) -> Result<String, String> {
    match conn {
        DbConn::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS),
        DbConn::Pg(c) => c.revert_last_migration(POSTGRES_MIGRATIONS),
    }
    .map(|version| version.to_string())
    .map_err(|e| e.to_string())
}

/// The current time, truncated to microseconds: PostgreSQL keeps no more, and a value must read
/// back equal to what was written on both backends.
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now().naive_utc();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// A new time-ordered id (UUIDv7, as text).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether the database answers (for `/readyz`): a query that must read the schema, not only
/// reach the driver.
pub fn ping(conn: &mut DbConn) -> ApiResult<()> {
    conn.batch_execute("SELECT 1 FROM __diesel_schema_migrations LIMIT 1")
        .map_err(|e| ApiError::Unavailable(e.to_string()))
}

/// Serialises changes that must keep at least one enabled admin. Two admins demoting each other
/// at once would each see the other still an admin; on PostgreSQL a transaction-scoped advisory
/// lock makes them take turns. SQLite has one writer connection, so they already do.
pub fn lock_admins(conn: &mut DbConn) -> ApiResult<()> {
    match conn {
        DbConn::Pg(c) => c
            .batch_execute("SELECT pg_advisory_xact_lock(4242002)")
            .map_err(ApiError::from),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// The shared content version: bumped in the same transaction as every change to public
/// content, so that every instance can tell its cache is stale.
pub fn content_version(conn: &mut DbConn) -> ApiResult<i64> {
    use schema::content_state;
    Ok(content_state::table
        .select(content_state::version)
        .filter(content_state::id.eq(1))
        .first(conn)?)
}

/// Bumps the shared content version (inside the caller's transaction); returns the new one.
pub fn bump_content_version(conn: &mut DbConn) -> ApiResult<i64> {
    use schema::content_state;
    Ok(
        diesel::update(content_state::table.filter(content_state::id.eq(1)))
            .set(content_state::version.eq(content_state::version + 1))
            .returning(content_state::version)
            .get_result(conn)?,
    )
}

/// Serialises, until the transaction ends, every transaction that locks the same `key`. On
/// PostgreSQL, where writes run concurrently, this keeps read-check-write sequences (a free
/// slug, an article's current version) from racing; SQLite's single writer already does.
pub fn lock_key(conn: &mut DbConn, key: &str) -> ApiResult<()> {
    match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(c)?;
            Ok(())
        }
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// As [`lock_key`], shared: holders of a shared lock on a key do not wait for each other, only
/// for (and then hold off) the one holder of the exclusive lock. Writes that only read what a
/// rare change (a rename, a merge) rewrites take it shared, so they do not queue behind each
/// other.
pub fn lock_key_shared(conn: &mut DbConn, key: &str) -> ApiResult<()> {
    match conn {
        DbConn::Pg(c) => {
            diesel::sql_query("SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(c)?;
            Ok(())
        }
        DbConn::Sqlite(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[actix_web::test]
    #[allow(clippy::unwrap_used)]
    async fn a_request_s_write_is_writing_lately_for_a_while() {
        let dir = std::env::temp_dir().join(format!("masthead-db-{}", uuid::Uuid::now_v7()));
        let db = super::Db::open(&format!("sqlite://{}/m.db", dir.display()), 1).unwrap();
        let window = std::time::Duration::from_millis(300);
        assert!(!db.writing_lately(window), "nothing written yet");
        db.write(super::bump_content_version).await.unwrap();
        assert!(db.writing_lately(window));
        // Background work on the write connection is not the API writing.
        std::thread::sleep(window);
        db.write_blocking(super::bump_content_version).unwrap();
        assert!(!db.writing_lately(window));
        drop(db);
        let _ = std::fs::remove_dir_all(dir);
    }
}
