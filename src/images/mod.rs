//! Images: safe uploads, metadata without location, renditions made once, and the embargo that
//! keeps a scoop's photo private until its story is out.

pub mod handlers;
pub mod migrate;
pub mod model;
pub mod render;
pub mod sniff;
pub mod store;
pub mod sweep;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::model::ImageRow;
use crate::error::FieldError;
use crate::ids::{CaptionId, ImageId, UserId};

/// The widths a rendition may have.
pub const RENDITION_WIDTHS: [u32; 5] = [320, 640, 1024, 1600, 2048];

/// A rendition width in pixels (the `w` query of an image file): one of [`RENDITION_WIDTHS`],
/// listed as an enum in the document.
#[derive(Debug, Clone, Copy)]
pub struct RenditionWidth;

impl utoipa::PartialSchema for RenditionWidth {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .enum_values(Some(RENDITION_WIDTHS))
            .description(Some("A rendition width in pixels"))
            .into()
    }
}

impl ToSchema for RenditionWidth {}

/// A rendition: the image at one width.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rendition {
    /// Its width in pixels.
    pub width: u32,
    /// Its height in pixels.
    pub height: u32,
    /// Where to fetch it.
    pub url: String,
}

/// An image's metadata.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Image {
    /// The id (UUIDv7).
    #[schema(value_type = String)]
    pub id: ImageId,
    /// `image/jpeg`, `image/png`, `image/webp` or `image/gif`, from the bytes themselves.
    #[schema(value_type = crate::openapi::closed::ImageContentType)]
    pub content_type: String,
    /// Width in pixels, as displayed (after the EXIF orientation).
    pub width: u32,
    /// Height in pixels, as displayed.
    pub height: u32,
    /// Size of the stored file in bytes (staff only; `null` for the public).
    pub byte_size: Option<i64>,
    /// BLAKE3 hash of the stored file (staff only; `null` for the public).
    pub content_hash: Option<String>,
    /// A title for the library.
    pub title: Option<String>,
    /// What the picture shows, for readers who cannot see it.
    pub alt_text: Option<String>,
    /// Who made it ("Photo via Wikimedia Commons").
    pub credit: Option<String>,
    /// Its licence.
    pub license: Option<String>,
    /// Where it came from.
    pub source_url: Option<String>,
    /// The original file.
    pub url: String,
    /// Smaller renditions (only widths below the original's).
    pub renditions: Vec<Rendition>,
    /// Who uploaded it (staff only; `null` for the public).
    #[schema(value_type = Option<String>)]
    pub uploaded_by: Option<UserId>,
    /// Increases with every change; the ETag is made from it.
    pub version: i64,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// When its metadata last changed.
    pub updated_at: DateTime<Utc>,
}

/// An image where an article shows it, with everything a page needs to render it: the URLs and
/// true sizes of the original and its renditions, the alt text, and this use's caption and credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Picture {
    /// The image's id.
    #[schema(value_type = String)]
    pub image_id: ImageId,
    /// The caption's id, when this use has a caption.
    #[schema(value_type = Option<String>)]
    pub caption_id: Option<CaptionId>,
    /// The original file.
    pub url: String,
    /// The original's width in pixels, as displayed.
    pub width: u32,
    /// The original's height in pixels, as displayed.
    pub height: u32,
    /// What the picture shows, for readers who cannot see it.
    pub alt_text: Option<String>,
    /// The words under the picture in this article.
    pub caption: Option<String>,
    /// The credit readers see: the caption's, else the image's.
    pub credit: Option<String>,
    /// The picture does not show the event itself.
    pub illustrative: bool,
    /// Narrower copies (widths below the original's), narrowest first.
    pub renditions: Vec<Rendition>,
}

