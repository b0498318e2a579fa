//! Closed sets of values that the Rust types carry as plain strings, named here so that the
//! document lists them as enums (`#[schema(value_type = …)]` on the field). The tests below tie
//! each set to the code that produces the values.

use serde::Serialize;
use utoipa::ToSchema;

/// How the server is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The process is up.
    Ok,
    /// The database answers.
    Ready,
}

/// The kind of access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum TokenType {
    /// Sent as `Authorization: Bearer …`.
    Bearer,
}

/// The type of an image file, recognised from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum ImageContentType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "image/gif")]
    Gif,
}

/// Where an article shows an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImageUsage {
    /// The featured image at the top.
    Featured,
    /// An image block in the body.
    Body,
}

/// The text of an article a quote was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuoteField {
    Title,
    Standfirst,
    /// The body's plain text.
    Body,
    /// A caption the article shows.
    Caption,
}

/// What a change to an article did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RevisionAction {
    Create,
    Update,
    Publish,
    Schedule,
    Unpublish,
    Archive,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_image_types_are_the_sniffers() {
        use crate::images::sniff::Format;
        let sniffed: Vec<&str> = [Format::Jpeg, Format::Png, Format::Webp, Format::Gif]
            .into_iter()
            .map(Format::mime)
            .collect();
        use ImageContentType::*;
        assert_eq!(names(&[Jpeg, Png, Webp, Gif]), sniffed);
    }

    #[test]
    fn the_sets_name_what_the_code_sends() {
        use HealthStatus::*;
        assert_eq!(names(&[Ok, Ready]), ["ok", "ready"]);
        assert_eq!(names(&[TokenType::Bearer]), ["Bearer"]);
        assert_eq!(
            names(&[ImageUsage::Featured, ImageUsage::Body]),
            ["featured", "body"]
        );
        use RevisionAction::*;
        assert_eq!(
            names(&[Create, Update, Publish, Schedule, Unpublish, Archive]),
            [
                "create",
                "update",
                "publish",
                "schedule",
                "unpublish",
                "archive"
            ]
        );
    }

    #[test]
    fn the_width_query_lists_the_rendition_widths() {
        let schema = serde_json::to_value(
            <crate::images::RenditionWidth as utoipa::PartialSchema>::schema(),
        )
        .unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!([320, 640, 1024, 1600, 2048])
        );
        assert_eq!(schema["type"], "integer");
    }
}
