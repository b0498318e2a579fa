//! Test databases: each test gets its own, copied from a template migrated once per run.
//!
//! PostgreSQL: the first test that needs one makes `masthead_test_template_<hash of the
//! migrations>` (under an advisory lock, so that test processes running at once do not race),
//! and every test database is `CREATE DATABASE … TEMPLATE` it. SQLite: the same with a file in
//! the temp directory, copied. A change to the migrations changes the hash, hence the template.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use masthead::db::Db;

use super::Backend;

/// A database of a test's own, removed when dropped.
pub struct TestDb {
    pub url: String,
    dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// An empty database (no migrations run), for tests of migrating itself.
    pub fn new(backend: &Backend) -> Self {
        Self::make(backend, None)
    }

    /// A database with every migration applied, copied from the run's template.
    pub fn migrated(backend: &Backend) -> Self {
        let template = template(backend);
        Self::make(backend, Some(template))
    }

    fn make(backend: &Backend, template: Option<&str>) -> Self {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("masthead-test-{unique}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let file = dir.join("masthead.db");
                if let Some(template) = template {
                    std::fs::copy(template, &file).expect("copy the template database");
                }
                Self {
                    url: format!("sqlite://{}", file.display()),
                    dir,
                    postgres: None,
                }
            }
            Backend::Postgres(server_url) => {
                let name = format!("masthead_test_{unique}");
                let mut conn = connect(server_url);
                let sql = match template {
                    Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
                    None => format!("CREATE DATABASE \"{name}\""),
                };
                create_database(&mut conn, &sql);
                Self {
                    url: with_database(server_url, &name),
                    dir,
                    postgres: Some((server_url.clone(), name)),
                }
            }
        }
    }

    /// A second handle on the same database (for a second server), which removes nothing.
    pub fn alias(other: &TestDb) -> Self {
        Self {
            url: other.url.clone(),
            dir: other.dir.join("second-instance"),
            postgres: None,
        }
    }

    /// The test's scratch directory (also the server's data directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server_url, name)) = &self.postgres
            && let Ok(mut conn) = PgConnection::establish(server_url)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn connect(server_url: &str) -> PgConnection {
    PgConnection::establish(server_url)
        .unwrap_or_else(|e| panic!("cannot connect to TEST_DATABASE_URL: {e}"))
}

/// Runs a `CREATE DATABASE`. Two copies of one template at the same instant can fail with
/// "being accessed by other users" (each briefly holds the template), so that is retried.
fn create_database(conn: &mut PgConnection, sql: &str) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let result = {
            let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            conn.batch_execute(sql)
        };
        match result {
            Ok(()) => return,
            Err(e)
                if e.to_string().contains("accessed by other users")
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
}

/// A hash of this backend's migrations (names and contents), naming its template.
fn migrations_hash(backend: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("migrations folder") {
        let folder = entry.expect("migration entry").path();
        for file in ["up.sql", "down.sql"] {
            files.push(folder.join(file));
        }
    }
    files.sort();
    let mut hasher = blake3::Hasher::new();
    for file in files {
        hasher.update(
            file.strip_prefix(&dir)
                .unwrap_or(&file)
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(&std::fs::read(&file).unwrap_or_default());
    }
    hasher.finalize().to_hex()[..16].to_owned()
}

/// The template of this run: a SQLite file path or a PostgreSQL database name.
fn template(backend: &Backend) -> &'static str {
    static SQLITE: OnceLock<String> = OnceLock::new();
    static POSTGRES: OnceLock<String> = OnceLock::new();
    match backend {
        Backend::Sqlite => SQLITE.get_or_init(sqlite_template),
        Backend::Postgres(server_url) => POSTGRES.get_or_init(|| postgres_template(server_url)),
    }
}

