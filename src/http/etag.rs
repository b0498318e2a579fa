//! Entity tags (from resource versions, and from the bytes of what a response shows), and the
//! `If-Match` precondition.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::header::{ContentType, IF_NONE_MATCH};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::error::ApiError;

/// The ETag of version `version` of a resource: a strong validator, since it names the version
/// of the resource, not a byte sequence of one encoding of it.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// The ETag of a representation that shows more than its own row. An article shows its authors'
/// names, its images' alt text, credits and captions, and a status that moves with the clock (a
/// scheduled time coming due); a caption shows its image's credit. None of those changes its
/// version. The tag names the version, which `If-Match` compares (see [`IfMatch::check`]), and a
/// hash of the bytes, so that `If-None-Match` answers 304 only for the very same representation.
pub fn representation_etag(version: i64, body: &[u8]) -> String {
    let hex = blake3::hash(body).to_hex();
    format!("\"v{version}-{}\"", &hex[..16])
}

/// A JSON body and its [`representation_etag`].
pub fn tagged_json(
    version: i64,
    value: &impl serde::Serialize,
) -> Result<(Vec<u8>, String), ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let tag = representation_etag(version, &body);
    Ok((body, tag))
}

/// Finishes `response` (a write's, with its status and headers) with `value` as JSON under its
/// [`representation_etag`].
pub fn tagged_response(
    mut response: HttpResponseBuilder,
    version: i64,
    value: &impl serde::Serialize,
) -> Result<HttpResponse, ApiError> {
    let (body, tag) = tagged_json(version, value)?;
    Ok(response
        .insert_header((header::ETAG, tag))
        .content_type(ContentType::json())
        .body(body))
}

/// The answer to a conditional read of a JSON `body` tagged `tag`: a 304 when `If-None-Match`
/// names the tag, otherwise a 200 with the body, the tag, `cache_control`, and `Vary` on the
/// headers that change the body.
pub fn read_response(
    req: &HttpRequest,
    tag: String,
    cache_control: &'static str,
    body: Vec<u8>,
) -> HttpResponse {
    if not_modified(req, &tag) {
        return not_modified_response(tag, cache_control);
    }
    HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, "Authorization, Accept-Encoding"))
        .content_type(ContentType::json())
        .body(body)
}

/// A weak ETag for a composed response (a list): a hash of its bytes, so that any change to what
/// it shows (an author's name, a tag, an item's status) is a new tag.
pub fn list_etag(body: &[u8]) -> String {
    let hex = blake3::hash(body).to_hex();
    format!("W/\"{}\"", &hex[..24])
}

/// Whether the request's `If-None-Match` names `tag` (weak comparison, as RFC 9110 asks for
/// GET), so a 304 will do.
pub fn not_modified(req: &HttpRequest, tag: &str) -> bool {
    none_match(req.headers().get_all(IF_NONE_MATCH), tag)
}

/// Whether these `If-None-Match` values name `tag` (see [`not_modified`]).
pub fn none_match<'a>(values: impl Iterator<Item = &'a header::HeaderValue>, tag: &str) -> bool {
    let current = tag.strip_prefix("W/").unwrap_or(tag);
    values
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == current)
}

/// The 304 that stands for a 200 with this validator and cache policy.
pub fn not_modified_response(tag: String, cache_control: &'static str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::NotModified()
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .finish()
}

/// The `If-Match` header of a request that changes a resource; extracting it fails with 428 when
/// the header is missing, so that no change is made blind.
#[derive(Debug, Clone)]
pub struct IfMatch(Vec<String>);

impl IfMatch {
    /// Fails with 412 unless the header names `version` (or is `*`): a tag of that version from
    /// [`etag`], or from [`representation_etag`] whatever its hash. A change that is not the
    /// resource's own (a caption's new wording, in an article) does not stop an editor's save.
    pub fn check(&self, version: i64) -> Result<(), ApiError> {
        let current = etag(version);
        let represented = format!("\"v{version}-");
        // Compared on the opaque tag: a proxy that compresses a response may have weakened it.
        let matches = self.0.iter().any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag == current || (tag.starts_with(&represented) && tag.ends_with('"'))
        });
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed)
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut tags = Vec::new();
        for value in req.headers().get_all(header::IF_MATCH) {
            let Ok(value) = value.to_str() else {
                return ready(Err(ApiError::BadRequest(
                    "If-Match is not a valid header value".to_owned(),
                )));
            };
            tags.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            );
        }
        ready(if tags.is_empty() {
            Err(ApiError::PreconditionRequired)
        } else {
            Ok(Self(tags))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{IfMatch, representation_etag};

    fn check(tags: &[&str], version: i64) -> bool {
        IfMatch(tags.iter().map(|t| (*t).to_owned()).collect())
            .check(version)
            .is_ok()
    }

    #[test]
    fn if_match_compares_the_version_a_tag_names_and_nothing_else() {
        let tag = representation_etag(1, b"{}");
        assert!(tag.starts_with("\"v1-") && tag.ends_with('"'), "{tag}");
        assert!(check(&[&tag], 1));
        assert!(
            check(&["\"v1-0123456789abcdef\""], 1),
            "any hash of version 1"
        );
        assert!(check(&["\"v1\""], 1), "the version-only tag");
        assert!(
            check(&["W/\"v1-0123456789abcdef\""], 1),
            "weakened by a proxy"
        );
        assert!(check(&["\"v2-aa\"", "\"v1-bb\""], 1), "one of a list");
        assert!(check(&["*"], 7));
        assert!(!check(&[&tag], 10), "v1- is not v10-");
        assert!(!check(&["\"v10-0123\""], 1), "v10- is not v1-");
        assert!(!check(&["v1-0123"], 1), "unquoted");
        assert!(!check(&["\"v1-0123"], 1), "unterminated");
        assert!(!check(&["\"v0\""], 1));
    }
}
