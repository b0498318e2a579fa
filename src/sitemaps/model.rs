//! What sitemaps read: the days of the archive (folded rows plus changes not yet folded), a
//! day's public articles, the last two days' articles, and the folding of changes into days.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Timestamp};

use super::{Chunk, Day};
use crate::articles::StoredStatus;
use crate::db::DbConn;
use crate::db::schema::{articles, sitemap_changes, sitemap_days, sitemap_state};

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    articles: i64,
    #[diesel(sql_type = Timestamp)]
    changed_at: NaiveDateTime,
}

/// The folded days and the changes visible by `now` not yet folded, summed per day: one
/// statement, so a fold committing meanwhile is seen whole or not at all.
const DAYS: &str = "SELECT day, CAST(SUM(articles) AS BIGINT) AS articles, MAX(changed_at) AS changed_at \
     FROM (SELECT day, articles, changed_at FROM sitemap_days \
           UNION ALL \
           SELECT day, delta, effective_at FROM sitemap_changes WHERE effective_at <= {now}) AS d \
     GROUP BY day HAVING SUM(articles) > 0 ORDER BY day DESC";

/// Every publication day with public articles at `now`, newest first.
pub fn days(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<Day>> {
    let rows: Vec<DayRow> = match conn {
        DbConn::Pg(c) => diesel::sql_query(DAYS.replace("{now}", "$1"))
            .bind::<Timestamp, _>(now)
            .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(DAYS.replace("{now}", "?"))
            .bind::<Timestamp, _>(now)
            .load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| Day {
            day: r.day,
            articles: r.articles,
            changed_at: r.changed_at,
        })
        .collect())
}

