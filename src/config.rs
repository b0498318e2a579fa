//! Typed settings from the environment (and an optional `.env`), checked at start.

use std::fmt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::db::DbTarget;

/// The smallest JWT secret accepted, in bytes (HS256 wants at least its output size).
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// The file in the data directory that keeps the generated JWT secret.
pub const JWT_SECRET_FILE: &str = "jwt-secret";

/// Every setting, with defaults applied and values checked.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `MASTHEAD_BIND`.
    pub bind: SocketAddr,
    /// `MASTHEAD_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `MASTHEAD_JWT_SECRET`, or `None` to use (or make) the one in the data directory.
    pub jwt_secret: Option<Secret>,
    /// `MASTHEAD_JWT_ISSUER`.
    pub jwt_issuer: String,
    /// `MASTHEAD_JWT_AUDIENCE`.
    pub jwt_audience: String,
    /// `MASTHEAD_ACCESS_TOKEN_TTL`.
    pub access_token_ttl: Duration,
    /// `MASTHEAD_REFRESH_TOKEN_TTL`.
    pub refresh_token_ttl: Duration,
    /// `MASTHEAD_ADMIN_EMAIL` and `MASTHEAD_ADMIN_PASSWORD`.
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// `MASTHEAD_CORS_ORIGINS`.
    pub cors_origins: CorsOrigins,
    /// `MASTHEAD_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `MASTHEAD_PREVIEW_URL`: the site's preview page, with `{token}` (and optionally `{id}`,
    /// `{slug}`) to fill in.
    pub preview_url: Option<String>,
    /// `MASTHEAD_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// `MASTHEAD_WORKERS`.
    pub workers: usize,
    /// `MASTHEAD_DB_POOL_SIZE` (default: 4 readers on SQLite; on PostgreSQL twice the cores, at
    /// least 4).
    pub db_pool_size: u32,
    /// `MASTHEAD_MEDIA_DIR` (default: `media` in the data directory).
    pub media_dir: PathBuf,
    /// `MASTHEAD_MEDIA_STORE` (default: the directory `media_dir`), with the `AWS_*` settings of
    /// a bucket.
    pub media_store: MediaStoreSetting,
    /// `MASTHEAD_MEDIA_SWEEP_INTERVAL` and `MASTHEAD_MEDIA_ORPHAN_GRACE`: how often the store is
    /// searched for objects no image holds, and how old such an object must be to go.
    pub media_sweep: (Duration, Duration),
    /// `MASTHEAD_MAX_UPLOAD_BYTES`.
    pub max_upload_bytes: usize,
    /// `MASTHEAD_MAX_IMAGE_PIXELS`.
    pub max_image_pixels: u64,
    /// `MASTHEAD_CORRECTIONS_PER_MINUTE`.
    pub corrections_per_minute: u32,
    /// `MASTHEAD_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<crate::http::client::IpNet>,
    /// `MASTHEAD_LOGIN_*`: allowances of failed logins and their backoff.
    pub login_throttle: crate::auth::throttle::Policy,
    /// `MASTHEAD_LOGIN_QUEUE`: password checks that may wait for a core.
    pub login_queue: usize,
    /// The clock the login throttle reads. Not a setting: always the system's, unless a test
    /// that builds the server in its own process hands it one it can move.
    pub clock: crate::clock::Clock,
    /// `MASTHEAD_HEAD_TIMEOUT`: how long a connection may take to send a request's head.
    pub head_timeout: Duration,
    /// `MASTHEAD_BODY_TIMEOUT`: how long a JSON body may take to arrive in full, and the longest
    /// pause between two pieces of an upload.
    pub body_timeout: Duration,
    /// `MASTHEAD_UPLOAD_TIMEOUT`: how long an image upload may take to arrive in full.
    pub upload_timeout: Duration,
    /// `MASTHEAD_KEEP_ALIVE`: how long an idle connection is kept open between requests.
    pub keep_alive: Duration,
    /// `MASTHEAD_DISCONNECT_TIMEOUT`: how long a closing connection may take to shut down.
    pub disconnect_timeout: Duration,
    /// `MASTHEAD_MAX_CONNECTIONS`: open connections across all workers, or `None` for as many
    /// as the file-descriptor limit leaves room for.
    pub max_connections: Option<usize>,
    /// How webhooks are delivered (`MASTHEAD_WEBHOOK…` settings).
    pub webhooks: WebhookSettings,
    /// `MASTHEAD_SITE_URL`: the newsroom's public site that feeds link to (default: the public
    /// URL of the API, else the host a request names).
    pub site_url: Option<String>,
    /// `MASTHEAD_SITE_NAME`: the publication's name in feeds, news sitemaps and structured data
    /// (default: the site's host name).
    pub site_name: Option<String>,
    /// `MASTHEAD_ARTICLE_PATH`, `MASTHEAD_TAG_PATH`, `MASTHEAD_AUTHOR_PATH`,
    /// `MASTHEAD_SECTION_PATH`: where the site's pages are.
    pub site_paths: crate::site::SitePaths,
    /// `MASTHEAD_SITE_LOGO`: the publication's logo (an http or https URL), the publisher's
    /// `logo` in structured data.
    pub site_logo: Option<String>,
    /// `MASTHEAD_SITEMAP_URLS`: the most URLs in one article sitemap (default and most 50,000,
    /// the protocol's limit; a smaller value cuts days into more parts).
    pub sitemap_urls: usize,
}

