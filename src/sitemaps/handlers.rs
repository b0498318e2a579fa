//! `/v1/sitemaps/index.xml` (the sitemap index), `/v1/sitemaps/articles/{day}.xml` (a day's
//! articles), `/v1/sitemaps/pages.xml` (the home, section and author pages) and
//! `/v1/sitemaps/news.xml` (Google News: the last two days).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDateTime;

use super::render::{self, NewsUrl, UrlEntry};
use super::stored::{self, Setup};
use super::{Chunk, MAX_URLS, NEWS_MAX, NEWS_WINDOW, model, news_language};
use crate::app::AppState;
use crate::db;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::base::public_base;
use crate::http::etag::{list_etag, not_modified, not_modified_response};
use crate::site::{ArticlePlace, Links};

/// `Cache-Control` of a sitemap; a write invalidates the server's cache at once.
const SITEMAP_CACHE: &str = "public, max-age=300, stale-while-revalidate=60";
/// `Cache-Control` of the news sitemap, which crawlers poll for new stories.
const NEWS_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
const XML: &str = "application/xml; charset=utf-8";

/// The answer for a rendered sitemap: 200 with its ETag, or 304 when the client has it.
fn answer(req: &HttpRequest, body: String, cache: &'static str) -> HttpResponse {
    let etag = list_etag(body.as_bytes());
    answer_tagged(req, body.into(), etag, cache)
}

