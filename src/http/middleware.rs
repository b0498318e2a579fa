//! The outermost middleware: a request id on every log line, one line per request, and a problem
//! document for every error response, whichever layer produced it.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use tracing::Instrument;

use crate::error::{PROBLEM_JSON, Problem, problem_body};

/// The header that carries the request id, both ways.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps every request: see the module documentation.
pub async fn observe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable_request_id(v))
        .map_or_else(new_request_id, str::to_owned);
    let span = tracing::info_span!("request", id = %request_id);
    let method = req.method().clone();
    // HEAD is GET without a body: route it as GET; the HTTP layer, which saw the request as
    // HEAD, leaves the body out.
    if method == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let started = Instant::now();

    // Handlers' errors arrive here as responses; only a middleware could return an `Err`, and
    // the request it owned is gone with it (cloning it up front would break routing).
    let mut res = if let Some(refused) = crate::http::input::refuse_target(&req) {
        req.error_response(refused)
    } else {
        match next.call(req).instrument(span.clone()).await {
            Ok(res) => res.map_into_boxed_body(),
            Err(err) => {
                span.in_scope(
                    || tracing::warn!(%method, error = %err, "request failed in middleware"),
                );
                return Err(err);
            }
        }
    };
    if res.status().is_client_error() || res.status().is_server_error() {
        res = ensure_problem(res);
    }
    // Every response is exactly the type it says (JSON never sniffed as HTML), and none may be
    // framed or run anything as a page; /docs sets a policy of its own for its page.
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID.clone(), value);
    }

    let elapsed = started.elapsed().as_secs_f64();
    crate::metrics::request(
        res.request().path(),
        &method,
        res.status().as_u16(),
        elapsed,
    );
    // Only when the line is written: finding the route pattern walks the router again (a fifth
    // of the CPU of a request answered from the cache).
    if tracing::enabled!(tracing::Level::INFO) {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "(unmatched)".to_owned());
        let status = res.status().as_u16();
        let duration_ms = elapsed * 1000.0;
        span.in_scope(|| {
            tracing::info!(%method, %route, status, duration_ms = format!("{duration_ms:.2}"), "request");
        });
    }
    Ok(res)
}

/// A request id: unique per process (a counter) and across processes (a random prefix drawn at
/// start), 32 hex digits. A random UUID per request cost a system call for its randomness.
fn new_request_id() -> String {
    static PREFIX: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
        let mut bytes = [0u8; 8];
        // Without randomness the time of start still tells processes apart.
        getrandom::fill(&mut bytes).map_or_else(
            |_| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64)
            },
            |()| u64::from_le_bytes(bytes),
        )
    });
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:016x}{n:016x}", *PREFIX)
}

fn is_acceptable_request_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Replaces a non-problem error body (from actix itself or a middleware) with a problem document
/// for the same status, keeping headers such as `Allow` and `Retry-After`.
fn ensure_problem(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == PROBLEM_JSON.as_bytes());
    if is_problem {
        return res;
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
    let problem = Problem {
        type_: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: generic_detail(status).map(str::to_owned),
        errors: None,
    };
    ServiceResponse::new(req, builder.body(problem_body(&problem)))
}

fn generic_detail(status: StatusCode) -> Option<&'static str> {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => Some("the request body is larger than allowed"),
        StatusCode::BAD_REQUEST => Some("the request could not be understood"),
        StatusCode::INTERNAL_SERVER_ERROR => {
            Some("something went wrong on our side; it has been logged")
        }
        _ => None,
    }
}
