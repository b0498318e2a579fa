//! What an article read or list returns when asked: `fields` (top-level members), `formats`
//! (which of the body's three forms) and, on lists, `include=body` (each card with its body).
//!
//! Applied to the finished representation (the article's JSON, the page's JSON) whatever read
//! produced it. With none of the three parameters a response is exactly what it always was.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{Article, ArticleSummary, service};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::http::etag::representation_etag;
use crate::http::fields::{self, SPARSE_JSON};

/// `formats` names, each with the member that carries that form of the body.
pub const BODY_FORMATS: [(&str, &str); 3] = [
    ("blocks", "body"),
    ("html", "body_html"),
    ("text", "body_text"),
];

/// The members `include=body` adds to each card: the body's three forms, and the images the
/// article shows (what its image blocks refer to), as the article read has them.
pub const BODY_MEMBERS: [&str; 4] = ["body", "body_html", "body_text", "images"];

/// The largest page of a list with bodies (`include=body`): a page of 25 long reads is already
/// about as large as one of 100 cards.
pub const MAX_LIMIT_WITH_BODIES: i64 = 25;

/// The one member every shaped response keeps, asked for or not: what identifies the resource
/// (as JSON:API always sends `id`).
pub const ALWAYS: &str = "id";

/// The article's top-level members, from its schema (what `fields` may name on an article).
pub static ARTICLE_MEMBERS: LazyLock<Vec<String>> =
    LazyLock::new(fields::schema_members::<Article>);

/// A card's top-level members, from its schema (what `fields` may name on a list).
pub static SUMMARY_MEMBERS: LazyLock<Vec<String>> =
    LazyLock::new(fields::schema_members::<ArticleSummary>);

/// The shaping parameters of an article read or list, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct ShapeQuery {
    pub fields: Option<String>,
    pub formats: Option<String>,
    pub include: Option<String>,
}

/// A checked shape: the members to keep (`None`: the representation as it always was), and
/// whether a list's cards carry their bodies.
#[derive(Debug, Default)]
pub struct Shape {
    keep: Option<BTreeSet<String>>,
    bodies: bool,
}

impl Shape {
    /// The shape of an article read (`include` is a list's, and not looked at).
    pub fn of_article(query: &ShapeQuery) -> ApiResult<Self> {
        let allowed: Vec<&str> = ARTICLE_MEMBERS.iter().map(String::as_str).collect();
        Ok(Self {
            keep: select(&allowed, query)?,
            bodies: false,
        })
    }

    /// The shape of a list page: `include=body` adds the body members to each card.
    pub fn of_list(query: &ShapeQuery) -> ApiResult<Self> {
        let bodies = match &query.include {
            Some(value) => fields::names("include", value, &["body"])?.contains("body"),
            None => false,
        };
        if query.formats.is_some() && !bodies {
            return Err(ApiError::field(
                "formats",
                "chooses the forms of a body: lists carry bodies only with include=body",
            ));
        }
        let mut allowed: Vec<&str> = SUMMARY_MEMBERS.iter().map(String::as_str).collect();
        if bodies {
            allowed.extend(BODY_MEMBERS);
        }
        let keep = match select(&allowed, query)? {
            Some(keep) => Some(keep),
            None if bodies => Some(allowed.iter().map(|m| (*m).to_owned()).collect()),
            None => None,
        };
        Ok(Self { keep, bodies })
    }

    /// Whether cards carry their bodies (`include=body`).
    pub fn bodies(&self) -> bool {
        self.bodies
    }

    /// Whether the response is narrowed or widened (then it is [`SPARSE_JSON`]).
    pub fn shaped(&self) -> bool {
        self.keep.is_some()
    }

    fn keeps(&self, member: &str) -> bool {
        self.keep.as_ref().is_none_or(|keep| keep.contains(member))
    }

    /// Checks a list's page size against the smaller maximum of pages with bodies.
    pub fn check_limit(&self, limit: i64) -> ApiResult<()> {
        if self.bodies && limit > MAX_LIMIT_WITH_BODIES {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT_WITH_BODIES} with include=body"),
            ));
        }
        Ok(())
    }

    /// The JSON of `article` in this shape, and its ETag (the version and a hash of these
    /// bytes, so each shape revalidates on its own).
    pub fn article_bytes(&self, version: i64, body: Vec<u8>) -> ApiResult<(Vec<u8>, String)> {
        let body = if self.shaped() {
            fields::project(&body, |m| self.keeps(m))?
        } else {
            body
        };
        let tag = representation_etag(version, &body);
        Ok((body, tag))
    }

    /// `page` (a list's JSON) in this shape; `articles` holds the whole JSON of each card's
    /// article by id (read with [`articles_of`]) when cards carry their bodies.
    pub fn page_json(
        &self,
        page: Vec<u8>,
        articles: &HashMap<String, Vec<u8>>,
    ) -> ApiResult<Vec<u8>> {
        if !self.shaped() {
            return Ok(page);
        }
        fields::map_items(&page, |item, out| {
            let mut members = fields::members(item)?;
            if self.bodies {
                let article = card_id(&members).and_then(|id| articles.get(&id));
                if let Some(article) = article {
                    members.extend(
                        fields::members(article)?
                            .into_iter()
                            .filter(|(k, _)| BODY_MEMBERS.contains(&k.as_str())),
                    );
                }
            }
            fields::write_object(out, members.iter().filter(|(k, _)| self.keeps(k)));
            Ok(())
        })
    }

    /// Marks a shaped 200 as [`SPARSE_JSON`].
    pub fn mark(&self, response: &mut HttpResponse) {
        if self.shaped() && response.status().is_success() {
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(SPARSE_JSON),
            );
        }
    }
}

