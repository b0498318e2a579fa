//! `/v1/images`: upload, library, metadata and the files themselves.

use std::collections::HashMap;
use std::time::Duration;

use actix_multipart::{Multipart, MultipartError};
use actix_web::body::SizedStream;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, delete, get, patch, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{self, ImageMeta, ImageRow};
use super::sniff::{self, SniffError};
use super::store::{original_key, rendition_key};
use super::{Image, ImageUpdate, RENDITION_WIDTHS, check_meta, render};
use crate::app::AppState;
use crate::auth::{AuthUser, OptionalAuth};
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::base::public_base;
use crate::http::etag::{IfMatch, not_modified, read_response, tagged_json, tagged_response};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::ids::{ImageId, UserId};
use crate::users::Role;

/// Cache headers of bytes anyone may fetch. The bytes behind an id never change, but whether
/// anyone may fetch them does: unpublishing the only story that shows a picture (a takedown)
/// makes its URL 404. So caches keep them a minute and then must ask again (a 304 against the
/// content hash, no bytes sent), and never serve them stale: a withdrawn picture is gone from
/// every cache within a minute, as a withdrawn article is (60 s plus 30 s stale).
const PUBLIC_BYTES: &str = "public, max-age=60, must-revalidate";
/// Cache headers of embargoed bytes: only for the staff member who asked.
const PRIVATE: &str = "private, no-cache";

fn not_found() -> ApiError {
    ApiError::NotFound("no image has this id".to_owned())
}

/// The upload form.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// The image: JPEG, PNG, WebP or GIF, recognised from its bytes. Location and camera
    /// metadata are removed before it is stored.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What the picture shows, for readers who cannot see it.
    #[schema(nullable = false)]
    alt_text: Option<String>,
    /// Who made it.
    #[schema(nullable = false)]
    credit: Option<String>,
    /// Its licence.
    #[schema(nullable = false)]
    license: Option<String>,
    /// Where it came from (http or https).
    #[schema(nullable = false)]
    source_url: Option<String>,
    /// A title for the library.
    #[schema(nullable = false)]
    title: Option<String>,
}

fn multipart_error(e: MultipartError) -> ApiError {
    match e.status_code() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::UnsupportedMediaType("send the upload as multipart/form-data".to_owned())
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(e.to_string()),
        _ => ApiError::BadRequest(format!("the multipart body is not valid: {e}")),
    }
}

/// The parts of an upload, read with limits.
struct Parts {
    file: Option<Vec<u8>>,
    fields: HashMap<String, String>,
}

/// Reads an upload's parts within `total` (`MASTHEAD_UPLOAD_TIMEOUT`), with no pause between
/// two pieces longer than `idle` (`MASTHEAD_BODY_TIMEOUT`): 408 otherwise. The total bounds a
/// trickle; the pause bound frees a stalled connection long before the total is up.
async fn read_parts(
    payload: Multipart,
    max_file_bytes: usize,
    total: Duration,
    idle: Duration,
) -> ApiResult<Parts> {
    actix_web::rt::time::timeout(total, read_parts_pausing(payload, max_file_bytes, idle))
        .await
        .unwrap_or_else(|_| Err(crate::http::json::body_timed_out(total)))
}

/// The next item of an upload, if it comes within `idle`.
async fn within<T>(idle: Duration, next: impl std::future::Future<Output = T>) -> ApiResult<T> {
    actix_web::rt::time::timeout(idle, next).await.map_err(|_| {
        ApiError::RequestTimeout(format!(
            "the upload paused for more than {} seconds",
            idle.as_secs()
        ))
    })
}

