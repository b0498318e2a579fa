//! Articles: the editorial life of a story, and its public reads.

pub mod announce;
pub mod body;
pub mod documents;
pub mod fields;
pub mod handlers;
pub mod listing;
pub mod model;
pub mod previews;
pub mod search;
pub mod service;
pub mod shape;
pub mod slug;
mod status;
pub mod summaries;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use self::fields::{CheckedFields, CheckedSource, Fields};
pub use self::status::{Status, StoredStatus};

use self::body::Block;
use self::model::ArticleRow;
use crate::error::{ApiError, ApiResult};
use crate::ids::{ArticleId, CaptionId, ImageId, UserId};
/// The language filter of the lists checks tags by the same rule as articles.
pub use crate::validate::is_language_tag;

/// The longest title.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest standfirst.
pub const MAX_STANDFIRST_CHARS: usize = 1_000;
/// The most plain-text characters a body may hold.
pub const MAX_BODY_TEXT_CHARS: usize = 200_000;
/// The most tags, authors, sources and related articles.
pub const MAX_TAGS: usize = 20;
pub const MAX_AUTHORS: usize = 10;
pub const MAX_SOURCES: usize = 50;
pub const MAX_RELATED: usize = 20;

/// A source the story relies on ("according to …").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Who or what: an agency, a publication, a document.
    #[schema(example = "Ukrinform")]
    pub name: String,
    /// Where it can be read (http or https), if anywhere.
    #[schema(example = "https://www.ukrinform.net/")]
    pub url: Option<String>,
}

/// The picture at the top of an article: an image and the caption for this use of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeaturedImage {
    /// The image's id.
    #[schema(value_type = String)]
    pub image_id: ImageId,
    /// The caption's id.
    #[schema(value_type = Option<String>)]
    pub caption_id: Option<CaptionId>,
}

/// An image where the article shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImageUse {
    /// `featured`, or `body` for an image block.
    #[schema(value_type = crate::openapi::closed::ImageUsage)]
    pub usage: String,
    /// For `body`: the index of the block.
    pub block: Option<usize>,
    /// The image.
    pub image: crate::images::Image,
    /// The caption for this use, if any (its `effective_credit` is what readers see).
    pub caption: Option<crate::captions::Caption>,
}

/// One place an article shows an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// 0 for the featured image, then 1 + the index of the body block.
    pub position: i32,
    /// The field path errors name, such as `body[3]`.
    pub field: String,
    pub image_id: ImageId,
    pub caption_id: Option<CaptionId>,
}

impl ImageRef {
    /// The image and caption ids, as [`image_rows`] takes them.
    pub fn ids(&self) -> (&ImageId, Option<&CaptionId>) {
        (&self.image_id, self.caption_id.as_ref())
    }
}

impl FeaturedImage {
    /// Where the article shows it: position 0.
    pub fn image_ref(&self) -> ImageRef {
        ImageRef {
            position: 0,
            field: "featured_image".to_owned(),
            image_id: self.image_id.clone(),
            caption_id: self.caption_id.clone(),
        }
    }
}

/// Every image an article with this featured image and body shows: the featured one at
/// position 0, then body blocks.
pub fn image_refs(featured: Option<&FeaturedImage>, body: &[Block]) -> Vec<ImageRef> {
    let mut refs = Vec::new();
    if let Some(f) = featured {
        refs.push(f.image_ref());
    }
    for (i, block) in body.iter().enumerate() {
        if let Block::Image {
            image_id,
            caption_id,
        } = block
        {
            let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
            refs.push(ImageRef {
                position,
                field: format!("body[{i}]"),
                image_id: image_id.clone(),
                caption_id: caption_id.clone(),
            });
        }
    }
    refs
}

/// An author on the byline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Author {
    /// The author's id: a staff member's user id, or a guest's profile id.
    #[schema(value_type = String)]
    pub id: UserId,
    /// The name on the byline.
    pub display_name: String,
}