impl Picture {
    /// The picture of `image` used with `caption`; URLs start with `base` (empty: site-relative).
    pub fn new(
        image: &ImageRow,
        caption: Option<&crate::captions::model::CaptionRow>,
        base: &str,
    ) -> Self {
        let width = u32::try_from(image.width).unwrap_or(0);
        let height = u32::try_from(image.height).unwrap_or(0);
        Self {
            image_id: image.id.clone(),
            caption_id: caption.map(|c| c.id.clone()),
            url: file_url(Some(base), &image.id, None),
            width,
            height,
            alt_text: image.alt_text.clone(),
            caption: caption.map(|c| c.text.clone()),
            credit: caption
                .and_then(|c| c.credit.clone())
                .or_else(|| image.credit.clone()),
            illustrative: caption.is_some_and(|c| c.illustrative),
            renditions: renditions(base, &image.id, width, height),
        }
    }

    /// The `srcset` of an `<img>`: every rendition and the original, by width.
    pub fn srcset(&self) -> String {
        self.renditions
            .iter()
            .map(|r| (r.url.as_str(), r.width))
            .chain(std::iter::once((self.url.as_str(), self.width)))
            .map(|(url, w)| format!("{url} {w}w"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The renditions of an image `width`×`height`: the allowed widths below its own.
fn renditions(base: &str, id: &str, width: u32, height: u32) -> Vec<Rendition> {
    RENDITION_WIDTHS
        .iter()
        .filter(|w| **w < width)
        .map(|w| Rendition {
            width: *w,
            height: scaled_height(width, height, *w),
            url: file_url(Some(base), id, Some(*w)),
        })
        .collect()
}

/// The format of a stored MIME type.
pub fn format_of_mime(mime: &str) -> Option<sniff::Format> {
    use sniff::Format;
    [Format::Jpeg, Format::Png, Format::Webp, Format::Gif]
        .into_iter()
        .find(|f| f.mime() == mime)
}

/// The URL of an image's file, optionally at a rendition width.
pub fn file_url(public_url: Option<&str>, id: &str, width: Option<u32>) -> String {
    let base = public_url.unwrap_or("");
    match width {
        Some(w) => format!("{base}/v1/images/{id}/file?w={w}"),
        None => format!("{base}/v1/images/{id}/file"),
    }
}

impl Image {
    /// The API view of a row.
    pub fn from_row(row: ImageRow, public_url: Option<&str>) -> Self {
        let width = u32::try_from(row.width).unwrap_or(0);
        let height = u32::try_from(row.height).unwrap_or(0);
        let renditions = renditions(public_url.unwrap_or(""), &row.id, width, height);
        Self {
            url: file_url(public_url, &row.id, None),
            renditions,
            id: row.id,
            content_type: row.content_type,
            width,
            height,
            byte_size: Some(row.byte_size),
            content_hash: Some(row.content_hash),
            title: row.title,
            alt_text: row.alt_text,
            credit: row.credit,
            license: row.license,
            source_url: row.source_url,
            uploaded_by: row.uploaded_by,
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

impl Image {
    /// The image as the public sees it: nothing about the newsroom's own storage or staff.
    #[must_use]
    pub fn for_public(self) -> Self {
        Self {
            byte_size: None,
            content_hash: None,
            uploaded_by: None,
            ..self
        }
    }
}

/// The height of a rendition `width` wide, keeping the aspect ratio.
pub fn scaled_height(original_width: u32, original_height: u32, width: u32) -> u32 {
    if original_width == 0 {
        return 0;
    }
    let h = (u64::from(original_height) * u64::from(width) + u64::from(original_width) / 2)
        / u64::from(original_width);
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

/// Changes to an image's metadata; absent fields stay, `null` clears.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageUpdate {
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub alt_text: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub credit: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub license: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>)]
    pub source_url: Option<Option<String>>,
}

/// The most characters of each metadata field.
pub const META_LIMITS: [(&str, usize); 5] = [
    ("title", 300),
    ("alt_text", 1_000),
    ("credit", 300),
    ("license", 200),
    ("source_url", 2_000),
];

/// Checks one metadata value; empty strings count as absent.
pub fn check_meta(
    field: &str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let max = META_LIMITS
        .iter()
        .find(|(name, _)| *name == field)
        .map_or(300, |(_, max)| *max);
    let before = errors.len();
    let value = crate::validate::text(field, value, false, max, errors)?;
    if field == "source_url" && errors.len() == before {
        crate::validate::HttpUrl::parse(field, &value, errors);
    }
    Some(value)
}
