//! The test harness: a real server on a free port, with its own database, spoken to over HTTP.

mod auth;
mod client;
mod db;
mod feeds;
mod lean;
mod media;
mod python;
mod sitemaps;
mod structured_data;
mod webhooks;

use std::collections::HashMap;

use actix_web::dev::ServerHandle;
use actix_web::http::Method;
use masthead::clock::ClockControl;
use masthead::{Application, Config};
use serde_json::{Value, json};

use auth::Signer;
pub use auth::USER_PASSWORD;
pub use db::{TestDb, until_a_statement_waits_for_a_lock};
pub use feeds::parsers_accept;
pub use lean::{SPARSE_JSON, keys, sorted};
pub use media::{StoreSwitch, TestBucket, pairs};
pub use sitemaps::{SitemapEntry, SitemapKind, sitemap_entries, spawn_app_with_archive};
pub use webhooks::{Receiver, free_port};

/// The JWT secret every test server uses, so tests can forge tokens against it.
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const ISSUER: &str = "masthead-test";
pub const AUDIENCE: &str = "masthead-test-api";
pub const ADMIN_EMAIL: &str = "chief@newsroom.example";
pub const ADMIN_PASSWORD: &str = "first admin passphrase";

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    /// The server URL of a PostgreSQL where test databases may be made and dropped.
    Postgres(String),
}

impl Backend {
    /// PostgreSQL from `TEST_DATABASE_URL`. Unset, the PostgreSQL half of the suite does not run —
    /// unless `MASTHEAD_TEST_REQUIRE_POSTGRES` is set (CI sets it), and then that is a failure.
    pub fn postgres() -> Option<Self> {
        match std::env::var("TEST_DATABASE_URL") {
            // Without GSSAPI encryption or TLS, libpq never sets up Kerberos or OpenSSL, whose
            // exit-time teardowns can crash a test binary whose threads still hold pooled
            // connections when it ends (all tests passed, then SIGSEGV). A URL that names
            // either mode keeps it.
            Ok(mut url) if !url.is_empty() => {
                for mode in ["gssencmode", "sslmode"] {
                    if !url.contains(&format!("{mode}=")) {
                        let joint = if url.contains('?') { '&' } else { '?' };
                        url = format!("{url}{joint}{mode}=disable");
                    }
                }
                Some(Self::Postgres(url))
            }
            _ => {
                assert!(
                    std::env::var_os("MASTHEAD_TEST_REQUIRE_POSTGRES").is_none(),
                    "MASTHEAD_TEST_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not"
                );
                eprintln!("TEST_DATABASE_URL is not set: this PostgreSQL test did not run");
                None
            }
        }
    }
}

/// Generates one test per backend for each listed `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(backend) = $crate::helpers::Backend::postgres() {
                        super::$name(backend).await;
                    }
                }
            )*
        }
    };
}

/// A running server and a client for it.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    handle: Running,
    client: awc::Client,
    /// Signs tokens as the server does, when its settings allow (see [`Signer`]).
    signer: Option<Signer>,
    /// Moves the server's clock (the login throttle's) forward: a test of a backoff skips it
    /// instead of waiting it out. Unmoved, it is the system's time.
    pub clock: ClockControl,
}

/// How a test server runs: in this process, or as the `masthead` binary (to be killed).
enum Running {
    InProcess(ServerHandle),
    Process(ChildGuard),
}

/// A server process, killed when the test ends however it ends.
struct ChildGuard(Option<std::process::Child>);

