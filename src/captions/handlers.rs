//! `/v1/captions`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{self, CaptionRow};
use super::{Caption, CaptionUpdate, NewCaption, check};
use crate::app::AppState;
use crate::articles::{Status, service::editable};
use crate::auth::{AuthUser, OptionalAuth};
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::etag::{IfMatch, read_response, tagged_json, tagged_response};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::ids::{ArticleId, CaptionId, ImageId};
use crate::images;

fn not_found() -> ApiError {
    ApiError::NotFound("no caption has this id".to_owned())
}

fn view(conn: &mut DbConn, row: CaptionRow) -> ApiResult<Caption> {
    let credit = images::model::find(conn, &row.image_id)?.and_then(|i| i.credit);
    Ok(Caption::from_row(row, credit))
}

fn caption_response(status: StatusCode, caption: Caption) -> ApiResult<HttpResponse> {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/captions/{}", caption.id)));
    }
    tagged_response(response, caption.version, &caption)
}

/// Write a caption for an image where an article uses it.
///
/// A caption belongs to one article: the same image can carry different words in another.
/// Writers caption only their own articles. Its credit, when given, overrides the image's.
#[utoipa::path(
    tag = "captions",
    request_body = NewCaption,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Caption, headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not your article", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/captions")]
pub async fn create_caption(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewCaption>,
) -> ApiResult<HttpResponse> {
    let new = body.0;
    let mut errors = Vec::new();
    let (text, credit) = check(&new.text, new.credit.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let caption = state
        .write_content(move |conn| {
            let mut errors = Vec::new();
            if images::model::find(conn, &new.image_id)?.is_none() {
                errors.push(FieldError::new("image_id", "no image has this id"));
            }
            match crate::articles::model::find_head(conn, &new.article_id)? {
                None => errors.push(FieldError::new("article_id", "no article has this id")),
                Some(_) => editable(conn, &auth, &new.article_id)?,
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let now = db::now();
            let row = CaptionRow {
                id: CaptionId::new_v7(),
                image_id: new.image_id,
                article_id: new.article_id,
                text,
                credit,
                illustrative: new.illustrative,
                created_by: Some(auth.id.clone()),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            model::insert(conn, &row)?;
            view(conn, row)
        })
        .await?;
    caption_response(StatusCode::CREATED, caption)
}

/// Filters and paging for captions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCaptionsQuery {
    /// Only captions of this image.
    #[param(value_type = Option<String>)]
    pub image_id: Option<ImageId>,
    /// Only captions of this article.
    #[param(value_type = Option<String>)]
    pub article_id: Option<ArticleId>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of captions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaptionPage {
    /// Oldest first.
    pub items: Vec<Caption>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// List captions by image or article.
///
/// Without a token, only captions of published articles.
#[utoipa::path(
    tag = "captions",
    params(ListCaptionsQuery),
    security((), ("bearer" = [])),
    responses((status = 200, description = "A page of captions", body = CaptionPage))
)]
#[get("/v1/captions")]
pub async fn list_captions(
    state: web::Data<AppState>,
    auth: OptionalAuth,
    query: web::Query<ListCaptionsQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let staff = auth.0.is_some();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_optional("captions", query.cursor.as_deref())?;
    let now = db::now();
    let (items, next_cursor) = state
        .db
        .read(move |conn| {
            let rows = model::list(
                conn,
                query.image_id.as_ref(),
                query.article_id.as_ref(),
                after.as_deref(),
                (!staff).then_some(now),
                limit + 1,
            )?;
            let (rows, next) = pagination::paginate(rows, limit, "captions", |r| r.id.to_string());
            let items = rows
                .into_iter()
                .map(|row| view(conn, row))
                .collect::<ApiResult<Vec<_>>>()?;
            Ok((items, next))
        })
        .await?;
    let cache = if staff {
        "private, no-cache"
    } else {
        "public, max-age=60, stale-while-revalidate=30"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Authorization, Accept-Encoding"))
        .json(CaptionPage { items, next_cursor }))
}

/// Read a caption.
///
/// Without a token, only captions of published articles exist.
#[utoipa::path(
    tag = "captions",
    params(("id" = String, Path, description = "The caption's id")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The caption", body = Caption, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such caption (or not published)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/captions/{id}")]
pub async fn get_caption(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let id = CaptionId::from(id.into_inner());
    let now = db::now();
    let caption = state
        .db
        .read(move |conn| {
            let row = model::find(conn, &id)?.ok_or_else(not_found)?;
            if !staff {
                let article = crate::articles::model::find_head(conn, &row.article_id)?;
                let public = article.is_some_and(|a| {
                    Status::at(a.status, a.published_at, now) == Status::Published
                });
                if !public {
                    return Err(not_found());
                }
            }
            view(conn, row)
        })
        .await?;
    let (body, tag) = tagged_json(caption.version, &caption)?;
    let cache = if staff {
        "private, no-cache"
    } else {
        "public, max-age=60, stale-while-revalidate=30"
    };
    Ok(read_response(&req, tag, cache, body))
}

/// Change a caption.
///
/// Absent fields stay as they are; a `null` credit falls back to the image's. Needs `If-Match`;
/// writers change only captions of their own articles.
#[utoipa::path(
    tag = "captions",
    params(
        ("id" = String, Path, description = "The caption's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = CaptionUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed caption", body = Caption, headers(("ETag" = String))),
        (status = 403, description = "Not your article", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/captions/{id}")]
pub async fn update_caption(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<CaptionUpdate>,
) -> ApiResult<HttpResponse> {
    let update = body.0;
    let id = CaptionId::from(id.into_inner());
    let caption = state
        .write_content(move |conn| {
            let mut row = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(row.version)?;
            editable(conn, &auth, &row.article_id)?;
            let seen = crate::articles::announce::before_id(conn, &row.article_id)?;
            let mut errors = Vec::new();
            let text = update.text.unwrap_or_else(|| row.text.clone());
            let credit = match update.credit {
                Some(c) => c,
                None => row.credit.clone(),
            };
            let (text, credit) = check(&text, credit.as_deref(), &mut errors);
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let version = row.version;
            row.text = text;
            row.credit = credit;
            row.illustrative = update.illustrative.unwrap_or(row.illustrative);
            if !model::update(conn, &row, version, db::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            crate::articles::announce::after(conn, seen)?;
            let row = model::find(conn, &id)?.ok_or_else(not_found)?;
            view(conn, row)
        })
        .await?;
    caption_response(StatusCode::OK, caption)
}

/// Delete a caption (409 while its article shows it).
///
/// Remove it from the article (its featured image or image block) first. Needs `If-Match`;
/// writers delete only captions of their own articles.
#[utoipa::path(
    tag = "captions",
    params(
        ("id" = String, Path, description = "The caption's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not your article", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The article still shows it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/captions/{id}")]
pub async fn delete_caption(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = CaptionId::from(id.into_inner());
    state
        .write_content(move |conn| {
            let row = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(row.version)?;
            editable(conn, &auth, &row.article_id)?;
            if model::in_use(conn, &id)? {
                return Err(ApiError::Conflict(
                    "the article still shows this caption: remove it from the article first"
                        .to_owned(),
                ));
            }
            if !model::delete(conn, &id, row.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