async fn read_parts_pausing(
    mut payload: Multipart,
    max_file_bytes: usize,
    idle: Duration,
) -> ApiResult<Parts> {
    const MAX_TEXT_BYTES: usize = 16 * 1024;
    let mut parts = Parts {
        file: None,
        fields: HashMap::new(),
    };
    let mut errors = Vec::new();
    while let Some(field) = within(idle, payload.next()).await? {
        let mut field = field.map_err(multipart_error)?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = name == "file";
        let known = is_file || super::META_LIMITS.iter().any(|(n, _)| *n == name);
        let limit = if is_file {
            max_file_bytes
        } else {
            MAX_TEXT_BYTES
        };
        let mut buffer = Vec::new();
        while let Some(chunk) = within(idle, field.next()).await? {
            let chunk = chunk.map_err(multipart_error)?;
            if buffer.len() + chunk.len() > limit {
                return Err(if is_file {
                    ApiError::PayloadTooLarge(format!("the file may be at most {limit} bytes"))
                } else {
                    ApiError::field(name, "is too long")
                });
            }
            if known {
                buffer.extend_from_slice(&chunk);
            }
        }
        if !known {
            errors.push(FieldError::new(name, "is not a known field"));
        } else if is_file {
            if parts.file.is_some() {
                errors.push(FieldError::new("file", "send one file per upload"));
            }
            parts.file = Some(buffer);
        } else {
            match String::from_utf8(buffer) {
                Ok(text) => {
                    parts.fields.insert(name, text);
                }
                Err(_) => errors.push(FieldError::new(name, "must be UTF-8 text")),
            }
        }
    }
    if parts.file.is_none() {
        errors.push(FieldError::new(
            "file",
            "is required: attach the image as the `file` part",
        ));
    }
    if errors.is_empty() {
        Ok(parts)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn sniff_error(e: SniffError) -> ApiError {
    match e {
        SniffError::Unsupported => ApiError::UnsupportedMediaType(e.to_string()),
        other => ApiError::field("file", other.to_string()),
    }
}

/// An image's metadata and its ETag: the version and a hash of the body, since its URLs come from
/// the configured public URL as well as from the row.
fn image_response(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    row: ImageRow,
) -> ApiResult<HttpResponse> {
    let image = Image::from_row(row, Some(&public_base(req, &state.config)));
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, PRIVATE));
    if status == StatusCode::CREATED || status == StatusCode::OK {
        response.insert_header((header::LOCATION, format!("/v1/images/{}", image.id)));
    }
    tagged_response(response, image.version, &image)
}

/// Upload an image.
///
/// The type is recognised from the bytes (JPEG, PNG, WebP, GIF), never from the file name.
/// EXIF and other metadata that could locate a source are removed without re-encoding; the
/// orientation is kept. The same bytes uploaded again answer 200 with the image already in the
/// library (its metadata unchanged).
#[utoipa::path(
    tag = "images",
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored", body = Image, headers(("ETag" = String), ("Location" = String))),
        (status = 200, description = "These bytes were uploaded before: the existing image", body = Image),
        (status = 413, description = "Larger than the server's upload limit (`MASTHEAD_MAX_UPLOAD_BYTES`, set by its operator)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a JPEG, PNG, WebP or GIF", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, truncated, too many pixels, or bad metadata", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The media store cannot be reached: try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = String))),
    )
)]
#[post("/v1/images")]
pub async fn upload_image(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    payload: Multipart,
) -> ApiResult<HttpResponse> {
    let parts = read_parts(
        payload,
        state.config.max_upload_bytes,
        state.config.upload_timeout,
        state.config.body_timeout,
    )
    .await?;
    let mut errors = Vec::new();
    let get = |name: &str| parts.fields.get(name).map(String::as_str);
    let meta = ImageMeta {
        title: check_meta("title", get("title"), &mut errors),
        alt_text: check_meta("alt_text", get("alt_text"), &mut errors),
        credit: check_meta("credit", get("credit"), &mut errors),
        license: check_meta("license", get("license"), &mut errors),
        source_url: check_meta("source_url", get("source_url"), &mut errors),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let bytes = parts.file.unwrap_or_default();
    let max_pixels = state.config.max_image_pixels;
    // Sniff, check the structure, strip metadata, and decode once to be sure the pixels are
    // sound: all before anything is stored.
    let cleaned = crate::work::heavy(move || {
        let cleaned = sniff::clean(&bytes, max_pixels).map_err(sniff_error)?;
        render::decode(&cleaned.bytes)
            .map_err(|e| ApiError::field("file", format!("the image cannot be decoded: {e}")))?;
        Ok::<_, ApiError>(cleaned)
    })
    .await??;
    let hash = blake3::hash(&cleaned.bytes).to_hex().to_string();
    let key = original_key(&hash, cleaned.format.extension());

    let lookup = hash.clone();
    if let Some(existing) = state
        .db
        .read(move |conn| Ok(model::find_by_hash(conn, &lookup)?))
        .await?
    {
        return image_response(&req, &state, StatusCode::OK, existing);
    }
    let stored = cleaned.bytes;
    let byte_size = i64::try_from(stored.len()).unwrap_or(i64::MAX);
    // The object first, then its row: an upload is answered only when both exist. An object
    // whose row never commits is collected by the orphan sweep (`sweep::start`).
    state.media.put(&key, stored.into()).await?;

    let upright = matches!(cleaned.orientation, Some(5..=8));
    let (width, height) = if upright {
        (cleaned.height, cleaned.width)
    } else {
        (cleaned.width, cleaned.height)
    };
    let now = db::now();
    let row = ImageRow {
        id: ImageId::new_v7(),
        content_hash: hash.clone(),
        content_type: cleaned.format.mime().to_owned(),
        width: i32::try_from(width).unwrap_or(i32::MAX),
        height: i32::try_from(height).unwrap_or(i32::MAX),
        byte_size,
        title: meta.title,
        alt_text: meta.alt_text,
        credit: meta.credit,
        license: meta.license,
        source_url: meta.source_url,
        uploaded_by: Some(auth.id.clone()),
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let (status, row) = state
        .write_content(move |conn| match model::insert(conn, &row) {
            Ok(()) => Ok((StatusCode::CREATED, row)),
            // The same bytes arrived concurrently: theirs won.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok((
                StatusCode::OK,
                model::find_by_hash(conn, &hash)?.ok_or_else(not_found)?,
            )),
            Err(e) => Err(e.into()),
        })
        .await?;
    image_response(&req, &state, status, row)
}

