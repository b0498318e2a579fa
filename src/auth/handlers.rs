//! `/v1/auth`: login, refresh, logout, and the current user.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AuthUser, password, refresh};
use crate::app::AppState;
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, Problem};
use crate::http::client::client_ip;
use crate::http::json::ApiJson;
use crate::ids::SessionId;
use crate::users::{User, model, normalize_email};

/// Email and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email (case does not matter).
    #[schema(example = "olena@newsroom.example")]
    pub email: String,
    /// The account's password.
    #[schema(example = "a long passphrase")]
    pub password: String,
}

/// A refresh token, to rotate or to revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// Tokens for a session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A short-lived JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(value_type = crate::openapi::closed::TokenType, example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// An opaque token for `POST /v1/auth/refresh`; single use.
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    #[schema(example = 2_592_000)]
    pub refresh_expires_in: u64,
    /// The logged-in user.
    pub user: User,
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized("the email or the password is wrong".to_owned())
}

fn invalid_refresh() -> ApiError {
    ApiError::Unauthorized("the refresh token is not valid; log in again".to_owned())
}

/// Issues both tokens for `user` in refresh family `family_id`.
fn session(
    state: &AppState,
    conn: &mut DbConn,
    user: model::UserRow,
    family_id: &SessionId,
) -> ApiResult<TokenResponse> {
    let refresh_token = refresh::issue(conn, &user.id, family_id, state.config.refresh_token_ttl)?;
    let access_token = state.jwt.issue(&user.id, user.role, family_id)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.jwt.ttl().as_secs(),
        refresh_token,
        refresh_expires_in: state.config.refresh_token_ttl.as_secs(),
        user: User::from(user),
    })
}

/// Log in with email and password.
///
/// A wrong email and a wrong password get the same answer in about the same time. Failed logins
/// are throttled per account and client, per client and per account, with exponential backoff:
/// a throttled attempt gets 429 with `Retry-After` before any password is checked. A client
/// with no failures on an account, or one that has logged in to it before, is not held back by
/// others' failures on it. 429 also answers when too many password checks are already waiting.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The account is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins from this client, or too many logins at once; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "The database is not answering, or cannot count the attempt against the login throttle (which the instances on PostgreSQL share); no password was checked: try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
#[post("/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest {
        email,
        password: given,
    } = body.0;
    let email = normalize_email(&email);
    let client = client_ip(&req, &state.config.trusted_proxies);
    let attempt = match state.login.throttle.begin(&email, client).await? {
        Ok(attempt) => attempt,
        Err(t) => {
            tracing::debug!(scope = ?t.scope, retry_after = t.retry_after, "login throttled");
            crate::metrics::login_throttled(t.scope.as_str());
            return Err(turned_away(t.retry_after).await);
        }
    };
    let checked = async {
        let user = state
            .db
            .read(move |conn| Ok(model::find_by_email(conn, &email)?))
            .await?;
        state
            .login
            .queue
            .run(attempt.known(), move || match user {
                Some(user) => {
                    let ok = password::verify(&given, &user.password_hash);
                    (Some(user), ok)
                }
                None => {
                    password::verify_nothing(&given);
                    (None, false)
                }
            })
            .await
    };
    let (user, ok) = match checked.await {
        Ok(checked) => checked,
        Err(e) => {
            // No password was checked (a full line, the database): not a failure.
            state.login.throttle.abandoned(&attempt).await;
            return Err(match e {
                ApiError::TooManyRequests { retry_after } => {
                    crate::metrics::login_throttled("queue");
                    turned_away(retry_after).await
                }
                other => other,
            });
        }
    };
    let user = match user {
        Some(user) if ok => user,
        _ => return Err(invalid_credentials()),
    };
    state.login.throttle.succeeded(&attempt).await;
    if user.disabled {
        // Only said to someone who knows the password.
        return Err(ApiError::Forbidden("this account is disabled".to_owned()));
    }
    let app = state.clone();
    let tokens = state
        .db
        .write(move |conn| session(&app, conn, user, &SessionId::new_v7()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(tokens))
}

/// A 429 for a login, answered after a short pause: a client that ignores `Retry-After` and
/// asks again at once is slowed to a few attempts a second per connection, at the cost of a
/// timer, instead of spinning the server's CPU on refusals (the pause holds no worker).
async fn turned_away(retry_after: u64) -> ApiError {
    actix_web::rt::time::sleep(std::time::Duration::from_millis(250)).await;
    ApiError::TooManyRequests { retry_after }
}

enum Rotation {
    Rotated(Box<TokenResponse>),
    Rejected,
    /// A spent token came back: the family was revoked (and that must be committed).
    Reused,
}

/// Trade a refresh token for new tokens.
///
/// Each refresh token works once; presenting a spent one again revokes every token of its
/// login, since one of the two presenters has stolen it.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the old refresh token is spent", body = TokenResponse),
        (status = 401, description = "Unknown, spent, revoked or expired refresh token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/auth/refresh")]
pub async fn refresh_tokens(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.0.refresh_token;
    let app = state.clone();
    let outcome = state
        .db
        .write(move |conn| {
            let Some(row) = refresh::find(conn, &token)? else {
                return Ok(Rotation::Rejected);
            };
            if row.revoked_at.is_some() {
                return Ok(Rotation::Rejected);
            }
            if row.used_at.is_some() || !refresh::mark_used(conn, &row.id)? {
                refresh::revoke_family(conn, &row.family_id)?;
                return Ok(Rotation::Reused);
            }
            if row.expires_at <= db::now() {
                return Ok(Rotation::Rejected);
            }
            match model::find(conn, &row.user_id)? {
                Some(user) if !user.disabled => Ok(Rotation::Rotated(Box::new(session(
                    &app,
                    conn,
                    user,
                    &row.family_id,
                )?))),
                _ => Ok(Rotation::Rejected),
            }
        })
        .await?;
    match outcome {
        Rotation::Rotated(tokens) => Ok(HttpResponse::Ok()
            .insert_header(("cache-control", "no-store"))
            .json(tokens)),
        Rotation::Rejected => Err(invalid_refresh()),
        Rotation::Reused => {
            tracing::warn!("a spent refresh token was presented again; its session is revoked");
            Err(invalid_refresh())
        }
    }
}

/// Log out.
///
/// Revokes the refresh token and every token rotated from the same login. Answers 204 whether
/// or not the token was valid, so it reveals nothing.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "The session is over"))
)]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.0.refresh_token;
    state
        .db
        .write(move |conn| {
            if let Some(row) = refresh::find(conn, &token)? {
                refresh::revoke_family(conn, &row.family_id)?;
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The current user (the owner of the access token).
///
/// A client's way to learn who it is logged in as, and with which role.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, description = "The current user", body = User))
)]
#[get("/v1/auth/me")]
pub async fn me(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<HttpResponse> {
    let id = auth.id.clone();
    let row = state
        .db
        .read(move |conn| Ok(model::find(conn, &id)?))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the account no longer exists".to_owned()))?;
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "private, no-cache"))
        .json(User::from(row)))
}
