//! `/v1/sections`: the navigation for the public, its upkeep for editors.

use crate::articles::announce::{self, Shown};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{self, SectionRow};
use super::{
    NewSection, Section, SectionList, SectionPatch, check_description, check_name, check_position,
    check_slug,
};
use crate::app::AppState;
use crate::articles::slug::slugify;
use crate::auth::{AuthUser, OptionalAuth};
use crate::db;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::etag::{IfMatch, list_etag, read_response, tagged_json, tagged_response};
use crate::http::json::ApiJson;
use crate::users::Role;

/// `Cache-Control` of the public navigation and sections: they change rarely, and a write
/// invalidates the server's cache at once.
const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// `Cache-Control` of anything a token unlocked.
const PRIVATE_CACHE: &str = "private, no-cache";

fn not_found() -> ApiError {
    ApiError::NotFound("no section has this slug".to_owned())
}

fn section_response(status: StatusCode, row: SectionRow) -> ApiResult<HttpResponse> {
    let section = Section::from(row);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/sections/{}", section.slug)));
    }
    tagged_response(response, section.version, &section)
}

/// A 409 for a slug or name another section has.
fn check_free(
    conn: &mut db::DbConn,
    slug: &str,
    name: &str,
    except: Option<&str>,
) -> ApiResult<()> {
    match model::taken(conn, slug, name, except)? {
        (true, _) => Err(ApiError::Conflict(format!(
            "the slug `{slug}` is taken by another section"
        ))),
        (_, true) => Err(ApiError::Conflict(format!(
            "the name `{name}` is taken by another section"
        ))),
        _ => Ok(()),
    }
}

/// Which sections the list shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListSectionsQuery {
    /// With a token: also the retired sections.
    pub include_retired: Option<bool>,
}

/// The site's navigation: every section in order.
///
/// Ordered by `position`, then by name. Retired sections are left out (staff can ask for them
/// with `include_retired=true`).
#[utoipa::path(
    tag = "sections",
    params(ListSectionsQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The sections in navigation order", body = SectionList,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/sections")]
pub async fn list_sections(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    query: web::Query<ListSectionsQuery>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let include_retired = query.include_retired.unwrap_or(false);
    if include_retired && !staff {
        return Err(ApiError::Unauthorized(
            "only staff with a token can list retired sections".to_owned(),
        ));
    }
    let rows = state
        .db
        .read(move |conn| Ok(model::list(conn, include_retired)?))
        .await?;
    let list = SectionList {
        items: rows.into_iter().map(Section::from).collect(),
    };
    let body = serde_json::to_vec(&list).map_err(ApiError::internal)?;
    let cache = if staff { PRIVATE_CACHE } else { PUBLIC_CACHE };
    Ok(read_response(&req, list_etag(&body), cache, body))
}

/// Read a section.
///
/// Retired sections are still found here (their articles still name them), with `retired`
/// set.
#[utoipa::path(
    tag = "sections",
    params(("slug" = String, Path, description = "The section's slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The section", body = Section,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such section", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/sections/{slug}")]
pub async fn get_section(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let slug = slug.into_inner();
    let row = state
        .db
        .read(move |conn| model::find(conn, &slug)?.ok_or_else(not_found))
        .await?;
    let section = Section::from(row);
    let (body, tag) = tagged_json(section.version, &section)?;
    let cache = if staff { PRIVATE_CACHE } else { PUBLIC_CACHE };
    Ok(read_response(&req, tag, cache, body))
}

/// Create a section.
///
/// Editors and admins. The slug is made from the name when absent (numbered when taken); a
/// slug or name another section has is a 409. Without a position it goes last.
#[utoipa::path(
    tag = "sections",
    request_body = NewSection,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Section,
            headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug or name is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/sections")]
