//! Headers for the API reference at `/docs`: its assets are cached by browsers and revalidated
//! by ETag, and its pages carry a content security policy that Swagger UI's own files satisfy.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Swagger UI loads its scripts and styles from `/docs/`, sets inline styles and draws icons from
/// `data:` URLs, and fetches the document and the API from this origin.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The assets are built into the binary and change only with it: a day's freshness, then an
/// ETag revalidation that costs no body.
const ASSET_CACHE: &str = "public, max-age=86400";

/// ETags of the assets served so far, by path (each hashed once).
static TAGS: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Mutex::default);

/// The middleware; any other path passes through untouched.
pub async fn docs_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !req.path().starts_with("/docs") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let path = req.path().to_owned();
    let validators: Vec<HeaderValue> = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .cloned()
        .collect();
    let res = next.call(req).await?.map_into_boxed_body();
    let mut res = if res.status() == StatusCode::OK && is_asset(&path) {
        cacheable(res, &path, &validators).await?
    } else {
        res
    };
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

/// The static files; the page and its initializer (which holds the settings) are not.
fn is_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    (file.ends_with(".js") || file.ends_with(".css") || file.ends_with(".png"))
        && file != "swagger-initializer.js"
}

async fn cacheable(
    res: ServiceResponse<BoxBody>,
    path: &str,
    validators: &[HeaderValue],
) -> Result<ServiceResponse<BoxBody>, Error> {
    let (req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("docs asset"))?;
    let known = TAGS.lock().ok().and_then(|t| t.get(path).cloned());
    let tag = known.unwrap_or_else(|| {
        let tag = format!("\"{}\"", &blake3::hash(&bytes).to_hex()[..24]);
        if let Ok(mut tags) = TAGS.lock() {
            tags.insert(path.to_owned(), tag.clone());
        }
        tag
    });
    let fresh = validators.iter().any(|v| {
        v.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
    });
    let mut response = if fresh {
        HttpResponse::NotModified().finish()
    } else {
        let mut r = head.set_body(BoxBody::new(bytes));
        r.headers_mut().remove(header::CACHE_CONTROL);
        r
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(ASSET_CACHE));
    Ok(ServiceResponse::new(req, response))
}
