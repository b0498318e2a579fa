//! `/v1/articles/{id}/jsonld`: an article's structured data.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{CONTENT_TYPE, NewsArticle, Site, model, news_article};
use crate::app::AppState;
use crate::articles::service;
use crate::db::{self, Plans};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::base::public_base;
use crate::http::etag::{not_modified, not_modified_response, representation_etag};

/// `Cache-Control` of structured data: as the article's public read.
const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";

/// Read an article as schema.org `NewsArticle` JSON-LD.
///
/// A document for a front end to put as it is in a script element of type
/// `application/ld+json` on the article's page: headline (at most 110 characters), description, images with their credit
/// and copyright notice, authors as `Person` with their page on the site, dates, publisher,
/// section, keywords and each public correction as a `CorrectionComment`. Links point at the
/// newsroom's site (`MASTHEAD_SITE_URL` and its path patterns). Only published articles have
/// one, with or without a token; it is cached and revalidated like the article's read.
#[utoipa::path(
    tag = "articles",
    params(("id" = String, Path, description = "The article's id or its slug (the current one or an earlier one)")),
    responses(
        (status = 200, description = "The article as `NewsArticle`", body = NewsArticle,
            content_type = "application/ld+json",
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such article (or not published)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles/{id}/jsonld")]
pub async fn article_jsonld(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = key.into_inner();
    let now = db::now();
    let api = public_base(&req, &state.config);
    let found = state
        .db
        .read_with(Plans::Either, move |conn| {
            let Some(article) = service::read(conn, &key, false, now, &api)? else {
                return Ok(None);
            };
            let lookups = model::lookups(conn, &article)?;
            Ok(Some((article, lookups)))
        })
        .await?;
    let (article, lookups) = found
        .ok_or_else(|| ApiError::NotFound("no published article has this id or slug".to_owned()))?;
    let api = public_base(&req, &state.config);
    let name = state.config.site_name(&api);
    let links = state.config.site_links(&api);
    let doc: NewsArticle = news_article(
        &article,
        &Site {
            links: &links,
            name: &name,
            logo: state.config.site_logo.as_deref(),
            section_slug: lookups.section_slug.as_deref(),
            tag_names: &lookups.tag_names,
            authors: &lookups.authors,
        },
    );
    let body = serde_json::to_vec(&doc).map_err(ApiError::internal)?;
    let tag = representation_etag(article.version, &body);
    if not_modified(&req, &tag) {
        return Ok(not_modified_response(tag, PUBLIC_CACHE));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header((header::VARY, "Accept-Encoding"))
        .content_type(CONTENT_TYPE)
        .body(body))
}
