//! `/v1/feeds/{kind}`: the site's feed, and `/v1/feeds/{kind}/sections/{slug}`,
//! `/v1/feeds/{kind}/tags/{slug}`, `/v1/feeds/{kind}/authors/{slug}` for one section, tag or
//! author; `kind` is `rss`, `atom` or `json`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};

use super::model::{Found, Lookups, Subject, find, lookups};
use super::{Feed, FeedAuthor, FeedImage, FeedKind, ITEMS, Item, excerpt};
use crate::app::AppState;
use crate::articles::ArticleSummary;
use crate::articles::listing::{self, ListRequest};
use crate::articles::model::{self, Scope};
use crate::db;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::base::public_base;
use crate::http::etag::{list_etag, not_modified, not_modified_response};
use crate::site::{ArticlePlace, Links};

/// `Cache-Control` of a feed; a write invalidates the server's cache at once.
const FEED_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";

/// Reads the subject and its latest public articles.
async fn read(
    state: &web::Data<AppState>,
    subject: Subject,
    links: Links,
    site: String,
) -> ApiResult<(Found, Vec<ArticleSummary>, Lookups)> {
    let found = {
        let links = links.clone();
        state
            .db
            .read(move |conn| find(conn, &subject, &links, &site))
            .await?
    };
    let now = db::now();
    let plans = model::plans(Scope::Public, &found.filter);
    let generation = state.cache.generation();
    let known = state.clone();
    state
        .db
        .read_with(plans, move |conn| {
            let list = ListRequest {
                scope: Scope::Public,
                filter: found.filter.clone(),
                after: None,
                limit: ITEMS,
            };
            let mut cards =
                listing::public_cards(conn, &known.known_cards, generation, &list, now, None)?;
            cards.truncate(usize::try_from(ITEMS).unwrap_or(50));
            let items = cards
                .iter()
                .filter_map(|c| c.summary.as_deref())
                .map(|json| {
                    serde_json::from_str::<ArticleSummary>(json).map_err(ApiError::internal)
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let lookups = lookups(conn, &items)?;
            Ok((found, items, lookups))
        })
        .await
}

/// `url` made absolute against the API's `base` when it is site-relative.
fn absolute(url: &str, base: &str) -> String {
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_owned()
    }
}

fn item(article: ArticleSummary, links: &Links, lookups: &Lookups, api: &str) -> Item {
    let published = article.published_at.unwrap_or(article.updated_at);
    let section_slug = article
        .section
        .as_ref()
        .and_then(|name| lookups.sections.get(name));
    let link = links.article(&ArticlePlace {
        id: article.id.as_str(),
        slug: &article.slug,
        section: section_slug.map(String::as_str),
        published_at: article.published_at,
    });
    let categories = article
        .section
        .iter()
        .cloned()
        .chain(
            article
                .tags
                .iter()
                .map(|t| lookups.tags.get(t).cloned().unwrap_or_else(|| t.clone())),
        )
        .collect();
    let summary = if article.excerpt.trim().is_empty() {
        excerpt(&article.standfirst)
    } else {
        excerpt(&article.excerpt)
    };
    let image = article.featured_image.map(|p| FeedImage {
        url: absolute(&p.url, api),
        content_type: lookups.image_types.get(p.image_id.as_str()).cloned(),
        width: p.width,
        height: p.height,
        credit: p.credit,
        alt_text: p.alt_text,
    });
    Item {
        id: article.id.to_string(),
        title: article.title,
        link,
        published,
        updated: lookups
            .corrected
            .get(article.id.as_str())
            .map_or(article.updated_at, |at| {
                article.updated_at.max(at.and_utc())
            })
            .max(published),
        authors: article
            .authors
            .into_iter()
            .map(|a| FeedAuthor {
                url: lookups
                    .authors
                    .get(a.id.as_str())
                    .map(|(slug, _)| links.author(slug)),
                name: a.display_name,
            })
            .collect(),
        categories,
        summary,
        language: article.language,
        image,
    }
}

async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: FeedKind,
    subject: Subject,
) -> ApiResult<HttpResponse> {
    let api = public_base(&req, &state.config);
    let site = state.config.site_name(&api);
    let links = state.config.site_links(&api);
    let (found, articles, lookups) = read(&state, subject, links.clone(), site).await?;
    let items: Vec<Item> = articles
        .into_iter()
        .map(|a| item(a, &links, &lookups, &api))
        .collect();
    let updated = items
        .iter()
        .map(|i| i.updated)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let feed = Feed {
        title: found.title,
        description: found.description,
        home: found.home,
        self_url: format!("{api}{}", req.path()),
        updated,
        items,
    };
    let body = feed.render(kind);
    let etag = list_etag(&body);
    if not_modified(&req, &etag) {
        return Ok(not_modified_response(etag, FEED_CACHE));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, FEED_CACHE))
        .insert_header((header::VARY, "Accept-Encoding"))
        .content_type(kind.content_type())
        .body(body))
}

