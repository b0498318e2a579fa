//! Tags as a resource: the strings articles are tagged with (lower-cased; a tag's slug is its
//! string), with a display name and a description where an editor gave one, and merges that
//! move one tag's articles to another while the old slug keeps leading there.

pub mod handlers;
pub mod model;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::validate;

/// The longest tag (as articles allow).
pub const MAX_TAG_CHARS: usize = 50;
/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// A tag.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Tag {
    /// The tag as articles carry it (lower-cased), and what `/v1/tags/{slug}` and the article
    /// list's `tag` filter take.
    #[schema(example = "infrastructure")]
    pub slug: String,
    /// The name readers see: an editor's, else the slug.
    pub name: String,
    /// What the tag is about.
    pub description: Option<String>,
    /// How many published articles carry it.
    pub count: i64,
}

/// A page of tags.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TagPage {
    /// The tags on this page.
    pub items: Vec<Tag>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Changes to a tag; absent fields stay as they are, `null` clears one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagPatch {
    /// The name readers see (`null`: the slug).
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub name: Option<Option<String>>,
    /// What the tag is about.
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
}

/// Where a tag's articles go.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagMerge {
    /// The tag that takes the articles (created if no article has it yet).
    #[schema(max_length = 50)]
    pub into: String,
}

/// A tag as articles store it: trimmed and lower-cased, 1 to 50 characters.
pub fn normalize(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let tag = value.trim().to_lowercase();
    validate::text(field, Some(&tag), true, MAX_TAG_CHARS, errors);
    tag
}
