//! The `articles` row: find, insert, update, delete, and the slugs that lead to it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Json, JsonOrError};
use crate::articles::body::Block;
use crate::articles::{FeaturedImage, Source, StoredStatus};
use crate::db::DbConn;
use crate::db::schema::{article_slugs, articles, users};
use crate::ids::{ArticleId, UserId};

/// A row of `articles`, its JSON columns decoded (a value that does not decode fails the read).
#[derive(Debug, Clone, Queryable)]
pub struct ArticleRow {
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub body: Json<Vec<Block>>,
    pub body_html: String,
    pub body_text: String,
    pub excerpt: String,
    pub excerpt_is_custom: bool,
    pub status: StoredStatus,
    pub published_at: Option<NaiveDateTime>,
    pub section: Option<String>,
    pub language: String,
    pub canonical_url: Option<String>,
    pub sources: Json<Vec<Source>>,
    pub featured_image: Option<Json<FeaturedImage>>,
    pub created_by: UserId,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns a list shows (no body: lists stay small and fast). A featured image that does
/// not decode fails only its own summary, not the rows read with it.
#[derive(Debug, Clone, Queryable)]
pub struct SummaryRow {
    pub id: ArticleId,
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub excerpt: String,
    pub status: StoredStatus,
    pub published_at: Option<NaiveDateTime>,
    pub section: Option<String>,
    pub language: String,
    pub featured_image: Option<JsonOrError<FeaturedImage>>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// The columns of [`SummaryRow`], in order.
pub type SummaryColumns = (
    articles::id,
    articles::slug,
    articles::title,
    articles::standfirst,
    articles::excerpt,
    articles::status,
    articles::published_at,
    articles::section,
    articles::language,
    articles::featured_image,
    articles::version,
    articles::updated_at,
);

/// Selects a [`SummaryRow`].
pub const SUMMARY_COLUMNS: SummaryColumns = (
    articles::id,
    articles::slug,
    articles::title,
    articles::standfirst,
    articles::excerpt,
    articles::status,
    articles::published_at,
    articles::section,
    articles::language,
    articles::featured_image,
    articles::version,
    articles::updated_at,
);

/// Every column a write sets (all but the id, the creator and the creation time on update).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleValues {
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub body: String,
    pub body_html: String,
    pub body_text: String,
    pub excerpt: String,
    pub excerpt_is_custom: bool,
    pub status: StoredStatus,
    pub published_at: Option<NaiveDateTime>,
    pub section: Option<String>,
    pub language: String,
    pub canonical_url: Option<String>,
    pub sources: String,
    pub featured_image: Option<String>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// What a change of status writes; the fields and their derived columns stay as stored.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct StatusValues {
    pub status: StoredStatus,
    pub published_at: Option<NaiveDateTime>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// What other features read of an article: who may see it and the text a reader quotes. It has
/// no JSON columns, so reading it decodes nothing.
#[derive(Debug, Clone, Queryable)]
pub struct ArticleHead {
    pub id: ArticleId,
    pub title: String,
    pub standfirst: String,
    pub body_text: String,
    pub status: StoredStatus,
    pub published_at: Option<NaiveDateTime>,
}

/// The columns of [`ArticleHead`], in order.
const HEAD_COLUMNS: (
    articles::id,
    articles::title,
    articles::standfirst,
    articles::body_text,
    articles::status,
    articles::published_at,
) = (
    articles::id,
    articles::title,
    articles::standfirst,
    articles::body_text,
    articles::status,
    articles::published_at,
);

/// The columns only an insert sets.
#[derive(Debug, Insertable)]
#[diesel(table_name = articles)]
pub struct ArticleIdentity {
    pub id: ArticleId,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
}

/// Inserts a new article.
pub fn insert(
    conn: &mut DbConn,
    identity: &ArticleIdentity,
    values: &ArticleValues,
) -> QueryResult<()> {
    diesel::insert_into(articles::table)
        .values((identity, values))
        .execute(conn)
        .map(|_| ())
}

/// Writes `values` if the article is still at `expected_version`; returns whether it was.
pub fn update(
    conn: &mut DbConn,
    id: &ArticleId,
    expected_version: i64,
    values: &ArticleValues,
) -> QueryResult<bool> {
    let n = diesel::update(
        articles::table
            .filter(articles::id.eq(id))
            .filter(articles::version.eq(expected_version)),
    )
    .set(values)
    .execute(conn)?;
    Ok(n == 1)
}

/// Writes a change of status if the article is still at `expected_version`; returns whether it
/// was.
pub fn update_status(
    conn: &mut DbConn,
    id: &ArticleId,
    expected_version: i64,
    values: &StatusValues,
) -> QueryResult<bool> {
    let n = diesel::update(
        articles::table
            .filter(articles::id.eq(id))
            .filter(articles::version.eq(expected_version)),
    )
    .set(values)
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the article if it is still at `expected_version`.
pub fn delete(conn: &mut DbConn, id: &ArticleId, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        articles::table
            .filter(articles::id.eq(id))
            .filter(articles::version.eq(expected_version)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// The article with this id.
pub fn find(conn: &mut DbConn, id: &ArticleId) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::id.eq(id))
        .first(conn)
        .optional()
}

/// The article whose current slug is `slug`.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .first(conn)
        .optional()
}

/// The article that once had `slug`.
pub fn find_by_old_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ArticleRow>> {
    let id: Option<ArticleId> = article_slugs::table
        .find(slug)
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => find(conn, &id),
        None => Ok(None),
    }
}

/// The article an id, a slug or an earlier slug names.
pub fn find_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<ArticleRow>> {
    if uuid::Uuid::try_parse(key).is_ok() {
        return find(conn, &ArticleId::from(key));
    }
    match find_by_slug(conn, key)? {
        Some(row) => Ok(Some(row)),
        None => find_by_old_slug(conn, key),
    }
}

/// The head of the article with this id.
pub fn find_head(conn: &mut DbConn, id: &ArticleId) -> QueryResult<Option<ArticleHead>> {
    articles::table
        .filter(articles::id.eq(id))
        .select(HEAD_COLUMNS)
        .first(conn)
        .optional()
}

/// The head of the article an id, a slug or an earlier slug names.
pub fn find_head_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<ArticleHead>> {
    let id = if uuid::Uuid::try_parse(key).is_ok() {
        ArticleId::from(key)
    } else {
        let current = articles::table
            .filter(articles::slug.eq(key))
            .select(HEAD_COLUMNS)
            .first(conn)
            .optional()?;
        if current.is_some() {
            return Ok(current);
        }
        let old: Option<ArticleId> = article_slugs::table
            .find(key)
            .select(article_slugs::article_id)
            .first(conn)
            .optional()?;
        match old {
            Some(id) => id,
            None => return Ok(None),
        }
    };
    find_head(conn, &id)
}

/// When the next scheduled article becomes public, if any is scheduled.
pub fn next_publication(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    articles::table
        .filter(articles::status.eq(StoredStatus::Published))
        .filter(articles::published_at.gt(crate::db::now()))
        .select(diesel::dsl::min(articles::published_at))
        .first(conn)
}

/// Marks an article changed without changing its fields: a published correction is part of the
/// article, so it is a new version, and an editor's save based on the version before it is
/// refused (412) until they have seen it.
pub fn touch(conn: &mut DbConn, id: &ArticleId, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::update(articles::table.filter(articles::id.eq(id)))
        .set((
            articles::version.eq(articles::version + 1),
            articles::updated_at.eq(now),
        ))
        .execute(conn)?;
    articles::table
        .filter(articles::id.eq(id))
        .select(articles::version)
        .first(conn)
}

/// Whether `slug` leads to an article other than `except_id`, now or from before.
pub fn slug_taken(conn: &mut DbConn, slug: &str, except_id: &ArticleId) -> QueryResult<bool> {
    let current: bool = diesel::select(diesel::dsl::exists(
        articles::table
            .filter(articles::slug.eq(slug))
            .filter(articles::id.ne(except_id)),
    ))
    .get_result(conn)?;
    if current {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        article_slugs::table
            .filter(article_slugs::slug.eq(slug))
            .filter(article_slugs::article_id.ne(except_id)),
    ))
    .get_result(conn)
}