/// How webhooks are delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `MASTHEAD_WEBHOOKS_ALLOW_PRIVATE`: send to private, loopback and link-local addresses
    /// too (default `false`).
    pub allow_private: bool,
    /// `MASTHEAD_WEBHOOK_RETRY_BASE_MS`: the first retry's longest wait; later ones grow from
    /// it (default 5000).
    pub retry_base: Duration,
    /// `MASTHEAD_WEBHOOK_GIVE_UP_AFTER`: how long after it was due a delivery is given up and
    /// its endpoint disabled (default 3d).
    pub give_up_after: Duration,
    /// `MASTHEAD_WEBHOOK_TIMEOUT`: each attempt's limit, connecting included (default 10s).
    pub timeout: Duration,
    /// `MASTHEAD_WEBHOOK_POLL_MS`: how often the worker looks for due deliveries besides being
    /// woken by this instance's writes (default 2000).
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_base: Duration::from_secs(5),
            give_up_after: Duration::from_secs(3 * 86_400),
            timeout: Duration::from_secs(10),
            poll: Duration::from_secs(2),
        }
    }
}

/// Where image files are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaStoreSetting {
    /// A directory (`file://PATH`, or `MASTHEAD_MEDIA_DIR`).
    Dir(PathBuf),
    /// An S3-compatible bucket (`s3://BUCKET/PREFIX`).
    S3(S3Setting),
}

/// A bucket, a prefix in it, and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Setting {
    /// The bucket.
    pub bucket: String,
    /// The prefix of every key (may be empty).
    pub prefix: String,
    /// The `AWS_*` settings that were set, by lowercased name (`aws_region`), as `object_store`
    /// reads them.
    pub options: Vec<(String, String)>,
}

impl fmt::Debug for S3Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The options hold credentials: only their names are shown.
        let names: Vec<&str> = self.options.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("S3Setting")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("options", &names)
            .finish()
    }
}

/// The `AWS_*` variables passed to the S3 client when set: the endpoint, region and
/// credentials, and the other ways AWS hands out credentials (containers, web identity).
pub const AWS_SETTINGS: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONDITIONAL_PUT",
];

