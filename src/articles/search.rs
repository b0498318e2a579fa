//! Full-text search input: the reader's words, reduced to terms both backends treat alike;
//! and the upkeep of SQLite's search index as the newsroom writes.

use std::sync::Weak;
use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
