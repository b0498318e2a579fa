//! Full-text search: the reader's words, reduced to terms both backends treat alike, and how a
//! match is ranked by them; the upkeep of the search indexes as the newsroom writes (SQLite's
//! merged into one segment, PostgreSQL's index of the newest articles).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::{Db, DbConn};
use crate::error::ApiResult;

/// The most terms a query may have.
pub const MAX_TERMS: usize = 16;

/// Splits a query into lower-case words (letters and digits); everything else separates them,
/// so no search syntax of either backend can be injected.
pub fn terms(q: &str) -> Vec<String> {
    words(q).map(str::to_lowercase).take(MAX_TERMS).collect()
}

/// The words of a text: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// A word as the search compares it: lower case, and with SQLite's full-text index's folding of
/// diacritics (`café` is `cafe`), done here as a transliteration to ASCII.
fn folded(word: &str) -> String {
    let lower = word.to_lowercase();
    if lower.is_ascii() {
        lower
    } else {
        deunicode::deunicode(&lower).to_lowercase()
    }
}

/// A search's terms, as compared with a match's headline and standfirst to rank it.
pub struct Terms(Vec<String>);

impl Terms {
    pub fn new(terms: &[String]) -> Self {
        Self(terms.iter().map(|t| folded(t)).collect())
    }

    /// Which terms are among the words of `text` (split as [`terms`] splits a query), as bits.
    /// A search reads this for a hundred headlines and standfirsts: an ASCII text is split on
    /// ASCII letters and digits (the same words), and each word is folded at most once.
    fn found_in(&self, text: &str) -> u32 {
        let mut found = 0_u32;
        let mut mark = |word: &str| {
            let folded = (!word.is_ascii()).then(|| folded(word));
            for (i, term) in self.0.iter().enumerate().take(MAX_TERMS) {
                let same = match &folded {
                    None => word.len() == term.len() && word.eq_ignore_ascii_case(term),
                    Some(folded) => folded == term,
                };
                if same {
                    found |= 1 << i;
                }
            }
        };
        if text.is_ascii() {
            text.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .for_each(&mut mark);
        } else {
            words(text).for_each(&mut mark);
        }
        found
    }

    /// A match's tier: 2 when every term is in its headline, 1 when every term is in its
    /// headline or standfirst, 0 otherwise (the terms are in its body).
    ///
    /// Read from the text here rather than from the index, so that both backends rank alike
    /// and the window costs no second walk of the index: SQLite's column filters over the
    /// window's range and PostgreSQL's `ts_filter` on each match's tsvector were each about a
    /// tenth of a search's time.
    pub fn tier(&self, title: &str, standfirst: &str) -> u8 {
        let all = u32::MAX >> (32 - self.0.len().clamp(1, MAX_TERMS));
        let headline = self.found_in(title);
        if headline & all == all {
            2
        } else {
            u8::from((headline | self.found_in(standfirst)) & all == all)
        }
    }
}

