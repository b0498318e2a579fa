//! Refresh tokens: opaque random strings, stored only as hashes, rotated on every use. A token
//! used twice means it was stolen: its whole family (the login it came from) is revoked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::refresh_tokens;
use crate::db::{self, DbConn};
use crate::error::ApiError;
use crate::ids::{RefreshTokenId, SessionId, UserId};

/// A row of `refresh_tokens`.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct RefreshRow {
    pub id: RefreshTokenId,
    pub family_id: SessionId,
    pub user_id: UserId,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshRow<'a> {
    id: RefreshTokenId,
    family_id: &'a SessionId,
    user_id: &'a UserId,
    token_hash: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// The stored form of a token: its BLAKE3 hash (a slow hash is not needed for 256 random bits).
pub fn hash_token(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Makes a new token in `family_id`, stores its hash and returns the token.
pub fn issue(
    conn: &mut DbConn,
    user_id: &UserId,
    family_id: &SessionId,
    ttl: std::time::Duration,
) -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::now();
    let ttl = chrono::TimeDelta::from_std(ttl).map_err(ApiError::internal)?;
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshRow {
            id: RefreshTokenId::new_v7(),
            family_id,
            user_id,
            token_hash: hash_token(&token),
            created_at: now,
            expires_at: now + ttl,
        })
        .execute(conn)?;
    Ok(token)
}

/// The row for a presented token.
pub fn find(conn: &mut DbConn, token: &str) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select(RefreshRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a token used, unless it was used or revoked already (by a concurrent request);
/// returns whether this call was the one that used it.
pub fn mark_used(conn: &mut DbConn, id: &RefreshTokenId) -> QueryResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(db::now()))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether `user_id`'s session `family_id` is still alive: it has a token that is not revoked
/// (logout, a password change, disabling the account and a reused token revoke them all).
pub fn session_alive(
    conn: &mut DbConn,
    family_id: &SessionId,
    user_id: &UserId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    ))
    .get_result(conn)
}

/// Revokes every token of a family that is not revoked yet.
pub fn revoke_family(conn: &mut DbConn, family_id: &SessionId) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(db::now()))
    .execute(conn)
}

/// Revokes every token of a user (when an admin disables the account or resets its password).
pub fn revoke_user(conn: &mut DbConn, user_id: &UserId) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(db::now()))
    .execute(conn)
}
