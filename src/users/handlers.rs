//! `/v1/users`: account management, for admins only.

use crate::articles::announce::{self, Shown};
use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{NewUser, Role, User, check_display_name, check_password, model};
use crate::app::AppState;
use crate::auth::{AuthUser, password, refresh};
use crate::db;
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::etag::{IfMatch, etag};
use crate::http::json::ApiJson;
use crate::http::pagination;
use crate::ids::UserId;

const CURSOR_KIND: &str = "users";

/// A page of users.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserPage {
    /// The users on this page, oldest account first.
    pub items: Vec<User>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Who takes over a deleted account's work.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteUserQuery {
    /// The account that takes over the deleted one's articles and bylines (required when it
    /// has any).
    #[param(value_type = Option<String>)]
    pub reassign_to: Option<UserId>,
}

/// Filters and paging for the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only users with this role.
    pub role: Option<Role>,
}

/// Changes to an account; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// A new display name.
    #[schema(min_length = 1, max_length = 100)]
    pub display_name: Option<String>,
    /// A new role. The last enabled admin cannot be demoted.
    pub role: Option<Role>,
    /// A new password (at least 12 characters); signs the account out everywhere.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: Option<String>,
    /// Disable (signs the account out everywhere) or re-enable the account. The last enabled
    /// admin cannot be disabled.
    pub disabled: Option<bool>,
}

fn user_response(
    status: actix_web::http::StatusCode,
    row: model::UserRow,
) -> ApiResult<HttpResponse> {
    let tag = etag(row.version);
    let user = User::from(row);
    let mut response = HttpResponse::build(status);
    response
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if status == actix_web::http::StatusCode::CREATED {
        response.insert_header((header::LOCATION, format!("/v1/users/{}", user.id)));
    }
    Ok(response.json(user))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no user has this id".to_owned())
}

fn last_admin() -> ApiError {
    ApiError::Conflict(
        "this is the last enabled admin: make another admin first, so the newsroom keeps one"
            .to_owned(),
    )
}

/// List accounts.
///
/// Admins only. Paged with `limit` and `cursor`; filter by `role`.
#[utoipa::path(
    tag = "users",
    params(ListUsersQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    auth: AuthUser,
    query: web::Query<ListUsersQuery>,
) -> ApiResult<web::Json<UserPage>> {
    auth.require(Role::Admin)?;
    let query = query.into_inner();
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode_optional(CURSOR_KIND, query.cursor.as_deref())?;
    let role = query.role;
    let rows = state
        .db
        .read(move |conn| Ok(model::list(conn, after.as_deref(), role, limit + 1)?))
        .await?;
    let (rows, next_cursor) = pagination::paginate(rows, limit, CURSOR_KIND, |r| r.id.to_string());
    let items = rows.into_iter().map(User::from).collect();
    Ok(web::Json(UserPage { items, next_cursor }))
}