/// Parses `MASTHEAD_MEDIA_STORE` (`file://PATH` or `s3://BUCKET/PREFIX`), reading the `AWS_*`
/// settings of a bucket through `get`.
pub fn parse_media_store(
    value: &str,
    get: impl Fn(&str) -> Option<String>,
) -> Result<MediaStoreSetting, String> {
    let value = value.trim();
    if let Some(path) = value.strip_prefix("file://") {
        if path.is_empty() {
            return Err("`file://` needs a directory, as in file:///srv/masthead/media".to_owned());
        }
        return Ok(MediaStoreSetting::Dir(PathBuf::from(path)));
    }
    let Some(rest) = value.strip_prefix("s3://") else {
        return Err(format!(
            "`{value}` is neither file://PATH nor s3://BUCKET/PREFIX"
        ));
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !bucket_ok {
        return Err(format!(
            "`{bucket}` is not a bucket name (3 to 63 lowercase letters, digits, `-` or `.`)"
        ));
    }
    let prefix = prefix.trim_matches('/');
    if prefix.split('/').any(|part| part == "." || part == "..")
        || prefix.contains("//")
        || prefix.chars().any(char::is_control)
    {
        return Err(format!("`{prefix}` is not a key prefix"));
    }
    let mut options = Vec::new();
    for name in AWS_SETTINGS {
        if let Some(v) = get(name) {
            options.push((name.to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    // Checked as the client will read them, without sending anything.
    let mut builder = object_store::aws::AmazonS3Builder::new().with_bucket_name(bucket);
    for (key, v) in &options {
        let key_name = key.to_ascii_uppercase();
        let parsed = key
            .parse::<object_store::aws::AmazonS3ConfigKey>()
            .map_err(|e| format!("{key_name}: {e}"))?;
        if key == "aws_allow_http" && !matches!(v.as_str(), "true" | "false") {
            return Err(format!("AWS_ALLOW_HTTP: `{v}` is neither true nor false"));
        }
        builder = builder.with_config(parsed, v);
    }
    builder
        .build()
        .map_err(|e| format!("the bucket settings are not valid: {e}"))?;
    Ok(MediaStoreSetting::S3(S3Setting {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        options,
    }))
}

/// A secret that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The admin account made on first start when no user exists.
#[derive(Clone, Debug)]
pub struct BootstrapAdmin {
    /// Its email.
    pub email: String,
    /// Its password.
    pub password: Secret,
}

/// Which browser origins may call the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No cross-origin browser access (the default).
    None,
    /// Any origin (`*`).
    Any,
    /// These origins exactly.
    List(Vec<String>),
}

/// Every problem found in the settings, reported together.
#[derive(Debug)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration is not valid:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Links to the newsroom's site: `MASTHEAD_SITE_URL`, else `api` (the API's public base),
    /// with the site's path patterns.
    pub fn site_links(&self, api: &str) -> crate::site::Links {
        crate::site::Links::new(self.site_url.as_deref().unwrap_or(api), &self.site_paths)
    }

    /// The publication's name: `MASTHEAD_SITE_NAME`, else the host of the site (or of `api`).
    pub fn site_name(&self, api: &str) -> String {
        self.site_name.clone().unwrap_or_else(|| {
            let base = self.site_url.as_deref().unwrap_or(api);
            base.split_once("://")
                .map_or(base, |(_, host)| host)
                .trim_end_matches('/')
                .to_owned()
        })
    }

    /// Reads the process environment (after `.env`, which `main` loads).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup`, so that tests can pass their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut problems = Vec::new();
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());

        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://data/masthead.db".to_owned());
        let target = DbTarget::parse(&database_url);
        if let Err(e) = &target {
            problems.push(format!("DATABASE_URL: {e}"));
        }

        let default_bind = SocketAddr::from(([127, 0, 0, 1], 8080));
        let bind = match get("MASTHEAD_BIND") {
            None => default_bind,
            Some(v) => v.trim().parse::<SocketAddr>().unwrap_or_else(|_| {
                problems.push(format!(
                    "MASTHEAD_BIND: `{v}` is not an address and port such as 127.0.0.1:8080"
                ));
                default_bind
            }),
        };

        let data_dir = PathBuf::from(get("MASTHEAD_DATA_DIR").unwrap_or_else(|| "data".to_owned()));

        let jwt_secret = get("MASTHEAD_JWT_SECRET").map(Secret);
        if let Some(secret) = &jwt_secret
            && secret.0.len() < MIN_JWT_SECRET_BYTES
        {
            problems.push(format!(
                "MASTHEAD_JWT_SECRET: must be at least {MIN_JWT_SECRET_BYTES} bytes, got {}; \
                 leave it unset to have one generated",
                secret.0.len()
            ));
        }

        let jwt_issuer = get("MASTHEAD_JWT_ISSUER").unwrap_or_else(|| "masthead".to_owned());
        let jwt_audience =
            get("MASTHEAD_JWT_AUDIENCE").unwrap_or_else(|| "masthead-api".to_owned());

        let access_token_ttl = parse_or(
            &mut problems,
            get("MASTHEAD_ACCESS_TOKEN_TTL"),
            "MASTHEAD_ACCESS_TOKEN_TTL",
            "15m",
            parse_duration,
        );
        let refresh_token_ttl = parse_or(
            &mut problems,
            get("MASTHEAD_REFRESH_TOKEN_TTL"),
            "MASTHEAD_REFRESH_TOKEN_TTL",
            "30d",
            parse_duration,
        );
        if refresh_token_ttl <= access_token_ttl {
            problems.push(
                "MASTHEAD_REFRESH_TOKEN_TTL: must be longer than MASTHEAD_ACCESS_TOKEN_TTL"
                    .to_owned(),
            );
        }

        let bootstrap_admin = match (get("MASTHEAD_ADMIN_EMAIL"), get("MASTHEAD_ADMIN_PASSWORD")) {
            (Some(email), Some(password)) => Some(BootstrapAdmin {
                email,
                password: Secret(password),
            }),
            (None, None) => None,
            (Some(_), None) => {
                problems.push(
                    "MASTHEAD_ADMIN_PASSWORD: must be set with MASTHEAD_ADMIN_EMAIL".to_owned(),
                );
                None
            }
            (None, Some(_)) => {
                problems.push(
                    "MASTHEAD_ADMIN_EMAIL: must be set with MASTHEAD_ADMIN_PASSWORD".to_owned(),
                );
                None
            }
        };

        let cors_origins = match get("MASTHEAD_CORS_ORIGINS") {
            None => CorsOrigins::None,
            Some(v) if v.trim() == "*" => CorsOrigins::Any,
            Some(v) => {
                let mut origins = Vec::new();
                for origin in v.split(',').map(str::trim).filter(|o| !o.is_empty()) {
                    match check_origin(origin) {
                        Ok(()) => origins.push(origin.to_owned()),
                        Err(e) => problems.push(format!("MASTHEAD_CORS_ORIGINS: {e}")),
                    }
                }
                CorsOrigins::List(origins)
            }
        };

        let public_url = get("MASTHEAD_PUBLIC_URL").map(|v| v.trim_end_matches('/').to_owned());
        if let Some(url) = &public_url
            && let Err(e) = check_http_url(url)
        {
            problems.push(format!("MASTHEAD_PUBLIC_URL: {e}"));
        }

        let preview_url = get("MASTHEAD_PREVIEW_URL")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        if let Some(template) = &preview_url {
            if !template.contains("{token}") {
                problems.push(format!(
                    "MASTHEAD_PREVIEW_URL: `{template}` has no `{{token}}` to fill in"
                ));
            } else if let Err(e) = check_http_url(
                &template
                    .replace("{token}", "t")
                    .replace("{id}", "i")
                    .replace("{slug}", "s"),
            ) {
                problems.push(format!("MASTHEAD_PREVIEW_URL: {e}"));
            }
        }

        let max_body_bytes = parse_or(
            &mut problems,
            get("MASTHEAD_MAX_BODY_BYTES"),
            "MASTHEAD_MAX_BODY_BYTES",
            "1048576",
            |v| match v.parse::<usize>() {
                Ok(n) if (1024..=64 * 1024 * 1024).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a byte count from 1024 to 67108864")),
            },
        );

        let default_workers = std::thread::available_parallelism().map_or(2, usize::from);
        let workers = parse_or(
            &mut problems,
            get("MASTHEAD_WORKERS"),
            "MASTHEAD_WORKERS",
            &default_workers.to_string(),
            |v| match v.parse::<usize>() {
                Ok(n) if (1..=256).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a worker count from 1 to 256")),
            },
        );

        // SQLite's readers share nothing (each has its own page cache), and more of them than
        // twice the cores only divides the same memory into smaller caches. PostgreSQL runs a
        // process per connection, and more statements at once than twice the cores only take
        // turns. Both measured in `bench/README.md`.
        let default_pool = match target {
            Ok(DbTarget::Sqlite(_)) => 4,
            _ => default_workers.saturating_mul(2).clamp(4, 512),
        };
        let db_pool_size = parse_or(
            &mut problems,
            get("MASTHEAD_DB_POOL_SIZE"),
            "MASTHEAD_DB_POOL_SIZE",
            &default_pool.to_string(),
            |v| match v.parse::<u32>() {
                Ok(n) if (1..=512).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a pool size from 1 to 512")),
            },
        );

        let media_dir =
            get("MASTHEAD_MEDIA_DIR").map_or_else(|| data_dir.join("media"), PathBuf::from);
        let media_store = match get("MASTHEAD_MEDIA_STORE") {
            None => MediaStoreSetting::Dir(media_dir.clone()),
            Some(v) => parse_media_store(&v, get).unwrap_or_else(|e| {
                problems.push(format!("MASTHEAD_MEDIA_STORE: {e}"));
                MediaStoreSetting::Dir(media_dir.clone())
            }),
        };
        let media_sweep = (
            parse_or(
                &mut problems,
                get("MASTHEAD_MEDIA_SWEEP_INTERVAL"),
                "MASTHEAD_MEDIA_SWEEP_INTERVAL",
                "1h",
                parse_duration,
            ),
            parse_or(
                &mut problems,
                get("MASTHEAD_MEDIA_ORPHAN_GRACE"),
                "MASTHEAD_MEDIA_ORPHAN_GRACE",
                "1h",
                parse_duration,
            ),
        );
        let max_upload_bytes = parse_or(
            &mut problems,
            get("MASTHEAD_MAX_UPLOAD_BYTES"),
            "MASTHEAD_MAX_UPLOAD_BYTES",
            "20971520",
            |v| match v.parse::<usize>() {
                Ok(n) if (1024..=1024 * 1024 * 1024).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a byte count from 1024 to 1073741824")),
            },
        );
        let max_image_pixels = parse_or(
            &mut problems,
            get("MASTHEAD_MAX_IMAGE_PIXELS"),
            "MASTHEAD_MAX_IMAGE_PIXELS",
            "50000000",
            |v| match v.parse::<u64>() {
                Ok(n) if (1..=500_000_000).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a pixel count from 1 to 500000000")),
            },
        );

        let corrections_per_minute = parse_or(
            &mut problems,
            get("MASTHEAD_CORRECTIONS_PER_MINUTE"),
            "MASTHEAD_CORRECTIONS_PER_MINUTE",
            "5",
            |v| match v.parse::<u32>() {
                Ok(n) if (1..=100_000).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a count from 1 to 100000")),
            },
        );
        let mut trusted_proxies = Vec::new();
        for value in get("MASTHEAD_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            match crate::http::client::IpNet::parse(value) {
                Ok(net) => trusted_proxies.push(net),
                Err(e) => problems.push(format!("MASTHEAD_TRUSTED_PROXIES: {e}")),
            }
        }

        let (login_throttle, login_queue) = login_settings(&mut problems, &get);
        let mut duration = |key: &str, default: &str| {
            parse_or(&mut problems, get(key), key, default, parse_duration)
        };
        let head_timeout = duration("MASTHEAD_HEAD_TIMEOUT", "5s");
        let body_timeout = duration("MASTHEAD_BODY_TIMEOUT", "15s");
        let upload_timeout = duration("MASTHEAD_UPLOAD_TIMEOUT", "120s");
        let keep_alive = duration("MASTHEAD_KEEP_ALIVE", "5s");
        let disconnect_timeout = duration("MASTHEAD_DISCONNECT_TIMEOUT", "1s");
        let max_connections = match get("MASTHEAD_MAX_CONNECTIONS") {
            None => None,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Some(n),
                _ => {
                    problems.push(format!(
                        "MASTHEAD_MAX_CONNECTIONS: `{v}` is not a connection count from 1 to 1000000"
                    ));
                    None
                }
            },
        };
        let webhooks = webhook_settings(&mut problems, &get);
        let (site_url, site_paths) = site_settings(&mut problems, &get);
        let site_logo = get("MASTHEAD_SITE_LOGO")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        if let Some(url) = &site_logo
            && let Err(e) = check_http_url(url)
        {
            problems.push(format!("MASTHEAD_SITE_LOGO: {e}"));
        }
        let sitemap_urls = parse_or(
            &mut problems,
            get("MASTHEAD_SITEMAP_URLS"),
            "MASTHEAD_SITEMAP_URLS",
            "50000",
            |v| match v.parse::<usize>() {
                // The sitemap protocol's limit (`sitemaps::MAX_URLS`).
                Ok(n) if (1..=50_000).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a URL count from 1 to 50000")),
            },
        );

        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Self {
            database_url,
            bind,
            data_dir,
            jwt_secret,
            jwt_issuer,
            jwt_audience,
            access_token_ttl,
            refresh_token_ttl,
            bootstrap_admin,
            cors_origins,
            public_url,
            preview_url,
            max_body_bytes,
            workers,
            db_pool_size,
            media_dir,
            media_store,
            media_sweep,
            max_upload_bytes,
            max_image_pixels,
            corrections_per_minute,
            trusted_proxies,
            login_throttle,
            login_queue,
            clock: crate::clock::Clock::system(),
            head_timeout,
            body_timeout,
            upload_timeout,
            keep_alive,
            disconnect_timeout,
            max_connections,
            webhooks,
            site_url,
            site_name: get("MASTHEAD_SITE_NAME")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            site_paths,
            site_logo,
            sitemap_urls,
        })
    }

    /// The JWT secret: the configured one, else the one kept in the data directory, made on first
    /// start with 256 random bits and written with mode 0600 so tokens survive a restart.
    pub fn resolve_jwt_secret(&self) -> Result<Secret, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        load_or_create_secret(&self.data_dir.join(JWT_SECRET_FILE))
            .map_err(|e| ConfigError(vec![e]))
    }
}

