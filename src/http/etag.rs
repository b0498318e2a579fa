//! Entity tags from resource versions, and the `If-Match` precondition.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::http::header::IF_NONE_MATCH;
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;

/// The ETag of version `version` of a resource: a strong validator, since it names the version
/// of the resource, not a byte sequence of one encoding of it.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// A weak ETag for a composed response (a list): a hash of what makes it up.
pub fn list_etag(parts: impl Iterator<Item = String>) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    let hex = hasher.finalize().to_hex();
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
    /// Fails with 412 unless the header names `version` (or is `*`).
    pub fn check(&self, version: i64) -> Result<(), ApiError> {
        let current = etag(version);
        // Compared on the opaque tag: a proxy that compresses a response may have weakened it.
        let matches = self
            .0
            .iter()
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == current);
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
