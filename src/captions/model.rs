//! Caption rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{article_images, articles, captions};
use crate::ids::{ArticleId, CaptionId, ImageId, UserId};

/// A row of `captions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = captions)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct CaptionRow {
    pub id: CaptionId,
    pub image_id: ImageId,
    pub article_id: ArticleId,
    pub text: String,
    pub credit: Option<String>,
    pub illustrative: bool,
    pub created_by: Option<UserId>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The captions an article shows, in the order it shows them (featured image first).
pub fn texts_shown_in(conn: &mut DbConn, article_id: &ArticleId) -> QueryResult<Vec<String>> {
    article_images::table
        .inner_join(captions::table.on(article_images::caption_id.eq(captions::id.nullable())))
        .filter(article_images::article_id.eq(article_id))
        .order(article_images::position)
        .select(captions::text)
        .load(conn)
}

/// The caption with this id.
pub fn find(conn: &mut DbConn, id: &CaptionId) -> QueryResult<Option<CaptionRow>> {
    captions::table
        .find(id)
        .select(CaptionRow::as_select())
        .first(conn)
        .optional()
}

/// The captions with these ids.
pub fn find_many(conn: &mut DbConn, ids: &[CaptionId]) -> QueryResult<Vec<CaptionRow>> {
    captions::table
        .filter(captions::id.eq_any(ids))
        .select(CaptionRow::as_select())
        .load(conn)
}

/// Inserts a caption.
pub fn insert(conn: &mut DbConn, row: &CaptionRow) -> QueryResult<()> {
    diesel::insert_into(captions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes text, credit and flag if the row is still at `expected_version`.
pub fn update(
    conn: &mut DbConn,
    row: &CaptionRow,
    expected_version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        captions::table
            .filter(captions::id.eq(&row.id))
            .filter(captions::version.eq(expected_version)),
    )
    .set((
        captions::text.eq(&row.text),
        captions::credit.eq(&row.credit),
        captions::illustrative.eq(row.illustrative),
        captions::version.eq(expected_version + 1),
        captions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the row if it is still at `expected_version`.
pub fn delete(conn: &mut DbConn, id: &CaptionId, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        captions::table
            .filter(captions::id.eq(id))
            .filter(captions::version.eq(expected_version)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether an article shows the caption.
pub fn in_use(conn: &mut DbConn, id: &CaptionId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_images::table.filter(article_images::caption_id.eq(id)),
    ))
    .get_result(conn)
}

/// A page of captions by id, filtered; `public_at` keeps only those of articles the public
/// can read then.
pub fn list(
    conn: &mut DbConn,
    image_id: Option<&ImageId>,
    article_id: Option<&ArticleId>,
    after_id: Option<&str>,
    public_at: Option<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<CaptionRow>> {
    let mut query = captions::table
        .select(CaptionRow::as_select())
        .order(captions::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(id) = image_id {
        query = query.filter(captions::image_id.eq(id.clone()));
    }
    if let Some(id) = article_id {
        query = query.filter(captions::article_id.eq(id.clone()));
    }
    if let Some(id) = after_id {
        query = query.filter(captions::id.gt(id.to_owned()));
    }
    if let Some(now) = public_at {
        query = query.filter(
            captions::article_id.eq_any(
                articles::table
                    .filter(articles::status.eq("published"))
                    .filter(articles::published_at.le(now))
                    .select(articles::id),
            ),
        );
    }
    query.load(conn)
}