/// An article, whole.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Article {
    /// The id (UUIDv7).
    #[schema(value_type = String)]
    pub id: ArticleId,
    /// The current slug; earlier slugs still lead here.
    #[schema(example = "drone-makers-race-to-adapt")]
    pub slug: String,
    /// The headline.
    pub title: String,
    /// The paragraph under the headline.
    pub standfirst: String,
    /// The body, as typed blocks.
    pub body: Vec<Block>,
    /// The body as sanitized HTML, derived on write.
    pub body_html: String,
    /// The body as plain text, derived on write.
    pub body_text: String,
    /// At most 500 characters that may be quoted elsewhere with a link back.
    pub excerpt: String,
    /// Where the article is in its life.
    pub status: Status,
    /// When it became (or becomes) public.
    pub published_at: Option<DateTime<Utc>>,
    /// The byline.
    pub authors: Vec<Author>,
    /// The section, such as `world`.
    pub section: Option<String>,
    /// Tags, lower case.
    pub tags: Vec<String>,
    /// The language (BCP 47).
    #[schema(example = "en")]
    pub language: String,
    /// The sources the story relies on.
    pub sources: Vec<Source>,
    /// Related articles' ids (for the public, only published ones).
    #[schema(value_type = Vec<String>)]
    pub related: Vec<ArticleId>,
    /// The canonical URL of the story on the newsroom's site.
    pub canonical_url: Option<String>,
    /// The featured image as this article shows it: URLs and sizes, alt text, caption, credit.
    pub featured_image: Option<crate::images::Picture>,
    /// Every image the article shows (featured first, then body blocks in order), with its
    /// dimensions, alt text, URLs and caption with the effective credit.
    pub images: Vec<ImageUse>,
    /// The public corrections log: what was corrected and when, oldest first.
    pub corrections: Vec<crate::corrections::CorrectionEntry>,
    /// When the latest correction was published.
    pub corrected_at: Option<DateTime<Utc>>,
    /// Increases with every change to the article itself. Its ETag names this version (what
    /// `If-Match` compares) and a hash of the body.
    pub version: i64,
    /// When the article was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// An article in a list (no body).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleSummary {
    #[schema(value_type = String)]
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub excerpt: String,
    pub status: Status,
    pub published_at: Option<DateTime<Utc>>,
    pub authors: Vec<Author>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub language: String,
    /// The featured image, with everything a card needs to show it.
    pub featured_image: Option<crate::images::Picture>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// A page of articles.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArticlePage {
    /// The articles on this page.
    pub items: Vec<ArticleSummary>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// What a writer sends to create an article.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewArticle {
    /// The headline (1–200 characters).
    pub title: String,
    /// The slug; derived from the title when absent.
    pub slug: Option<String>,
    /// The paragraph under the headline.
    pub standfirst: Option<String>,
    /// The body, as typed blocks.
    pub body: Vec<Block>,
    pub section: Option<String>,
    pub tags: Option<Vec<String>>,
    /// BCP 47 language tag; default `en`.
    pub language: Option<String>,
    pub sources: Option<Vec<Source>>,
    /// Ids of related articles.
    #[schema(value_type = Option<Vec<String>>)]
    pub related: Option<Vec<ArticleId>>,
    pub canonical_url: Option<String>,
    /// A hand-written excerpt (at most 500 characters); derived when absent.
    pub excerpt: Option<String>,
    /// Author ids in byline order (users' ids, or guest authors' from `POST /v1/authors`);
    /// default: you.
    #[schema(value_type = Option<Vec<String>>)]
    pub authors: Option<Vec<UserId>>,
    /// The featured image and its caption for this article.
    pub featured_image: Option<FeaturedImage>,
}

/// Changes to an article; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    pub title: Option<String>,
    /// A new slug; the old one keeps leading here.
    pub slug: Option<String>,
    pub standfirst: Option<String>,
    pub body: Option<Vec<Block>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub section: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub language: Option<String>,
    pub sources: Option<Vec<Source>>,
    #[schema(value_type = Option<Vec<String>>)]
    pub related: Option<Vec<ArticleId>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub canonical_url: Option<Option<String>>,
    /// A hand-written excerpt; `null` goes back to the derived one.
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub excerpt: Option<Option<String>>,
    #[schema(value_type = Option<Vec<String>>)]
    pub authors: Option<Vec<UserId>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<FeaturedImage>)]
    pub featured_image: Option<Option<FeaturedImage>>,
}

/// The plain text and HTML derived from a body, and the excerpt.
pub struct Derived {
    pub body_html: String,
    pub body_text: String,
    pub excerpt: String,
}

impl Derived {
    /// Derives everything from `fields`; fails when the body's text is too long.
    pub fn from(fields: &CheckedFields) -> ApiResult<Self> {
        let body_text = body::render_text(&fields.body);
        if body_text.chars().count() > MAX_BODY_TEXT_CHARS {
            return Err(ApiError::field(
                "body",
                format!("must be at most {MAX_BODY_TEXT_CHARS} characters of text"),
            ));
        }
        let excerpt = match &fields.excerpt {
            Some(custom) => custom.clone(),
            None => body::excerpt(&fields.standfirst, &body_text),
        };
        Ok(Self {
            body_html: body::render_html(&fields.body),
            body_text,
            excerpt,
        })
    }
}

/// Reads the stored fields back out of a row and its relations.
pub fn fields_of(
    row: &ArticleRow,
    authors: Vec<UserId>,
    tags: Vec<String>,
    related: Vec<ArticleId>,
) -> Fields {
    Fields {
        title: row.title.clone(),
        slug: row.slug.clone(),
        standfirst: row.standfirst.clone(),
        body: row.body.0.clone(),
        section: row.section.clone(),
        tags,
        language: row.language.clone(),
        sources: row.sources.0.clone(),
        related,
        canonical_url: row.canonical_url.clone(),
        excerpt: row.excerpt_is_custom.then(|| row.excerpt.clone()),
        authors,
        featured_image: row.featured_image.as_ref().map(|f| f.0.clone()),
    }
}

