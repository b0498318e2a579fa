//! A JSON body extractor whose every failure is a problem document naming the field at fault.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// The largest JSON body accepted, set from `MASTHEAD_MAX_BODY_BYTES` as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// How long a JSON body may take to arrive in full, set from `MASTHEAD_BODY_TIMEOUT` as app
/// data.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// The 408 answered to a body that did not arrive within `deadline`.
pub fn body_timed_out(deadline: Duration) -> ApiError {
    ApiError::RequestTimeout(format!(
        "the body did not arrive in full within {} seconds",
        deadline.as_secs()
    ))
}

/// A JSON request body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            if !content_type_ok {
                return Err(unsupported());
            }
            parse(&body.await?).map(ApiJson)
        })
    }
}

/// An optional JSON request body: an empty body (or a JSON `null`, which some clients send for
/// "no body") is `None`; anything else must be valid JSON.
#[derive(Debug)]
pub struct MaybeJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for MaybeJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json(req);
        let body = read_body(req, payload);
        Box::pin(async move {
            let body = body.await?;
            if body.is_empty() {
                return Ok(MaybeJson(None));
            }
            if !content_type_ok {
                return Err(unsupported());
            }
            parse::<Option<T>>(&body).map(MaybeJson)
        })
    }
}

fn unsupported() -> ApiError {
    ApiError::UnsupportedMediaType("send the body as application/json".to_owned())
}

/// Reads the whole body, up to the configured limit (413 beyond it) and within the configured
/// deadline (408 past it).
///
/// The deadline is for the whole body, not for each pause between pieces: a client that trickles
/// a byte a second would pass any idle timeout yet hold its connection for as long as it likes.
/// A JSON body is at most a megabyte by default, so even a slow phone sends it well within it.
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl std::future::Future<Output = Result<BytesMut, ApiError>> + 'static {
    let limit = req.app_data::<BodyLimit>().map_or(1024 * 1024, |l| l.0);
    let deadline = req
        .app_data::<BodyTimeout>()
        .map_or(Duration::from_secs(15), |t| t.0);
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut payload = payload.take();
    async move {
        let too_large =
            || ApiError::PayloadTooLarge(format!("the body may be at most {limit} bytes"));
        if declared_length.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let read = async move {
            let mut body = BytesMut::with_capacity(declared_length.unwrap_or(1024).min(limit));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::BadRequest(format!("the body could not be read: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        actix_web::rt::time::timeout(deadline, read)
            .await
            .unwrap_or_else(|_| Err(body_timed_out(deadline)))
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// For PATCH fields: tells an absent field (`None`, with `#[serde(default)]`) from an explicit
/// `null` (`Some(None)`), so `null` can clear a value while absence leaves it alone.
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}

/// Parses a JSON body: broken syntax is 400, a wrong shape is 422 with the field's path.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "the body is empty; send a JSON object".to_owned(),
        ));
    }
    if super::input::has_escaped_nul(body) {
        // Named like any other field at fault; a body that is not JSON at all falls through to
        // the syntax error below.
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
            let path = super::input::path_of_nul(&value).unwrap_or_default();
            let field = if path.is_empty() {
                "body".to_owned()
            } else {
                path
            };
            return Err(ApiError::Validation(vec![FieldError::new(
                field,
                "must not contain a NUL character",
            )]));
        }
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    let result: Result<T, _> = serde_path_to_error::deserialize(deserializer);
    let error = match result {
        Ok(value) => {
            return Ok(value);
        }
        Err(error) => error,
    };
    let path = error.path().to_string();
    let inner = error.into_inner();
    let message = describe(&inner.to_string());
    match inner.classify() {
        serde_json::error::Category::Data => {
            Err(ApiError::Validation(vec![field_error(&path, &message)]))
        }
        _ => Err(ApiError::BadRequest(format!(
            "the body is not valid JSON: {message}"
        ))),
    }
}

/// Names the field at fault: serde puts a missing field's name in the message, not the path.
fn field_error(path: &str, message: &str) -> FieldError {
    let at = if path == "." { "" } else { path };
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or_default();
        let field = if at.is_empty() {
            name.to_owned()
        } else {
            format!("{at}.{name}")
        };
        return FieldError::new(field, "is required");
    }
    let field = if at.is_empty() { "body" } else { at };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        // serde_path_to_error already ends the path with the unknown field.
        let expected = rest.split_once('`').map_or("", |(_, r)| r);
        return FieldError::new(
            field,
            format!(
                "is not a known field{}",
                expected.replace(", expected", "; expected")
            ),
        );
    }
    FieldError::new(field, message)
}

/// serde's message without its position suffix and without our Rust type names.
fn describe(message: &str) -> String {
    let message = message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i]);
    match message.find("expected struct ") {
        Some(i) => format!("{}expected a JSON object", &message[..i]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        password: String,
    }

    fn fields(result: Result<Login, ApiError>) -> Vec<FieldError> {
        match result {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        let e = fields(parse(br#"{"email": 5, "password": "x"}"#));
        assert_eq!(e[0].field, "email");
        let e = fields(parse(br#"{"email": "a"}"#));
        assert_eq!(e[0].field, "password");
        assert_eq!(e[0].message, "is required");
        let e = fields(parse(br#"{"email": "a", "password": "b", "admin": true}"#));
        assert_eq!(e[0].field, "admin");
        assert!(
            e[0].message.starts_with("is not a known field"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse::<Login>(b"{\"email\": "),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(parse::<Login>(b""), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn messages_do_not_name_rust_types() {
        let e = fields(parse(b"true"));
        assert_eq!(e[0].field, "body");
        assert_eq!(
            e[0].message,
            "invalid type: boolean `true`, expected a JSON object"
        );
    }
}
