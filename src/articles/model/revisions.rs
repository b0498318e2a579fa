//! The revision log of an article.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Json;
use crate::db::DbConn;
use crate::db::schema::{article_revisions, users};
use crate::ids::{ArticleId, UserId};

/// A revision to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = article_revisions)]
pub struct NewRevision<'a> {
    pub id: String,
    pub article_id: &'a ArticleId,
    pub version: i64,
    pub editor_id: Option<&'a UserId>,
    pub action: &'a str,
    pub changed: String,
    pub snapshot: String,
    pub created_at: NaiveDateTime,
}

/// Records a revision.
pub fn insert_revision(conn: &mut DbConn, revision: &NewRevision<'_>) -> QueryResult<()> {
    diesel::insert_into(article_revisions::table)
        .values(revision)
        .execute(conn)
        .map(|_| ())
}

/// A revision with its editor's display name.
#[derive(Debug, Clone, Queryable)]
pub struct RevisionRow {
    pub version: i64,
    pub action: String,
    /// The names of the fields it changed.
    pub changed: Json<Vec<String>>,
    pub created_at: NaiveDateTime,
    pub editor_id: Option<UserId>,
    /// The editor's name (`None` if that account is gone).
    pub editor_name: Option<String>,
}

/// An article's revisions, newest first, older than `before_version`.
pub fn revisions(
    conn: &mut DbConn,
    article_id: &ArticleId,
    before_version: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RevisionRow>> {
    let mut query = article_revisions::table
        .left_join(users::table.on(article_revisions::editor_id.eq(users::id.nullable())))
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::version.desc())
        .limit(limit)
        .select((
            article_revisions::version,
            article_revisions::action,
            article_revisions::changed,
            article_revisions::created_at,
            article_revisions::editor_id,
            users::display_name.nullable(),
        ))
        .into_boxed();
    if let Some(v) = before_version {
        query = query.filter(article_revisions::version.lt(v));
    }
    query.load(conn)
}