/// The webhook delivery settings.
fn webhook_settings(
    problems: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<String>,
) -> WebhookSettings {
    let allow_private = parse_or(
        problems,
        get("MASTHEAD_WEBHOOKS_ALLOW_PRIVATE"),
        "MASTHEAD_WEBHOOKS_ALLOW_PRIVATE",
        "false",
        |v| match v.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(true),
            "false" | "0" | "no" => Ok(false),
            _ => Err(format!("`{v}` is not true or false")),
        },
    );
    let mut millis = |key: &str, default: &str| {
        parse_or(problems, get(key), key, default, |v| {
            match v.parse::<u64>() {
                Ok(n) if (1..=3_600_000).contains(&n) => Ok(Duration::from_millis(n)),
                _ => Err(format!(
                    "`{v}` is not a number of milliseconds from 1 to 3600000"
                )),
            }
        })
    };
    let retry_base = millis("MASTHEAD_WEBHOOK_RETRY_BASE_MS", "5000");
    let poll = millis("MASTHEAD_WEBHOOK_POLL_MS", "2000");
    let mut duration =
        |key: &str, default: &str| parse_or(problems, get(key), key, default, parse_duration);
    let timeout = duration("MASTHEAD_WEBHOOK_TIMEOUT", "10s");
    let give_up_after = duration("MASTHEAD_WEBHOOK_GIVE_UP_AFTER", "3d");
    WebhookSettings {
        allow_private,
        retry_base,
        give_up_after,
        timeout,
        poll,
    }
}

