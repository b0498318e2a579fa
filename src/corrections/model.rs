//! Correction report rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::ReportStatus;
use crate::db::DbConn;
use crate::db::schema::correction_reports as reports;
use crate::ids::{ArticleId, ReportId};

/// A row of `correction_reports`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reports)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct ReportRow {
    pub id: ReportId,
    pub article_id: ArticleId,
    pub quote: String,
    pub quote_found: bool,
    pub quote_field: Option<String>,
    pub quote_start: Option<i32>,
    pub quote_end: Option<i32>,
    pub suggestion: String,
    pub comment: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub fingerprint: String,
    pub status: ReportStatus,
    pub duplicate_of: Option<ReportId>,
    pub editor_note: Option<String>,
    pub public_note: Option<String>,
    pub corrected_at: Option<NaiveDateTime>,
    pub erased_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What triage changes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = reports, treat_none_as_null = true)]
pub struct Triage {
    pub status: ReportStatus,
    pub duplicate_of: Option<ReportId>,
    pub editor_note: Option<String>,
    pub public_note: Option<String>,
    pub corrected_at: Option<NaiveDateTime>,
}

/// The report with this id.
pub fn find(conn: &mut DbConn, id: &ReportId) -> QueryResult<Option<ReportRow>> {
    reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// An identical report (same fingerprint) made since `since`.
pub fn find_recent_duplicate(
    conn: &mut DbConn,
    fingerprint: &str,
    since: NaiveDateTime,
) -> QueryResult<Option<ReportRow>> {
    reports::table
        .filter(reports::fingerprint.eq(fingerprint))
        .filter(reports::created_at.ge(since))
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a report.
pub fn insert(conn: &mut DbConn, row: &ReportRow) -> QueryResult<()> {
    diesel::insert_into(reports::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Applies triage if the row is still at `expected_version`.
pub fn triage(
    conn: &mut DbConn,
    id: &ReportId,
    expected_version: i64,
    change: &Triage,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        reports::table
            .filter(reports::id.eq(id))
            .filter(reports::version.eq(expected_version)),
    )
    .set((
        change,
        reports::version.eq(expected_version + 1),
        reports::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Removes the reporter's name and email, keeping the report.
pub fn erase_reporter(
    conn: &mut DbConn,
    id: &ReportId,
    expected_version: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        reports::table
            .filter(reports::id.eq(id))
            .filter(reports::version.eq(expected_version)),
    )
    .set((
        reports::reporter_name.eq(None::<String>),
        reports::reporter_email.eq(None::<String>),
        reports::erased_at.eq(now),
        reports::version.eq(expected_version + 1),
        reports::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The triage queue: oldest first, after `after_id`.
pub fn list(
    conn: &mut DbConn,
    status: Option<ReportStatus>,
    article_id: Option<&ArticleId>,
    quote_found: Option<bool>,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ReportRow>> {
    let mut query = reports::table
        .select(ReportRow::as_select())
        .order(reports::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(s) = status {
        query = query.filter(reports::status.eq(s));
    }
    if let Some(a) = article_id {
        query = query.filter(reports::article_id.eq(a.clone()));
    }
    if let Some(f) = quote_found {
        query = query.filter(reports::quote_found.eq(f));
    }
    if let Some(id) = after_id {
        query = query.filter(reports::id.gt(id.to_owned()));
    }
    query.load(conn)
}

/// A public log entry: the report, its public note, when it was published.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct LogRow {
    pub id: ReportId,
    pub public_note: Option<String>,
    pub corrected_at: Option<NaiveDateTime>,
}

/// The public corrections log of an article: accepted reports with a public note, oldest first.
pub fn public_log(conn: &mut DbConn, article_id: &ArticleId) -> QueryResult<Vec<LogRow>> {
    reports::table
        .filter(reports::article_id.eq(article_id))
        .filter(reports::status.eq(ReportStatus::Accepted))
        .filter(reports::public_note.is_not_null())
        .order((reports::corrected_at.asc(), reports::id.asc()))
        .select(LogRow::as_select())
        .load(conn)
}

/// When each of these articles last had a public correction, for those that have one.
pub fn last_public_corrections(
    conn: &mut DbConn,
    article_ids: &[String],
) -> QueryResult<std::collections::HashMap<String, NaiveDateTime>> {
    let rows: Vec<(String, Option<NaiveDateTime>)> = reports::table
        .filter(reports::article_id.eq_any(article_ids))
        .filter(reports::status.eq(ReportStatus::Accepted))
        .filter(reports::public_note.is_not_null())
        .select((reports::article_id, reports::corrected_at))
        .load(conn)?;
    let mut last = std::collections::HashMap::new();
    for (article, at) in rows {
        if let Some(at) = at {
            let entry = last.entry(article).or_insert(at);
            *entry = (*entry).max(at);
        }
    }
    Ok(last)
}
