//! `/v1/feeds/{kind}`: the site's feed, and `/v1/feeds/{kind}/sections/{slug}`,
//! `/v1/feeds/{kind}/tags/{slug}`, `/v1/feeds/{kind}/authors/{slug}` for one section, tag or
//! author; `kind` is `rss`, `atom` or `json`.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::model::{Keys, Lookups, Subject, find, lookups};
use super::{Feed, FeedAuthor, FeedImage, FeedKind, ITEMS, Item, excerpt};
use crate::app::AppState;
use crate::articles::listing::{self, ListRequest};
use crate::articles::model::{self, Filter, Scope};
use crate::db;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::base::public_base;
use crate::http::etag::{list_etag, not_modified, not_modified_response};
use crate::site::{ArticlePlace, Links};

/// `Cache-Control` of a feed; a write invalidates the server's cache at once.
const FEED_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";

/// A stored summary as a feed reads it: only the fields an item shows, the text borrowed from
/// the stored JSON where it needs no unescaping.
#[derive(Deserialize)]
struct Stored<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    slug: Text<'a>,
    #[serde(borrow)]
    title: Text<'a>,
    #[serde(borrow)]
    standfirst: Text<'a>,
    #[serde(borrow)]
    excerpt: Text<'a>,
    #[serde(deserialize_with = "optional_time")]
    published_at: Option<DateTime<Utc>>,
    #[serde(borrow)]
    authors: Vec<StoredAuthor<'a>>,
    #[serde(borrow)]
    section: Option<Text<'a>>,
    #[serde(borrow)]
    tags: Vec<Text<'a>>,
    #[serde(borrow)]
    language: Text<'a>,
    #[serde(borrow)]
    featured_image: Option<StoredPicture<'a>>,
    #[serde(deserialize_with = "time")]
    updated_at: DateTime<Utc>,
}

/// A stored time, read by hand in the form summaries are written in (`2026-12-05T09:30:00.123456Z`,
/// UTC, any number of fraction digits) and by chrono in any other: chrono's general parser was
/// a tenth of a feed's cost.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    match crate::db::time::parse_prefix(text.as_bytes(), b'T') {
        Some((at, b"Z")) => Some(at.and_utc()),
        _ => text.parse().ok(),
    }
}

fn time<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let text = <Text<'de>>::deserialize(deserializer)?;
    parse_time(&text).ok_or_else(|| serde::de::Error::custom("not a time"))
}

fn optional_time<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match <Option<Text<'de>>>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => parse_time(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("not a time")),
    }
}

#[derive(Deserialize)]
struct StoredAuthor<'a> {
    #[serde(borrow)]
    id: Text<'a>,
    #[serde(borrow)]
    display_name: Text<'a>,
}

#[derive(Deserialize)]
struct StoredPicture<'a> {
    #[serde(borrow)]
    image_id: Text<'a>,
    #[serde(borrow)]
    url: Text<'a>,
    width: u32,
    height: u32,
    #[serde(borrow)]
    alt_text: Option<Text<'a>>,
    #[serde(borrow)]
    credit: Option<Text<'a>>,
}

/// A JSON string, borrowed from the input unless it had escapes to undo (`Cow`'s own
/// `Deserialize` always copies).
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// How PostgreSQL plans the feed's page: as for the list of the same shape (the values do not
/// change the plan, so placeholders stand in for the subject not yet looked up).
fn plans_for(subject: &Subject) -> db::Plans {
    let filter = match subject {
        Subject::Site => Filter::default(),
        Subject::Section(_) => Filter {
            section: Some(String::new()),
            ..Filter::default()
        },
        Subject::Tag(_) => Filter {
            tag: Some(String::new()),
            ..Filter::default()
        },
        Subject::Author(_) => Filter {
            author: Some(String::new().into()),
            ..Filter::default()
        },
    };
    model::plans(Scope::Public, &filter)
}

/// The request's feed: its subject, its latest public articles read from their stored
/// summaries (rendered from the tables when stale) and what they name, written as `kind`. All
/// on one read connection.
async fn read(
    state: &web::Data<AppState>,
    subject: Subject,
    kind: FeedKind,
    links: Links,
    site: String,
    api: String,
    self_url: String,
) -> ApiResult<Vec<u8>> {
    let now = db::now();
    let plans = plans_for(&subject);
    let generation = state.cache.generation();
    let known = state.clone();
    state
        .db
        .read_with(plans, move |conn| {
            let found = find(conn, &subject, &links, &site)?;
            let list = ListRequest {
                scope: Scope::Public,
                filter: found.filter,
                after: None,
                limit: ITEMS,
            };
            let mut cards =
                listing::public_cards(conn, &known.known_cards, generation, &list, now, None)?;
            cards.truncate(usize::try_from(ITEMS).unwrap_or(50));
            let stored = cards
                .iter()
                .filter_map(|c| c.summary.as_deref())
                .map(|json| serde_json::from_str::<Stored>(json).map_err(ApiError::internal))
                .collect::<ApiResult<Vec<_>>>()?;
            let mut keys = Keys::default();
            for article in &stored {
                keys.articles.push(article.id.to_string());
                keys.sections
                    .extend(article.section.as_ref().map(|s| s.to_string()));
                keys.tags.extend(article.tags.iter().map(|t| t.to_string()));
                keys.bylines
                    .extend(article.authors.iter().map(|a| a.id.to_string()));
                keys.images.extend(
                    article
                        .featured_image
                        .as_ref()
                        .map(|p| p.image_id.to_string()),
                );
            }
            keys.dedup();
            let lookups = lookups(conn, &keys)?;
            let items: Vec<Item> = stored
                .iter()
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
                self_url,
                updated,
                items,
            };
            Ok(feed.render(kind))
        })
        .await
}