/// Create an account.
///
/// Admins only. The email must be unique (409 otherwise); the password is stored hashed and
/// never returned.
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = User,
            headers(("ETag" = String, description = "The version"), ("Location" = String, description = "The new account"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: ApiJson<NewUser>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let row = super::create(&state.db, body.0).await?;
    user_response(actix_web::http::StatusCode::CREATED, row)
}

/// Read an account.
///
/// Admins only. Its `ETag` is what a `PATCH` or `DELETE` sends in `If-Match`.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = User,
            headers(("ETag" = String, description = "Send it as If-Match to change the account"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = UserId::from(id.into_inner());
    let row = state
        .db
        .read(move |conn| Ok(model::find(conn, &id)?))
        .await?;
    user_response(actix_web::http::StatusCode::OK, row.ok_or_else(not_found)?)
}

/// Change an account's name, role, password or disabled flag.
///
/// A new password or disabling the account signs it out everywhere.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "The user's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
    ),
    request_body = UserUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The changed user", body = User,
            headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave no enabled admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    body: ApiJson<UserUpdate>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let update = body.0;
    let mut errors = Vec::new();
    let display_name = update
        .display_name
        .as_deref()
        .map(|n| check_display_name("display_name", n, &mut errors));
    if let Some(p) = &update.password {
        check_password("password", p, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let password_hash = match update.password {
        Some(p) => Some(crate::work::heavy(move || password::hash(&p)).await??),
        None => None,
    };
    let id = UserId::from(id.into_inner());
    let row = state
        .write_content(move |conn| {
            db::lock_admins(conn)?;
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            let stays_admin = update
                .role
                .map_or(current.role == Role::Admin, |r| r == Role::Admin)
                && !update.disabled.unwrap_or(current.disabled);
            let was_active_admin = current.role == Role::Admin && !current.disabled;
            if was_active_admin && !stays_admin && model::count_other_active_admins(conn, &id)? == 0
            {
                return Err(last_admin());
            }
            let signs_out = password_hash.is_some() || update.disabled == Some(true);
            let changes = model::UserChanges {
                display_name,
                role: update.role,
                password_hash,
                disabled: update.disabled,
            };
            let nothing_to_change = changes.display_name.is_none()
                && changes.role.is_none()
                && changes.password_hash.is_none()
                && changes.disabled.is_none();
            if nothing_to_change {
                return Ok(current);
            }
            // A new name shows on the account's published bylines: announced.
            let renamed = changes
                .display_name
                .as_ref()
                .is_some_and(|name| *name != current.display_name);
            let seen = if renamed {
                announce::before_shown(conn, Shown::Author(id.as_str()))?
            } else {
                Vec::new()
            };
            if !model::update(conn, &id, current.version, &changes, db::now())? {
                return Err(ApiError::PreconditionFailed);
            }
            announce::after_shown(conn, seen)?;
            if signs_out {
                refresh::revoke_user(conn, &id)?;
            }
            model::find(conn, &id)?.ok_or_else(not_found)
        })
        .await?;
    user_response(actix_web::http::StatusCode::OK, row)
}

/// Delete an account.
///
/// Admins only. Needs `If-Match`. The last enabled admin cannot be deleted (409). An account that
/// created articles or is on a byline is deleted only with `reassign_to`, the account that takes
/// its articles and bylines over (409 without it, so no byline ever dangles); disabling the
/// account is the everyday way to end someone's access and keeps their name on their work.
#[utoipa::path(
    tag = "users",
    params(
        ("id" = String, Path, description = "The user's id"),
        ("If-Match" = String, Header, description = "The ETag you last read"),
        DeleteUserQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 422, description = "`reassign_to` names no other account", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It is the last enabled admin, or it has work and no `reassign_to`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/users/{id}")]
pub async fn delete_user(
    state: web::Data<AppState>,
    auth: AuthUser,
    id: web::Path<String>,
    if_match: IfMatch,
    query: web::Query<DeleteUserQuery>,
) -> ApiResult<HttpResponse> {
    auth.require(Role::Admin)?;
    let id = UserId::from(id.into_inner());
    let reassign_to = query.into_inner().reassign_to;
    if reassign_to.as_ref() == Some(&id) {
        return Err(ApiError::field(
            "reassign_to",
            "must name another account than the one deleted",
        ));
    }
    state
        .write_content(move |conn| {
            db::lock_admins(conn)?;
            let current = model::find(conn, &id)?.ok_or_else(not_found)?;
            if_match.check(current.version)?;
            let active_admin = current.role == Role::Admin && !current.disabled;
            if active_admin && model::count_other_active_admins(conn, &id)? == 0 {
                return Err(last_admin());
            }
            match &reassign_to {
                Some(heir) => {
                    if model::find(conn, heir)?.is_none() {
                        return Err(ApiError::field("reassign_to", "no account has this id"));
                    }
                    // Bylines name author profiles: the heir needs one before taking them.
                    crate::authors::model::ensure(conn, std::slice::from_ref(heir))?;
                    model::reassign_work(conn, &id, heir)?;
                }
                None => {
                    let (created, bylined) = model::work_of(conn, &id)?;
                    if created + bylined > 0 {
                        return Err(ApiError::Conflict(format!(
                            "this account created {created} and is on the byline of {bylined} \
                             articles: pass reassign_to=<another account's id> to hand them over, \
                             or disable the account instead"
                        )));
                    }
                }
            }
            if !model::delete(conn, &id, current.version)? {
                return Err(ApiError::PreconditionFailed);
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