/// The site's feed.
///
/// The 50 latest published articles as RSS 2.0 (`rss`), Atom 1.0 (`atom`) or JSON Feed 1.1
/// (`json`). Each item has the title, the link to the article on the site (`MASTHEAD_SITE_URL` and `MASTHEAD_ARTICLE_PATH`), the
/// article's id as GUID, the publication date, the bylines, the section and tags as categories,
/// the excerpt (at most 500 characters) and the featured image with its credit.
#[utoipa::path(
    tag = "feeds",
    params(("kind" = FeedKind, Path, description = "The format: `rss`, `atom` or `json`")),
    responses(
        (status = 200, description = "The feed",
            content(
                (String = "application/rss+xml"),
                (String = "application/atom+xml"),
                (serde_json::Value = "application/feed+json"),
            ),
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "Not a feed format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/feeds/{kind}")]
pub async fn site_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: web::Path<FeedKind>,
) -> ApiResult<HttpResponse> {
    serve(req, state, kind.into_inner(), Subject::Site).await
}

/// A section's feed.
///
/// The 50 latest published articles in the section, in the same formats and with the same
/// items as the site's feed. A retired section keeps its feed.
#[utoipa::path(
    tag = "feeds",
    params(
        ("kind" = FeedKind, Path, description = "The format: `rss`, `atom` or `json`"),
        ("slug" = String, Path, description = "The section's slug"),
    ),
    responses(
        (status = 200, description = "The feed",
            content(
                (String = "application/rss+xml"),
                (String = "application/atom+xml"),
                (serde_json::Value = "application/feed+json"),
            ),
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "Not a feed format", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such section", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/feeds/{kind}/sections/{slug}")]
pub async fn section_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(FeedKind, String)>,
) -> ApiResult<HttpResponse> {
    let (kind, slug) = path.into_inner();
    serve(req, state, kind, Subject::Section(slug)).await
}

/// A tag's feed.
///
/// The 50 latest published articles with the tag, in the same formats and with the same items
/// as the site's feed. A merged tag's old slug gives the feed of the tag it went into.
#[utoipa::path(
    tag = "feeds",
    params(
        ("kind" = FeedKind, Path, description = "The format: `rss`, `atom` or `json`"),
        ("slug" = String, Path, description = "The tag's slug"),
    ),
    responses(
        (status = 200, description = "The feed",
            content(
                (String = "application/rss+xml"),
                (String = "application/atom+xml"),
                (serde_json::Value = "application/feed+json"),
            ),
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "Not a feed format", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No article has this tag", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/feeds/{kind}/tags/{slug}")]
pub async fn tag_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(FeedKind, String)>,
) -> ApiResult<HttpResponse> {
    let (kind, slug) = path.into_inner();
    serve(req, state, kind, Subject::Tag(slug)).await
}

/// An author's feed.
///
/// The 50 latest published articles on the author's byline, in the same formats and with the
/// same items as the site's feed.
#[utoipa::path(
    tag = "feeds",
    params(
        ("kind" = FeedKind, Path, description = "The format: `rss`, `atom` or `json`"),
        ("slug" = String, Path, description = "The author's slug"),
    ),
    responses(
        (status = 200, description = "The feed",
            content(
                (String = "application/rss+xml"),
                (String = "application/atom+xml"),
                (serde_json::Value = "application/feed+json"),
            ),
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 400, description = "Not a feed format", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such author", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/feeds/{kind}/authors/{slug}")]
pub async fn author_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(FeedKind, String)>,
) -> ApiResult<HttpResponse> {
    let (kind, slug) = path.into_inner();
    serve(req, state, kind, Subject::Author(slug)).await
}