/// Migrates a file of this process's own, then renames it into place: a process that finds the
/// file there already uses it as it is, and a half-made one is never seen.
fn sqlite_template() -> String {
    let path = std::env::temp_dir().join(format!(
        "masthead_test_template_{}.db",
        migrations_hash("sqlite")
    ));
    if !path.exists() {
        let building = std::env::temp_dir().join(format!(
            "masthead_test_template_{}",
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&building).expect("temp dir");
        let file = building.join("masthead.db");
        let db = Db::open(&format!("sqlite://{}", file.display()), 1).expect("migrate template");
        // Everything into the one file, which is all that is copied.
        db.writer_conn()
            .expect("template connection")
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint the template");
        drop(db);
        std::fs::rename(&file, &path).expect("template into place");
        let _ = std::fs::remove_dir_all(&building);
    }
    path.to_str().expect("utf-8 temp dir").to_owned()
}

/// Makes the template database once, under an advisory lock (another test process may be making
/// it too), migrating a scratch database and renaming it only when complete.
fn postgres_template(server_url: &str) -> String {
    let name = format!("masthead_test_template_{}", migrations_hash("postgres"));
    let mut conn = connect(server_url);
    conn.batch_execute("SELECT pg_advisory_lock(7243155201)")
        .expect("template lock");
    let exists = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result::<bool>(&mut conn)
    .expect("look for the template");
    if !exists {
        let building = format!("{name}_building");
        // (Left behind by a process that stopped half-way.)
        conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        ))
        .expect("drop a half-made template");
        conn.batch_execute(&format!("CREATE DATABASE \"{building}\""))
            .expect("create the template");
        let db = Db::open(&with_database(server_url, &building), 1).expect("migrate template");
        drop(db);
        conn.batch_execute(&format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        ))
        .expect("template into place");
    }
    conn.batch_execute("SELECT pg_advisory_unlock(7243155201)")
        .expect("template unlock");
    name
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Blocks until a statement on the PostgreSQL database at `url` waits for a lock (at most 10 s),
/// read from a connection of its own (a transaction keeps its first view of the activity table).
pub fn until_a_statement_waits_for_a_lock(url: &str) {
    let mut watch = diesel::PgConnection::establish(url).unwrap();
    let started = std::time::Instant::now();
    loop {
        let waiting: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock')",
        ))
        .get_result(&mut watch)
        .unwrap();
        if waiting > 0 {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no statement waited for a lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

impl TestDb {
    /// Makes every preview link of the article expire now, as if its time had passed (written
    /// straight to the database: tests do not wait out a lifetime).
    pub fn expire_previews(&self, article_id: &str) {
        use diesel::prelude::*;
        use masthead::db::schema::preview_tokens;
        let database = Db::open(&self.url, 1).expect("opens");
        database
            .write_blocking(|conn| {
                Ok(diesel::update(
                    preview_tokens::table.filter(preview_tokens::article_id.eq(article_id)),
                )
                .set(preview_tokens::expires_at.eq(preview_tokens::created_at))
                .execute(conn)?)
            })
            .expect("expire the article's preview links");
    }

    /// Runs the background job's purge of expired preview links once; returns how many it
    /// deleted.
    pub fn purge_expired_previews(&self) -> usize {
        let database = Db::open(&self.url, 1).expect("opens");
        database
            .write_blocking(|conn| {
                Ok(masthead::articles::previews::model::delete_expired(
                    conn,
                    masthead::db::now(),
                )?)
            })
            .expect("purge expired preview links")
    }
}

impl TestDb {
    /// Makes every change to public content fail at its last step (the bump of the shared
    /// content version, after the change itself and its outbox rows are written), or stops
    /// doing so: a trigger that aborts the transaction, so a test sees what a rollback leaves.
    pub fn fail_content_commits(&self, fail: bool) {
        use diesel::connection::SimpleConnection;
        let database = Db::open(&self.url, 1).expect("opens");
        let sql = match (database.backend(), fail) {
            ("sqlite", true) => {
                "CREATE TRIGGER test_fail_content BEFORE UPDATE ON content_state \
                 BEGIN SELECT RAISE(ABORT, 'content writes fail in this test'); END;"
            }
            ("sqlite", false) => "DROP TRIGGER test_fail_content;",
            (_, true) => {
                "CREATE FUNCTION test_fail_content() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'content writes fail in this test'; END $$; \
                 CREATE TRIGGER test_fail_content BEFORE UPDATE ON content_state \
                 FOR EACH ROW EXECUTE FUNCTION test_fail_content();"
            }
            (_, false) => {
                "DROP TRIGGER test_fail_content ON content_state; \
                 DROP FUNCTION test_fail_content();"
            }
        };
        database
            .write_blocking(move |conn| Ok(conn.batch_execute(sql)?))
            .expect("install or remove the failing trigger");
    }
}

impl TestDb {
    /// Runs the background job's pruning of the shared limits once, as of `now_us` (the server
    /// clock's microseconds); returns how many rows it deleted.
    pub fn prune_shared_limits(&self, now_us: i64) -> usize {
        let database = Db::open(&self.url, 1).expect("opens");
        database
            .write_blocking(|conn| masthead::db::limits::prune(conn, now_us))
            .expect("prune the shared limits")
    }

    /// How many rows the shared limits hold.
    pub fn shared_limit_rows(&self) -> i64 {
        use diesel::prelude::*;
        use masthead::db::schema::shared_limits;
        let database = Db::open(&self.url, 1).expect("opens");
        database
            .read_blocking(|conn| Ok(shared_limits::table.count().get_result(conn)?))
            .expect("count the shared limits")
    }

    /// Makes every write to the shared limits fail, or stops doing so (PostgreSQL): a trigger
    /// that raises, as a database in trouble would.
    pub fn fail_shared_limits(&self, fail: bool) {
        use diesel::connection::SimpleConnection;
        let database = Db::open(&self.url, 1).expect("opens");
        let sql = if fail {
            "CREATE FUNCTION test_fail_limits() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'the shared limits fail in this test'; END $$; \
             CREATE TRIGGER test_fail_limits BEFORE INSERT OR UPDATE ON shared_limits \
             FOR EACH ROW EXECUTE FUNCTION test_fail_limits();"
        } else {
            "DROP TRIGGER test_fail_limits ON shared_limits; DROP FUNCTION test_fail_limits();"
        };
        database
            .write_blocking(move |conn| Ok(conn.batch_execute(sql)?))
            .expect("install or remove the failing trigger");
    }
}
