//! The `preview_tokens` rows: one per preview link, holding the hash of its token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{article_images, preview_tokens, users};
use crate::ids::{ArticleId, ImageId, PreviewId, UserId};

/// A row of `preview_tokens`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = preview_tokens)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct PreviewRow {
    pub id: PreviewId,
    pub article_id: ArticleId,
    pub token_hash: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new link.
pub fn insert(conn: &mut DbConn, row: &PreviewRow) -> QueryResult<()> {
    diesel::insert_into(preview_tokens::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The link whose token hashes to `hash`.
pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<PreviewRow>> {
    preview_tokens::table
        .filter(preview_tokens::token_hash.eq(hash))
        .select(PreviewRow::as_select())
        .first(conn)
        .optional()
}

/// The article's links that still work at `now`, newest first.
pub fn active(
    conn: &mut DbConn,
    article_id: &ArticleId,
    now: NaiveDateTime,
) -> QueryResult<Vec<PreviewRow>> {
    preview_tokens::table
        .filter(preview_tokens::article_id.eq(article_id))
        .filter(preview_tokens::revoked_at.is_null())
        .filter(preview_tokens::expires_at.gt(now))
        .order((preview_tokens::created_at.desc(), preview_tokens::id.desc()))
        .select(PreviewRow::as_select())
        .load(conn)
}

/// How many of the article's links still work at `now`.
pub fn count_active(
    conn: &mut DbConn,
    article_id: &ArticleId,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    preview_tokens::table
        .filter(preview_tokens::article_id.eq(article_id))
        .filter(preview_tokens::revoked_at.is_null())
        .filter(preview_tokens::expires_at.gt(now))
        .count()
        .get_result(conn)
}

/// Whether the article has the link `id` (working or not).
pub fn exists(conn: &mut DbConn, article_id: &ArticleId, id: &PreviewId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        preview_tokens::table
            .filter(preview_tokens::article_id.eq(article_id))
            .filter(preview_tokens::id.eq(id)),
    ))
    .get_result(conn)
}

/// Revokes the article's link `id`, or all its links when `id` is `None`, at `now` (links
/// revoked already keep their time); returns how many it revoked.
pub fn revoke(
    conn: &mut DbConn,
    article_id: &ArticleId,
    id: Option<&PreviewId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let open = preview_tokens::table
        .filter(preview_tokens::article_id.eq(article_id))
        .filter(preview_tokens::revoked_at.is_null());
    let revoked = preview_tokens::revoked_at.eq(Some(now));
    match id {
        Some(id) => diesel::update(open.filter(preview_tokens::id.eq(id)))
            .set(revoked)
            .execute(conn),
        None => diesel::update(open).set(revoked).execute(conn),
    }
}

/// Deletes every link that has expired by `now` (revoked links go when they would have
/// expired); returns how many.
pub fn delete_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(preview_tokens::table.filter(preview_tokens::expires_at.le(now))).execute(conn)
}

/// Whether the article's current version shows the image (featured or in its body).
pub fn article_shows(
    conn: &mut DbConn,
    article_id: &ArticleId,
    image_id: &ImageId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_images::table
            .filter(article_images::article_id.eq(article_id))
            .filter(article_images::image_id.eq(image_id)),
    ))
    .get_result(conn)
}

/// Whether the account that made a link can still act: it exists and is not disabled.
pub fn creator_active(conn: &mut DbConn, id: &UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::id.eq(id))
            .filter(users::disabled.eq(false)),
    ))
    .get_result(conn)
}
