//! Where a request carries a preview token: the `preview` query parameter or the
//! `Masthead-Preview` header. The response cache and the reads that honour a token decide from
//! this one place, so a request the cache lets through is exactly one a handler treats as a
//! preview.

use actix_web::http::header::HeaderMap;

use crate::error::ApiError;

/// The header that carries a preview token.
pub const HEADER: &str = "masthead-preview";
/// The query parameter that carries a preview token.
pub const QUERY: &str = "preview";

/// Whether the request names a preview token at all (well formed or not), so that it must
/// neither be answered from the public cache nor fill it. Query names are compared decoded
/// (`pre%76iew` is `preview`), as the handlers read them.
pub fn carried(headers: &HeaderMap, query: &str) -> bool {
    headers.contains_key(HEADER)
        || url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == QUERY)
}

/// The preview token the request carries, if any: from the header or the query (400 when both
/// are sent and differ, or the query names it twice).
pub fn token(headers: &HeaderMap, query: &str) -> Result<Option<String>, ApiError> {
    let mut from_query = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == QUERY)
        .map(|(_, value)| value.into_owned());
    let in_query = from_query.next();
    if from_query.next().is_some() {
        return Err(ApiError::BadRequest(format!(
            "send the `{QUERY}` query parameter once"
        )));
    }
    let in_header = match headers.get(HEADER) {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::Unauthorized("the preview token is not valid".to_owned()))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    match (in_query, in_header) {
        (Some(q), Some(h)) if q != h => Err(ApiError::BadRequest(
            "the `preview` query parameter and the `Masthead-Preview` header name different \
             tokens; send one"
                .to_owned(),
        )),
        (q, h) => Ok(h.or(q)),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn with_header(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static(HEADER),
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("x")),
        );
        headers
    }

    #[test]
    fn a_token_is_found_in_the_query_or_the_header_however_encoded() {
        let none = HeaderMap::new();
        assert!(!carried(&none, "w=320&previews=1"));
        assert!(carried(&none, "w=320&pre%76iew=abc"));
        assert!(carried(&none, "preview"));
        assert!(carried(&with_header("abc"), ""));
        assert_eq!(
            token(&none, "pre%76iew=mhp_x").ok().flatten().as_deref(),
            Some("mhp_x")
        );
        assert_eq!(
            token(&with_header("mhp_y"), "preview=mhp_y")
                .ok()
                .flatten()
                .as_deref(),
            Some("mhp_y")
        );
        assert!(token(&with_header("mhp_y"), "preview=mhp_z").is_err());
        assert!(token(&none, "preview=a&preview=b").is_err());
        assert_eq!(token(&none, "w=1").ok().flatten(), None);
    }
}