/// An FTS5 query matching every term (each quoted, so it is a plain token).
pub fn fts5_query(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pages of the search index merged per step: small, so that an editor's save waits only
/// briefly behind a step (`bench/README.md`).
const MERGE_PAGES_PER_STEP: i64 = 500;

/// How many writes (content versions) between two full merges of the search index.
const MERGE_AFTER_WRITES: i64 = 1_000;

/// How long the API must not have written for a merge to start.
const MERGE_QUIET: Duration = Duration::from_secs(2);

/// One step of merging SQLite's search index toward a single segment; whether it did any work
/// (none: the index is one segment already). FTS5 keeps the segments its writes add to a
/// logarithmic number, not to one, and every search term walks every segment, so searches slow
/// down as the newsroom writes; merging brings them back (`bench/README.md`). PostgreSQL's GIN
/// index has no segments: nothing to do there.
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
/// writes, once the API has not written for [`MERGE_QUIET`], a step at a time on the write
/// connection with a pause between steps, so writes through the API go on meanwhile. Checks once
/// per `interval`; stops when the database is gone.
pub fn keep_index_merged(db: Weak<Db>, interval: Duration) {
    let Some(initial) = db.upgrade().and_then(|db| {
        (db.backend() == "sqlite")
            .then(|| db.read_blocking(crate::db::content_version).ok())
            .flatten()
    }) else {
        return;
    };
    let mut merged_at = initial;
    crate::background::every("masthead-search-upkeep", db, interval, move |db| {
        let Ok(version) = db.read_blocking(crate::db::content_version) else {
            return;
        };
        // Only in a pause of the API's writes: while a merge is under way, every write into the
        // index takes part in it and writes slow down sharply, between its steps as much as
        // during them. A newsroom's saves leave such pauses; a burst waits for its end.
        if version - merged_at < MERGE_AFTER_WRITES || db.writing_lately(MERGE_QUIET) {
            return;
        }
        let started = std::time::Instant::now();
        let mut steps = 0;
        loop {
            match db.write_blocking(merge_step) {
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
/// of a common word's hundreds of thousands means reading that word's whole posting list, where
/// an index of the last weeks holds far fewer (`bench/README.md`). A search's cost is then the
/// matches in that index, each a row of `articles` to read.
///
/// The index is only ever a faster way to the same rows: a search asks for the matches
/// published since the index's date (written into the statement, so PostgreSQL can prove the
/// partial index applies however it plans), and when there are fewer than a window of them, for
/// the rest of the window from the older articles. If the index is missing, being built or just
/// dropped, the same statement takes another plan and gives the same rows.
///
/// A new index covers the last [`RECENT_DAYS`]; it is replaced once it covers more than
/// [`REPLACE_AFTER_DAYS`]: built `CONCURRENTLY`, so reads and writes go on, under an advisory
/// lock, so that of several instances one builds it. An instance drops the index it replaced
/// only once it has known the new one for [`DROP_AFTER`], by which time every instance has read
/// the catalogue again ([`UPKEEP_INTERVAL`]) and searches with the new one.
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

/// Days of articles a new recent index covers: a month of news, enough for a window of matches
/// of a two-word search in a newsroom that publishes a few hundred articles a day. A search
/// with fewer matches in it reads the whole archive's index for the older ones.
pub const RECENT_DAYS: i64 = 30;
/// Days of articles after which the recent index is replaced by a new one (shorter windows read
/// fewer matches; `bench/README.md`).
pub const REPLACE_AFTER_DAYS: i64 = 45;
/// How often each instance reads which recent index there is, and keeps it.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How long an instance knows a new index before it drops the ones it replaced.
const DROP_AFTER: Duration = Duration::from_secs(10 * 60);
/// After a failed build or drop, the first wait before the next try; it doubles with each
/// failure in a row, up to [`MAX_RETRY_AFTER`].
const RETRY_AFTER: Duration = Duration::from_secs(10 * 60);
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
const RECENT_PREFIX: &str = "articles_search_since_";
/// The advisory lock under which one instance at a time builds and drops.
const UPKEEP_LOCK: &str = "hashtextextended('masthead:recent-search-index', 0)";

/// A recent index found in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
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

/// The newest usable recent index on `today`: built, and not dated after today (a server whose
/// clock ran far ahead may have built one).
fn newest(found: &[Found], today: NaiveDate) -> Option<&Found> {
    found
        .iter()
        .filter(|f| f.valid && f.since <= today)
        .max_by_key(|f| f.since)
}

/// What the upkeep does on `today`: the date of an index to build (none is usable, or the newest
/// covers more than [`REPLACE_AFTER_DAYS`]), and the indexes to drop: unusable ones (a failed
/// build, a date after today) always, and the ones the newest replaced when the newest is
/// `replaced_by` (the index this instance has known long enough).
fn upkeep_plan(
    found: &[Found],
    today: NaiveDate,
    replaced_by: Option<NaiveDate>,
) -> (Option<NaiveDate>, Vec<String>) {
    let keep = newest(found, today);
    let build = match keep {
        Some(f) if today - f.since <= TimeDelta::days(REPLACE_AFTER_DAYS) => None,
        _ => Some(today - TimeDelta::days(RECENT_DAYS)),
    };
    let replaced = keep.is_some_and(|k| Some(k.since) == replaced_by);
    let drop = found
        .iter()
        .filter(|f| Some(*f) != keep && (!f.valid || f.since > today || replaced))
        .map(|f| f.name.clone())
        .collect();
    (build, drop)
}

/// PostgreSQL: builds, replaces and drops the recent search indexes as [`upkeep_plan`] says,
/// if this connection gets the advisory lock (another instance may be at it); returns the date
/// of the newest usable one (none on SQLite). Runs outside any transaction (`CONCURRENTLY`
/// requires it), on a connection of its own ([`crate::db::Db::with_own_connection`]): a build
/// can take minutes, and the lock goes with the connection whatever happens. A drop that fails
/// does not stop the build; the first error is returned after both.
pub fn keep_recent_index(
    conn: &mut DbConn,
    today: NaiveDate,
    replaced_by: Option<NaiveDate>,
) -> ApiResult<Option<NaiveDate>> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let DbConn::Pg(c) = conn else {
        return Ok(None);
    };
    let lock = format!("SELECT pg_try_advisory_lock({UPKEEP_LOCK}) AS locked");
    if !diesel::sql_query(lock).get_result::<Locked>(c)?.locked {
        return Ok(newest(&recent_indexes(c)?, today).map(|f| f.since));
    }
    // Under the lock, as things are now (another instance may have just finished).
    let (build, drop) = upkeep_plan(&recent_indexes(c)?, today, replaced_by);
    let mut failed = None;
    // Names come from the catalogue and parse as a date; new ones are made here from a date:
    // digits only, safe to write into DDL.
    for name in drop {
        if let Err(e) = c.batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS \"{name}\"")) {
            tracing::warn!(error = %e, index = name, "cannot drop a replaced search index");
            failed.get_or_insert(e);
        }
    }
    if let Some(since) = build {
        let started = Instant::now();
        match c.batch_execute(&format!(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS {RECENT_PREFIX}{} ON articles \
             USING gin (search) WITH (fastupdate = off) WHERE status = 'published' AND published_at >= '{}'",
            since.format("%Y%m%d"),
            since.format("%Y-%m-%d")
        )) {
            Ok(()) => tracing::info!(
                %since,
                ms = started.elapsed().as_millis(),
                "built the recent search index"
            ),
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    c.batch_execute(&format!("SELECT pg_advisory_unlock({UPKEEP_LOCK})"))?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(newest(&recent_indexes(c)?, today).map(|f| f.since))
}

/// What one instance knows between two rounds of upkeep.
#[derive(Debug, Default)]
struct Upkeep {
    /// The newest usable index, and when this instance first saw it.
    newest: Option<(NaiveDate, Instant)>,
    /// Failed builds or drops in a row, and when the last one failed.
    failures: u32,
    failed_at: Option<Instant>,
}

impl Upkeep {
    /// Records the newest usable index as read at `now`.
    fn saw(&mut self, newest: Option<NaiveDate>, now: Instant) {
        if newest != self.newest.map(|(d, _)| d) {
            self.newest = newest.map(|d| (d, now));
        }
    }

    /// The index this instance has known for [`DROP_AFTER`] at `now`: the ones it replaced may go.
    fn replaced_by(&self, now: Instant) -> Option<NaiveDate> {
        self.newest
            .filter(|(_, seen)| now.duration_since(*seen) >= DROP_AFTER)
            .map(|(d, _)| d)
    }

    /// Whether to build or drop at `now`: not while backing off after failures.
    fn may_work(&self, now: Instant) -> bool {
        let wait = RETRY_AFTER
            .saturating_mul(1 << self.failures.saturating_sub(1).min(16))
            .min(MAX_RETRY_AFTER);
        self.failed_at
            .is_none_or(|at| now.duration_since(at) >= wait)
    }

    fn worked(&mut self, ok: bool, now: Instant) {
        if ok {
            self.failures = 0;
            self.failed_at = None;
        } else {
            self.failures = self.failures.saturating_add(1);
            self.failed_at = Some(now);
        }
    }
}

/// On PostgreSQL, keeps the recent search index ([`RecentIndex`]): at start and then every
/// [`UPKEEP_INTERVAL`], reads which one is usable from the catalogue (another instance may have
/// built it), and builds, replaces or drops as [`upkeep_plan`] says, backing off after failures
/// (a role that does not own the table cannot build: searches are then as fast as without).
/// Stops when the database or `index` is gone.
pub fn keep_recent_index_fresh(db: Weak<Db>, index: Weak<RecentIndex>) {
    if db.upgrade().is_none_or(|db| db.backend() != "postgres") {
        return;
    }
    let mut upkeep = Upkeep::default();
    let tick = move |(db, index): &(Arc<Db>, Arc<RecentIndex>)| {
        let today = crate::db::now().date();
        let read = db.read_blocking(|c| match c {
            DbConn::Pg(c) => Ok(recent_indexes(c)?),
            DbConn::Sqlite(_) => Ok(Vec::new()),
        });
        let found = match read {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the recent search indexes");
                return;
            }
        };
        let now = Instant::now();
        upkeep.saw(newest(&found, today).map(|f| f.since), now);
        index.set(upkeep.newest.map(|(d, _)| d));
        let replaced_by = upkeep.replaced_by(now);
        let (build, drop) = upkeep_plan(&found, today, replaced_by);
        if (build.is_none() && drop.is_empty()) || !upkeep.may_work(now) {
            return;
        }
        let result = db.with_own_connection(|c| keep_recent_index(c, today, replaced_by));
        let now = Instant::now();
        upkeep.worked(result.is_ok(), now);
        match result {
            Ok(newest) => {
                upkeep.saw(newest, now);
                index.set(newest);
            }
            Err(e) => tracing::warn!(
                error = %e,
                failures = upkeep.failures,
                "recent search index upkeep failed; searches go on without it"
            ),
        }
    };
    let held = (db, index);
    crate::background::now_and_every("masthead-recent-search", held, UPKEEP_INTERVAL, tick);
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
            upkeep_plan(&[], today, None),
            (Some(day("2026-10-28")), vec![])
        );
        // A failed build is dropped, whatever else; a usable index 45 days old is kept.
        let failed = found("2026-10-20", false);
        let usable = found("2026-10-13", true);
        assert_eq!(
            upkeep_plan(&[failed.clone(), usable.clone()], today, None),
            (None, vec![failed.name.clone()])
        );
        // Only a failed one: build.
        assert_eq!(
            upkeep_plan(std::slice::from_ref(&failed), today, None),
            (Some(day("2026-10-28")), vec![failed.name.clone()])
        );
        // 46 days: replace; the replaced ones go only once the newest usable one is the one
        // this instance has known long enough.
        let stale = found("2026-10-12", true);
        let older = found("2026-05-01", true);
        assert_eq!(
            upkeep_plan(&[stale.clone(), older.clone()], today, Some(stale.since)),
            (Some(day("2026-10-28")), vec![older.name.clone()])
        );
        let three = [older.clone(), usable.clone(), stale.clone()];
        assert_eq!(upkeep_plan(&three, today, None), (None, vec![]));
        assert_eq!(
            upkeep_plan(&three, today, Some(stale.since)),
            (None, vec![])
        );
        assert_eq!(
            upkeep_plan(&three, today, Some(usable.since)),
            (None, vec![older.name.clone(), stale.name.clone()])
        );
        // One dated after today (a clock far ahead) is not used, and goes.
        let ahead = found("2027-01-01", true);
        assert_eq!(
            upkeep_plan(&[ahead.clone(), usable.clone()], today, None),
            (None, vec![ahead.name.clone()])
        );
    }

    #[test]
    fn an_instance_drops_what_it_replaced_late_and_backs_off_after_failures() {
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let mut upkeep = Upkeep::default();
        upkeep.saw(day("2026-10-28"), at(0));
        assert_eq!(upkeep.replaced_by(at(599)), None);
        assert_eq!(upkeep.replaced_by(at(600)), day("2026-10-28"));
        // Seen again: still known since the first time. A new one starts the wait again.
        upkeep.saw(day("2026-10-28"), at(700));
        assert_eq!(upkeep.replaced_by(at(700)), day("2026-10-28"));
        upkeep.saw(day("2026-10-29"), at(800));
        assert_eq!(upkeep.replaced_by(at(1399)), None);
        assert_eq!(upkeep.replaced_by(at(1400)), day("2026-10-29"));

        assert!(upkeep.may_work(at(0)));
        upkeep.worked(false, at(0));
        assert!(!upkeep.may_work(at(599)));
        assert!(upkeep.may_work(at(600)));
        upkeep.worked(false, at(600));
        assert!(!upkeep.may_work(at(600 + 1199)));
        assert!(upkeep.may_work(at(600 + 1200)));
        for _ in 0..40 {
            upkeep.worked(false, at(10_000));
        }
        assert!(!upkeep.may_work(at(10_000 + 86_399)));
        assert!(upkeep.may_work(at(10_000 + 86_400)));
        upkeep.worked(true, at(100_000));
        assert!(upkeep.may_work(at(100_000)));
    }

    #[test]
    fn tiers_are_read_from_the_headline_and_standfirst() {
        let keeper = Terms::new(&terms("Lighthouse KEEPER"));
        assert_eq!(
            keeper.tier("The lighthouse keeper retires", "A standfirst."),
            2
        );
        assert_eq!(keeper.tier("Keeper; lighthouse!", ""), 2);
        assert_eq!(keeper.tier("A lighthouse is sold", "Its keeper stays."), 1);
        assert_eq!(keeper.tier("A lighthouse is sold", "Bidders came."), 0);
        assert_eq!(
            keeper.tier("Lighthouses and keepers", "None."),
            0,
            "whole words"
        );
        // Diacritics fold as SQLite's index folds them; other scripts compare as written.
        assert_eq!(Terms::new(&terms("cafe")).tier("Le Café ferme", ""), 2);
        assert_eq!(Terms::new(&terms("CAFÉ")).tier("A cafe closes", ""), 2);
        let cyrillic = Terms::new(&terms("Зеленський"));
        assert_eq!(cyrillic.tier("Зеленський каже", ""), 2);
        assert_eq!(cyrillic.tier("Інші новини", "Зеленський каже"), 1);
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