/// The image and caption rows that `pairs` (an image id and a caption id each) name: two
/// statements, whatever the number of pairs.
pub fn image_rows<'a>(
    conn: &mut crate::db::DbConn,
    pairs: impl IntoIterator<Item = (&'a ImageId, Option<&'a CaptionId>)>,
) -> ApiResult<(
    Vec<crate::images::model::ImageRow>,
    Vec<crate::captions::model::CaptionRow>,
)> {
    let (mut image_ids, mut caption_ids) = (Vec::new(), Vec::new());
    for (image, caption) in pairs {
        image_ids.push(image.clone());
        caption_ids.extend(caption.cloned());
    }
    Ok((
        crate::images::model::find_many(conn, &image_ids)?,
        crate::captions::model::find_many(conn, &caption_ids)?,
    ))
}

/// Relations of many articles at once, grouped by article id.
#[derive(Default)]
pub struct Relations {
    pub authors: HashMap<ArticleId, Vec<Author>>,
    pub tags: HashMap<ArticleId, Vec<String>>,
    /// Featured images, with site-relative URLs.
    pub pictures: HashMap<ArticleId, crate::images::Picture>,
}

impl Relations {
    /// Groups rows from [`model::relations_of`].
    pub fn group(rows: Vec<model::RelationRow>) -> Self {
        let mut r = Self::default();
        for row in rows {
            match row.display_name {
                Some(display_name) => r.authors.entry(row.article_id).or_default().push(Author {
                    id: UserId::from(row.value),
                    display_name,
                }),
                None => r.tags.entry(row.article_id).or_default().push(row.value),
            }
        }
        r
    }

    /// Adds the featured pictures of `rows` (one statement each for their images and captions).
    pub fn with_pictures(
        mut self,
        conn: &mut crate::db::DbConn,
        rows: &[model::SummaryRow],
    ) -> ApiResult<Self> {
        let featured: Vec<(&ArticleId, ImageRef)> = rows
            .iter()
            .filter_map(|r| {
                let featured = r.featured_image.as_ref()?.0.as_ref().ok()?;
                Some((&r.id, featured.image_ref()))
            })
            .collect();
        if featured.is_empty() {
            return Ok(self);
        }
        let (images, captions) = image_rows(conn, featured.iter().map(|(_, r)| r.ids()))?;
        for (article, r) in featured {
            let Some(image) = images.iter().find(|i| i.id == r.image_id) else {
                continue;
            };
            let caption = r
                .caption_id
                .as_ref()
                .and_then(|c| captions.iter().find(|row| &row.id == c));
            self.pictures.insert(
                article.clone(),
                crate::images::Picture::new(image, caption, ""),
            );
        }
        Ok(self)
    }
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The summary of a row; its featured image is taken from `relations` (site-relative URLs).
pub fn summary(
    row: model::SummaryRow,
    relations: &mut Relations,
    now: NaiveDateTime,
) -> ApiResult<ArticleSummary> {
    Ok(ArticleSummary {
        status: Status::at(row.status, row.published_at, now),
        authors: relations.authors.remove(&row.id).unwrap_or_default(),
        tags: relations.tags.remove(&row.id).unwrap_or_default(),
        featured_image: match relations.pictures.remove(&row.id) {
            Some(picture) => Some(picture),
            None => {
                // Unreadable (skipped by `with_pictures`): this summary fails, not the page's.
                if let Some(model::JsonOrError(Err(e))) = row.featured_image {
                    return Err(ApiError::internal(e));
                }
                None
            }
        },
        published_at: row.published_at.map(utc),
        updated_at: utc(row.updated_at),
        id: row.id,
        slug: row.slug,
        title: row.title,
        standfirst: row.standfirst,
        excerpt: row.excerpt,
        section: row.section,
        language: row.language,
        version: row.version,
    })
}

/// The whole article of a row.
pub fn article(
    row: ArticleRow,
    authors: Vec<Author>,
    tags: Vec<String>,
    related: Vec<ArticleId>,
    (featured_image, images): (Option<crate::images::Picture>, Vec<ImageUse>),
    corrections: Vec<crate::corrections::CorrectionEntry>,
    now: NaiveDateTime,
) -> Article {
    Article {
        featured_image,
        images,
        corrected_at: corrections.iter().map(|c| c.corrected_at).max(),
        corrections,
        status: Status::of(&row, now),
        body: row.body.0,
        sources: row.sources.0,
        published_at: row.published_at.map(utc),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        authors,
        tags,
        related,
        id: row.id,
        slug: row.slug,
        title: row.title,
        standfirst: row.standfirst,
        body_html: row.body_html,
        body_text: row.body_text,
        excerpt: row.excerpt,
        section: row.section,
        language: row.language,
        canonical_url: row.canonical_url,
        version: row.version,
    }
}
