//! `/v1/articles`: writing, publishing and reading articles. Each handler parses and
//! authorizes the request, calls the editorial [`service`] (or a [`listing`] read), and answers.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::listing::{self, ListRequest};
use super::model::{self, Filter, Scope};
use super::service::{self, not_found};
use super::shape::{self, Shape, ShapeQuery};
use super::{Article, ArticlePage, ArticlePatch, Author, Fields, NewArticle, search};
use crate::app::AppState;
use crate::auth::{AuthUser, OptionalAuth};
use crate::db::{self, Plans};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::base::{absolutize, public_base};
use crate::http::etag::{IfMatch, list_etag, read_response, tagged_response};
use crate::http::json::{ApiJson, MaybeJson};
use crate::http::pagination;
use crate::ids::{ArticleId, UserId};
use crate::users::Role;

/// `Cache-Control` of public article reads: fresh for a minute, then revalidated with the ETag.
const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// `Cache-Control` of public lists.
const PUBLIC_LIST_CACHE: &str = "public, max-age=30, stale-while-revalidate=30";
/// `Cache-Control` of anything a token unlocked.
const PRIVATE_CACHE: &str = "private, no-cache";

/// Filters and paging for the article list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only articles with this tag (its slug; a merged tag's old slug gives the new tag's).
    pub tag: Option<String>,
    /// Only articles in this section: its slug (or its name).
    pub section: Option<String>,
    /// Only articles by this author: their profile's slug (or their user id).
    pub author: Option<String>,
    /// Only articles in this language (BCP 47).
    pub lang: Option<String>,
    /// Only articles published at or after this time (RFC 3339).
    pub published_after: Option<DateTime<Utc>>,
    /// Only articles published before this time (RFC 3339).
    pub published_before: Option<DateTime<Utc>>,
    /// Full-text search over title, standfirst and body: articles containing every word. The
    /// newest 100 matches come first, those with every word in the headline, then in the
    /// headline or standfirst, then the rest, newest first among equals; older matches follow,
    /// newest first.
    pub q: Option<String>,
    /// With a token: `draft`, `scheduled`, `published` (the default), `archived` or `any`.
    pub status: Option<ListStatus>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Which articles a staff list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListStatus {
    /// Drafts, newest first.
    Draft,
    /// Scheduled articles, soonest last.
    Scheduled,
    /// Published articles (the default, and all the public sees).
    Published,
    /// Archived articles.
    Archived,
    /// Every article, newest first.
    Any,
}

/// Checks a list's query; `staff` when a token came with it.
fn parse_list(query: ListQuery, staff: bool) -> ApiResult<ListRequest> {
    let scope = match (query.status, staff) {
        (None | Some(ListStatus::Published), _) => Scope::Public,
        (Some(_), false) => {
            return Err(ApiError::Unauthorized(
                "only staff with a token can list articles by status".to_owned(),
            ));
        }
        (Some(ListStatus::Draft), true) => Scope::Draft,
        (Some(ListStatus::Scheduled), true) => Scope::Scheduled,
        (Some(ListStatus::Archived), true) => Scope::Archived,
        (Some(ListStatus::Any), true) => Scope::Any,
    };
    let limit = pagination::limit(query.limit)?;
    let terms = match &query.q {
        Some(q) => {
            let terms = search::terms(q);
            if terms.is_empty() {
                return Err(ApiError::field("q", "must contain at least one word"));
            }
            Some(terms)
        }
        None => None,
    };
    let searching = terms.is_some();
    let after = query
        .cursor
        .as_deref()
        .map(|c| listing::decode_position(scope, searching, c))
        .transpose()?;
    for (field, at) in [
        ("published_after", query.published_after),
        ("published_before", query.published_before),
    ] {
        if at.is_some_and(|at| !crate::http::input::is_storable(at)) {
            return Err(ApiError::field(
                field,
                "must be between the years 1 and 9999",
            ));
        }
    }
    if let Some(lang) = &query.lang
        && !super::is_language_tag(lang)
    {
        return Err(ApiError::field(
            "lang",
            "must be a BCP 47 language tag such as en",
        ));
    }
    let filter = Filter {
        tag: query.tag.map(|t| t.trim().to_lowercase()),
        section: query.section,
        author: query.author.map(UserId::from),
        language: query.lang,
        published_after: query.published_after.map(|t| t.naive_utc()),
        published_before: query.published_before.map(|t| t.naive_utc()),
        terms,
    };
    Ok(ListRequest {
        scope,
        filter,
        after,
        limit,
    })
}

