//! Correction endpoints: the reader's report, editor triage, and the public log.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{self, ReportRow, Triage};
use super::{CorrectionEntry, NewReport, Report, ReportReceipt, ReportStatus, locate};
use crate::app::AppState;
use crate::articles::{self, Status};
use crate::auth::{AuthUser, OptionalAuth};
use crate::db;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::client::client_ip;
use crate::http::etag::{IfMatch, etag};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::ids::{ArticleId, ReportId};
use crate::users::{Role, check_email};

/// Identical reports from one client within this window are stored once.
const DUPLICATE_WINDOW_MINUTES: i64 = 10;

fn article_not_found() -> ApiError {
    ApiError::NotFound("no published article has this id or slug".to_owned())
}

fn report_not_found() -> ApiError {
    ApiError::NotFound("no correction report has this id".to_owned())
}

/// Report a mistake in a published article.
///
/// No token needed. Rate-limited per client (`MASTHEAD_CORRECTIONS_PER_MINUTE`, 429 with
/// `Retry-After` beyond it). The server finds the quote in the article's title, standfirst and
/// body and the captions it shows, whatever the whitespace or quote marks. Name and email are never shown publicly.
#[utoipa::path(
    tag = "corrections",
    params(("id" = String, Path, description = "The article's id or its slug")),
    request_body = NewReport,
    responses(
        (status = 202, description = "Received", body = ReportReceipt),
        (status = 404, description = "No such published article", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many reports from this client", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
        (status = 503, description = "The database is not answering, or cannot count the report against the rate limit (which the instances on PostgreSQL share); nothing was stored: try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = String, description = "Seconds to wait"))),
    )
)]
#[post("/v1/articles/{id}/corrections")]
pub async fn report_correction(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: ApiJson<NewReport>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req, &state.config.trusted_proxies);
    let client = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if let Some(ip) = ip {
        state.corrections_limiter.check(ip).await?;
    }
    let new = body.0;
    let mut errors = Vec::new();
    let quote = crate::validate::text("quote", Some(&new.quote), true, 1_000, &mut errors)
        .unwrap_or_default();
    let suggestion = crate::validate::text(
        "suggestion",
        new.suggestion.as_deref(),
        false,
        5_000,
        &mut errors,
    )
    .unwrap_or_default();
    let comment =
        crate::validate::text("comment", new.comment.as_deref(), false, 5_000, &mut errors);
    let name = crate::validate::text("name", new.name.as_deref(), false, 200, &mut errors);
    let email = crate::validate::text("email", new.email.as_deref(), false, 254, &mut errors);
    if let Some(e) = &email {
        check_email("email", e, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Bots fill the field people never see: answer as if all went well, keep nothing.
    let honeypot = new.website.as_deref().is_some_and(|w| !w.trim().is_empty());
    let key = key.into_inner();
    let now = db::now();
    let receipt = state
        .db
        .write(move |conn| {
            let article = articles::model::find_head_by_key(conn, &key)?
                .filter(|a| Status::at(a.status, a.published_at, now) == Status::Published)
                .ok_or_else(article_not_found)?;
            let article_id = article.id.clone();
            let captions = crate::captions::model::texts_shown_in(conn, &article_id)?;
            let mut fields = vec![
                ("title", article.title.as_str()),
                ("standfirst", article.standfirst.as_str()),
                ("body", article.body_text.as_str()),
            ];
            fields.extend(captions.iter().map(|c| ("caption", c.as_str())));
            let location = locate::locate(&quote, &fields);
            if honeypot {
                return Ok(receipt_of(ReportId::new_v7(), location));
            }
            let fingerprint = fingerprint(&[
                article.id.as_str(),
                &quote,
                &suggestion,
                comment.as_deref().unwrap_or(""),
                &client,
            ]);
            let since = now - TimeDelta::minutes(DUPLICATE_WINDOW_MINUTES);
            if let Some(existing) = model::find_recent_duplicate(conn, &fingerprint, since)? {
                return Ok(receipt_of(existing.id, location));
            }
            let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
            let row = ReportRow {
                id: ReportId::new_v7(),
                article_id,
                quote,
                quote_found: location.is_some(),
                quote_field: location.as_ref().map(|l| l.field.clone()),
                quote_start: location.as_ref().map(|l| to_i32(l.start)),
                quote_end: location.as_ref().map(|l| to_i32(l.end)),
                suggestion,
                comment,
                reporter_name: name,
                reporter_email: email,
                fingerprint,
                status: ReportStatus::New,
                duplicate_of: None,
                editor_note: None,
                public_note: None,
                corrected_at: None,
                erased_at: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            model::insert(conn, &row)?;
            Ok(receipt_of(row.id, location))
        })
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(receipt))
}

fn receipt_of(id: ReportId, location: Option<locate::QuoteLocation>) -> ReportReceipt {
    ReportReceipt {
        id,
        status: ReportStatus::New,
        quote_found: location.is_some(),
        quote_location: location,
    }
}

/// A hash of the report and its sender (the address itself is not stored).
fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = blake3::Hasher::new_derive_key("masthead correction report fingerprint v1");
    for part in parts {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}

/// A page of corrections-log entries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CorrectionLog {
    /// Oldest first.
    pub items: Vec<CorrectionEntry>,
}

