//! Image rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{article_images, articles, images};
use crate::ids::{ArticleId, ImageId, UserId};

/// A row of `images`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = images)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ImageRow {
    pub id: ImageId,
    pub content_hash: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub byte_size: i64,
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub credit: Option<String>,
    pub license: Option<String>,
    pub source_url: Option<String>,
    pub uploaded_by: Option<UserId>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The editable metadata of an image.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = images, treat_none_as_null = true)]
pub struct ImageMeta {
    pub title: Option<String>,
    pub alt_text: Option<String>,
    pub credit: Option<String>,
    pub license: Option<String>,
    pub source_url: Option<String>,
}

/// The image with this id.
pub fn find(conn: &mut DbConn, id: &ImageId) -> QueryResult<Option<ImageRow>> {
    images::table
        .find(id)
        .select(ImageRow::as_select())
        .first(conn)
        .optional()
}

/// The image with these bytes.
pub fn find_by_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<ImageRow>> {
    images::table
        .filter(images::content_hash.eq(hash))
        .select(ImageRow::as_select())
        .first(conn)
        .optional()
}

/// Which of these content hashes an image row holds.
pub fn known_hashes(conn: &mut DbConn, hashes: &[String]) -> QueryResult<Vec<String>> {
    images::table
        .filter(images::content_hash.eq_any(hashes))
        .select(images::content_hash)
        .load(conn)
}

/// The images with these ids.
pub fn find_many(conn: &mut DbConn, ids: &[ImageId]) -> QueryResult<Vec<ImageRow>> {
    images::table
        .filter(images::id.eq_any(ids))
        .select(ImageRow::as_select())
        .load(conn)
}

/// Inserts an image.
pub fn insert(conn: &mut DbConn, row: &ImageRow) -> QueryResult<()> {
    diesel::insert_into(images::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes new metadata if the row is still at `expected_version`.
pub fn update(
    conn: &mut DbConn,
    id: &ImageId,
    expected_version: i64,
    meta: &ImageMeta,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        images::table
            .filter(images::id.eq(id))
            .filter(images::version.eq(expected_version)),
    )
    .set((
        meta,
        images::version.eq(images::version + 1),
        images::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the row if it is still at `expected_version`.
pub fn delete(conn: &mut DbConn, id: &ImageId, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        images::table
            .filter(images::id.eq(id))
            .filter(images::version.eq(expected_version)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// A page of images, newest first, before `before_id`.
pub fn list(
    conn: &mut DbConn,
    before_id: Option<&str>,
    content_type: Option<&str>,
    uploaded_by: Option<&UserId>,
    limit: i64,
) -> QueryResult<Vec<ImageRow>> {
    let mut query = images::table
        .select(ImageRow::as_select())
        .order(images::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(id) = before_id {
        query = query.filter(images::id.lt(id.to_owned()));
    }
    if let Some(t) = content_type {
        query = query.filter(images::content_type.eq(t.to_owned()));
    }
    if let Some(u) = uploaded_by {
        query = query.filter(images::uploaded_by.eq(u.clone()));
    }
    query.load(conn)
}

/// An article that shows an image, named for the editor who wants to delete it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ShownIn {
    pub id: ArticleId,
    pub title: String,
}

/// Articles that show the image, by id.
pub fn used_by(conn: &mut DbConn, image_id: &ImageId) -> QueryResult<Vec<ShownIn>> {
    let ids: Vec<ArticleId> = article_images::table
        .filter(article_images::image_id.eq(image_id))
        .select(article_images::article_id)
        .distinct()
        .load(conn)?;
    articles::table
        .filter(articles::id.eq_any(&ids))
        .select(ShownIn::as_select())
        .order(articles::id)
        .load(conn)
}

/// Whether a published or scheduled article shows the image.
pub fn shown_in_published(conn: &mut DbConn, image_id: &ImageId) -> QueryResult<bool> {
    shown_in_published_by(conn, image_id, None)
}

/// Whether an article the public can read at `now` shows the image.
pub fn is_public(conn: &mut DbConn, image_id: &ImageId, now: NaiveDateTime) -> QueryResult<bool> {
    shown_in_published_by(conn, image_id, Some(now))
}

/// Whether an article published (by `now`, when given) shows the image.
fn shown_in_published_by(
    conn: &mut DbConn,
    image_id: &ImageId,
    now: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let ids: Vec<ArticleId> = article_images::table
        .filter(article_images::image_id.eq(image_id))
        .select(article_images::article_id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(false);
    }
    // Without a time, any publication time counts (the last day both databases hold).
    let by = now.unwrap_or_else(|| {
        chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .unwrap_or_default()
    });
    diesel::select(diesel::dsl::exists(
        articles::table
            .filter(articles::id.eq_any(ids))
            .filter(articles::status.eq("published"))
            .filter(articles::published_at.le(by)),
    ))
    .get_result(conn)
}