/// As [`answer`], for a body whose ETag is already known.
fn answer_tagged(
    req: &HttpRequest,
    body: bytes::Bytes,
    etag: String,
    cache: &'static str,
) -> HttpResponse {
    if not_modified(req, &etag) {
        return not_modified_response(etag, cache);
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"))
        .content_type(XML)
        .body(body)
}

/// The API's public base and links to the site's pages, as feeds make them.
fn links(req: &HttpRequest, state: &AppState) -> (String, Links) {
    let api = public_base(req, &state.config);
    let links = state.config.site_links(&api);
    (api, links)
}

/// The section slugs by name (an article stores its section's name).
fn section_slugs(conn: &mut db::DbConn) -> ApiResult<std::collections::HashMap<String, String>> {
    Ok(crate::sections::model::list(conn, true)?
        .into_iter()
        .map(|s| (s.name, s.slug))
        .collect())
}

fn article_link(
    links: &Links,
    slugs: &std::collections::HashMap<String, String>,
    id: &str,
    slug: &str,
    section: Option<&String>,
    published_at: Option<NaiveDateTime>,
) -> String {
    links.article(&ArticlePlace {
        id,
        slug,
        section: section.and_then(|name| slugs.get(name)).map(String::as_str),
        published_at: published_at.map(|t| t.and_utc()),
    })
}

/// The sitemap index.
///
/// Lists the sitemap of the site's pages and one sitemap per publication day with public
/// articles (newest first; a day with more than 50,000 is cut into parts `{day}-2`, `{day}-3`,
/// …), each with its `lastmod`: the last time an article in it was published, edited, corrected,
/// taken down or deleted. Its `<loc>`s point at this API; the URLs in the sitemaps point at the
/// site (`MASTHEAD_SITE_URL` and `MASTHEAD_ARTICLE_PATH`).
#[utoipa::path(
    tag = "sitemaps",
    responses(
        (status = 200, description = "The sitemap index (sitemaps.org 0.9)", body = String, content_type = "application/xml",
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/sitemaps/index.xml")]
pub async fn sitemap_index(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (api, _) = links(&req, &state);
    let setup = Setup::new(state.config.sitemap_urls, &state.config.site_paths);
    let now = db::now();
    let last = state.sitemap_index.last().filter(|last| last.base == api);
    /// What the read found: the index kept from before, still current, or the index now.
    enum Found {
        Kept(std::sync::Arc<super::ServedIndex>),
        Read(String, Option<i64>),
    }
    let found = state
        .db
        .read(move |conn| {
            if let Some(last) = last
                && stored::current_index(conn, &setup, now)? == Some(last.folds)
            {
                return Ok(Found::Kept(last));
            }
            let (body, folds) = stored::index(conn, &setup, now)?;
            Ok(Found::Read(body, folds))
        })
        .await?;
    let (body, etag) = match found {
        Found::Kept(last) => (last.body.clone(), last.etag.clone()),
        Found::Read(body, folds) => {
            let body = bytes::Bytes::from(render::with_base(&body, &api));
            let etag = list_etag(&body);
            // Only an index read from the stored one is kept: a rendered one is already stale.
            if let Some(folds) = folds {
                state
                    .sitemap_index
                    .keep(std::sync::Arc::new(super::ServedIndex {
                        folds,
                        base: api,
                        body: body.clone(),
                        etag: etag.clone(),
                    }));
            }
            (body, etag)
        }
    };
    Ok(answer_tagged(&req, body, etag, SITEMAP_CACHE))
}

/// A day's article sitemap.
///
/// The articles public at the time of the request that were published on the day (UTC), in
/// publication order, each with its page on the site and its `lastmod` (its last publication,
/// edit or public correction). At most 50,000: a larger day continues in `{day}-2.xml`,
/// `{day}-3.xml`, … as the index lists them.
#[utoipa::path(
    tag = "sitemaps",
    params(("file" = String, Path, description = "The sitemap's file name as the index lists it: `2026-12-05.xml`, `2026-12-05-2.xml`", example = "2026-12-05.xml")),
    responses(
        (status = 200, description = "The day's sitemap (sitemaps.org 0.9)", body = String, content_type = "application/xml",
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such sitemap: not a day's file name, or no public article that day", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/sitemaps/articles/{file}")]
pub async fn article_sitemap(
    req: HttpRequest,
    state: web::Data<AppState>,
    file: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let not_found = || {
        ApiError::NotFound(
            "no sitemap has this name (the index lists them: YYYY-MM-DD.xml or YYYY-MM-DD-N.xml)"
                .to_owned(),
        )
    };
    let chunk = file
        .strip_suffix(".xml")
        .and_then(Chunk::parse)
        .ok_or_else(not_found)?;
    let (_, links) = links(&req, &state);
    let setup = Setup::new(state.config.sitemap_urls, &state.config.site_paths);
    let now = db::now();
    let body = state
        .db
        .read(move |conn| Ok(stored::chunk(conn, &setup, &chunk, now)?))
        .await?
        .ok_or_else(not_found)?;
    Ok(answer(
        &req,
        render::with_base(&body, links.base()),
        SITEMAP_CACHE,
    ))
}

/// The sitemap of the site's pages.
///
/// The home page, each section's page (in navigation order; retired sections left out) and the
/// page of each author with a byline on a public article, on the site.
#[utoipa::path(
    tag = "sitemaps",
    responses(
        (status = 200, description = "The pages' sitemap (sitemaps.org 0.9)", body = String, content_type = "application/xml",
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/sitemaps/pages.xml")]
pub async fn pages_sitemap(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let (_, links) = links(&req, &state);
    let now = db::now();
    let (sections, authors) = state
        .db
        .read(move |conn| {
            let sections: Vec<String> = crate::sections::model::list(conn, false)?
                .into_iter()
                .map(|s| s.slug)
                .collect();
            let mut authors: Vec<String> = Vec::new();
            let room = MAX_URLS - 1 - sections.len().min(MAX_URLS - 1);
            while authors.len() < room {
                let want = i64::try_from((room - authors.len()).min(1_000)).unwrap_or(1_000);
                let page = crate::authors::model::list_bylined(
                    conn,
                    authors.last().map(String::as_str),
                    now,
                    want,
                )?;
                let full = i64::try_from(page.len()).unwrap_or(0) == want;
                authors.extend(page.into_iter().map(|(row, _)| row.slug));
                if !full {
                    break;
                }
            }
            Ok((sections, authors))
        })
        .await?;
    let urls: Vec<UrlEntry> = std::iter::once(links.home())
        .chain(sections.iter().map(|s| links.section(s)))
        .chain(authors.iter().map(|a| links.author(a)))
        .map(|loc| UrlEntry { loc, lastmod: None })
        .collect();
    Ok(answer(&req, render::urlset(&urls), SITEMAP_CACHE))
}

/// The Google News sitemap.
///
/// The articles published in the last two days, newest first, at most 1,000, each with the
/// publication's name (`MASTHEAD_SITE_NAME`, else the site's host), the article's language as
/// Google News wants it (`en`, `zh-cn`, `zh-tw`), its publication time and its title.
#[utoipa::path(
    tag = "sitemaps",
    responses(
        (status = 200, description = "The news sitemap (sitemaps.org 0.9 with Google's news extension)", body = String, content_type = "application/xml",
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/sitemaps/news.xml")]
pub async fn news_sitemap(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let (api, links) = links(&req, &state);
    let publication = state.config.site_name(&api);
    let now = db::now();
    let (entries, slugs) = state
        .db
        .read(move |conn| {
            let entries = model::news(conn, now - NEWS_WINDOW, now, NEWS_MAX)?;
            Ok((entries, section_slugs(conn)?))
        })
        .await?;
    let urls: Vec<NewsUrl> = entries
        .into_iter()
        .map(|e| NewsUrl {
            loc: article_link(
                &links,
                &slugs,
                &e.id,
                &e.slug,
                e.section.as_ref(),
                e.published_at,
            ),
            publication: publication.clone(),
            language: news_language(&e.language),
            published: e.published_at.unwrap_or(now).and_utc(),
            title: e.title,
        })
        .collect();
    Ok(answer(&req, render::news(&urls), NEWS_CACHE))
}
