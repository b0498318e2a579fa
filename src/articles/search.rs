//! Full-text search input: the reader's words, reduced to terms both backends treat alike;
//! and the upkeep of SQLite's search index as the newsroom writes.

use std::sync::Weak;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::app::AppState;
use crate::db::DbConn;
use crate::error::ApiResult;

/// The most terms a query may have.
pub const MAX_TERMS: usize = 16;

/// Splits a query into lower-case words (letters and digits); everything else separates them,
/// so no search syntax of either backend can be injected.
pub fn terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(MAX_TERMS)
        .collect()
}

/// An FTS5 query matching every term (each quoted, so it is a plain token).
pub fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pages of the search index merged per step: about 45 ms of the writer's time at a million
/// articles, so an editor's save waits at most that long behind a step.
const MERGE_PAGES_PER_STEP: i64 = 500;

/// How many writes (content versions) between two full merges of the search index.
const MERGE_AFTER_WRITES: i64 = 1_000;

/// One step of merging SQLite's search index toward a single segment; whether it did any work
/// (none: the index is one segment already). FTS5 keeps the segments its writes add to a
/// logarithmic number, not to one, and every search term walks every segment: 13,700 articles
/// written through the API into a million-article archive cut searches from about 1,800 to
/// 1,300-1,500 per second; merging brought them back. PostgreSQL's GIN index has no segments:
/// nothing to do there.
pub fn merge_step(conn: &mut DbConn) -> ApiResult<bool> {
    #[derive(QueryableByName)]
    struct Changes {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let DbConn::Sqlite(c) = conn else {
        return Ok(false);
    };
    let changes = |c: &mut diesel::SqliteConnection| -> QueryResult<i64> {
        diesel::sql_query("SELECT total_changes() AS n")
            .get_result::<Changes>(c)
            .map(|r| r.n)
    };
    let before = changes(c)?;
    // A negative page count merges segments of every level together, two at a time if need be,
    // until one is left (FTS5's documentation: "the 'merge' command").
    diesel::sql_query("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)")
        .bind::<BigInt, _>(-MERGE_PAGES_PER_STEP)
        .execute(c)?;
    // FTS5 counts one change for the command itself; two or more mean it merged something.
    Ok(changes(c)? - before >= 2)
}

/// On SQLite, merges the search index back into one segment after every [`MERGE_AFTER_WRITES`]
/// writes, a step at a time on the write connection with a pause between steps, so writes
/// through the API go on meanwhile. Checks once per `interval`; stops when the server's state is
/// gone.
pub fn keep_index_merged(state: Weak<AppState>, interval: Duration) {
    let Some(initial) = state.upgrade().and_then(|s| {
        (s.db.backend() == "sqlite")
            .then(|| s.db.read_blocking(crate::db::content_version).ok())
            .flatten()
    }) else {
        return;
    };
    let mut merged_at = initial;
    crate::app::every("masthead-search-upkeep", state, interval, move |state| {
        let Ok(version) = state.db.read_blocking(crate::db::content_version) else {
            return;
        };
        if version - merged_at < MERGE_AFTER_WRITES {
            return;
        }
        let started = std::time::Instant::now();
        let mut steps = 0;
        loop {
            match state.db.write_blocking(merge_step) {
                Ok(true) => steps += 1,
                Ok(false) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "search index merge step failed");
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        merged_at = version;
        tracing::info!(
            steps,
            ms = started.elapsed().as_millis(),
            "merged the search index"
        );
    });
}

/// PostgreSQL: the newest part of the archive has a full-text index of its own, a partial GIN
/// index of the articles published since a date (`articles_search_since_YYYYMMDD`).
///
/// Search ranks the newest matches, and a GIN index returns matches unordered: the newest 100
/// of a common word's hundreds of thousands means reading that word's whole posting list. At a
/// million articles that was 6-7 ms of PostgreSQL's time per search, whatever came after. The
/// same words in an index of the last two or three months are a few hundred entries: the window
/// took 0.5 ms instead of 8 (`bench/README.md`).
///
/// The index is only ever a faster way to the same rows: a search asks for the matches
/// published since the index's date (so PostgreSQL can prove the partial index applies), and
/// when there are fewer than a window of them, for the whole archive. If the index is missing,
/// being built or just dropped, the same statement takes another plan and gives the same rows.
///
/// A new index covers the last [`RECENT_DAYS`]; it is replaced once it covers
/// [`REPLACE_AFTER_DAYS`] (built `CONCURRENTLY`, so reads and writes go on; under an advisory
/// lock, so of several instances one builds it). The one it replaces is dropped
/// [`DROP_AFTER`] later, once every instance has had time to see the new one.
#[derive(Debug)]
pub struct RecentIndex {
    /// The index's date as microseconds since the epoch; `i64::MIN` for none.
    since: AtomicI64,
}

impl Default for RecentIndex {
    fn default() -> Self {
        Self {
            since: AtomicI64::new(i64::MIN),
        }
    }
}

impl RecentIndex {
    /// Since when published articles have the recent search index (none on SQLite, or before the
    /// first check).
    pub fn since(&self) -> Option<NaiveDateTime> {
        match self.since.load(Ordering::Acquire) {
            i64::MIN => None,
            micros => chrono::DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc()),
        }
    }

    fn set(&self, since: Option<NaiveDate>) {
        let micros = since
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(i64::MIN, |t| t.and_utc().timestamp_micros());
        self.since.store(micros, Ordering::Release);
    }
}

/// Days of articles a new recent index covers.
pub const RECENT_DAYS: i64 = 60;
/// Days of articles after which the recent index is replaced by a new one.
pub const REPLACE_AFTER_DAYS: i64 = 90;
/// How long a replaced index is kept after its replacement was first seen.
const DROP_AFTER: Duration = Duration::from_secs(10 * 60);
/// After a failed build, how long before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(10 * 60);
const RECENT_PREFIX: &str = "articles_search_since_";

/// A recent index found in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    name: String,
    since: NaiveDate,
    /// Built and usable (a `CREATE INDEX CONCURRENTLY` that failed or is still running leaves
    /// an invalid one).
    valid: bool,
}

