//! Sections: the site's navigation. Editors create, rename, reorder and retire them; an article
//! names its section by the section's name (see [`model::resolve`]), which is what the article's
//! `section` field has always served.

pub mod handlers;
pub mod model;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::model::SectionRow;
use crate::articles::slug::Slug;
use crate::error::FieldError;
use crate::validate;

/// The longest section name (the article's `section` field allows as many).
pub const MAX_NAME_CHARS: usize = 64;
/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

/// A section of the site.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Section {
    /// The URL slug, such as `world`: what `/v1/sections/{slug}` and the article list's
    /// `section` filter take.
    #[schema(example = "world")]
    pub slug: String,
    /// The name readers see, and what an article's `section` field shows.
    #[schema(example = "World")]
    pub name: String,
    /// What the section covers.
    pub description: Option<String>,
    /// Its place in the navigation: lower first (ties by name).
    pub position: i64,
    /// Off the navigation; its articles still show it, but no article can be moved into it.
    pub retired: bool,
    /// Increases with every change.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<SectionRow> for Section {
    fn from(row: SectionRow) -> Self {
        Self {
            slug: row.slug,
            name: row.name,
            description: row.description,
            position: row.position,
            retired: row.retired,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// The site's navigation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SectionList {
    /// The sections in navigation order.
    pub items: Vec<Section>,
}

/// A new section.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSection {
    /// The name readers see; unique.
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// The URL slug (`[a-z0-9-]`, at most 80 characters); made from the name when absent.
    pub slug: Option<String>,
    /// What the section covers.
    pub description: Option<String>,
    /// Its place in the navigation; after the last one when absent.
    pub position: Option<i64>,
}

/// Changes to a section; absent fields stay as they are, `null` clears the description.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionPatch {
    /// A new name: every article in the section shows it at once.
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
    /// A new slug.
    pub slug: Option<String>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// A new place in the navigation.
    pub position: Option<i64>,
    /// Take the section off the navigation (its articles keep it), or bring it back.
    pub retired: Option<bool>,
}

/// The checked name of a section.
pub fn check_name(value: &str, errors: &mut Vec<FieldError>) -> String {
    validate::text("name", Some(value), true, MAX_NAME_CHARS, errors).unwrap_or_default()
}

/// The checked description (`None` when empty).
pub fn check_description(value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    validate::text("description", value, false, MAX_DESCRIPTION_CHARS, errors)
}

/// The checked slug, by the rules of article slugs.
pub fn check_slug(value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    Slug::parse("slug", value, errors).map(|s| s.as_str().to_owned())
}

/// Positions are kept within a range that every client's integers hold.
pub fn check_position(value: i64, errors: &mut Vec<FieldError>) {
    if !(-1_000_000..=1_000_000).contains(&value) {
        errors.push(FieldError::new(
            "position",
            "must be between -1000000 and 1000000",
        ));
    }
}
