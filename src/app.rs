//! Builds the application: database, state, routes and a bound listener.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::{Method, header};
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::config::{Config, ConfigError, CorsOrigins};
use crate::db::{Db, OpenError};
use crate::error::ApiError;
use crate::http::fallback::{RouteTable, no_route};
use crate::http::json::{BodyLimit, BodyTimeout};
use crate::http::middleware::observe;
use crate::{openapi, users};

/// What every handler can reach.
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// The settings.
    pub config: Config,
    /// Where image files live.
    pub media: std::sync::Arc<dyn crate::images::store::MediaStore>,
    /// Readers' correction reports per client.
    pub corrections_limiter: crate::http::ratelimit::RateLimiter,
    /// Failed logins per account and client, and the line for password checks.
    pub login: crate::auth::throttle::LoginGuard,
    /// Rendered public responses.
    pub cache: crate::cache::ResponseCache,
    /// The cards of articles on public pages this instance read lately (for searches).
    pub known_cards: crate::articles::summaries::Known,
    /// PostgreSQL: since when published articles have a search index of their own.
    pub recent_search: crate::articles::search::RecentIndex,
}

impl AppState {
    /// Runs a change to public content in one transaction that also bumps the shared content
    /// version; once it has committed, this instance's cache is invalidated (other instances
    /// notice the version within a poll interval).
    pub async fn write_content<T, F>(&self, change: F) -> crate::error::ApiResult<T>
    where
        F: FnOnce(&mut crate::db::DbConn) -> crate::error::ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (value, version) = self
            .db
            .write(move |conn| {
                let value = change(conn)?;
                let version = crate::db::bump_content_version(conn)?;
                Ok((value, version))
            })
            .await?;
        self.cache.invalidate_after(version);
        Ok(value)
    }
}

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

        let doc = openapi::document();
        let routes = web::Data::new(RouteTable::from_openapi(&doc));
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
        let body_limit = BodyLimit(config.max_body_bytes);
        let body_timeout = BodyTimeout(config.body_timeout);
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
        let cors_origins = config.cors_origins.clone();
        let media =
            std::sync::Arc::new(crate::images::store::FsStore::new(config.media_dir.clone()));
        let corrections_limiter =
            crate::http::ratelimit::RateLimiter::new(config.corrections_per_minute);
        let login = crate::auth::throttle::LoginGuard::new(&config);
        let state = web::Data::new(AppState {
            db,
            jwt,
            config,
            media,
            corrections_limiter,
            login,
            cache: crate::cache::ResponseCache::new(64 * 1024 * 1024),
            known_cards: crate::articles::summaries::Known::new(4 * 1024 * 1024),
            recent_search: crate::articles::search::RecentIndex::default(),
        });
        crate::cache::watch_content_version(
            std::sync::Arc::downgrade(&state.clone().into_inner()),
            std::time::Duration::from_millis(250),
        );
        crate::articles::search::keep_index_merged(
            std::sync::Arc::downgrade(&state.clone().into_inner()),
            std::time::Duration::from_secs(10),
        );
        crate::articles::search::keep_recent_index_fresh(std::sync::Arc::downgrade(
            &state.clone().into_inner(),
        ));
        crate::articles::summaries::keep_fresh(std::sync::Arc::downgrade(
            &state.clone().into_inner(),
        ));

        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(body_limit)
                .app_data(body_timeout)
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::BadRequest(format!("the query string is not valid: {e}")).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|e, _| {
                    ApiError::BadRequest(format!("the path is not valid: {e}")).into()
                }))
                // CORS wraps the cache, so that it is decided for each request: a stored response
                // never carries the headers of the client that filled it.
                .wrap(from_fn(crate::cache::serve_cached))
                .wrap(Condition::new(
                    cors_origins != CorsOrigins::None,
                    cors(&cors_origins),
                ))
                .wrap(from_fn(crate::http::docs::docs_headers))
                .wrap(from_fn(observe))
                .wrap(Compress::default())
                .into_utoipa_app()
                .configure(openapi::routes)
                .into_app()
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/openapi.json", doc.clone())
                        // A token pasted into "Authorize" survives a reload of the page.
                        .config(utoipa_swagger_ui::Config::default().persist_authorization(true)),
                )
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header((header::LOCATION, "/docs/"))
                            .finish()
                    }),
                )
                .default_service(web::to(no_route))
        })
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

/// Runs `tick` on a thread of its own every `interval`, for as long as the server's state lives
/// (its background upkeep: the cache's version watcher, the search index's merges).
pub fn every(
    name: &str,
    state: std::sync::Weak<AppState>,
    interval: std::time::Duration,
    tick: impl FnMut(&AppState) + Send + 'static,
) {
    repeat(name, state, interval, interval, tick);
}

/// As [`every`], with the first tick straight away (on the thread, not holding up the caller).
pub fn now_and_every(
    name: &str,
    state: std::sync::Weak<AppState>,
    interval: std::time::Duration,
    tick: impl FnMut(&AppState) + Send + 'static,
) {
    repeat(name, state, std::time::Duration::ZERO, interval, tick);
}

fn repeat(
    name: &str,
    state: std::sync::Weak<AppState>,
    first: std::time::Duration,
    interval: std::time::Duration,
    mut tick: impl FnMut(&AppState) + Send + 'static,
) {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let mut wait = first;
            loop {
                std::thread::sleep(wait);
                wait = interval;
                let Some(state) = state.upgrade() else {
                    return;
                };
                tick(&state);
            }
        })
        .map(|_| ())
        .unwrap_or_else(|e| tracing::error!(error = %e, thread = name, "cannot start"));
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

fn cors(origins: &CorsOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        // Whatever headers a preflight asks for (browsers and frameworks add their own, such
        // as `x-request-id` or `cache-control`): no cookies are ever read, so none is a risk.
        .allow_any_header()
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600);
    match origins {
        CorsOrigins::Any => cors.allow_any_origin(),
        CorsOrigins::List(list) => list.iter().fold(cors, |c, o| c.allowed_origin(o)),
        CorsOrigins::None => cors,
    }
}
