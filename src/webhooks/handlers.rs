//! `/v1/webhooks`: webhook endpoints, for admins only.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::TimeDelta;
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{self, EndpointChanges, EndpointRow, NewEvent};
use super::{
    CreatedWebhook, DeliveryAttempt, DeliveryPage, EventType, NewWebhook, PingData, RotatedSecret,
    SentPing, Webhook, WebhookPage, WebhookUpdate, sign, target,
};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::db;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::etag::{IfMatch, etag};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::ids::WebhookId;
use crate::users::Role;

const CURSOR_KIND: &str = "webhooks";
const ATTEMPTS_CURSOR_KIND: &str = "webhook-attempts";
/// The longest description accepted.
const MAX_DESCRIPTION_CHARS: usize = 500;
/// How long a rotated-out secret keeps signing.
const ROTATION_OVERLAP: TimeDelta = TimeDelta::hours(24);

/// Paging for the lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl From<EndpointRow> for Webhook {
    fn from(row: EndpointRow) -> Self {
        Self {
            events: row.event_types(),
            id: row.id,
            url: row.url,
            description: row.description,
            enabled: row.disabled_at.is_none(),
            disabled_at: row.disabled_at.map(|t| t.and_utc()),
            disabled_reason: row.disabled_reason,
            previous_secret_expires_at: row
                .previous_secret_expires_at
                .filter(|t| *t > db::now())
                .map(|t| t.and_utc()),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no webhook has this id".to_owned())
}

fn tagged(status: StatusCode, version: i64, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(version)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(body)
}

/// The event types named in `events`: each known and subscribable, at least one, no repeats.
fn check_events(events: &[String], errors: &mut Vec<FieldError>) -> Vec<EventType> {
    if events.is_empty() {
        errors.push(FieldError::new("events", "name at least one event type"));
    }
    let mut types = Vec::new();
    for (i, name) in events.iter().enumerate() {
        match EventType::from_stored(name).filter(|t| EventType::SUBSCRIBABLE.contains(t)) {
            Some(t) if !types.contains(&t) => types.push(t),
            Some(_) => {}
            None => errors.push(FieldError::new(
                format!("events[{i}]"),
                format!(
                    "unknown event type `{name}`: expected one of {}",
                    EventType::SUBSCRIBABLE.map(EventType::as_str).join(", ")
                ),
            )),
        }
    }
    types
}

fn check_description(value: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::validate::text(
        "description",
        value.as_deref(),
        false,
        MAX_DESCRIPTION_CHARS,
        errors,
    )
}

fn events_text(types: &[EventType]) -> ApiResult<String> {
    serde_json::to_string(types).map_err(ApiError::internal)
}

/// List webhook endpoints.
///
/// Admins only. Secrets are never shown.
#[utoipa::path(
    tag = "webhooks",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of endpoints", body = WebhookPage),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/webhooks")]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<WebhookPage>> {
    auth.require(Role::Admin)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_optional(CURSOR_KIND, query.cursor.as_deref())?;
    let rows = state
        .db
        .read(move |conn| Ok(model::list(conn, after.as_deref(), limit + 1)?))
        .await?;
    let (rows, next_cursor) =
        pagination::paginate(rows, limit, CURSOR_KIND, |r| r.id.as_str().to_owned());
    let items = rows.into_iter().map(Webhook::from).collect();
    Ok(web::Json(WebhookPage { items, next_cursor }))
}

