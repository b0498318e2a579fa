//! Builds the application: database, state, background jobs and a bound listener serving the
//! routes of [`crate::router`].

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{HttpServer, web};

use crate::app::AppState;
use crate::auth::jwt::JwtKeys;
use crate::config::{Config, ConfigError};
use crate::db::{Db, OpenError};
use crate::error::ApiError;
use crate::router::Router;
use crate::users;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Database(#[from] OpenError),
    /// The first admin could not be made.
    #[error("cannot create the admin from MASTHEAD_ADMIN_EMAIL: {0}")]
    Bootstrap(String),
    /// The media store could not be opened.
    #[error("cannot open the media store (MASTHEAD_MEDIA_STORE): {0}")]
    Media(String),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A built, listening, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens the database (migrating it), makes the first admin if configured, binds the
    /// address (port 0 picks a free one) and builds the server.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let secret = config.resolve_jwt_secret()?;
        let warm_up = actix_web::rt::task::spawn_blocking(crate::auth::password::warm_up);
        let db = Db::open(&config.database_url, config.db_pool_size)?;
        tracing::info!(backend = db.backend(), "database ready");

        if let Some(admin) = &config.bootstrap_admin {
            let created = users::bootstrap_admin(&db, &admin.email, admin.password.expose())
                .await
                .map_err(|e| StartError::Bootstrap(describe(&e)))?;
            if created {
                tracing::info!(email = %admin.email, "created the first admin");
            }
        }

        let _ = warm_up.await;

        let listener = TcpListener::bind(config.bind).map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: config.bind,
                source,
            })?
            .port();

        let jwt = JwtKeys::new(
            &secret,
            &config.jwt_issuer,
            &config.jwt_audience,
            config.access_token_ttl,
        );
        let workers = config.workers;
        // Blocking threads per worker: enough for every pooled connection (the database gate
        // admits no more) plus the heavy-work gate; the default (hundreds) let idle threads
        // pile up under load, each with its own allocator arena.
        let blocking_threads =
            usize::try_from(config.db_pool_size).unwrap_or(8) + crate::work::slots() + 2;
        // Stalled clients: the head, the body (in the extractors), idle keep-alive and a closing
        // connection each have a deadline, and connections stop being accepted a little before
        // the process runs out of descriptors, so that none of them can starve the others.
        let open_files = crate::http::connections::raise_open_files_limit();
        let max_connections =
            crate::http::connections::per_worker(config.max_connections, open_files, workers);
        tracing::info!(
            open_files,
            connections_per_worker = max_connections,
            workers,
            "connection limits"
        );
        let (head_timeout, keep_alive, disconnect_timeout) = (
            config.head_timeout,
            config.keep_alive,
            config.disconnect_timeout,
        );
        let media = crate::images::store::open(&config.media_store)
            .map_err(|e| StartError::Media(e.to_string()))?;
        tracing::info!(store = %media.describe(), "media store");
        let db = Arc::new(db);
        // On PostgreSQL, several instances may serve one database: they share the limits there.
        let shared_limits = (db.backend() == "postgres").then(|| {
            Arc::new(crate::db::limits::SharedLimits::new(
                db.clone(),
                config.clock.clone(),
                secret.expose(),
            ))
        });
        if let Some(limits) = &shared_limits {
            crate::db::limits::keep_pruned(
                Arc::downgrade(limits),
                crate::db::limits::PRUNE_INTERVAL,
            );
        }
        let corrections_limiter = crate::http::ratelimit::RateLimit::new(
            config.corrections_per_minute,
            shared_limits.clone(),
            "corrections",
        );
        let login = crate::auth::throttle::LoginGuard::new(
            config.login_throttle,
            config.login_queue,
            config.clock.clone(),
            shared_limits,
        );
        let state = web::Data::new(AppState {
            db,
            jwt,
            config,
            media,
            corrections_limiter,
            login,
            cache: Arc::new(crate::cache::ResponseCache::new(
                64 * 1024 * 1024,
                crate::articles::model::next_publication,
            )),
            known_cards: crate::articles::summaries::Known::new(4 * 1024 * 1024),
            recent_search: Arc::default(),
            webhooks: Arc::default(),
            sitemap_index: crate::sitemaps::IndexMemo::default(),
        });
        start_background_jobs(&state);

        let router = Router::new(state);
        let server = HttpServer::new(move || router.clone().app())
            .workers(workers)
            .worker_max_blocking_threads(blocking_threads)
            .client_request_timeout(head_timeout)
            .keep_alive(keep_alive)
            .client_disconnect_timeout(disconnect_timeout)
            .max_connections(max_connections)
            .listen(listener)
            .map_err(|source| StartError::Bind {
                addr: std::net::SocketAddr::from(([0, 0, 0, 0], port)),
                source,
            })?
            .run();

        Ok(Self { port, server })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the process is told to stop.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The upkeep threads, each holding weakly what it uses: they end with the server's state.
fn start_background_jobs(state: &AppState) {
    let db = Arc::downgrade(&state.db);
    crate::cache::watch_content_version(
        db.clone(),
        Arc::downgrade(&state.cache),
        std::time::Duration::from_millis(250),
    );
    crate::articles::search::keep_index_merged(db.clone(), std::time::Duration::from_secs(10));
    crate::articles::search::keep_recent_index_fresh(
        db.clone(),
        Arc::downgrade(&state.recent_search),
    );
    crate::articles::previews::purge_expired(db.clone(), crate::articles::previews::PURGE_INTERVAL);
    crate::articles::summaries::keep_fresh(db.clone());
    crate::articles::documents::keep_fresh(db.clone());
    crate::sitemaps::model::keep_folded(
        db.clone(),
        crate::sitemaps::stored::Setup::new(state.config.sitemap_urls, &state.config.site_paths),
    );
    crate::webhooks::deliver::start(
        db.clone(),
        Arc::downgrade(&state.webhooks),
        state.config.webhooks,
    );
    let (interval, grace) = state.config.media_sweep;
    crate::images::sweep::start(db, Arc::downgrade(&state.media), interval, grace);
}

fn describe(error: &ApiError) -> String {
    match error {
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{} {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
