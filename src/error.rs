//! One error type for the whole API, rendered as RFC 9457 problem details.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:masthead:problem:validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "1 field is not valid",
    "errors": [{"field": "email", "message": "must be an email address"}]
}))]
pub struct Problem {
    /// A URI that names the kind of problem (`urn:masthead:problem:<kind>`).
    #[serde(rename = "type")]
    pub type_: String,
    /// A short summary of the kind of problem; the same for every occurrence.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person to read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub detail: Option<String>,
    /// For validation problems: each field that is not valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldError>>,
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// The field's path in the request, such as `email` or `body[3].text`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error with its path and message.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is syntactically wrong (malformed JSON, a bad query string, a bad cursor).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// One or more fields are not valid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// No credentials, or credentials that are not valid.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Valid credentials without the right to do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The resource does not exist (or is not visible to this caller).
    #[error("not found: {0}")]
    NotFound(String),
    /// The path exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    /// The request conflicts with the current state (a duplicate, a rule that would break).
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` did not match the current version.
    #[error("precondition failed")]
    PreconditionFailed,
    /// `If-Match` is required and was not sent.
    #[error("precondition required")]
    PreconditionRequired,
    /// The request body is larger than allowed.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// The request body did not arrive within its deadline.
    #[error("request timeout: {0}")]
    RequestTimeout(String),
    /// The request body has the wrong media type.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The client sent too many requests; it may try again after this many seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    /// A dependency (the database) is not answering.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The media store (a bucket) is not answering: media operations wait for it, the rest
    /// of the API does not.
    #[error("media store unavailable: {0}")]
    MediaUnavailable(String),
    /// Anything that is our fault; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An internal error from any cause.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// A validation error on one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The short, stable name of this kind of problem.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad-request",
            Self::Validation(_) => "validation",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed => "precondition-failed",
            Self::PreconditionRequired => "precondition-required",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::RequestTimeout(_) => "request-timeout",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable(_) => "unavailable",
            Self::MediaUnavailable(_) => "media-unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "The request is malformed",
            Self::Validation(_) => "The request is not valid",
            Self::Unauthorized(_) => "Authentication is required",
            Self::Forbidden(_) => "Not allowed",
            Self::NotFound(_) => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::Conflict(_) => "Conflict",
            Self::PreconditionFailed => "The resource has changed",
            Self::PreconditionRequired => "If-Match is required",
            Self::PayloadTooLarge(_) => "The request body is too large",
            Self::RequestTimeout(_) => "The request body did not arrive in time",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::Unavailable(_) => "Service unavailable",
            Self::MediaUnavailable(_) => "Media storage unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            Self::BadRequest(d)
            | Self::Unauthorized(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::PayloadTooLarge(d)
            | Self::RequestTimeout(d)
            | Self::UnsupportedMediaType(d) => Some(d.clone()),
            // The cause may name hosts or drivers: it is logged, not shown.
            Self::Unavailable(_) => Some(
                "the service cannot reach its database right now; try again shortly".to_owned(),
            ),
            Self::MediaUnavailable(_) => Some(
                "the service cannot reach its media storage right now; try again shortly"
                    .to_owned(),
            ),
            Self::Validation(errors) => Some(match errors.len() {
                1 => "1 field is not valid".to_owned(),
                n => format!("{n} fields are not valid"),
            }),
            Self::MethodNotAllowed { allow } => Some(format!(
                "this path accepts only {}",
                allow.join(", ")
            )),
            Self::PreconditionFailed => Some(
                "the resource was changed since you read it: fetch it again and reapply your change"
                    .to_owned(),
            ),
            Self::PreconditionRequired => Some(
                "send If-Match with the ETag you last read, so that no edit is lost".to_owned(),
            ),
            Self::TooManyRequests { retry_after } => Some(format!(
                "slow down: try again in {retry_after} seconds"
            )),
            Self::Internal(_) => Some("something went wrong on our side; it has been logged".to_owned()),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!("urn:masthead:problem:{}", self.kind()),
            title: self.title().to_owned(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::MediaUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // The one place internal errors are logged, with their whole cause chain.
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %ErrorChain(cause.as_ref()), "internal error")
            }
            Self::Unavailable(cause) | Self::MediaUnavailable(cause) => {
                tracing::warn!(cause = %cause, "dependency unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Self::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Self::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.join(", ")));
        }
        if let Self::Unavailable(_) | Self::MediaUnavailable(_) = self {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        if let Self::TooManyRequests { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        response.body(problem_body(&self.problem()))
    }
}

/// Serialises a problem; a `Problem` cannot fail to serialise, but never panic on it.
pub fn problem_body(problem: &Problem) -> String {
    serde_json::to_string(problem).unwrap_or_else(|_| {
        format!(
            r#"{{"type":"about:blank","title":"Error","status":{}}}"#,
            problem.status
        )
    })
}

/// Displays an error with every source in its chain: `outer: inner: root`.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::NotFound("no such resource".to_owned()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::Conflict("a resource with the same unique value already exists".to_owned())
            }
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => {
                tracing::warn!(cause = info.message(), "lost a database connection");
                Self::Unavailable("the database connection was lost; retry the request".to_owned())
            }
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(format!("no database connection available: {error}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::internal(error)
    }
}

/// Convenience alias for handler and query results.
pub type ApiResult<T> = Result<T, ApiError>;