/// Filters and paging for the image library.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListImagesQuery {
    /// Only this type: `image/jpeg`, `image/png`, `image/webp` or `image/gif`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub content_type: Option<String>,
    /// Only images this user uploaded.
    #[param(value_type = Option<String>)]
    pub uploaded_by: Option<UserId>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of images.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImagePage {
    /// Newest first.
    pub items: Vec<Image>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// List the image library (staff).
///
/// Newest first, paged with `limit` and `cursor`; filter by type or by uploader.
#[utoipa::path(
    tag = "images",
    params(ListImagesQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of images", body = ImagePage))
)]
#[get("/v1/images")]
pub async fn list_images(
    req: HttpRequest,
    state: web::Data<AppState>,
    _auth: AuthUser,
    query: web::Query<ListImagesQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let before = pagination::decode_optional("images", query.cursor.as_deref())?;
    let rows = state
        .db
        .read(move |conn| {
            Ok(model::list(
                conn,
                before.as_deref(),
                query.content_type.as_deref(),
                query.uploaded_by.as_ref(),
                limit + 1,
            )?)
        })
        .await?;
    let (rows, next_cursor) = pagination::paginate(rows, limit, "images", |r| r.id.to_string());
    let base = public_base(&req, &state.config);
    let items = rows
        .into_iter()
        .map(|r| Image::from_row(r, Some(&base)))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, PRIVATE))
        .json(ImagePage { items, next_cursor }))
}

/// How an image came to be visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// A published article shows it.
    Public,
    /// Only staff (with a token) may see it.
    Staff,
    /// A preview token opens an article that shows it.
    Preview,
}

/// Loads an image the caller may see: staff see all; the public only images a published
/// article shows (the embargo), and a preview token's holder also those its article shows. A
/// preview token, when sent, is checked (401 when it opens nothing).
async fn visible(
    state: &AppState,
    req: &HttpRequest,
    id: ImageId,
    staff: bool,
) -> ApiResult<(ImageRow, Seen)> {
    let preview = crate::http::preview::token(req.headers(), req.query_string())?;
    let now = db::now();
    state
        .db
        .read(move |conn| {
            let previewed = match &preview {
                Some(token) => crate::articles::previews::unlocks_image(conn, token, &id, now)?,
                None => false,
            };
            let row = model::find(conn, &id)?.ok_or_else(not_found)?;
            let seen = if model::is_public(conn, &row.id, now)? {
                Seen::Public
            } else if staff {
                Seen::Staff
            } else if previewed {
                Seen::Preview
            } else {
                return Err(not_found());
            };
            Ok((row, seen))
        })
        .await
}

