//! `/metrics` in the Prometheus text format: requests by route, method and status with latency
//! histograms, response-cache hits and misses, database pool use, login throttling, and the
//! shared content version this instance has caught up with.
//!
//! The route label is derived from the path's shape (`/v1/articles/{id}/publish`) against the
//! API's own resources, not by walking the router again, and anything else is `other`, so the
//! number of series stays bounded whatever paths clients send.

use std::sync::LazyLock;

use actix_web::HttpResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::db::Db;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ThrottleLabels {
    key: &'static str,
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram>,
    cache: Family<CacheLabels, Counter>,
    pool: Family<PoolLabels, Gauge>,
    throttled: Family<ThrottleLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // Fourteen buckets from a tenth of a millisecond, each 2.5 times the one before.
    Histogram::new(exponential_buckets(0.0001, 2.5, 14))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("masthead");
    let requests =
        Family::<RequestLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
    let cache = Family::<CacheLabels, Counter>::default();
    let pool = Family::<PoolLabels, Gauge>::default();
    let throttled = Family::<ThrottleLabels, Counter>::default();
    registry.register(
        "http_request_duration_seconds",
        "Time from a request's arrival to its response, by route, method and status",
        requests.clone(),
    );
    registry.register(
        "response_cache_requests",
        "Cacheable public reads answered from the response cache (hit) or rendered (miss)",
        cache.clone(),
    );
    registry.register(
        "db_pool_connections",
        "Database connections by pool: open, idle, and held by a task",
        pool.clone(),
    );
    registry.register(
        "login_throttled",
        "Logins refused by the throttle, by what was throttled",
        throttled.clone(),
    );
    Metrics {
        registry,
        requests,
        cache,
        pool,
        throttled,
    }
});

/// Counts a request that took `seconds`.
pub fn request(path: &str, method: &actix_web::http::Method, status: u16, seconds: f64) {
    let labels = RequestLabels {
        route: route_of(path),
        method: method_label(method),
        status,
    };
    METRICS.requests.get_or_create(&labels).observe(seconds);
}

/// Counts a cacheable read answered from the cache (`hit`) or not (`miss`).
pub fn cache(hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    METRICS.cache.get_or_create(&CacheLabels { result }).inc();
}

/// Counts a login refused by the throttle; `key` says which limit (`account`, `client`, …).
pub fn login_throttled(key: &'static str) {
    METRICS
        .throttled
        .get_or_create(&ThrottleLabels { key })
        .inc();
}

fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route a path matches, by shape: `/v1/{resource}[/{id}[/{action}]]` for the API's own
/// resources and actions, the few fixed paths by name, anything else `other`.
fn route_of(path: &str) -> &'static str {
    const FIXED: &[&str] = &["/healthz", "/readyz", "/metrics", "/openapi.json"];
    if let Some(fixed) = FIXED.iter().find(|f| **f == path) {
        return fixed;
    }
    if path == "/docs" || path.starts_with("/docs/") {
        return "/docs";
    }
    let mut parts = path.strip_prefix("/v1/").unwrap_or("").split('/');
    let (resource, id, action, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
    if rest.is_some() || id == Some("") || action == Some("") {
        return "other";
    }
    match (resource, id.is_some(), action) {
        (Some("articles"), false, None) => "/v1/articles",
        (Some("articles"), true, None) => "/v1/articles/{id}",
        (Some("articles"), true, Some("publish")) => "/v1/articles/{id}/publish",
        (Some("articles"), true, Some("unpublish")) => "/v1/articles/{id}/unpublish",
        (Some("articles"), true, Some("revisions")) => "/v1/articles/{id}/revisions",
        (Some("articles"), true, Some("corrections")) => "/v1/articles/{id}/corrections",
        (Some("images"), false, None) => "/v1/images",
        (Some("images"), true, None) => "/v1/images/{id}",
        (Some("images"), true, Some("file")) => "/v1/images/{id}/file",
        (Some("captions"), false, None) => "/v1/captions",
        (Some("captions"), true, None) => "/v1/captions/{id}",
        (Some("corrections"), false, None) => "/v1/corrections",
        (Some("corrections"), true, None) => "/v1/corrections/{id}",
        (Some("corrections"), true, Some("reporter")) => "/v1/corrections/{id}/reporter",
        (Some("users"), false, None) => "/v1/users",
        (Some("users"), true, None) => "/v1/users/{id}",
        (Some("auth"), true, None) => match id {
            Some("login") => "/v1/auth/login",
            Some("refresh") => "/v1/auth/refresh",
            Some("logout") => "/v1/auth/logout",
            Some("me") => "/v1/auth/me",
            _ => "other",
        },
        _ => "other",
    }
}

/// The metrics in the Prometheus text format, with `db`'s pools as they are now (the body of
/// `GET /metrics`).
pub fn render(db: &Db, content_version_seen: Option<i64>) -> HttpResponse {
    for (pool, open, idle, busy) in db.pool_use() {
        for (label, value) in [("open", i64::from(open)), ("idle", i64::from(idle))]
            .into_iter()
            .chain(std::iter::once((
                "busy",
                i64::try_from(busy).unwrap_or(i64::MAX),
            )))
        {
            METRICS
                .pool
                .get_or_create(&PoolLabels { pool, state: label })
                .set(value);
        }
    }
    // This instance's own values, in a registry of this response (the shared one is global).
    let mut instance = Registry::with_prefix("masthead");
    if let Some(version) = content_version_seen {
        let seen = Gauge::<i64>::default();
        seen.set(version);
        instance.register(
            "content_version_seen",
            "The shared content version this instance's response cache has caught up with",
            seen,
        );
    }
    let mut body = String::new();
    let encoded = prometheus_client::encoding::text::encode_registry(&mut body, &METRICS.registry)
        .and_then(|()| prometheus_client::encoding::text::encode_registry(&mut body, &instance))
        .and_then(|()| prometheus_client::encoding::text::encode_eof(&mut body));
    match encoded {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .insert_header(("cache-control", "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode the metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_shapes_and_unknown_paths_are_other() {
        for (path, route) in [
            ("/v1/articles", "/v1/articles"),
            ("/v1/articles/some-slug", "/v1/articles/{id}"),
            ("/v1/articles/x/publish", "/v1/articles/{id}/publish"),
            ("/v1/images/x/file", "/v1/images/{id}/file"),
            ("/v1/auth/login", "/v1/auth/login"),
            ("/healthz", "/healthz"),
            ("/docs/swagger-ui.css", "/docs"),
            ("/v1/articles/x/y/z", "other"),
            ("/v1/articles/x/evil", "other"),
            ("/v1/anything", "other"),
            ("/v1/articles/", "other"),
            ("/wp-login.php", "other"),
        ] {
            assert_eq!(route_of(path), route, "{path}");
        }
    }
}
