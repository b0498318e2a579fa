//! `/v1/authors`: public profiles for everyone with a byline; the author or an editor keeps
//! them.

use crate::articles::announce::{self, Shown};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{self, AuthorRow, Named};
use super::{
    AuthorLinks, AuthorPage, AuthorPatch, AuthorProfile, MAX_SOCIAL, NewAuthor, check_link,
};
use crate::app::AppState;
use crate::auth::{AuthUser, OptionalAuth};
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::http::base::public_base;
use crate::http::etag::{
    IfMatch, list_etag, read_response, representation_etag, tagged_json, tagged_response,
};
use crate::http::fields::{FieldsQuery, Selection};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::ids::{ImageId, UserId};
use crate::images::Picture;
use crate::users::Role;
use crate::validate;

const CURSOR_KIND: &str = "authors";
/// The longest name on a guest's byline (as for accounts).
const MAX_NAME: usize = 100;
/// `Cache-Control` of public profiles; a write invalidates the server's cache at once.
const PUBLIC_CACHE: &str = "public, max-age=60, stale-while-revalidate=30";
/// `Cache-Control` of anything a token unlocked.
const PRIVATE_CACHE: &str = "private, no-cache";

fn not_found() -> ApiError {
    ApiError::NotFound("no author with a published byline has this slug".to_owned())
}

/// The public view of a profile; image URLs start with `base`.
fn view(conn: &mut DbConn, (row, display_name): Named, base: &str) -> ApiResult<AuthorProfile> {
    let avatar = match &row.avatar_image_id {
        Some(id) => crate::images::model::find(conn, &ImageId::from(id.as_str()))?
            .map(|image| Picture::new(&image, None, base)),
        None => None,
    };
    let social: Vec<String> = serde_json::from_str(&row.social).map_err(ApiError::internal)?;
    Ok(AuthorProfile {
        // A staff profile's id is its user's id.
        id: row.id,
        slug: row.slug,
        display_name,
        job_title: row.job_title,
        bio: row.bio,
        avatar,
        links: AuthorLinks {
            website: row.website,
            social,
            contact_email: row.contact_email,
        },
        version: row.version,
    })
}

/// Checks the links of a new or changed profile.
fn check_links(
    website: Option<&str>,
    social: Option<&[String]>,
    contact_email: Option<&str>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(url) = website {
        check_link("website", url, errors);
    }
    if let Some(social) = social {
        if social.len() > MAX_SOCIAL {
            errors.push(FieldError::new(
                "social",
                format!("at most {MAX_SOCIAL} links"),
            ));
        }
        for (i, url) in social.iter().enumerate() {
            check_link(&format!("social[{i}]"), url, errors);
        }
    }
    if let Some(email) = contact_email {
        crate::users::check_email("contact_email", email, errors);
    }
}

/// A profile written by a request, with its ETag (and its address when created).
fn profile_response(status: StatusCode, profile: &AuthorProfile) -> ApiResult<HttpResponse> {
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CACHE_CONTROL, PRIVATE_CACHE));
    if status == StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/authors/{}", profile.slug)));
    }
    tagged_response(response, profile.version, profile)
}

/// Add a guest contributor.
///
/// Editors and admins. A guest has a profile but no account; put its `id` in an article's
/// `authors` to byline them. The slug is made from the name when absent (numbered when taken);
/// a slug another author has is a 409.
#[utoipa::path(
    tag = "authors",
    request_body = NewAuthor,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = AuthorProfile,
            headers(("ETag" = String), ("Location" = String))),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/authors")]
pub async fn create_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewAuthor>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let new = body.0;
    let mut errors = Vec::new();
    let name = validate::text(
        "display_name",
        Some(&new.display_name),
        true,
        MAX_NAME,
        &mut errors,
    );
    let slug = new
        .slug
        .as_deref()
        .and_then(|s| crate::articles::slug::Slug::parse("slug", s, &mut errors))
        .map(|s| s.as_str().to_owned());
    let job_title = validate::text(
        "job_title",
        new.job_title.as_deref(),
        false,
        100,
        &mut errors,
    );
    let bio = validate::text("bio", new.bio.as_deref(), false, 5_000, &mut errors);
    check_links(
        new.website.as_deref(),
        Some(&new.social),
        new.contact_email.as_deref(),
        &mut errors,
    );
    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let social = serde_json::to_string(&new.social).map_err(ApiError::internal)?;
    let base = public_base(&req, &state.config);
    let profile = state
        .write_content(move |conn| {
            db::lock_key(conn, "authors")?;
            if let Some(image) = &new.avatar_image_id
                && crate::images::model::find(conn, image)?.is_none()
            {
                return Err(ApiError::field("avatar_image_id", "no image has this id"));
            }
            // A guest's id is shaped like a user's, so bylines hold either.
            let id = UserId::new_v7().into_string();
            let slug = match slug {
                Some(slug) => {
                    if model::slug_taken(conn, &slug, &id)? {
                        return Err(ApiError::Conflict(format!(
                            "the slug `{slug}` is taken by another author"
                        )));
                    }
                    slug
                }
                None => model::free_slug(conn, &crate::articles::slug::slugify(&name), &id)?,
            };
            let now = db::now();
            let row = AuthorRow {
                id,
                user_id: None,
                slug,
                job_title,
                bio,
                avatar_image_id: new.avatar_image_id.map(ImageId::into_string),
                website: new.website.map(|u| u.trim().to_owned()),
                social,
                contact_email: new.contact_email.map(|e| e.trim().to_owned()),
                version: 1,
                created_at: now,
                updated_at: now,
                display_name: Some(name.clone()),
            };
            model::insert(conn, &row)?;
            view(conn, (row, name), &base)
        })
        .await?;
    profile_response(StatusCode::CREATED, &profile)
}