/// Register a webhook endpoint.
///
/// Admins only. The answer carries the signing secret (`whsec_…`), shown this once. Messages are
/// signed to the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`). URLs on private, loopback or link-local addresses are refused unless
/// the operator allows them.
#[utoipa::path(
    tag = "webhooks",
    request_body = NewWebhook,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered; the secret is shown this once", body = CreatedWebhook,
            headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new endpoint"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A URL or event type that is not accepted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewWebhook>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let new = body.0;
    let mut errors = Vec::new();
    target::check(
        "url",
        &new.url,
        state.config.webhooks.allow_private,
        &mut errors,
    );
    let types = check_events(&new.events, &mut errors);
    let description = check_description(new.description, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let secret = sign::new_secret().map_err(ApiError::internal)?;
    let now = db::now();
    let row = EndpointRow {
        id: WebhookId::new_v7(),
        url: new.url.trim().to_owned(),
        description,
        events: events_text(&types)?,
        secret: secret.clone(),
        previous_secret: None,
        previous_secret_expires_at: None,
        disabled_at: None,
        disabled_reason: None,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let inserted = row.clone();
    state
        .db
        .write(move |conn| Ok(model::insert(conn, &inserted)?))
        .await?;
    let location = format!("/v1/webhooks/{}", row.id);
    let version = row.version;
    let created = CreatedWebhook {
        webhook: Webhook::from(row),
        secret,
    };
    let mut response = tagged(StatusCode::CREATED, version, &created);
    if let Ok(value) = header::HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Read a webhook endpoint.
///
/// Admins only. Its `ETag` is what a `PATCH` or `DELETE` sends in `If-Match`; a disabled
/// endpoint says why.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoint", body = Webhook,
            headers(("ETag" = String, description = "Send it as If-Match to change the endpoint"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/webhooks/{id}")]
pub async fn get_webhook(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = WebhookId::from(id.into_inner());
    let row = state
        .db
        .read(move |conn| Ok(model::find(conn, &id)?))
        .await?
        .ok_or_else(not_found)?;
    Ok(tagged(StatusCode::OK, row.version, &Webhook::from(row)))
}

/// Change a webhook endpoint: its URL, events, description, or whether it is enabled.
///
/// Admins only; needs `If-Match`. `"enabled": true` re-enables an endpoint disabled after
/// failed deliveries (its pending deliveries resume).
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = WebhookUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed endpoint", body = Webhook,
            headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A URL or event type that is not accepted", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/webhooks/{id}")]
pub async fn update_webhook(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<WebhookUpdate>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let update = body.0;
    let mut errors = Vec::new();
    if let Some(url) = &update.url {
        target::check("url", url, state.config.webhooks.allow_private, &mut errors);
    }
    let events = match &update.events {
        Some(events) => Some(events_text(&check_events(events, &mut errors))?),
        None => None,
    };
    let description = update
        .description
        .map(|d| check_description(d, &mut errors));
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let id = WebhookId::from(id.into_inner());
    let row = state
        .db
        .write(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            let now = db::now();
            let disabled = match update.enabled {
                Some(true) => Some((None, None)),
                Some(false) if current.disabled_at.is_none() => {
                    Some((Some(now), Some("disabled by an admin".to_owned())))
                }
                _ => None,
            };
            let changes = EndpointChanges {
                url: update.url.map(|u| u.trim().to_owned()),
                description,
                events,
                disabled_at: disabled.as_ref().map(|d| d.0),
                disabled_reason: disabled.map(|d| d.1),
                ..EndpointChanges::default()
            };
            if !model::update(conn, &id, current.version, &changes, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            model::find(conn, &id)?.ok_or_else(not_found)
        })
        .await?;
    // Re-enabled: its waiting deliveries are due.
    state.webhooks.poke();
    Ok(tagged(StatusCode::OK, row.version, &Webhook::from(row)))
}

/// Delete a webhook endpoint, with its pending deliveries and its log.
///
/// Admins only; needs `If-Match`.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "The endpoint's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since you read it", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = WebhookId::from(id.into_inner());
    state
        .db
        .write(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            if !model::delete(conn, &id, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a webhook endpoint's signing secret.
///
/// Admins only. The answer carries the new secret, shown this once. For 24 hours every message
/// is signed with both the new and the previous secret (two `v1,` signatures in
/// `webhook-signature`), so receivers can switch without losing a message.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new secret", body = RotatedSecret,
            headers(("ETag" = String, description = "The endpoint's new version"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks/{id}/rotate-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = WebhookId::from(id.into_inner());
    let secret = sign::new_secret().map_err(ApiError::internal)?;
    let new_secret = secret.clone();
    let (version, expires) = state
        .db
        .write(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            let now = db::now();
            let expires = now + ROTATION_OVERLAP;
            let changes = EndpointChanges {
                secret: Some(new_secret),
                previous_secret: Some(Some(current.secret)),
                previous_secret_expires_at: Some(Some(expires)),
                ..EndpointChanges::default()
            };
            if !model::update(conn, &id, current.version, &changes, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok((current.version + 1, expires))
        })
        .await?;
    let rotated = RotatedSecret {
        secret,
        previous_secret_expires_at: expires.and_utc(),
    };
    Ok(tagged(StatusCode::OK, version, &rotated))
}

/// Send a `ping` event to one webhook endpoint.
///
/// Admins only. The ping is delivered (and retried) like any event, to this endpoint only; its
/// attempts show in the endpoint's deliveries. A disabled endpoint is not sent to (409).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "On its way", body = SentPing),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhooks/{id}/test")]
pub async fn test_webhook(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = WebhookId::from(id.into_inner());
    let event_id = state
        .db
        .write(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if current.disabled_at.is_some() {
                return Err(ApiError::Conflict(
                    "the endpoint is disabled: enable it first".to_owned(),
                ));
            }
            let data = PingData {
                webhook_id: id.clone(),
            };
            let event = NewEvent {
                kind: EventType::Ping,
                subject: None,
                at: db::now(),
                data: serde_json::to_value(data).map_err(ApiError::internal)?,
            };
            model::emit_to(conn, &id, event)
        })
        .await?;
    state.webhooks.poke();
    Ok(HttpResponse::Accepted().json(SentPing { event_id }))
}

/// A webhook endpoint's delivery attempts, newest first.
///
/// Admins only. Each attempt: when, which event, the endpoint's status code, how long it took,
/// and what went wrong. Paged with `limit` and `cursor`.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = String, Path, description = "The endpoint's id"), PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of attempts", body = DeliveryPage),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> ApiResult<web::Json<DeliveryPage>> {
    auth.require(Role::Admin)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let before = pagination::decode_optional(ATTEMPTS_CURSOR_KIND, query.cursor.as_deref())?;
    let id = WebhookId::from(id.into_inner());
    let rows = state
        .db
        .read(move |conn| {
            model::find(conn, &id)?.ok_or_else(not_found)?;
            Ok(model::attempts(conn, &id, before.as_deref(), limit + 1)?)
        })
        .await?;
    let (rows, next_cursor) =
        pagination::paginate(rows, limit, ATTEMPTS_CURSOR_KIND, |r| r.id.clone());
    let items = rows
        .into_iter()
        .map(|row| DeliveryAttempt {
            id: row.id,
            attempted_at: row.attempted_at.and_utc(),
            event_id: row.event_id,
            event_type: row.event_type,
            status_code: row.status_code,
            duration_ms: row.duration_ms,
            error: row.error,
        })
        .collect();
    Ok(web::Json(DeliveryPage { items, next_cursor }))
}
