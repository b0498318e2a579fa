//! Authors: the public profile a byline links to (slug, name, job title, bio, avatar, links).
//! A staff member's profile carries their user id, the id their bylines show, and their
//! account's display name; it never shows the account's email, role or state. A guest
//! contributor's profile has no account: its own id and `display_name`, bylined the same way.

pub mod handlers;
pub mod model;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::ids::ImageId;
use crate::images::Picture;
use crate::validate;

/// The most social links.
pub const MAX_SOCIAL: usize = 10;

/// Where readers find an author elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuthorLinks {
    /// Their own site.
    pub website: Option<String>,
    /// Their profiles on social networks.
    pub social: Vec<String>,
    /// A public contact address the author chose (never their account's email).
    pub contact_email: Option<String>,
}

/// An author's public profile.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuthorProfile {
    /// The id their bylines show (`authors[].id` of an article).
    pub id: String,
    /// The URL slug: what `/v1/authors/{slug}` and the article list's `author` filter take.
    #[schema(example = "olena-kovalenko")]
    pub slug: String,
    /// The name on their bylines.
    pub display_name: String,
    /// Such as "Transport correspondent".
    pub job_title: Option<String>,
    /// A few sentences about them.
    pub bio: Option<String>,
    /// Their photo, with its URLs and sizes.
    pub avatar: Option<Picture>,
    /// Where readers find them elsewhere.
    pub links: AuthorLinks,
    /// Increases with every change to the profile.
    pub version: i64,
}

/// A page of authors.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthorPage {
    /// By slug.
    pub items: Vec<AuthorProfile>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A guest contributor: a profile without an account, which articles can byline.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAuthor {
    /// The name on their bylines (at most 100 characters).
    #[schema(example = "Marta Nowak")]
    pub display_name: String,
    /// The slug (`[a-z0-9-]`); made from the name when absent (numbered when taken).
    pub slug: Option<String>,
    #[schema(max_length = 100)]
    pub job_title: Option<String>,
    #[schema(max_length = 5000)]
    pub bio: Option<String>,
    /// An image from the media library.
    #[schema(value_type = Option<String>)]
    pub avatar_image_id: Option<ImageId>,
    /// An http(s) URL.
    pub website: Option<String>,
    /// http(s) URLs, at most 10.
    #[serde(default)]
    pub social: Vec<String>,
    /// A public contact address.
    pub contact_email: Option<String>,
}

/// Changes to a profile; absent fields stay as they are, `null` clears one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorPatch {
    /// A new slug (`[a-z0-9-]`).
    pub slug: Option<String>,
    /// A guest's new name (a staff member's is their account's, changed through `/v1/users`).
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub job_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub bio: Option<Option<String>>,
    /// An image from the media library.
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub avatar_image_id: Option<Option<ImageId>>,
    /// An http(s) URL.
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    /// http(s) URLs, at most 10.
    pub social: Option<Vec<String>>,
    /// A public contact address.
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub contact_email: Option<Option<String>>,
}

/// A checked optional URL field.
pub fn check_link(field: &str, url: &str, errors: &mut Vec<FieldError>) {
    if let Err(e) = validate::check_url(url, false) {
        errors.push(FieldError::new(field, e.message(false)));
    }
}