/// List published articles, newest first (with a token and `status`, other articles too).
///
/// Cursor pages never skip or repeat an article while others are being published. With `q`,
/// the newest matches are ranked by where the words are (see `q`).
#[utoipa::path(
    tag = "articles",
    params(ListQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of articles", body = ArticlePage,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/articles")]
pub async fn list_articles(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    query: web::Query<ListQuery>,
    shaping: web::Query<ShapeQuery>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let mut list = parse_list(query.into_inner(), staff)?;
    let shape = Shape::of_list(&shaping)?;
    shape.check_limit(list.limit)?;
    let now = db::now();
    let plans = model::plans(list.scope, &list.filter);
    let recent = state.recent_search.since();
    let cache = if staff {
        PRIVATE_CACHE
    } else {
        PUBLIC_LIST_CACHE
    };
    let body = if list.scope == Scope::Public {
        // Taken before anything is read: the cards known in it are no older than the search.
        let generation = state.cache.generation();
        let known = state.clone();
        let (cards, list) = state
            .db
            .read_with(plans, move |conn| {
                listing::resolve_slugs(conn, &mut list.filter)?;
                let cards = listing::public_cards(
                    conn,
                    &known.known_cards,
                    generation,
                    &list,
                    now,
                    recent,
                )?;
                Ok((cards, list))
            })
            .await?;
        listing::public_body(cards, &list)?
    } else {
        let (rows, relations, list) = state
            .db
            .read_with(plans, move |conn| {
                listing::resolve_slugs(conn, &mut list.filter)?;
                let (rows, relations) = listing::staff_rows(conn, &list, now, recent)?;
                Ok((rows, relations, list))
            })
            .await?;
        listing::staff_body(rows, relations, &list, now)?
    };
    let base = public_base(&req, &state.config);
    let body = with_shape(&state, &shape, body, staff, now, &base).await?;
    let body = absolutize(body, &base);
    let mut response = read_response(&req, list_etag(&body), cache, body);
    shape.mark(&mut response);
    Ok(response)
}

/// A list's page in `shape`: each card narrowed to the fields asked for, and with its body
/// read as the article read shows it when `include=body` asks for bodies.
async fn with_shape(
    state: &AppState,
    shape: &Shape,
    page: Vec<u8>,
    staff: bool,
    now: chrono::NaiveDateTime,
    base: &str,
) -> ApiResult<Vec<u8>> {
    let articles = if shape.bodies() {
        let ids = shape::page_ids(&page)?;
        let base = base.to_owned();
        state
            .db
            .read_with(Plans::Either, move |conn| {
                shape::articles_of(conn, &ids, staff, now, &base)
            })
            .await?
    } else {
        Default::default()
    };
    shape.page_json(page, &articles)
}