/// The login throttle's allowances and timings, and the password-check queue's length.
fn login_settings(
    problems: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<String>,
) -> (crate::auth::throttle::Policy, usize) {
    let mut count = |key: &str, default: &str| {
        parse_or(problems, get(key), key, default, |v| {
            match v.parse::<u32>() {
                Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
                _ => Err(format!("`{v}` is not a count from 1 to 1000000")),
            }
        })
    };
    let per_account_client = count("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT_CLIENT", "5");
    let per_client = count("MASTHEAD_LOGIN_FAILURES_PER_CLIENT", "30");
    let per_account = count("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT", "100");
    let queue = count("MASTHEAD_LOGIN_QUEUE", "8");
    let mut duration =
        |key: &str, default: &str| parse_or(problems, get(key), key, default, parse_duration);
    let backoff = duration("MASTHEAD_LOGIN_BACKOFF", "1s");
    let backoff_max = duration("MASTHEAD_LOGIN_BACKOFF_MAX", "15m");
    let window = duration("MASTHEAD_LOGIN_FAILURE_WINDOW", "15m");
    if backoff_max < backoff {
        problems.push(
            "MASTHEAD_LOGIN_BACKOFF_MAX: must not be shorter than MASTHEAD_LOGIN_BACKOFF"
                .to_owned(),
        );
    }
    let policy = crate::auth::throttle::Policy {
        per_account_client,
        per_client,
        per_account,
        backoff,
        backoff_max,
        window,
    };
    (policy, usize::try_from(queue).unwrap_or(8))
}