/// Delete a guest contributor.
///
/// Editors and admins; needs `If-Match`. Only a guest's profile, and only while no article (in
/// any state) bylines them (409 otherwise); a staff member's profile goes with their account.
#[utoipa::path(
    tag = "authors",
    params(
        ("slug" = String, Path, description = "The author's slug"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such author", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A staff profile, or articles byline the guest", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/authors/{slug}")]
pub async fn delete_author(
    state: web::Data<AppState>,
    auth: AuthUser,
    slug: web::Path<String>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Editor)?;
    let slug = slug.into_inner();
    state
        .write_content(move |conn| {
            db::lock_key(conn, "authors")?;
            let (current, _) = model::find(conn, &slug)?
                .ok_or_else(|| ApiError::NotFound("no author has this slug".to_owned()))?;
            if_match.check(current.version)?;
            if current.user_id.is_some() {
                return Err(ApiError::Conflict(
                    "a staff member's profile goes with their account".to_owned(),
                ));
            }
            if model::bylined_anywhere(conn, &current.id)? {
                return Err(ApiError::Conflict(
                    "articles byline this author: take them off those bylines first".to_owned(),
                ));
            }
            model::delete(conn, &current.id)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Paging for the author list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAuthorsQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the authors of published articles.
///
/// Everyone with a byline on a published article, by slug; paged with `limit` and `cursor`.
#[utoipa::path(
    tag = "authors",
    params(ListAuthorsQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of authors", body = AuthorPage,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
    )
)]
#[get("/v1/authors")]
pub async fn list_authors(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    query: web::Query<ListAuthorsQuery>,
    shaping: web::Query<FieldsQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let selection = Selection::parse(shaping.fields.as_deref(), &PROFILE_MEMBERS, "id")?;
    let after = pagination::decode_optional(CURSOR_KIND, query.cursor.as_deref())?;
    let base = public_base(&req, &state.config);
    let now = db::now();
    let items = state
        .db
        .read(move |conn| {
            let rows = model::list_bylined(conn, after.as_deref(), now, limit + 1)?;
            rows.into_iter()
                .map(|named| view(conn, named, &base))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    let (items, next_cursor) = pagination::paginate(items, limit, CURSOR_KIND, |a| a.slug.clone());
    let body =
        serde_json::to_vec(&AuthorPage { items, next_cursor }).map_err(ApiError::internal)?;
    let body = selection.page(body)?;
    let cache = if auth.0.is_some() {
        PRIVATE_CACHE
    } else {
        PUBLIC_CACHE
    };
    let mut response = read_response(&req, list_etag(&body), cache, body);
    selection.mark(&mut response);
    Ok(response)
}

/// Read an author's profile.
///
/// The public finds only authors with a byline on a published article; staff find every
/// profile.
#[utoipa::path(
    tag = "authors",
    params(("slug" = String, Path, description = "The author's slug")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = AuthorProfile,
            headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Not modified since the ETag in If-None-Match"),
        (status = 404, description = "No such author", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/authors/{slug}")]
pub async fn get_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: OptionalAuth,
    slug: web::Path<String>,
    shaping: web::Query<FieldsQuery>,
) -> ApiResult<HttpResponse> {
    let staff = auth.0.is_some();
    let slug = slug.into_inner();
    let selection = Selection::parse(shaping.fields.as_deref(), &PROFILE_MEMBERS, "id")?;
    let base = public_base(&req, &state.config);
    let now = db::now();
    let profile = state
        .db
        .read(move |conn| {
            let named = model::find(conn, &slug)?.ok_or_else(not_found)?;
            if !staff && !model::bylined(conn, &named.0.id, now)? {
                return Err(not_found());
            }
            view(conn, named, &base)
        })
        .await?;
    let (body, _) = tagged_json(profile.version, &profile)?;
    let body = selection.object(body)?;
    let tag = representation_etag(profile.version, &body);
    let cache = if staff { PRIVATE_CACHE } else { PUBLIC_CACHE };
    let mut response = read_response(&req, tag, cache, body);
    selection.mark(&mut response);
    Ok(response)
}

/// A profile's top-level members, from its schema (what `fields` may name).
static PROFILE_MEMBERS: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(crate::http::fields::schema_members::<AuthorProfile>);

/// Change an author's profile.
///
/// The author themself, or an editor or admin; needs `If-Match`. The name on the byline is the
/// account's display name (changed through `/v1/users`).
#[utoipa::path(
    tag = "authors",
    params(
        ("slug" = String, Path, description = "The author's slug"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = AuthorPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed profile", body = AuthorProfile, headers(("ETag" = String))),
        (status = 403, description = "Not your profile, and not an editor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such author", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/authors/{slug}")]
pub async fn update_author(
    req: HttpRequest,
    state: web::Data<AppState>,
    auth: AuthUser,
    slug: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<AuthorPatch>,
) -> ApiResult<HttpResponse> {
    let patch = body.0;
    let mut errors = Vec::new();
    let new_slug = patch
        .slug
        .as_deref()
        .and_then(|s| crate::articles::slug::Slug::parse("slug", s, &mut errors))
        .map(|s| s.as_str().to_owned());
    let display_name = patch
        .display_name
        .as_deref()
        .map(|n| validate::text("display_name", Some(n), true, MAX_NAME, &mut errors));
    let job_title = patch
        .job_title
        .map(|t| validate::text("job_title", t.as_deref(), false, 100, &mut errors));
    let bio = patch
        .bio
        .map(|b| validate::text("bio", b.as_deref(), false, 5_000, &mut errors));
    check_links(
        patch.website.as_ref().and_then(Option::as_deref),
        patch.social.as_deref(),
        patch.contact_email.as_ref().and_then(Option::as_deref),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let social = patch
        .social
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(ApiError::internal)?;
    let slug = slug.into_inner();
    let base = public_base(&req, &state.config);
    let profile = state
        .write_content(move |conn| {
            db::lock_key(conn, "authors")?;
            let (current, name) = model::find(conn, &slug)?
                .ok_or_else(|| ApiError::NotFound("no author has this slug".to_owned()))?;
            let own = current.user_id.as_deref() == Some(auth.id.as_str());
            if !own {
                auth.require(Role::Editor)?;
            }
            if_match.check(current.version)?;
            if display_name.is_some() && current.user_id.is_some() {
                return Err(ApiError::field(
                    "display_name",
                    "a staff member's byline shows their account's name: change it through /v1/users",
                ));
            }
            if let Some(Some(image)) = &patch.avatar_image_id
                && crate::images::model::find(conn, image)?.is_none()
            {
                return Err(ApiError::field("avatar_image_id", "no image has this id"));
            }
            let row = AuthorRow {
                slug: new_slug.unwrap_or_else(|| current.slug.clone()),
                job_title: job_title.unwrap_or_else(|| current.job_title.clone()),
                bio: bio.unwrap_or_else(|| current.bio.clone()),
                avatar_image_id: match patch.avatar_image_id {
                    Some(image) => image.map(ImageId::into_string),
                    None => current.avatar_image_id.clone(),
                },
                website: patch.website.map_or_else(
                    || current.website.clone(),
                    |w| w.map(|u| u.trim().to_owned()),
                ),
                social: social.unwrap_or_else(|| current.social.clone()),
                contact_email: patch.contact_email.map_or_else(
                    || current.contact_email.clone(),
                    |e| e.map(|e| e.trim().to_owned()),
                ),
                display_name: display_name
                    .flatten()
                    .or_else(|| current.display_name.clone()),
                version: current.version + 1,
                updated_at: db::now(),
                ..current.clone()
            };
            if row.slug != current.slug && model::slug_taken(conn, &row.slug, &row.id)? {
                return Err(ApiError::Conflict(format!(
                    "the slug `{}` is taken by another author",
                    row.slug
                )));
            }
            // A guest's new name shows on their published bylines: announced.
            let seen = if row.display_name != current.display_name {
                announce::before_shown(conn, Shown::Author(&row.id))?
            } else {
                Vec::new()
            };
            if !model::update(conn, &row, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            announce::after_shown(conn, seen)?;
            let name = row.display_name.clone().unwrap_or(name);
            view(conn, (row, name), &base)
        })
        .await?;
    profile_response(StatusCode::OK, &profile)
}