/// Read one article by id or slug.
///
/// An earlier slug answers with the article as it is now (its `slug` is the current one).
/// Without a token, only published articles exist.
///
/// With a preview token (`preview` or `Masthead-Preview`, from `POST /v1/articles/{id}/preview`)
/// the answer is the article's current draft exactly as the public will read it once published
/// (its `status` and `published_at` are what they are now), whatever its status, with
/// `Cache-Control: private, no-store` and no `ETag`; it never enters a shared cache.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id or its slug (the current one or an earlier one)"),
        ("preview" = Option<String>, Query, description = "A preview token (`mhp_…`) for this article: shows its current draft. 401 when the token is malformed, unknown, expired, revoked or for another article"),
        ("Masthead-Preview" = Option<String>, Header, description = "A preview token, as in `preview` (a header keeps it out of URLs)"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The article", body = Article,
            headers(("ETag" = String, description = "Not sent on a preview"), ("Cache-Control" = String), ("Vary" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such article (or not published)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles/{id}")]
pub async fn get_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    key: web::Path<String>,
    shaping: web::Query<ShapeQuery>,
) -> ApiResult<HttpResponse> {
    let key = key.into_inner();
    let shape = Shape::of_article(&shaping)?;
    if let Some(token) = crate::http::preview::token(req.headers(), req.query_string())? {
        return super::previews::handlers::read_article(&req, &state, key, token).await;
    }
    let staff = auth.0.is_some();
    let now = db::now();
    let base = public_base(&req, &state.config);
    let found = state
        .db
        .read_with(Plans::Either, move |conn| {
            service::read_response(conn, &key, staff, now, &base)
        })
        .await?;
    let (body, version) = found.ok_or_else(not_found)?;
    let (body, tag) = shape.article_bytes(version, body)?;
    let cache = if staff { PRIVATE_CACHE } else { PUBLIC_CACHE };
    let mut response = read_response(&req, tag, cache, body);
    shape.mark(&mut response);
    response.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static(super::previews::handlers::ARTICLE_VARY),
    );
    Ok(response)
}

fn article_response(status: StatusCode, article: Article) -> ApiResult<HttpResponse> {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/articles/{}", article.id)));
    }
    tagged_response(response, article.version, &article)
}

/// Create a draft.
///
/// Any staff account may write; the writer becomes an author unless `authors` says otherwise.
/// The slug is derived from the title unless given (409 when taken). The answer's `ETag` is
/// what a later `PATCH` sends in `If-Match`.
#[utoipa::path(
    tag = "articles",
    request_body = NewArticle,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new draft", body = Article,
            headers(("ETag" = String), ("Location" = String))),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles")]
pub async fn create_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewArticle>,
) -> ApiResult<HttpResponse> {
    let new = body.0;
    let slug_derived = new.slug.is_none();
    let fields = Fields::from_new(new, &auth.id);
    let id = ArticleId::new_v7();
    let now = db::now();
    let base = public_base(&req, &state.config);
    let article = state
        .write_content(move |conn| {
            service::create(conn, &auth, &id, fields, slug_derived, now, &base)
        })
        .await?;
    article_response(StatusCode::CREATED, article)
}

/// Change an article.
///
/// Needs `If-Match` with the ETag you last read: 428 without it, 412 when someone changed the
/// article since. Writers may change only their own drafts.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = ArticlePatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed article", body = Article, headers(("ETag" = String))),
        (status = 403, description = "Not yours to change", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/articles/{id}")]
pub async fn update_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<ArticlePatch>,
) -> ApiResult<HttpResponse> {
    let id = ArticleId::from(id.into_inner());
    let patch = body.0;
    let now = db::now();
    let base = public_base(&req, &state.config);
    let article = state
        .write_content(move |conn| service::update(conn, &auth, &id, &if_match, patch, now, &base))
        .await?;
    article_response(StatusCode::OK, article)
}

/// Delete an article.
///
/// Needs `If-Match`. Writers may delete only their own drafts.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not yours to delete", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/articles/{id}")]
pub async fn delete_article(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = ArticleId::from(id.into_inner());
    let now = db::now();
    state
        .write_content(move |conn| service::delete(conn, &auth, &id, &if_match, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// When to publish.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// A future time to publish at (RFC 3339); absent: now.
    pub at: Option<DateTime<Utc>>,
}

/// How to take an article down.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishRequest {
    /// `true` archives it (kept for the record); otherwise it goes back to being a draft.
    #[serde(default)]
    pub archive: bool,
}

/// Publish an article now, or schedule it.
///
/// Editors and admins only. With `{"at": …}` in the future the article is scheduled and becomes
/// public by itself at that time. `If-Match` is honoured when sent.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you last read (optional)"),
    ),
    request_body(content = Option<PublishRequest>, description = "Optional; empty to publish now"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Published or scheduled", body = Article, headers(("ETag" = String))),
        (status = 403, description = "Only editors publish", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already published", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles/{id}/publish")]
