//! Authentication: login, refresh-token rotation, the `AuthUser` extractor and role checks.

pub mod handlers;
pub mod jwt;
pub mod password;
pub mod refresh;
pub mod throttle;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::app::AppState;
use crate::error::ApiError;
use crate::ids::{SessionId, UserId};
use crate::users::{Role, model};

/// The user behind a valid bearer token, as the database knows them now: a disabled or deleted
/// account, a changed role, and a session that ended (logout, a password change) take effect on
/// the very next request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user's id.
    pub id: UserId,
    /// The user's current role.
    pub role: Role,
}

impl AuthUser {
    /// Fails with 403 unless the user has at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role.includes(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {} role; you are {}",
                role.as_str(),
                self.role.as_str()
            )))
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let missing = || {
        ApiError::Unauthorized("send an access token: `Authorization: Bearer <token>`".to_owned())
    };
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(missing());
    }
    Ok(token.trim().to_owned())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("AppState is not registered"))?;
            let claims = state.jwt.verify(&token?).map_err(|e| {
                tracing::debug!(reason = %e, "access token rejected");
                ApiError::Unauthorized("the access token is not valid or has expired".to_owned())
            })?;
            let (user, alive) = state
                .db
                .read(move |conn| {
                    // The token's claims are its text; checked, they name a user and a session.
                    let (id, session) = (UserId::from(claims.sub), SessionId::from(claims.sid));
                    let user = model::find(conn, &id)?;
                    let alive = refresh::session_alive(conn, &session, &id)?;
                    Ok((user, alive))
                })
                .await?;
            match user {
                Some(user) if !user.disabled && alive => Ok(Self {
                    role: user.role,
                    id: user.id,
                }),
                Some(user) if !user.disabled => Err(ApiError::Unauthorized(
                    "the session of this token has ended (logged out, or the password changed)"
                        .to_owned(),
                )),
                _ => Err(ApiError::Unauthorized(
                    "the account behind this token is disabled or no longer exists".to_owned(),
                )),
            }
        })
    }
}

/// The user behind the bearer token if one is sent. No `Authorization` header means an
/// anonymous reader; a header with a bad token is still a 401, never silently anonymous.
#[derive(Debug, Clone)]
pub struct OptionalAuth(pub Option<AuthUser>);

impl FromRequest for OptionalAuth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().contains_key(header::AUTHORIZATION) {
            let user = AuthUser::from_request(req, payload);
            Box::pin(async move { user.await.map(|u| Self(Some(u))) })
        } else {
            Box::pin(async { Ok(Self(None)) })
        }
    }
}