impl ChildGuard {
    fn kill(&mut self) {
        if let Some(mut child) = self.0.take() {
            child.kill().expect("killed");
            child.wait().expect("reaped");
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The settings every test server starts with; `overrides` may change or remove (`""`) any.
pub fn settings(db: &TestDb, overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = [
        ("DATABASE_URL", db.url.as_str()),
        ("MASTHEAD_BIND", "127.0.0.1:0"),
        (
            "MASTHEAD_DATA_DIR",
            db.dir().to_str().expect("utf-8 temp dir"),
        ),
        ("MASTHEAD_JWT_SECRET", SECRET),
        ("MASTHEAD_JWT_ISSUER", ISSUER),
        ("MASTHEAD_JWT_AUDIENCE", AUDIENCE),
        ("MASTHEAD_ADMIN_EMAIL", ADMIN_EMAIL),
        ("MASTHEAD_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("MASTHEAD_WORKERS", "2"),
        ("MASTHEAD_DB_POOL_SIZE", "4"),
        // Webhooks go to receivers on 127.0.0.1, retried and looked for quickly.
        ("MASTHEAD_WEBHOOKS_ALLOW_PRIVATE", "true"),
        ("MASTHEAD_WEBHOOK_RETRY_BASE_MS", "10"),
        ("MASTHEAD_WEBHOOK_POLL_MS", "200"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in overrides {
        map.insert((*k).to_owned(), (*v).to_owned());
    }
    map
}

/// Starts a server on a free port with a fresh database.
pub async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts a server with some settings changed.
pub async fn spawn_app_with(backend: &Backend, overrides: &[(&str, &str)]) -> TestApp {
    let db = TestDb::migrated(backend);
    let map = settings(&db, overrides);
    auth::seed_admin(&map);
    start(db, map).await
}

/// Starts a server on an existing test database with these settings.
pub async fn start(db: TestDb, map: HashMap<String, String>) -> TestApp {
    start_on_clock(db, map, ClockControl::new()).await
}

/// Starts a second instance of `first`'s server on its PostgreSQL database, with the same
/// settings changed and reading the same clock (moving one moves both, as two machines' clocks
/// agree).
pub async fn second_instance(first: &TestApp, overrides: &[(&str, &str)]) -> TestApp {
    start_on_clock(
        TestDb::alias(&first.db),
        settings(&first.db, overrides),
        first.clock.clone(),
    )
    .await
}

/// Starts a server on an existing test database with these settings, on `clock`.
pub async fn start_on_clock(
    db: TestDb,
    map: HashMap<String, String>,
    clock: ClockControl,
) -> TestApp {
    let signer = Signer::from_settings(&map);
    let mut config = Config::from_lookup(|k| map.get(k).cloned()).expect("valid test config");
    config.clock = clock.clock();
    let app = Application::build(config).await.expect("server builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        base,
        db,
        handle: Running::InProcess(handle),
        client: client(),
        signer,
        clock,
    }
}

fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .disable_redirects()
        .finish()
}

/// Starts the `masthead` binary on an existing test database with these settings (and nothing
/// from this process's environment), and waits until it is ready.
pub async fn start_process(db: TestDb, mut map: HashMap<String, String>) -> TestApp {
    let port = free_port();
    map.insert("MASTHEAD_BIND".to_owned(), format!("127.0.0.1:{port}"));
    let signer = Signer::from_settings(&map);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_masthead"))
        .current_dir(db.dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .envs(&map)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        db,
        handle: Running::Process(ChildGuard(Some(child))),
        client: client(),
        signer,
        // A server process reads the system clock: this control moves nothing.
        clock: ClockControl::new(),
    };
    eventually("the server process to answer", || async {
        let res = app.client.get(format!("{}/readyz", app.base)).send().await;
        res.ok().filter(|r| r.status() == 200).map(|_| ())
    })
    .await;
    app
}

impl TestApp {
    /// Stops the server and gives back its database (to restart on it).
    pub async fn stop(self) -> TestDb {
        match self.handle {
            Running::InProcess(handle) => handle.stop(true).await,
            Running::Process(mut child) => child.kill(),
        }
        self.db
    }

    /// Kills a server process at once (SIGKILL, as `kill -9`), and gives back its database.
    pub fn kill(self) -> TestDb {
        let Running::Process(mut child) = self.handle else {
            panic!("only a server process can be killed");
        };
        child.kill();
        self.db
    }

    pub fn request(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }
    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(Method::POST, path)
    }
    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request(Method::DELETE, path)
    }

    /// The ETag of `path` as `token`'s holder (or anyone) reads it, asserting there is one.
    pub async fn etag(&self, path: &str, token: Option<&str>) -> String {
        let mut req = self.get(path);
        if let Some(token) = token {
            req = req.bearer(token);
        }
        let res = req.send().await;
        assert_eq!(res.status, 200, "GET {path}: {}", res.text);
        res.header("etag").expect("an ETag").to_owned()
    }

    /// Logs in, asserting success.
    pub async fn login(&self, email: &str, password: &str) -> Tokens {
        let res = self
            .post("/v1/auth/login")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await;
        assert_eq!(res.status, 200, "login failed: {}", res.text);
        Tokens::from(&res.json())
    }

    /// The bootstrap admin's access token: signed by the harness for a new session, or (when
    /// the server's settings do not allow that) from a login.
    pub async fn admin_token(&self) -> String {
        match &self.signer {
            Some(signer) => {
                let mut conn = signer.connect();
                let (id, role) = auth::find_user(&mut conn, ADMIN_EMAIL);
                signer.tokens(&mut conn, &id, &role).access
            }
            None => self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.access,
        }
    }

    /// Creates an account through the API; returns its id.
    pub async fn create_user(
        &self,
        admin: &str,
        email: &str,
        password: &str,
        role: &str,
    ) -> String {
        let res = self
            .post("/v1/users")
            .bearer(admin)
            .json(&json!({"email": email, "password": password, "role": role}))
            .send()
            .await;
        assert_eq!(res.status, 201, "create user failed: {}", res.text);
        res.json()["id"].as_str().expect("id").to_owned()
    }

    /// Makes a user with `role` (password [`USER_PASSWORD`]) and a session for them: stored
    /// and signed by the harness, or (when the server's settings do not allow that) through
    /// the API.
    pub async fn user_with_role(&self, role: &str) -> (String, Tokens) {
        let email = format!("{role}-{}@newsroom.example", uuid::Uuid::now_v7().simple());
        match &self.signer {
            Some(signer) => {
                let mut conn = signer.connect();
                let id = auth::insert_user(&mut conn, &email, role, USER_PASSWORD);
                let tokens = signer.tokens(&mut conn, &id, role);
                (id, tokens)
            }
            None => {
                let admin = self.admin_token().await;
                let id = self.create_user(&admin, &email, USER_PASSWORD, role).await;
                (id, self.login(&email, USER_PASSWORD).await)
            }
        }
    }
}

/// Tokens from a login or refresh.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl From<&Value> for Tokens {
    fn from(v: &Value) -> Self {
        Self {
            access: v["access_token"].as_str().expect("access_token").to_owned(),
            refresh: v["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        }
    }
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<(String, Vec<u8>)>,
}

impl Req<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }
    pub fn json(self, value: &Value) -> Self {
        self.raw("application/json", serde_json::to_vec(value).expect("json"))
    }
    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.to_owned(), body.into()));
        self
    }
    pub async fn send(self) -> Resp {
        let url = format!("{}{}", self.app.base, self.path);
        let mut req = self.app.client.request(self.method, url);
        for (name, value) in &self.headers {
            req = req.insert_header((name.as_str(), value.as_str()));
        }
        let result = match self.body {
            Some((content_type, body)) => {
                if !content_type.is_empty() {
                    req = req.insert_header(("content-type", content_type));
                }
                req.send_body(body).await
            }
            None => req.send().await,
        };
        let mut res = result.expect("request sent");
        let body = res.body().limit(16 * 1024 * 1024).await.expect("body read");
        Resp {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            text: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Polls `check` (every 10 ms, for at most 20 s) until it gives a value; panics naming `what`
/// if it never does. For what a test waits on: a clock passing, a background task's work.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited 20 s for {what}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// Asserts a problem document with this status and kind; returns it.
#[track_caller]
pub fn assert_problem(res: &Resp, status: u16, kind: &str) -> Value {
    assert_eq!(res.status, status, "unexpected status; body: {}", res.text);
    assert_eq!(
        res.header("content-type"),
        Some("application/problem+json"),
        "not a problem document: {}",
        res.text
    );
    let body = res.json();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(
        body["type"],
        format!("urn:masthead:problem:{kind}"),
        "{body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    body
}

/// The fields named in a validation problem.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