pub async fn publish_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: Option<IfMatch>,
    body: MaybeJson<PublishRequest>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let at = body.0.unwrap_or_default().at.map(|t| t.naive_utc());
    service::check_publish_at(at, db::now())?;
    let transition = service::publish(at);
    set_status(
        &req,
        &state,
        auth,
        ArticleId::from(id.into_inner()),
        if_match,
        transition,
    )
    .await
}

/// Take an article down: back to draft, or archived.
///
/// Editors and admins only. `If-Match` is honoured when sent.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag you last read (optional)"),
    ),
    request_body(content = Option<UnpublishRequest>, description = "Optional; empty to go back to draft"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Taken down", body = Article, headers(("ETag" = String))),
        (status = 403, description = "Only editors unpublish", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not published or scheduled", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles/{id}/unpublish")]
pub async fn unpublish_article(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: Option<IfMatch>,
    body: MaybeJson<UnpublishRequest>,
) -> ApiResult<HttpResponse> {
    let archive = body.0.unwrap_or_default().archive;
    let transition = service::unpublish(archive);
    set_status(
        &req,
        &state,
        auth,
        ArticleId::from(id.into_inner()),
        if_match,
        transition,
    )
    .await
}

/// Changes an article's status (editors only) as `transition` decides, in one transaction.
async fn set_status(
    req: &HttpRequest,
    state: &AppState,
    auth: AuthUser,
    id: ArticleId,
    if_match: Option<IfMatch>,
    transition: impl FnOnce(&model::ArticleRow, chrono::NaiveDateTime) -> ApiResult<service::Transition>
    + Send
    + 'static,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let now = db::now();
    let base = public_base(req, &state.config);
    let article = state
        .write_content(move |conn| {
            service::set_status(conn, &auth, &id, if_match.as_ref(), transition, now, &base)
        })
        .await?;
    article_response(StatusCode::OK, article)
}

/// One accepted change of an article.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Revision {
    /// The article's version after the change.
    pub version: i64,
    /// `create`, `update`, `publish`, `schedule`, `unpublish` or `archive`.
    #[schema(value_type = crate::openapi::closed::RevisionAction)]
    pub action: String,
    /// The fields it changed.
    pub changed: Vec<String>,
    /// Who made it (`null` if that account is gone).
    pub editor: Option<Author>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of revisions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevisionPage {
    /// Newest first.
    pub items: Vec<Revision>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Paging for revisions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List an article's revisions: who changed what, and when.
///
/// Any staff account. Newest first, paged with `limit` and `cursor`; each revision names the
/// fields it changed and the account that made it.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id"), RevisionQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "Revisions, newest first", body = RevisionPage))
)]
#[get("/v1/articles/{id}/revisions")]
pub async fn list_revisions(
    state: web::Data<AppState>,
    _auth: AuthUser,
    id: web::Path<String>,
    query: web::Query<RevisionQuery>,
) -> ApiResult<HttpResponse> {
    let id = ArticleId::from(id.into_inner());
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| {
            pagination::decode_cursor("revisions", c)?
                .parse::<i64>()
                .map_err(|_| {
                    ApiError::BadRequest("the cursor is not valid for this list".to_owned())
                })
        })
        .transpose()?;
    let rows = state
        .db
        .read(move |conn| service::revisions(conn, &id, before, limit + 1))
        .await?;
    let (rows, next_cursor) =
        pagination::paginate(rows, limit, "revisions", |r| r.version.to_string());
    let items = rows
        .into_iter()
        .map(|row| Revision {
            version: row.version,
            action: row.action,
            changed: row.changed.0,
            editor: row
                .editor_id
                .zip(row.editor_name)
                .map(|(id, display_name)| Author { id, display_name }),
            created_at: row.created_at.and_utc(),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, PRIVATE_CACHE))
        .json(RevisionPage { items, next_cursor }))
}