/// The recent indexes of `articles`.
fn recent_indexes(c: &mut diesel::PgConnection) -> QueryResult<Vec<Found>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        valid: bool,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT c.relname::text AS name, i.indisvalid AS valid FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = 'articles'::regclass AND starts_with(c.relname::text, $1)",
    )
    .bind::<diesel::sql_types::Text, _>(RECENT_PREFIX)
    .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let date = r.name.strip_prefix(RECENT_PREFIX)?;
            let since = NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
            Some(Found {
                name: r.name,
                since,
                valid: r.valid,
            })
        })
        .collect())
}

/// The newest usable recent index, if any.
fn newest(found: &[Found]) -> Option<&Found> {
    found.iter().filter(|f| f.valid).max_by_key(|f| f.since)
}

/// What the upkeep does to the recent indexes on `today`: the date of an index to build (none
/// is usable, or the newest covers more than [`REPLACE_AFTER_DAYS`]), and the indexes to drop:
/// invalid ones (a failed build) always, and with `drop_replaced`, every one but the newest.
pub fn upkeep_plan(
    found: &[Found],
    today: NaiveDate,
    drop_replaced: bool,
) -> (Option<NaiveDate>, Vec<String>) {
    let keep = newest(found);
    let build = match keep {
        Some(f) if today - f.since <= TimeDelta::days(REPLACE_AFTER_DAYS) => None,
        _ => Some(today - TimeDelta::days(RECENT_DAYS)),
    };
    let drop = found
        .iter()
        .filter(|f| !f.valid || (drop_replaced && Some(*f) != keep))
        .map(|f| f.name.clone())
        .collect();
    (build, drop)
}