/// The members to keep for `query` among `allowed`: `None` when neither `fields` nor `formats`
/// is given. `fields` keeps what it names and `id`; `formats` keeps the body forms it names and
/// drops the others, so `fields=title&formats=html` is the title, the id and the HTML body. A
/// body form named in `fields` but left out by `formats` is a contradiction, refused.
fn select(allowed: &[&str], query: &ShapeQuery) -> ApiResult<Option<BTreeSet<String>>> {
    let mut keep: BTreeSet<String> = match &query.fields {
        Some(value) => {
            let mut keep = fields::names("fields", value, allowed)?;
            keep.insert(ALWAYS.to_owned());
            keep
        }
        None if query.formats.is_some() => allowed.iter().map(|m| (*m).to_owned()).collect(),
        None => return Ok(None),
    };
    if let Some(value) = &query.formats {
        let formats = fields::names("formats", value, &BODY_FORMATS.map(|(f, _)| f))?;
        for (format, member) in BODY_FORMATS {
            let asked = formats.contains(format);
            if query.fields.is_some() && keep.contains(member) && !asked {
                return Err(ApiError::field(
                    "fields",
                    format!("names `{member}`, the {format} body, which formats leaves out"),
                ));
            }
            if asked {
                keep.insert(member.to_owned());
            } else {
                keep.remove(member);
            }
        }
    }
    Ok(Some(keep))
}

/// The `id` of a card's members.
fn card_id(members: &[(String, &[u8])]) -> Option<String> {
    let (_, raw) = members.iter().find(|(k, _)| k == ALWAYS)?;
    serde_json::from_slice(raw).ok()
}

/// The ids of the cards on a page, in order.
pub fn page_ids(page: &[u8]) -> ApiResult<Vec<String>> {
    let mut ids = Vec::new();
    fields::map_items(page, |item, _| {
        ids.extend(card_id(&fields::members(item)?));
        Ok(())
    })?;
    Ok(ids)
}

/// The whole JSON of each article in `ids` as this reader may read it (see
/// [`service::read`]), by id; one that is no longer readable is left out.
pub fn articles_of(
    conn: &mut DbConn,
    ids: &[String],
    staff: bool,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<HashMap<String, Vec<u8>>> {
    let mut found = HashMap::with_capacity(ids.len());
    for id in ids {
        if let Some((json, _)) = service::read_response(conn, id, staff, now, base)? {
            found.insert(id.clone(), json);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(fields: Option<&str>, formats: Option<&str>, include: Option<&str>) -> ShapeQuery {
        ShapeQuery {
            fields: fields.map(str::to_owned),
            formats: formats.map(str::to_owned),
            include: include.map(str::to_owned),
        }
    }

    fn kept(shape: &Shape) -> Vec<String> {
        shape.keep.iter().flatten().cloned().collect()
    }

    #[test]
    fn members_come_from_the_schemas() {
        for m in [
            "id",
            "slug",
            "title",
            "body",
            "body_html",
            "body_text",
            "images",
            "version",
        ] {
            assert!(ARTICLE_MEMBERS.iter().any(|a| a == m), "{m}");
        }
        assert!(SUMMARY_MEMBERS.iter().any(|a| a == "featured_image"));
        assert!(!SUMMARY_MEMBERS.iter().any(|a| a == "body"));
    }

    #[test]
    fn fields_and_formats_combine() {
        let shape = Shape::of_article(&query(None, None, None)).unwrap();
        assert!(!shape.shaped());
        let shape = Shape::of_article(&query(Some("title"), Some("html"), None)).unwrap();
        assert_eq!(kept(&shape), ["body_html", "id", "title"]);
        let shape = Shape::of_article(&query(None, Some("text,blocks"), None)).unwrap();
        assert!(shape.keeps("body") && shape.keeps("body_text") && !shape.keeps("body_html"));
        assert!(shape.keeps("corrections"));
        assert!(Shape::of_article(&query(Some("body_text"), Some("html"), None)).is_err());
        assert!(Shape::of_article(&query(None, Some("markdown"), None)).is_err());
        let list = Shape::of_list(&query(Some("title"), None, None)).unwrap();
        assert_eq!(kept(&list), ["id", "title"]);
        assert!(Shape::of_list(&query(Some("body"), None, None)).is_err());
        assert!(Shape::of_list(&query(None, Some("html"), None)).is_err());
        let bodies = Shape::of_list(&query(None, Some("html"), Some("body"))).unwrap();
        assert!(bodies.bodies() && bodies.keeps("body_html") && !bodies.keeps("body"));
        assert!(bodies.keeps("images") && bodies.keeps("featured_image"));
        assert!(bodies.check_limit(25).is_ok() && bodies.check_limit(26).is_err());
        assert!(Shape::of_list(&query(None, None, Some("bodies"))).is_err());
    }
}