/// Parses `value` (or `default` when unset) with `parse`, recording a problem on failure.
fn parse_or<T: Default>(
    problems: &mut Vec<String>,
    value: Option<String>,
    key: &str,
    default: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> T {
    let value = value.unwrap_or_else(|| default.to_owned());
    match parse(value.trim()) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("{key}: {e}"));
            T::default()
        }
    }
}

/// Parses a duration such as `900`, `90s`, `15m`, `12h` or `30d` (a bare number is seconds).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let invalid = || format!("`{value}` is not a duration such as 90s, 15m, 12h or 30d");
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "m" => number.checked_mul(60).ok_or_else(invalid)?,
        "h" => number.checked_mul(3_600).ok_or_else(invalid)?,
        "d" => number.checked_mul(86_400).ok_or_else(invalid)?,
        _ => return Err(invalid()),
    };
    if seconds == 0 || seconds > 366 * 86_400 {
        return Err(format!("`{value}` must be between 1 second and 366 days"));
    }
    Ok(Duration::from_secs(seconds))
}

/// `MASTHEAD_SITE_URL` and the site's path patterns (see [`crate::site`]).
fn site_settings(
    problems: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<String>,
) -> (Option<String>, crate::site::SitePaths) {
    use crate::site::{ARTICLE_PLACEHOLDERS, SLUG_PLACEHOLDERS, check_pattern};
    let site_url = get("MASTHEAD_SITE_URL").map(|v| v.trim().trim_end_matches('/').to_owned());
    if let Some(url) = &site_url
        && let Err(e) = check_http_url(url)
    {
        problems.push(format!("MASTHEAD_SITE_URL: {e}"));
    }
    let defaults = crate::site::SitePaths::default();
    let mut pattern = |key: &str, default: String, allowed: &[&str], required: &[&str]| {
        let value = get(key).map_or(default, |v| v.trim().to_owned());
        if let Err(e) = check_pattern(&value, allowed, required) {
            problems.push(format!("{key}: {e}"));
        }
        value
    };
    let paths = crate::site::SitePaths {
        article: pattern(
            "MASTHEAD_ARTICLE_PATH",
            defaults.article,
            ARTICLE_PLACEHOLDERS,
            &["slug", "id"],
        ),
        tag: pattern(
            "MASTHEAD_TAG_PATH",
            defaults.tag,
            SLUG_PLACEHOLDERS,
            &["slug"],
        ),
        author: pattern(
            "MASTHEAD_AUTHOR_PATH",
            defaults.author,
            SLUG_PLACEHOLDERS,
            &["slug"],
        ),
        section: pattern(
            "MASTHEAD_SECTION_PATH",
            defaults.section,
            SLUG_PLACEHOLDERS,
            &["slug"],
        ),
    };
    (site_url, paths)
}

fn check_http_url(url: &str) -> Result<(), String> {
    use crate::validate::UrlError;
    crate::validate::check_url(url, false).map_err(|e| match e {
        UrlError::Scheme => format!("`{url}` must start with http:// or https://"),
        UrlError::NoHost => format!("`{url}` has no host"),
        other => format!("`{url}` {}", other.message(false)),
    })
}