/// `url` made absolute against the API's `base` when it is site-relative.
fn absolute(url: &str, base: &str) -> String {
    if url.starts_with('/') {
        let mut out = String::with_capacity(base.len() + url.len());
        out.push_str(base);
        out.push_str(url);
        out
    } else {
        url.to_owned()
    }
}

fn item<'a>(article: &'a Stored<'a>, links: &Links, lookups: &'a Lookups, api: &str) -> Item<'a> {
    let published = article.published_at.unwrap_or(article.updated_at);
    let section = article.section.as_deref();
    let section_slug = section.and_then(|name| lookups.sections.get(name));
    let link = links.article(&ArticlePlace {
        id: &article.id,
        slug: &article.slug,
        section: section_slug.map(String::as_str),
        published_at: article.published_at,
    });
    let mut categories = Vec::with_capacity(article.tags.len() + 1);
    categories.extend(section.map(Cow::Borrowed));
    categories.extend(
        article
            .tags
            .iter()
            .map(|t| Cow::Borrowed(lookups.tags.get(&**t).map_or(&**t, String::as_str))),
    );
    let summary = if article.excerpt.trim().is_empty() {
        excerpt(&article.standfirst)
    } else {
        excerpt(&article.excerpt)
    };
    let image = article.featured_image.as_ref().map(|p| FeedImage {
        url: absolute(&p.url, api),
        content_type: lookups
            .image_types
            .get(&*p.image_id)
            .map(|t| Cow::Borrowed(t.as_str())),
        width: p.width,
        height: p.height,
        credit: p.credit.as_deref().map(Cow::Borrowed),
        alt_text: p.alt_text.as_deref().map(Cow::Borrowed),
    });
    Item {
        id: Cow::Borrowed(&article.id),
        title: Cow::Borrowed(&article.title),
        link,
        published,
        updated: lookups
            .corrected
            .get(&*article.id)
            .map_or(article.updated_at, |at| {
                article.updated_at.max(at.and_utc())
            })
            .max(published),
        authors: article
            .authors
            .iter()
            .map(|a| FeedAuthor {
                url: lookups.authors.get(&*a.id).map(|slug| links.author(slug)),
                name: Cow::Borrowed(&a.display_name),
            })
            .collect(),
        categories,
        summary,
        language: Cow::Borrowed(&article.language),
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
    let self_url = format!("{api}{}", req.path());
    let body = read(&state, subject, kind, links, site, api, self_url).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_as_chrono_reads_them() {
        let mut texts = vec![
            "2026-12-05T09:30:00Z".to_owned(),
            "2026-12-05T09:30:00.1Z".to_owned(),
            "2026-12-05T09:30:00.123Z".to_owned(),
            "2026-12-05T09:30:00.123456789Z".to_owned(),
            "2024-02-29T23:59:59.999999Z".to_owned(),
            "2026-12-05T09:30:00+02:00".to_owned(),
            "2026-12-05T09:30:00.5-05:30".to_owned(),
            "2026-12-05 09:30:00Z".to_owned(),
        ];
        let start = chrono::DateTime::parse_from_rfc3339("1999-12-31T23:59:58Z")
            .expect("a time")
            .with_timezone(&Utc);
        for i in 0..4_000i64 {
            let at = start + chrono::Duration::microseconds(i * 7_919_993_777 + i % 7);
            texts.push(
                serde_json::to_string(&at)
                    .expect("json")
                    .trim_matches('"')
                    .to_owned(),
            );
        }
        for text in &texts {
            assert_eq!(
                parse_time(text),
                text.parse::<DateTime<Utc>>().ok(),
                "{text}"
            );
        }
        for bad in [
            "",
            "2026-13-05T09:30:00Z",
            "2026-02-30T09:30:00Z",
            "2026-12-05T24:30:00Z",
            "2026-12-05T09:30:00.Z",
            "2026-12-05T09:30:00.1234567890Z",
            "2026-12-05T09:30:0xZ",
            "twenty-six",
        ] {
            assert_eq!(parse_time(bad), bad.parse::<DateTime<Utc>>().ok(), "{bad}");
        }
    }
}
