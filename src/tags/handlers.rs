//! `/v1/tags`: the tags of published articles for the public; descriptions and merges for
//! editors.

use crate::articles::announce::{self, Shown};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::model::{self, After, Order, TagCount, TagRow};
use super::{MAX_DESCRIPTION_CHARS, MAX_TAG_CHARS, Tag, TagMerge, TagPage, TagPatch, normalize};
use crate::app::AppState;
use crate::auth::{AuthUser, OptionalAuth};
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::etag::{IfMatch, list_etag, read_response, tagged_json, tagged_response};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::users::Role;
use crate::validate;

/// `Cache-Control` of public tag reads; a write invalidates the server's cache at once.
const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// `Cache-Control` of anything a token unlocked.
const PRIVATE_CACHE: &str = "private, no-cache";

fn not_found() -> ApiError {
    ApiError::NotFound("no published article has this tag, and it has no description".to_owned())
}

/// How the tag list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TagSort {
    /// By slug, A to Z (the default).
    Name,
    /// Most published articles first, then by slug.
    Count,
}

/// Order and paging for the tag list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListTagsQuery {
    /// `name` (the default) or `count`.
    pub sort: Option<TagSort>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn cursor_kind(order: Order) -> &'static str {
    match order {
        Order::Name => "tags-name",
        Order::Count => "tags-count",
    }
}

fn decode_after(order: Order, cursor: &str) -> ApiResult<After> {
    let position = pagination::decode_cursor(cursor_kind(order), cursor)?;
    match order {
        Order::Name => Ok(After {
            slug: position,
            n: 0,
        }),
        Order::Count => {
            let invalid =
                || ApiError::BadRequest("the cursor is not valid for this list".to_owned());
            let (n, slug) = position.split_once('|').ok_or_else(invalid)?;
            let n = n.parse::<i64>().map_err(|_| invalid())?;
            Ok(After {
                slug: slug.to_owned(),
                n,
            })
        }
    }
}

/// The public view of tags and their counts, with the names and descriptions of their rows.
fn views(conn: &mut DbConn, counts: Vec<TagCount>) -> ApiResult<Vec<Tag>> {
    let slugs: Vec<String> = counts.iter().map(|c| c.slug.clone()).collect();
    let mut rows: std::collections::HashMap<String, TagRow> = model::find_many(conn, &slugs)?
        .into_iter()
        .map(|r| (r.slug.clone(), r))
        .collect();
    Ok(counts
        .into_iter()
        .map(|c| {
            let row = rows.remove(&c.slug);
            view(c.slug, row.as_ref(), c.n)
        })
        .collect())
}

fn view(slug: String, row: Option<&TagRow>, count: i64) -> Tag {
    Tag {
        name: row
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| slug.clone()),
        description: row.and_then(|r| r.description.clone()),
        slug,
        count,
    }
}

/// List the tags of published articles, with how many each has.
///
/// Only tags that a published article carries. Ordered by `sort`; paged with `limit` and
/// `cursor`.
#[utoipa::path(
    tag = "tags",
    params(ListTagsQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of tags", body = TagPage,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/tags")]
pub async fn list_tags(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    query: web::Query<ListTagsQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let order = match query.sort {
        None | Some(TagSort::Name) => Order::Name,
        Some(TagSort::Count) => Order::Count,
    };
    let limit = pagination::limit(query.limit)?;
    let after = query
        .cursor
        .as_deref()
        .map(|c| decode_after(order, c))
        .transpose()?;
    let now = db::now();
    let items = state
        .db
        .read(move |conn| {
            let counts = model::counted(conn, order, after.as_ref(), now, limit + 1)?;
            views(conn, counts)
        })
        .await?;
    let (items, next_cursor) =
        pagination::paginate(items, limit, cursor_kind(order), |t| match order {
            Order::Name => t.slug.clone(),
            Order::Count => format!("{}|{}", t.count, t.slug),
        });
    let body = serde_json::to_vec(&TagPage { items, next_cursor }).map_err(ApiError::internal)?;
    let cache = if auth.0.is_some() {
        PRIVATE_CACHE
    } else {
        PUBLIC_CACHE
    };
    Ok(read_response(&req, list_etag(&body), cache, body))
}

/// The tag `slug` names now (a merged one answers as the tag it went into), its row and its
/// count; `None` when it has no published article and no name or description.
fn read(
    conn: &mut DbConn,
    slug: &str,
    now: chrono::NaiveDateTime,
) -> ApiResult<Option<(Tag, i64)>> {
    let slug = model::current(conn, slug)?;
    let row = model::find(conn, &slug)?;
    let count = model::count_published(conn, &slug, now)?;
    let described = row
        .as_ref()
        .is_some_and(|r| r.name.is_some() || r.description.is_some());
    if count == 0 && !described {
        return Ok(None);
    }
    let version = row.as_ref().map_or(0, |r| r.version);
    Ok(Some((view(slug, row.as_ref(), count), version)))
}

