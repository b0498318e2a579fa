//! Syndication feeds: the latest published articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1, for
//! the whole site or one section, tag or author. Links point at the newsroom's site
//! ([`crate::site`]); the text of each item is the article's excerpt, cut to the syndication
//! limit.

pub mod handlers;
pub mod model;
mod render;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

pub use render::{escape_xml, excerpt};

/// How many articles a feed carries.
pub const ITEMS: i64 = 50;

/// The most characters of an item's text (the syndication policy).
pub const MAX_EXCERPT_CHARS: usize = 500;

/// A feed's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// RSS 2.0 (`application/rss+xml`).
    Rss,
    /// Atom 1.0 (`application/atom+xml`).
    Atom,
    /// JSON Feed 1.1 (`application/feed+json`).
    Json,
}

impl FeedKind {
    /// The `Content-Type` of a feed of this kind.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The kind's name in URLs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rss => "rss",
            Self::Atom => "atom",
            Self::Json => "json",
        }
    }
}

/// A feed, ready to be written in any kind. Its items borrow what they can from the stored
/// summaries they were read from.
#[derive(Debug, Clone)]
pub struct Feed<'a> {
    /// The feed's title.
    pub title: String,
    /// A sentence about the feed.
    pub description: String,
    /// The site's page the feed follows (the home page, a section's, a tag's, an author's).
    pub home: String,
    /// The feed's own URL (on the API).
    pub self_url: String,
    /// The newest change to an item (a fixed time when there is none, so the bytes are stable).
    pub updated: DateTime<Utc>,
    pub items: Vec<Item<'a>>,
}

/// One article in a feed.
#[derive(Debug, Clone)]
pub struct Item<'a> {
    /// The article's id (a UUID): the item's GUID.
    pub id: Cow<'a, str>,
    pub title: Cow<'a, str>,
    /// The article's page on the site.
    pub link: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// The byline, in order.
    pub authors: Vec<FeedAuthor<'a>>,
    /// The section's name first (if any), then the tags' names.
    pub categories: Vec<Cow<'a, str>>,
    /// The excerpt, at most [`MAX_EXCERPT_CHARS`].
    pub summary: String,
    pub language: Cow<'a, str>,
    pub image: Option<FeedImage<'a>>,
}

/// An author on an item's byline.
#[derive(Debug, Clone)]
pub struct FeedAuthor<'a> {
    /// The name on the byline.
    pub name: Cow<'a, str>,
    /// The author's page on the site, when their profile is known.
    pub url: Option<String>,
}

/// An item's featured image.
#[derive(Debug, Clone)]
pub struct FeedImage<'a> {
    /// Absolute URL of the original file.
    pub url: String,
    /// Its media type, when known.
    pub content_type: Option<Cow<'a, str>>,
    pub width: u32,
    pub height: u32,
    pub credit: Option<Cow<'a, str>>,
    pub alt_text: Option<Cow<'a, str>>,
}

impl Feed<'_> {
    /// The feed written as `kind`.
    pub fn render(&self, kind: FeedKind) -> Vec<u8> {
        match kind {
            FeedKind::Rss => render::rss(self).into_bytes(),
            FeedKind::Atom => render::atom(self).into_bytes(),
            FeedKind::Json => render::json(self),
        }
    }
}