pub async fn create_section(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewSection>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let new = body.0;
    let mut errors = Vec::new();
    let name = check_name(&new.name, &mut errors);
    let slug = new.slug.as_deref().map(|s| check_slug(s, &mut errors));
    let description = check_description(new.description.as_deref(), &mut errors);
    if let Some(p) = new.position {
        check_position(p, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let row = state
        .write_content(move |conn| {
            db::lock_key(conn, "sections")?;
            let slug = match slug.flatten() {
                Some(slug) => slug,
                None => model::free_slug(conn, &slugify(&name))?,
            };
            check_free(conn, &slug, &name, None)?;
            let position = match new.position {
                Some(p) => p,
                None => model::next_position(conn)?,
            };
            let now = db::now();
            let row = SectionRow {
                slug,
                name,
                description,
                position,
                retired: false,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            model::insert(conn, &row)?;
            Ok(row)
        })
        .await?;
    section_response(StatusCode::CREATED, row)
}

/// Rename, reorder, describe, retire or bring back a section.
///
/// Editors and admins; needs `If-Match`. A new name shows on every article in the section at
/// once. A retired section leaves the navigation; its articles keep it.
#[utoipa::path(
    tag = "sections",
    params(
        ("slug" = String, Path, description = "The section's slug"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = SectionPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed section", body = Section, headers(("ETag" = String))),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such section", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new slug or name is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/sections/{slug}")]
pub async fn update_section(
    state: web::Data<AppState>,
    auth: AuthUser,
    slug: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<SectionPatch>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let patch = body.0;
    let mut errors = Vec::new();
    let name = patch.name.as_deref().map(|n| check_name(n, &mut errors));
    let new_slug = patch.slug.as_deref().map(|s| check_slug(s, &mut errors));
    let description = patch
        .description
        .map(|d| check_description(d.as_deref(), &mut errors));
    if let Some(p) = patch.position {
        check_position(p, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let slug = slug.into_inner();
    let row = state
        .write_content(move |conn| {
            db::lock_key(conn, "sections")?;
            let current = model::find(conn, &slug)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            let mut row = SectionRow {
                slug: new_slug.flatten().unwrap_or_else(|| current.slug.clone()),
                name: name.unwrap_or_else(|| current.name.clone()),
                description: description.unwrap_or_else(|| current.description.clone()),
                position: patch.position.unwrap_or(current.position),
                retired: patch.retired.unwrap_or(current.retired),
                ..current.clone()
            };
            let unchanged = row.slug == current.slug
                && row.name == current.name
                && row.description == current.description
                && row.position == current.position
                && row.retired == current.retired;
            if unchanged {
                return Ok(current);
            }
            check_free(conn, &row.slug, &row.name, Some(&current.slug))?;
            row.version = current.version + 1;
            row.updated_at = db::now();
            if !model::update(conn, &current.slug, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            if row.name != current.name {
                // The new name shows on every published article in the section: announced.
                let seen = announce::before_shown(conn, Shown::Section(&current.name))?;
                model::rename_in_articles(conn, &current.name, &row.name)?;
                announce::after_shown(conn, seen)?;
            }
            Ok(row)
        })
        .await?;
    section_response(StatusCode::OK, row)
}

/// Delete a section no article uses.
///
/// Editors and admins; needs `If-Match`. A section that any article (in any state) is in cannot
/// be deleted (409): retire it instead (`PATCH` with `retired: true`).
#[utoipa::path(
    tag = "sections",
    params(
        ("slug" = String, Path, description = "The section's slug"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such section", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Articles are in the section", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/sections/{slug}")]
pub async fn delete_section(
    state: web::Data<AppState>,
    auth: AuthUser,
    slug: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let slug = slug.into_inner();
    state
        .write_content(move |conn| {
            db::lock_key(conn, "sections")?;
            let current = model::find(conn, &slug)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            if model::in_use(conn, &current.name)? {
                return Err(ApiError::Conflict(
                    "articles are in this section: retire it instead (`retired: true`)".to_owned(),
                ));
            }
            if !model::delete(conn, &current.slug, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