/// Read a tag.
///
/// A tag that was merged answers as the tag it went into (its `slug` says which). 404 when no
/// published article carries it and it has no name or description.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag's slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The tag", body = Tag,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/tags/{slug}")]
pub async fn get_tag(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let slug = slug.into_inner();
    let now = db::now();
    let (tag, version) = state
        .db
        .read(move |conn| read(conn, &slug, now)?.ok_or_else(not_found))
        .await?;
    let (body, etag) = tagged_json(version, &tag)?;
    let cache = if auth.0.is_some() {
        PRIVATE_CACHE
    } else {
        PUBLIC_CACHE
    };
    Ok(read_response(&req, etag, cache, body))
}

/// Name or describe a tag.
///
/// Editors and admins; needs `If-Match` (a tag never described is at version 0: `"v0"`, or the
/// ETag a read gave). The tag must be on an article (in any state) or described already.
#[utoipa::path(
    tag = "tags",
    params(
        ("slug" = String, Path, description = "The tag's slug"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = TagPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed tag", body = Tag, headers(("ETag" = String))),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tag", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tag was merged into another", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/tags/{slug}")]
pub async fn update_tag(
    state: web::Data<AppState>,
    auth: AuthUser,
    slug: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<TagPatch>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let patch = body.0;
    let mut errors = Vec::new();
    let name = patch
        .name
        .map(|n| validate::text("name", n.as_deref(), false, MAX_TAG_CHARS, &mut errors));
    let description = patch.description.map(|d| {
        validate::text(
            "description",
            d.as_deref(),
            false,
            MAX_DESCRIPTION_CHARS,
            &mut errors,
        )
    });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let slug = slug.into_inner();
    let now = db::now();
    let (tag, version) = state
        .write_content(move |conn| {
            db::lock_key(conn, "tags")?;
            let current = model::find(conn, &slug)?;
            if let Some(into) = current.as_ref().and_then(|r| r.merged_into.as_deref()) {
                return Err(ApiError::Conflict(format!(
                    "this tag was merged into `{into}`: change that one"
                )));
            }
            if current.is_none() && !model::used(conn, &slug)? {
                return Err(ApiError::NotFound("no article has this tag".to_owned()));
            }
            let version = current.as_ref().map_or(0, |r| r.version);
            if_match.check(version)?;
            let row = TagRow {
                slug: slug.clone(),
                name: name.unwrap_or_else(|| current.as_ref().and_then(|r| r.name.clone())),
                description: description
                    .unwrap_or_else(|| current.as_ref().and_then(|r| r.description.clone())),
                merged_into: None,
                version: version + 1,
                created_at: current.as_ref().map_or(now, |r| r.created_at),
                updated_at: now,
            };
            model::save(conn, &row, current.is_some())?;
            let count = model::count_published(conn, &slug, now)?;
            Ok((view(slug, Some(&row), count), row.version))
        })
        .await?;
    let mut response = HttpResponse::build(StatusCode::OK);
    response.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    tagged_response(response, version, &tag)
}

/// Merge a tag into another.
///
/// Editors and admins. Every article with the tag gets `into` instead (in the same place among
/// its tags); the old slug keeps working: reads and list filters by it give `into`, and
/// articles written with it get `into`. Answers with the tag merged into.
#[utoipa::path(
    tag = "tags",
    params(("slug" = String, Path, description = "The tag to merge away")),
    request_body = TagMerge,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tag merged into", body = Tag, headers(("ETag" = String))),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No article has the tag", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The tag was merged already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/tags/{slug}/merge")]
pub async fn merge_tag(
    state: web::Data<AppState>,
    auth: AuthUser,
    slug: web::Path<String>,
    body: ApiJson<TagMerge>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let mut errors = Vec::new();
    let into = normalize("into", &body.0.into, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let from = slug.into_inner();
    let now = db::now();
    let (tag, version) = state
        .write_content(move |conn| {
            db::lock_key(conn, "tags")?;
            let current = model::find(conn, &from)?;
            if let Some(merged) = current.as_ref().and_then(|r| r.merged_into.as_deref()) {
                return Err(ApiError::Conflict(format!(
                    "this tag was merged into `{merged}` already"
                )));
            }
            if current.is_none() && !model::used(conn, &from)? {
                return Err(ApiError::NotFound("no article has this tag".to_owned()));
            }
            let into = model::current(conn, &into)?;
            if into == from {
                return Err(ApiError::field("into", "must be another tag"));
            }
            // The articles' tags change: announced for each published one.
            let seen = announce::before_shown(conn, Shown::Tag(&from))?;
            model::move_articles(conn, &from, &into)?;
            announce::after_shown(conn, seen)?;
            let row = TagRow {
                slug: from.clone(),
                name: current.as_ref().and_then(|r| r.name.clone()),
                description: current.as_ref().and_then(|r| r.description.clone()),
                merged_into: Some(into.clone()),
                version: current.as_ref().map_or(0, |r| r.version) + 1,
                created_at: current.as_ref().map_or(now, |r| r.created_at),
                updated_at: now,
            };
            model::save(conn, &row, current.is_some())?;
            let target = model::find(conn, &into)?;
            let count = model::count_published(conn, &into, now)?;
            let version = target.as_ref().map_or(0, |r| r.version);
            Ok((view(into, target.as_ref(), count), version))
        })
        .await?;
    let mut response = HttpResponse::build(StatusCode::OK);
    response.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    tagged_response(response, version, &tag)
}
