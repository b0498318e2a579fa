//! Captions: the words under an image where one article uses it, with a credit that overrides
//! the image's.

pub mod handlers;
pub mod model;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::model::CaptionRow;
use crate::error::FieldError;
use crate::ids::{ArticleId, CaptionId, ImageId};

/// The longest caption text.
pub const MAX_TEXT_CHARS: usize = 1_000;
/// The longest credit.
pub const MAX_CREDIT_CHARS: usize = 300;

/// A caption.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Caption {
    /// The id (UUIDv7).
    #[schema(value_type = String)]
    pub id: CaptionId,
    /// The image it describes.
    #[schema(value_type = String)]
    pub image_id: ImageId,
    /// The article it belongs to.
    #[schema(value_type = String)]
    pub article_id: ArticleId,
    /// The words under the image.
    #[schema(example = "Soldiers at a training ground, illustrative image.")]
    pub text: String,
    /// A credit for this use, overriding the image's.
    pub credit: Option<String>,
    /// The credit readers see: this caption's, else the image's.
    pub effective_credit: Option<String>,
    /// The picture does not show the event itself.
    pub illustrative: bool,
    /// Increases with every change to the caption itself. Its ETag names this version (what
    /// `If-Match` compares) and a hash of the body, which also shows the image's credit.
    pub version: i64,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Caption {
    /// The API view of a row; `image_credit` is the image's own credit.
    pub fn from_row(row: CaptionRow, image_credit: Option<String>) -> Self {
        Self {
            effective_credit: row.credit.clone().or(image_credit),
            id: row.id,
            image_id: row.image_id,
            article_id: row.article_id,
            text: row.text,
            credit: row.credit,
            illustrative: row.illustrative,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// A new caption.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaption {
    /// The image.
    #[schema(value_type = String)]
    pub image_id: ImageId,
    /// The article that uses the image.
    #[schema(value_type = String)]
    pub article_id: ArticleId,
    /// The words (1–1,000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
    /// A credit for this use.
    #[schema(max_length = 300)]
    pub credit: Option<String>,
    /// The picture does not show the event itself (default false).
    #[serde(default)]
    pub illustrative: bool,
}

/// Changes to a caption; absent fields stay, a `null` credit falls back to the image's.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptionUpdate {
    #[schema(min_length = 1, max_length = 1000)]
    pub text: Option<String>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub credit: Option<Option<String>>,
    pub illustrative: Option<bool>,
}

/// Checks caption text and credit; returns them trimmed.
pub fn check(
    text: &str,
    credit: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> (String, Option<String>) {
    let text = crate::validate::text("text", Some(text), true, MAX_TEXT_CHARS, errors);
    let credit = crate::validate::text("credit", credit, false, MAX_CREDIT_CHARS, errors);
    (text.unwrap_or_default(), credit)
}