/// Read an image's metadata.
///
/// Without a token, only images that a published article shows exist. A preview token also
/// shows the images its article shows (`Cache-Control: private, no-store`).
#[utoipa::path(
    tag = "images",
    params(
        ("id" = String, Path, description = "The image's id"),
        ("preview" = Option<String>, Query, description = "A preview token (`mhp_…`) of an article that shows the image: readable under embargo. 401 when the token opens no article"),
        ("Masthead-Preview" = Option<String>, Header, description = "A preview token, as in `preview`"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The image", body = Image, headers(("ETag" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such image (or embargoed)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/images/{id}")]
pub async fn get_image(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let (row, seen) = visible(&state, &req, id.into_inner().into(), staff).await?;
    let image = Image::from_row(row, Some(&public_base(&req, &state.config)));
    let image = if staff { image } else { image.for_public() };
    let (body, tag) = tagged_json(image.version, &image)?;
    let cache = match seen {
        Seen::Public if !staff => "public, max-age=60, stale-while-revalidate=30",
        Seen::Preview => crate::articles::previews::handlers::NO_STORE,
        _ => PRIVATE,
    };
    Ok(read_response(&req, tag, cache, body))
}

/// A rendition width.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// A rendition width: 320, 640, 1024, 1600 or 2048. Wider than the original gives the
    /// original.
    #[param(value_type = Option<super::RenditionWidth>)]
    pub w: Option<u32>,
}