/// Keeps `old` leading to the article after a slug change (and frees `new` if it was an
/// earlier slug of the same article).
pub fn remember_old_slug(
    conn: &mut DbConn,
    id: &ArticleId,
    old: &str,
    new: &str,
) -> QueryResult<()> {
    diesel::delete(article_slugs::table.filter(article_slugs::slug.eq(new))).execute(conn)?;
    diesel::insert_into(article_slugs::table)
        .values((
            article_slugs::slug.eq(old),
            article_slugs::article_id.eq(id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of `ids` are users. On PostgreSQL their rows stay locked (`FOR SHARE`) until the
/// caller's transaction ends: a byline saved with them and a rename of one of them are then one
/// after the other, so the rename's trigger sees the byline or the byline's summary is rendered
/// with the new name (SQLite's one writer does that by itself).
pub fn existing_users(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    let query = users::table.filter(users::id.eq_any(ids)).select(users::id);
    match conn {
        DbConn::Pg(c) => query.for_share().load(c),
        DbConn::Sqlite(c) => query.load(c),
    }
}

/// Which of `ids` are articles.
pub fn existing_articles(conn: &mut DbConn, ids: &[ArticleId]) -> QueryResult<Vec<ArticleId>> {
    articles::table
        .filter(articles::id.eq_any(ids))
        .select(articles::id)
        .load(conn)
}

/// When an article is public for list purposes: its publication time while it is published.
pub fn public_at(
    status: StoredStatus,
    published_at: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    (status == StoredStatus::Published)
        .then_some(published_at)
        .flatten()
}