fn check_origin(origin: &str) -> Result<(), String> {
    check_http_url(origin)?;
    let rest = origin.split_once("://").map_or("", |(_, r)| r);
    if rest.contains('/') {
        return Err(format!(
            "`{origin}` is not an origin: give scheme, host and port only (https://news.example)"
        ));
    }
    Ok(())
}

fn load_or_create_secret(path: &Path) -> Result<Secret, String> {
    match std::fs::read_to_string(path) {
        Ok(contents) => {
            let secret = contents.trim().to_owned();
            if secret.len() < MIN_JWT_SECRET_BYTES {
                return Err(format!(
                    "{}: the stored JWT secret is shorter than {MIN_JWT_SECRET_BYTES} bytes; delete the file to have a new one made",
                    path.display()
                ));
            }
            Ok(Secret(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_secret(path),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

fn create_secret(path: &Path) -> Result<Secret, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("no system randomness for the JWT secret: {e}"))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new JWT secret");
            Ok(Secret(secret))
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_secret(path),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn the_media_store_is_a_directory_or_a_bucket_checked_at_start() {
        let c = config(&[]).expect("valid");
        assert_eq!(
            c.media_store,
            MediaStoreSetting::Dir(PathBuf::from("data/media"))
        );
        let c = config(&[("MASTHEAD_MEDIA_STORE", "file:///srv/media")]).expect("valid");
        assert_eq!(c.media_store, MediaStoreSetting::Dir("/srv/media".into()));
        let c = config(&[
            ("MASTHEAD_MEDIA_STORE", "s3://news-media/masthead/"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_ACCESS_KEY_ID", "newsroom"),
            ("AWS_SECRET_ACCESS_KEY", "hidden"),
        ])
        .expect("valid");
        let MediaStoreSetting::S3(s3) = &c.media_store else {
            panic!("a bucket");
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("news-media", "masthead")
        );
        assert!(!format!("{s3:?}").contains("hidden"), "no secret in Debug");
        for (value, aws, says) in [
            (
                "ftp://media",
                None,
                "neither file://PATH nor s3://BUCKET/PREFIX",
            ),
            ("s3://Not_A_Bucket/x", None, "is not a bucket name"),
            ("s3://news-media/../up", None, "is not a key prefix"),
            ("file://", None, "needs a directory"),
            (
                "s3://news-media",
                Some(("AWS_ALLOW_HTTP", "maybe")),
                "AWS_ALLOW_HTTP",
            ),
        ] {
            let mut pairs = vec![("MASTHEAD_MEDIA_STORE", value)];
            pairs.extend(aws);
            let message = config(&pairs).err().expect("refused").to_string();
            assert!(
                message.contains("MASTHEAD_MEDIA_STORE") && message.contains(says),
                "{message}"
            );
        }
    }

    #[test]
    fn zero_configuration_gives_the_documented_defaults() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.database_url, "sqlite://data/masthead.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert_eq!(c.access_token_ttl, Duration::from_secs(900));
        assert_eq!(c.refresh_token_ttl, Duration::from_secs(30 * 86_400));
        assert_eq!(c.cors_origins, CorsOrigins::None);
        assert!(c.jwt_secret.is_none());
        assert_eq!(c.db_pool_size, 4);
        let pg = config(&[("DATABASE_URL", "postgres://u:p@db/news")]).expect("valid");
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        assert_eq!(pg.db_pool_size as usize, (2 * cores).max(4));
        let set = config(&[("MASTHEAD_DB_POOL_SIZE", "12")]).expect("valid");
        assert_eq!(set.db_pool_size, 12);
        assert_eq!(c.login_throttle, crate::auth::throttle::Policy::default());
        assert_eq!(c.login_queue, 8);
        assert_eq!(c.head_timeout, Duration::from_secs(5));
        assert_eq!(c.body_timeout, Duration::from_secs(15));
        assert_eq!(c.upload_timeout, Duration::from_secs(120));
        assert_eq!(c.keep_alive, Duration::from_secs(5));
        assert_eq!(c.disconnect_timeout, Duration::from_secs(1));
        assert_eq!(c.max_connections, None);
        let bad = config(&[
            ("MASTHEAD_MAX_CONNECTIONS", "0"),
            ("MASTHEAD_BODY_TIMEOUT", "0s"),
        ]);
        assert_eq!(bad.err().map(|e| e.0.len()), Some(2));
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let err = config(&[
            ("MASTHEAD_BIND", "localhost"),
            ("MASTHEAD_JWT_SECRET", "short"),
            ("MASTHEAD_ACCESS_TOKEN_TTL", "soon"),
            ("MASTHEAD_ADMIN_EMAIL", "a@b.example"),
            ("DATABASE_URL", "mysql://x"),
            (
                "MASTHEAD_CORS_ORIGINS",
                "https://ok.example,https://bad.example/path",
            ),
        ])
        .err()
        .expect("invalid");
        let text = err.to_string();
        for key in [
            "MASTHEAD_BIND",
            "MASTHEAD_JWT_SECRET",
            "MASTHEAD_ACCESS_TOKEN_TTL",
            "MASTHEAD_ADMIN_PASSWORD",
            "DATABASE_URL",
            "MASTHEAD_CORS_ORIGINS",
        ] {
            assert!(text.contains(key), "{key} missing from: {text}");
        }
        assert_eq!(err.0.len(), 6, "{text}");
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(2_592_000)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("-5").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn a_generated_secret_is_kept_with_mode_0600_and_reused() {
        let dir = std::env::temp_dir().join(format!("masthead-secret-{}", uuid::Uuid::now_v7()));
        let path = dir.join(JWT_SECRET_FILE);
        let first = load_or_create_secret(&path).expect("created");
        let second = load_or_create_secret(&path).expect("read back");
        assert_eq!(first, second);
        assert_eq!(first.expose().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "too short").expect("overwrite");
        assert!(load_or_create_secret(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_preview_url_must_be_a_web_address_with_a_token_to_fill_in() {
        let unset = config(&[]).expect("valid");
        assert_eq!(unset.preview_url, None);
        let set = config(&[(
            "MASTHEAD_PREVIEW_URL",
            "https://www.newsroom.example/preview/{slug}?token={token}",
        )])
        .expect("valid");
        assert_eq!(
            set.preview_url.as_deref(),
            Some("https://www.newsroom.example/preview/{slug}?token={token}")
        );
        for bad in [
            "https://www.newsroom.example/preview",
            "ftp://www.newsroom.example/?token={token}",
            "{token}",
        ] {
            let err = config(&[("MASTHEAD_PREVIEW_URL", bad)]).err();
            assert!(
                err.is_some_and(|e| e.0.iter().any(|p| p.starts_with("MASTHEAD_PREVIEW_URL"))),
                "{bad}"
            );
        }
    }

    #[test]
    fn site_links_have_defaults_and_unknown_placeholders_stop_the_start() {
        let unset = config(&[]).expect("valid");
        assert_eq!(unset.site_url, None);
        assert_eq!(unset.site_paths, crate::site::SitePaths::default());
        let set = config(&[
            ("MASTHEAD_SITE_URL", "https://www.newsroom.example/"),
            ("MASTHEAD_ARTICLE_PATH", "/{yyyy}/{mm}/{dd}/{slug}"),
            ("MASTHEAD_TAG_PATH", "/topics/{slug}"),
        ])
        .expect("valid");
        assert_eq!(
            set.site_url.as_deref(),
            Some("https://www.newsroom.example")
        );
        assert_eq!(set.site_paths.article, "/{yyyy}/{mm}/{dd}/{slug}");
        assert_eq!(set.site_paths.tag, "/topics/{slug}");
        for (key, bad) in [
            ("MASTHEAD_SITE_URL", "www.newsroom.example"),
            ("MASTHEAD_ARTICLE_PATH", "/{category}/{slug}"),
            ("MASTHEAD_ARTICLE_PATH", "/{section}"),
            ("MASTHEAD_TAG_PATH", "/tag/{id}"),
            ("MASTHEAD_AUTHOR_PATH", "author/{slug}"),
            ("MASTHEAD_SECTION_PATH", "/{slug"),
        ] {
            let err = config(&[(key, bad)]).err();
            assert!(
                err.is_some_and(|e| e.0.iter().any(|p| p.starts_with(key))),
                "{key}={bad}"
            );
        }
        let unknown = config(&[("MASTHEAD_ARTICLE_PATH", "/{category}/{slug}")])
            .err()
            .map(|e| e.0.join("; "))
            .unwrap_or_default();
        assert!(
            unknown.contains("unknown placeholder `{category}`"),
            "{unknown}"
        );
    }

    #[test]
    fn the_site_logo_is_an_http_url() {
        assert_eq!(config(&[]).expect("valid").site_logo, None);
        let set = config(&[(
            "MASTHEAD_SITE_LOGO",
            " https://www.newsroom.example/logo.png ",
        )])
        .expect("valid");
        assert_eq!(
            set.site_logo.as_deref(),
            Some("https://www.newsroom.example/logo.png")
        );
        for bad in ["logo.png", "ftp://files.example/logo.png"] {
            let err = config(&[("MASTHEAD_SITE_LOGO", bad)]).err();
            assert!(
                err.is_some_and(|e| e.0.iter().any(|p| p.starts_with("MASTHEAD_SITE_LOGO"))),
                "{bad}"
            );
        }
    }
}