/// Fetch the image's bytes, or a rendition.
///
/// Renditions are made on first request and kept. The bytes are content-addressed, so their
/// ETag never changes; public ones may be cached for a minute and then revalidated (a 304), so
/// that a picture withdrawn from publication leaves caches within a minute. A preview token
/// opens the bytes of the images its article shows while they are under embargo
/// (`Cache-Control: private, no-store`).
#[utoipa::path(
    tag = "images",
    params(
        ("id" = String, Path, description = "The image's id"),
        FileQuery,
        ("preview" = Option<String>, Query, description = "A preview token (`mhp_…`) of an article that shows the image: readable under embargo. 401 when the token opens no article"),
        ("Masthead-Preview" = Option<String>, Header, description = "A preview token, as in `preview`"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The bytes", content_type = "image/*",
            headers(("ETag" = String), ("Cache-Control" = String), ("X-Rendition" = String, description = "`generated` on the request that made the rendition, else `stored`"))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such image (or embargoed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A width not in the allowed set", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The media store cannot be reached: try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = String))),
    )
)]
#[get("/v1/images/{id}/file")]
pub async fn image_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    id: web::Path<String>,
    query: web::Query<FileQuery>,
) -> ApiResult<HttpResponse> {
    if let Some(w) = query.w
        && !RENDITION_WIDTHS.contains(&w)
    {
        return Err(ApiError::field(
            "w",
            format!("must be one of {RENDITION_WIDTHS:?}"),
        ));
    }
    let staff = auth.0.is_some();
    let (row, seen) = visible(&state, &req, id.into_inner().into(), staff).await?;
    let format = super::format_of_mime(&row.content_type)
        .ok_or_else(|| ApiError::internal(format!("unknown stored type {}", row.content_type)))?;
    let width = query.w.filter(|w| i64::from(*w) < i64::from(row.width));
    let tag = match width {
        Some(w) => format!("\"{}-w{w}\"", row.content_hash),
        None => format!("\"{}\"", row.content_hash),
    };
    let cache = match seen {
        Seen::Public => PUBLIC_BYTES,
        Seen::Staff => PRIVATE,
        Seen::Preview => crate::articles::previews::handlers::NO_STORE,
    };
    if not_modified(&req, &tag) {
        return Ok(crate::http::etag::not_modified_response(tag, cache));
    }
    let original = original_key(&row.content_hash, format.extension());
    let served_format = width.map_or(format, |_| render::rendition_format(format));
    let key = match width {
        None => original.clone(),
        Some(w) => rendition_key(&row.content_hash, w, served_format.extension()),
    };
    // A stored rendition is read at once (one request to a bucket); a missing one is made.
    let (object, made) = match (state.media.get(&key).await?, width) {
        (Some(object), _) => (Some(object), false),
        (None, None) => (None, false),
        (None, Some(w)) => {
            let (key, made) = render::ensure(
                state.media.as_ref(),
                &original,
                &row.content_hash,
                format,
                w,
            )
            .await
            .map_err(|e| match e {
                render::EnsureError::Store(e) => ApiError::from(e),
                render::EnsureError::Render(e) => ApiError::internal(e),
            })?;
            (state.media.get(&key).await?, made)
        }
    };
    let object =
        object.ok_or_else(|| ApiError::internal(format!("the stored file {key} is missing")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, served_format.mime()))
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header(("x-rendition", if made { "generated" } else { "stored" }))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(SizedStream::new(object.size, object.body)))
}

/// Change an image's metadata.
///
/// Title, alt text, credit, licence and source URL; the bytes never change (upload a new image
/// instead). Absent fields stay, `null` clears one. Needs `If-Match`. Editors and admins change
/// any image; writers only their own uploads while no published or scheduled article shows them.
#[utoipa::path(
    tag = "images",
    params(
        ("id" = String, Path, description = "The image's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = ImageUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed image", body = Image, headers(("ETag" = String))),
        (status = 403, description = "Not yours to change", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/images/{id}")]
pub async fn update_image(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<ImageUpdate>,
) -> ApiResult<HttpResponse> {
    let update = body.0;
    let id = ImageId::from(id.into_inner());
    let row = state
        .write_content(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            may_change(conn, &auth, &current)?;
            let mut errors = Vec::new();
            let mut pick = |field: &str, new: Option<Option<String>>, old: Option<String>| match new
            {
                Some(value) => check_meta(field, value.as_deref(), &mut errors),
                None => old,
            };
            let meta = ImageMeta {
                title: pick("title", update.title, current.title.clone()),
                alt_text: pick("alt_text", update.alt_text, current.alt_text.clone()),
                credit: pick("credit", update.credit, current.credit.clone()),
                license: pick("license", update.license, current.license.clone()),
                source_url: pick("source_url", update.source_url, current.source_url.clone()),
            };
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            if !model::update(conn, &id, current.version, &meta, db::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            let row = model::find(conn, &id)?.ok_or_else(not_found)?;
            crate::articles::announce::image_changed(conn, &current, &row)?;
            Ok(row)
        })
        .await?;
    image_response(&req, &state, StatusCode::OK, row)
}

/// Editors and admins change any image; writers only their own uploads, and only while no
/// published or scheduled article shows them: what readers see is the editors' to change.
fn may_change(conn: &mut DbConn, auth: &AuthUser, image: &ImageRow) -> ApiResult<()> {
    if auth.role.includes(Role::Editor) {
        return Ok(());
    }
    if image.uploaded_by.as_ref() != Some(&auth.id) {
        return Err(ApiError::Forbidden(
            "writers may change only their own uploads".to_owned(),
        ));
    }
    if model::shown_in_published(conn, &image.id)? {
        return Err(ApiError::Forbidden(
            "a published or scheduled article shows this image: only an editor may change it"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Delete an image.
///
/// Refused with 409, naming the articles, while any article shows it. Editors may delete any
/// image; writers only their own uploads.
#[utoipa::path(
    tag = "images",
    params(
        ("id" = String, Path, description = "The image's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted, with its file and renditions"),
        (status = 403, description = "Not yours to delete", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Articles still show it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/images/{id}")]
pub async fn delete_image(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = ImageId::from(id.into_inner());
    let row = state
        .write_content(move |conn| {
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            may_change(conn, &auth, &current)?;
            let users = model::used_by(conn, &id)?;
            if !users.is_empty() {
                let list = users
                    .iter()
                    .map(|article| format!("{} ({})", article.id, article.title))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(ApiError::Conflict(format!(
                    "articles still show this image: {list}"
                )));
            }
            if !model::delete(conn, &id, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(current)
        })
        .await?;
    // The row is gone (committed); now its files. A failure here (the store unreachable)
    // leaves only unreachable bytes, which the orphan sweep removes later.
    super::sweep::remove_files(state.media.as_ref(), &row.content_hash, &row.content_type).await;
    Ok(HttpResponse::NoContent().finish())
}