/// What an article's address and dates are made from.
#[derive(Debug, Clone, Queryable)]
pub struct Entry {
    pub id: String,
    pub slug: String,
    pub section: Option<String>,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

/// The chunk's public articles at `now`, in publication order: one range of
/// `articles_public_idx` (status, publication time).
pub fn chunk(
    conn: &mut DbConn,
    chunk: &Chunk,
    per_sitemap: usize,
    now: NaiveDateTime,
) -> QueryResult<Vec<Entry>> {
    let (start, end) = chunk.bounds();
    articles::table
        .filter(articles::status.eq(StoredStatus::Published))
        .filter(articles::published_at.ge(start))
        .filter(articles::published_at.lt(end))
        .filter(articles::published_at.le(now))
        .order((articles::published_at.asc(), articles::id.asc()))
        .select((
            articles::id,
            articles::slug,
            articles::section,
            articles::published_at,
            articles::updated_at,
        ))
        .limit(i64::try_from(per_sitemap).unwrap_or(i64::MAX))
        .offset(chunk.offset(per_sitemap))
        .load(conn)
}

/// An article in the news sitemap.
#[derive(Debug, Clone, Queryable)]
pub struct NewsEntry {
    pub id: String,
    pub slug: String,
    pub section: Option<String>,
    pub published_at: Option<NaiveDateTime>,
    pub title: String,
    pub language: String,
}

/// The articles published after `since` and by `now`, newest first, at most `limit`.
pub fn news(
    conn: &mut DbConn,
    since: NaiveDateTime,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NewsEntry>> {
    articles::table
        .filter(articles::status.eq(StoredStatus::Published))
        .filter(articles::published_at.gt(since))
        .filter(articles::published_at.le(now))
        .order((articles::published_at.desc(), articles::id.desc()))
        .select((
            articles::id,
            articles::slug,
            articles::section,
            articles::published_at,
            articles::title,
            articles::language,
        ))
        .limit(limit)
        .load(conn)
}

/// Folds up to `batch` changes visible by `now` into their days; returns how many it folded.
/// Each change is deleted and counted by the same statement, so two instances folding at once
/// never count one twice.
pub fn fold(conn: &mut DbConn, now: NaiveDateTime, batch: i64) -> QueryResult<usize> {
    let seqs: Vec<i64> = sitemap_changes::table
        .filter(sitemap_changes::effective_at.le(now))
        .order(sitemap_changes::seq.asc())
        .select(sitemap_changes::seq)
        .limit(batch)
        .load(conn)?;
    if seqs.is_empty() {
        return Ok(0);
    }
    // This fold's number: the days it touches carry it, so their stored sitemaps are stale.
    let bump =
        diesel::update(sitemap_state::table).set(sitemap_state::folds.eq(sitemap_state::folds + 1));
    let version: i64 = match conn {
        DbConn::Pg(c) => bump.returning(sitemap_state::folds).get_result(c)?,
        DbConn::Sqlite(c) => bump.returning(sitemap_state::folds).get_result(c)?,
    };
    let taken = sitemap_changes::table.filter(sitemap_changes::seq.eq_any(&seqs));
    let columns = (
        sitemap_changes::day,
        sitemap_changes::delta,
        sitemap_changes::effective_at,
    );
    let rows: Vec<(NaiveDate, i64, NaiveDateTime)> = match conn {
        DbConn::Pg(c) => diesel::delete(taken).returning(columns).get_results(c)?,
        DbConn::Sqlite(c) => diesel::delete(taken).returning(columns).get_results(c)?,
    };
    let mut per_day: BTreeMap<NaiveDate, (i64, NaiveDateTime)> = BTreeMap::new();
    for (day, delta, at) in &rows {
        let entry = per_day.entry(*day).or_insert((0, *at));
        entry.0 += delta;
        entry.1 = entry.1.max(*at);
    }
    for (day, (delta, at)) in per_day {
        let row = sitemap_days::table.filter(sitemap_days::day.eq(day));
        let updated = diesel::update(row)
            .set((
                sitemap_days::articles.eq(sitemap_days::articles + delta),
                sitemap_days::version.eq(version),
            ))
            .execute(conn)?;
        if updated == 0 {
            let values = (
                sitemap_days::day.eq(day),
                sitemap_days::articles.eq(delta),
                sitemap_days::changed_at.eq(at),
                sitemap_days::version.eq(version),
            );
            match conn {
                DbConn::Pg(c) => {
                    // Another instance may have made the row since: then add to it.
                    let inserted = diesel::insert_into(sitemap_days::table)
                        .values(values)
                        .on_conflict_do_nothing()
                        .execute(c)?;
                    if inserted == 0 {
                        diesel::update(row)
                            .set((
                                sitemap_days::articles.eq(sitemap_days::articles + delta),
                                sitemap_days::version.eq(version),
                            ))
                            .execute(c)?;
                    }
                }
                DbConn::Sqlite(c) => {
                    diesel::insert_into(sitemap_days::table)
                        .values(values)
                        .execute(c)?;
                }
            }
        }
        diesel::update(row.filter(sitemap_days::changed_at.lt(at)))
            .set(sitemap_days::changed_at.eq(at))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// Whether a change visible by `now` waits to be folded.
pub fn pending(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sitemap_changes::table.filter(sitemap_changes::effective_at.le(now)),
    ))
    .get_result(conn)
}

/// Folds every change visible by `now` (after a bulk load).
pub fn fold_all(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<()> {
    while fold(conn, now, 10_000)? > 0 {}
    Ok(())
}

/// Keeps `sitemap_days` folded and the stored sitemaps current: every [`super::FOLD_EVERY`], the
/// changes visible by then, a batch at a time on the write connection, then the index and the
/// days whose stored sitemap is stale ([`super::stored::refresh`]). Reads are exact without it;
/// folding keeps them short, and the stored sitemaps make them one row.
pub fn keep_folded(db: std::sync::Weak<crate::db::Db>, setup: super::stored::Setup) {
    crate::background::now_and_every("masthead-sitemaps", db, super::FOLD_EVERY, move |db| {
        let now = crate::db::now();
        match db.read_blocking(|c| Ok(pending(c, now)?)) {
            Ok(true) => fold_pending(db, now),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for sitemap changes");
                return;
            }
        }
        super::stored::refresh(db, &setup);
    });
}

fn fold_pending(db: &crate::db::Db, now: NaiveDateTime) {
    for _ in 0..10 {
        match db.write_blocking(|c| Ok(fold(c, now, 5_000)?)) {
            Ok(n) if n < 5_000 => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot fold sitemap changes");
                return;
            }
        }
    }
}
