//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::db;
use crate::error::{ApiResult, Problem};

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` (process up) or `ready` (database answering).
    #[schema(value_type = crate::openapi::closed::HealthStatus, example = "ok")]
    pub status: &'static str,
}

/// Liveness: the process is up.
///
/// Touches nothing else; for restarts by an orchestrator.
#[utoipa::path(
    tag = "health",
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(Health { status: "ok" })
}

/// Readiness: the database answers.
///
/// For load balancers: 503 while the database does not answer.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait before asking again"))),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.db.read_with(db::Plans::Either, db::ping).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(Health { status: "ready" }))
}

/// Metrics in the Prometheus text format.
///
/// Requests by route, method and status with latency histograms, response-cache hits and
/// misses, database pool use and login throttling. Meant for the operator's scraper: restrict
/// it at the proxy if it should not be public.
#[utoipa::path(
    tag = "health",
    security(()),
    responses((status = 200, description = "The metrics", content_type = "text/plain; version=0.0.4", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    crate::metrics::render(&state.db, state.cache.seen_version())
}