/// PostgreSQL: builds, replaces and drops the recent search indexes as [`upkeep_plan`] says,
/// if this connection gets the advisory lock (another instance may be at it); returns the date
/// of the newest usable one. Runs outside any transaction (`CONCURRENTLY` requires it).
pub fn keep_recent_index(
    conn: &mut DbConn,
    today: NaiveDate,
    build: bool,
    drop_replaced: bool,
) -> ApiResult<Option<NaiveDate>> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let DbConn::Pg(c) = conn else {
        return Ok(None);
    };
    let found = recent_indexes(c)?;
    let (to_build, to_drop) = upkeep_plan(&found, today, drop_replaced);
    let work = (build && to_build.is_some()) || !to_drop.is_empty();
    if !work {
        return Ok(newest(&found).map(|f| f.since));
    }
    const LOCK: &str = "SELECT pg_try_advisory_lock(hashtextextended('masthead:recent-search-index', 0)) AS locked";
    if !diesel::sql_query(LOCK).get_result::<Locked>(c)?.locked {
        return Ok(newest(&found).map(|f| f.since));
    }
    let result = (|| -> ApiResult<()> {
        // Under the lock, as things are now (another instance may have just finished).
        let found = recent_indexes(c)?;
        let (to_build, to_drop) = upkeep_plan(&found, today, drop_replaced);
        // Names and dates are made here from a date, digits only: safe to write into DDL.
        for name in to_drop {
            c.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS \"{name}\""))?;
        }
        if let Some(since) = to_build.filter(|_| build) {
            let started = Instant::now();
            c.batch_execute(&format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {RECENT_PREFIX}{} ON articles \
                 USING gin (search) WHERE status = 'published' AND published_at >= '{}'",
                since.format("%Y%m%d"),
                since.format("%Y-%m-%d")
            ))?;
            tracing::info!(
                %since,
                ms = started.elapsed().as_millis(),
                "built the recent search index"
            );
        }
        Ok(())
    })();
    let unlocked = c.batch_execute(
        "SELECT pg_advisory_unlock(hashtextextended('masthead:recent-search-index', 0))",
    );
    result?;
    unlocked?;
    Ok(newest(&recent_indexes(c)?).map(|f| f.since))
}