/// An article's public corrections log.
///
/// The accepted reports that carry a public note: what was corrected and when.
/// The same log comes with the article; this is for showing it on its own. Without a token
/// only published articles have one.
#[utoipa::path(
    tag = "corrections",
    params(("id" = String, Path, description = "The article's id or its slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The log", body = CorrectionLog),
        (status = 404, description = "No such published article", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles/{id}/corrections")]
pub async fn correction_log(
    state: web::Data<AppState>,
    auth: OptionalAuth,
    key: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let key = key.into_inner();
    let now = db::now();
    let items = state
        .db
        .read(move |conn| {
            let article = articles::model::find_head_by_key(conn, &key)?
                .filter(|a| staff || Status::at(a.status, a.published_at, now) == Status::Published)
                .ok_or_else(article_not_found)?;
            super::log::log_of(conn, &article.id)
        })
        .await?;
    let cache = if staff {
        "private, no-cache"
    } else {
        "public, max-age=60, stale-while-revalidate=30"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, cache))
        .json(CorrectionLog { items }))
}

/// Filters and paging for the triage queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only reports in this status.
    pub status: Option<ReportStatus>,
    /// Only reports on this article.
    #[param(value_type = Option<String>)]
    pub article_id: Option<ArticleId>,
    /// Only reports whose quote was (or was not) found.
    pub quote_found: Option<bool>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of reports.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportPage {
    /// Oldest first.
    pub items: Vec<Report>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The triage queue (editors and admins): oldest first.
///
/// Filter by `status`, `article_id` and whether the quote was found in the article; paged with
/// `limit` and `cursor`.
#[utoipa::path(
    tag = "corrections",
    params(QueueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of reports", body = ReportPage),
        (status = 403, description = "Writers do not triage", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/corrections")]
pub async fn list_reports(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<QueueQuery>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_optional("corrections", query.cursor.as_deref())?;
    let rows = state
        .db
        .read(move |conn| {
            Ok(model::list(
                conn,
                query.status,
                query.article_id.as_ref(),
                query.quote_found,
                after.as_deref(),
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next_cursor) =
        pagination::paginate(rows, limit, "corrections", |r| r.id.to_string());
    let items = rows.into_iter().map(Report::from_row).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(ReportPage { items, next_cursor }))
}

fn report_response(row: ReportRow) -> ApiResult<HttpResponse> {
    let tag = etag(row.version);
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(Report::from_row(row)))
}

/// Read a report (editors and admins).
///
/// Everything the reader sent, where the quote was found, and the triage so far. Its `ETag` is
/// what a triage (`PATCH`) sends in `If-Match`.
#[utoipa::path(
    tag = "corrections",
    params(("id" = String, Path, description = "The report's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = Report, headers(("ETag" = String))),
        (status = 403, description = "Writers do not triage", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/corrections/{id}")]
pub async fn get_report(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let id = ReportId::from(id.into_inner());
    let row = state
        .db
        .read(move |conn| model::find(conn, &id)?.ok_or_else(report_not_found))
        .await?;
    report_response(row)
}

/// A triage decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    /// The new status: new → triaged → accepted | rejected | duplicate; a decided report may be
    /// reopened to triaged.
    pub status: Option<ReportStatus>,
    /// For `duplicate`: the id of another report on the same article.
    #[schema(value_type = Option<String>)]
    pub duplicate_of: Option<ReportId>,
    /// Internal note (`null` clears it).
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub editor_note: Option<Option<String>>,
    /// Published in the article's corrections log when the report is accepted (`null` clears:
    /// an accepted report without one is a silent fix).
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub public_note: Option<Option<String>>,
}

/// Triage a report: change its status and notes (editors and admins).
///
/// Accepting with a public note publishes an entry in the article's corrections log, which
/// changes the article's ETag. Needs `If-Match`.
#[utoipa::path(
    tag = "corrections",
    params(
        ("id" = String, Path, description = "The report's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = TriageRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", body = Report, headers(("ETag" = String))),
        (status = 403, description = "Writers do not triage", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/corrections/{id}")]
pub async fn triage_report(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<TriageRequest>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let request = body.0;
    let id = ReportId::from(id.into_inner());
    let row = state
        .write_content(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(report_not_found)?;
            if_match.check(current.version)?;
            let from = current.status;
            let to = request.status.unwrap_or(from);
            let mut errors = Vec::new();
            if !from.may_become(to) {
                errors.push(FieldError::new(
                    "status",
                    format!("a {} report cannot become {}", from.as_str(), to.as_str()),
                ));
            }
            let editor_note = match request.editor_note {
                Some(n) => crate::validate::text("editor_note", n.as_deref(), false, 5_000, &mut errors),
                None => current.editor_note.clone(),
            };
            let public_note = match request.public_note {
                Some(n) => crate::validate::text("public_note", n.as_deref(), false, 2_000, &mut errors),
                None => current.public_note.clone(),
            };
            let duplicate_of = if to == ReportStatus::Duplicate {
                match request.duplicate_of.or_else(|| current.duplicate_of.clone()) {
                    None => {
                        errors.push(FieldError::new("duplicate_of", "name the report this one repeats"));
                        None
                    }
                    Some(other) if other == current.id => {
                        errors.push(FieldError::new("duplicate_of", "a report cannot repeat itself"));
                        None
                    }
                    Some(other) => match model::find(conn, &other)? {
                        Some(o) if o.article_id == current.article_id => Some(other),
                        _ => {
                            errors.push(FieldError::new(
                                "duplicate_of",
                                "must be another report on the same article",
                            ));
                            None
                        }
                    },
                }
            } else {
                if request.duplicate_of.is_some() {
                    errors.push(FieldError::new("duplicate_of", "only a duplicate names another report"));
                }
                None
            };
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let now = db::now();
            let seen = articles::announce::before_id(conn, &current.article_id)?;
            let was_public = from == ReportStatus::Accepted && current.public_note.is_some();
            let is_public = to == ReportStatus::Accepted && public_note.is_some();
            let corrected_at = match (was_public, is_public) {
                (_, false) => None,
                (false, true) => Some(now),
                (true, true) => current.corrected_at.or(Some(now)),
            };
            let change = Triage {
                status: to,
                duplicate_of,
                editor_note,
                public_note: public_note.clone(),
                corrected_at,
            };
            if !model::triage(conn, &id, current.version, &change, now)? {
                return Err(ApiError::PreconditionFailed);
            }
            // What readers see of the article changed: a new ETag, and a line in its history.
            if was_public != is_public || (is_public && public_note != current.public_note) {
                let version = articles::model::touch(conn, &current.article_id, now)?;
                articles::model::insert_revision(
                    conn,
                    &articles::model::NewRevision {
                        id: db::new_id(),
                        article_id: &current.article_id,
                        version,
                        editor_id: Some(&auth.id),
                        action: "correction",
                        changed: r#"["corrections"]"#.to_owned(),
                        snapshot: serde_json::json!({"report": id, "public_note": public_note, "published": is_public})
                            .to_string(),
                        created_at: now,
                    },
                )?;
            }
            articles::announce::after(conn, seen)?;
            model::find(conn, &id)?.ok_or_else(report_not_found)
        })
        .await?;
    report_response(row)
}

/// Erase the reporter's name and email from a report, keeping the report (admins).
///
/// For a reader who asks to be forgotten. The report itself, its quote and its triage stay;
/// `reporter_erased_at` records when. Needs `If-Match`.
#[utoipa::path(
    tag = "corrections",
    params(
        ("id" = String, Path, description = "The report's id"),
        ("If-Match" = String, Header, description = "The report's ETag"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased"),
        (status = 403, description = "Admins only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/corrections/{id}/reporter")]
pub async fn erase_reporter(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = ReportId::from(id.into_inner());
    state
        .db
        .write(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(report_not_found)?;
            if_match.check(current.version)?;
            if !model::erase_reporter(conn, &id, current.version, db::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}
