//! `/v1/articles/{id}/preview` and `/v1/articles/{id}/previews`: making, listing and revoking
//! preview links; and the answer to an article read that carries a preview token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};

use super::{NewPreview, PreviewList, PreviewRequest};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::db::{self, Plans};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::base::public_base;
use crate::http::json::MaybeJson;
use crate::ids::{ArticleId, PreviewId};

/// `Cache-Control` of anything a preview token unlocks, and of the token itself: stored by
/// nobody, not even the browser.
pub const NO_STORE: &str = "private, no-store";
/// `Vary` of an article read: a preview token in the header changes the answer.
pub const ARTICLE_VARY: &str = "Authorization, Masthead-Preview, Accept-Encoding";

/// Make a preview link: a short-lived token that shows the article's current draft to whoever
/// holds it, exactly as the public will read it once published.
///
/// Editors and admins for any article; writers for the drafts they may change. The link works
/// for an hour unless `ttl_seconds` says otherwise (a minute to a week) and until revoked. The
/// token is in this response only. Read the article with it as `?preview=<token>` or in the
/// `Masthead-Preview` header; the article's images accept it the same way while they are under
/// embargo. With `MASTHEAD_PREVIEW_URL` configured, `url` is the site's preview page for it.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id")),
    request_body(content = Option<PreviewRequest>, description = "Optional; empty for an hour"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new link, with its token", body = NewPreview,
            headers(("Cache-Control" = String, description = "`private, no-store`: the token is a secret"))),
        (status = 403, description = "Not yours to preview", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The article has 100 working links already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/articles/{id}/preview")]
pub async fn create_preview(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    body: MaybeJson<PreviewRequest>,
) -> ApiResult<HttpResponse> {
    let ttl = body.0.unwrap_or_default().ttl()?;
    let id = ArticleId::from(id.into_inner());
    let now = db::now();
    let (row, token, slug) = state
        .db
        .write(move |conn| super::create(conn, &auth, &id, ttl, now))
        .await?;
    let url = state
        .config
        .preview_url
        .as_deref()
        .map(|template| super::page_url(template, &token, &row.article_id, &slug));
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(NewPreview {
            id: row.id,
            article_id: row.article_id,
            token,
            expires_at: row.expires_at.and_utc(),
            url,
        }))
}

/// List an article's working preview links (not their tokens).
///
/// Whoever may make a link for the article. Newest first; expired and revoked links are left
/// out.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The working links", body = PreviewList),
        (status = 403, description = "Not yours to preview", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles/{id}/previews")]
pub async fn list_previews(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = ArticleId::from(id.into_inner());
    let now = db::now();
    let items = state
        .db
        .read(move |conn| super::list(conn, &auth, &id, now))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .json(PreviewList { items }))
}

/// Revoke one preview link: its token stops working at once.
///
/// Whoever may make a link for the article. Revoking a link that was revoked or has expired is
/// not an error. A link never changes, so no `If-Match` is needed.
#[utoipa::path(
    tag = "articles",
    params(
        ("id" = String, Path, description = "The article's id"),
        ("preview_id" = String, Path, description = "The link's id"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not yours to preview", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article, or it has no such link", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/articles/{id}/previews/{preview_id}")]
pub async fn revoke_preview(
    state: web::Data<AppState>,
    auth: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, preview) = path.into_inner();
    let (id, preview) = (ArticleId::from(id), PreviewId::from(preview));
    let now = db::now();
    state
        .db
        .write(move |conn| super::revoke(conn, &auth, &id, Some(&preview), now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Revoke every preview link of an article: all their tokens stop working at once.
///
/// Whoever may make a link for the article. No `If-Match` is needed.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not yours to preview", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such article", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/articles/{id}/previews")]
pub async fn revoke_previews(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = ArticleId::from(id.into_inner());
    let now = db::now();
    state
        .db
        .write(move |conn| super::revoke(conn, &auth, &id, None, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The answer to `GET /v1/articles/{key}` with a preview `token`: the article as the public will
/// read it, stored by nobody and tagged with no ETag (so that no cache can match it with the
/// public version).
pub async fn read_article(
    req: &HttpRequest,
    state: &AppState,
    key: String,
    token: String,
) -> ApiResult<HttpResponse> {
    let now = db::now();
    let base = public_base(req, &state.config);
    let article = state
        .db
        .read_with(Plans::Either, move |conn| {
            super::read(conn, &key, &token, now, &base)
        })
        .await?;
    let body = serde_json::to_vec(&article).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .insert_header((header::VARY, ARTICLE_VARY))
        .content_type(header::ContentType::json())
        .body(body))
}