/// On PostgreSQL, keeps the recent search index ([`RecentIndex`]): at start and once per
/// `interval`, learns which one is usable (another instance may have built it) and builds,
/// replaces or drops as [`upkeep_plan`] says. Stops when the server's state is gone.
pub fn keep_recent_index_fresh(state: Weak<AppState>, interval: Duration) {
    if state.upgrade().is_none_or(|s| s.db.backend() != "postgres") {
        return;
    }
    let mut newest_seen: Option<(NaiveDate, Instant)> = None;
    let mut failed_at: Option<Instant> = None;
    let tick = move |state: &AppState| {
        let build = failed_at.is_none_or(|t| t.elapsed() >= RETRY_AFTER);
        let drop_replaced = newest_seen.is_some_and(|(_, at)| at.elapsed() >= DROP_AFTER);
        let today = crate::db::now().date();
        match state
            .db
            .maintain_blocking(|c| keep_recent_index(c, today, build, drop_replaced))
        {
            Ok(since) => {
                if since != newest_seen.map(|(d, _)| d) {
                    newest_seen = since.map(|d| (d, Instant::now()));
                }
                state.recent_search.set(since);
            }
            Err(e) => {
                failed_at = Some(Instant::now());
                tracing::warn!(error = %e, "recent search index upkeep failed");
            }
        }
    };
    crate::app::now_and_every("masthead-recent-search", state, interval, tick);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_recent_index_is_built_replaced_and_dropped_by_its_dates() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let found = |date: &str, valid: bool| Found {
            name: format!("{RECENT_PREFIX}{}", date.replace('-', "")),
            since: day(date),
            valid,
        };
        let today = day("2026-11-27");
        assert_eq!(
            upkeep_plan(&[], today, true),
            (Some(day("2026-09-28")), vec![])
        );
        // A failed build is dropped, whatever else; a usable index 90 days old is kept.
        let failed = found("2026-10-01", false);
        let usable = found("2026-08-29", true);
        assert_eq!(
            upkeep_plan(&[failed.clone(), usable.clone()], today, false),
            (None, vec![failed.name.clone()])
        );
        // Only a failed one: build.
        assert_eq!(
            upkeep_plan(std::slice::from_ref(&failed), today, false),
            (Some(day("2026-09-28")), vec![failed.name.clone()])
        );
        // 91 days: replace; the replaced ones go only when asked, the newest usable stays.
        let stale = found("2026-08-28", true);
        let older = found("2026-05-01", true);
        assert_eq!(
            upkeep_plan(&[stale.clone(), older.clone()], today, false),
            (Some(day("2026-09-28")), vec![])
        );
        assert_eq!(
            upkeep_plan(&[older.clone(), usable.clone(), stale.clone()], today, true),
            (None, vec![older.name.clone(), stale.name.clone()])
        );
    }

    #[test]
    fn operators_and_quotes_become_plain_words() {
        let t = terms(r#"Kursk "NEAR(x y)" OR -drones* AND:col ^title"#);
        assert_eq!(
            t,
            [
                "kursk", "near", "x", "y", "or", "drones", "and", "col", "title"
            ]
        );
        assert_eq!(fts5_query(&t[..2]), r#""kursk" "near""#);
        assert!(terms(" ,.;!? ").is_empty());
        assert_eq!(terms("Зеленський каже"), ["зеленський", "каже"]);
    }

    #[test]
    #[allow(clippy::unwrap_used, clippy::expect_used)]
    fn merging_the_index_leaves_one_segment_and_the_same_matches() {
        let dir = std::env::temp_dir().join(format!("masthead-merge-{}", uuid::Uuid::now_v7()));
        let db = crate::db::Db::open(&format!("sqlite://{}/m.db", dir.display()), 1).unwrap();
        let find = |db: &crate::db::Db, words: &str| -> Vec<i64> {
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = BigInt)]
                rowid: i64,
            }
            db.read_blocking(|c| {
                Ok(diesel::sql_query(
                    "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid",
                )
                .bind::<diesel::sql_types::Text, _>(words.to_owned())
                .load::<Row>(c)?)
            })
            .unwrap()
            .into_iter()
            .map(|r| r.rowid)
            .collect()
        };
        // Each write adds a segment; FTS5 merges some as it goes, never down to one.
        for i in 1..=60_i64 {
            db.write_blocking(|c| {
                diesel::sql_query(
                    "INSERT INTO articles_fts (rowid, title, standfirst, body_text) \
                     VALUES (?, ?, 'standfirst', 'body')",
                )
                .bind::<BigInt, _>(i)
                .bind::<diesel::sql_types::Text, _>(if i % 3 == 0 {
                    "ferry strike"
                } else {
                    "ferry"
                })
                .execute(c)?;
                Ok(())
            })
            .unwrap();
        }
        let strikes = find(&db, "ferry strike");
        assert_eq!(strikes, (1..=20).map(|i| i * 3).collect::<Vec<_>>());
        assert_eq!(find(&db, "ferry").len(), 60);

        let mut steps = 0;
        while db.write_blocking(merge_step).unwrap() {
            steps += 1;
            assert!(steps < 100, "the merge must end");
        }
        assert!(steps >= 1, "sixty writes left more than one segment");
        // Merged: nothing left to do, the index is sound, and it finds the same rows.
        assert!(!db.write_blocking(merge_step).unwrap());
        db.write_blocking(|c| {
            diesel::sql_query(
                "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 0)",
            )
            .execute(c)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(find(&db, "ferry strike"), strikes);
        assert_eq!(find(&db, "ferry").len(), 60);
        drop(db);
        let _ = std::fs::remove_dir_all(dir);
    }
}
