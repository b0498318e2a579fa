//! Full-text search: the newest matches, ranked, on each backend.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::filter::{Condition, Link};
use super::*;
use crate::db::DbConn;
use crate::db::schema::{article_authors, article_tags, articles};
use crate::ids::ArticleId;

/// One page of a public search for `terms` (`limit` articles from the cursor's offset): the
/// same articles in the same order as [`list`] in [`Scope::Public`], as ids; their cards are
/// read by [`cards_of`] (or known already, see [`crate::articles::summaries::Known`]).
pub fn public_search(
    conn: &mut DbConn,
    filter: &Filter,
    terms: &[String],
    after: Option<&Position>,
    limit: i64,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> QueryResult<Vec<ArticleId>> {
    let page = Page {
        offset: Position::offset(after),
        limit,
    };
    search(conn, Scope::Public, filter, terms, page, now, recent)
}

/// How many of the newest matches a search ranks; past them, results go on newest first.
pub const SEARCH_WINDOW: i64 = 100;

/// Full-text search: the one backend-specific query. Articles matching every term; the newest
/// [`SEARCH_WINDOW`] matches come first, ranked by where the terms are (all in the headline, then
/// all in the headline or standfirst, then anywhere), newest first among equals; the older
/// matches follow, newest first.
///
/// Why not BM25 over every match: at a million articles a two-word query can match thousands of
/// articles and one of its words half the archive. SQLite's BM25 reads that word's whole posting
/// list for its IDF, and PostgreSQL's `ts_rank_cd` detoasts every matching row; either costs tens
/// of milliseconds to seconds per query. Taking the newest matches is one index walk that stops
/// early (FTS5 in rowid order; PostgreSQL by publication time), so each page costs about the
/// same at ten thousand articles and at a million, and for news the recent matches are the ones
/// readers look for.
pub(super) fn search(
    conn: &mut DbConn,
    scope: Scope,
    filter: &Filter,
    terms: &[String],
    Page { offset, limit }: Page,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> QueryResult<Vec<ArticleId>> {
    let take = |n: i64| usize::try_from(n).unwrap_or(0);
    let mut ids: Vec<ArticleId> = Vec::new();
    if offset < SEARCH_WINDOW {
        let window = Page {
            offset: 0,
            limit: SEARCH_WINDOW,
        };
        let hits = match conn {
            DbConn::Sqlite(c) => sqlite_matches(c, scope, filter, terms, now, window)?,
            DbConn::Pg(c) => pg_window(c, scope, filter, terms, now, recent)?,
        };
        let terms = crate::articles::search::Terms::new(terms);
        let mut ranked: Vec<(Tier, ArticleId)> = hits
            .into_iter()
            .map(|h| (terms.tier(&h.title, &h.standfirst), h.id))
            .collect();
        // Stable: newest first within each tier.
        ranked.sort_by_key(|(tier, _)| std::cmp::Reverse(*tier));
        ids.extend(
            ranked
                .into_iter()
                .skip(take(offset))
                .take(take(limit))
                .map(|(_, id)| id),
        );
    }
    let missing = limit - i64::try_from(ids.len()).unwrap_or(limit);
    if missing > 0 {
        let older = Page {
            offset: offset.max(SEARCH_WINDOW),
            limit: missing,
        };
        let older = match conn {
            DbConn::Sqlite(c) => sqlite_matches(c, scope, filter, terms, now, older)?,
            DbConn::Pg(c) => pg_matches(c, scope, filter, terms, now, older, None)?,
        };
        ids.extend(older.into_iter().map(|h| h.id));
    }
    Ok(ids)
}

/// A slice of a search's matches, newest first.
#[derive(Debug, Clone, Copy)]
pub(super) struct Page {
    pub(super) offset: i64,
    pub(super) limit: i64,
}

/// The search's tiers: all terms in the headline, all in the headline or standfirst, elsewhere.
type Tier = u8;

/// A match of a search: its id, and the headline and standfirst its tier is read from.
#[derive(QueryableByName, Queryable)]
struct Hit {
    #[diesel(sql_type = Text)]
    id: ArticleId,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Text)]
    standfirst: String,
}

/// PostgreSQL: the filtered matches, newest first (the GIN index finds them); with `since`, only
/// those published since then. Built like the other lists, but sent unprepared, so that each
/// search is planned for its words (see [`pg_search::Matches`]).
fn pg_matches(
    c: &mut diesel::PgConnection,
    scope: Scope,
    filter: &Filter,
    terms: &[String],
    now: NaiveDateTime,
    page: Page,
    since: Option<NaiveDateTime>,
) -> QueryResult<Vec<Hit>> {
    let mut query = filtered!(
        articles::table
            .select((articles::id, articles::title, articles::standfirst))
            .into_boxed::<diesel::pg::Pg>(),
        &filter.conditions(scope, now),
        None
    )
    .filter(pg_search::Matches(terms.join(" ")));
    if let Some(since) = since {
        query = query.filter(pg_search::PublishedSince(since));
    }
    query
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(page.limit)
        .offset(page.offset)
        .load(c)
}

/// PostgreSQL's full-text conditions on `articles`, as expressions of the query builder.
mod pg_search {
    use chrono::NaiveDateTime;
    use diesel::expression::{AppearsOnTable, Expression, ValidGrouping, is_aggregate};
    use diesel::pg::Pg;
    use diesel::query_builder::{AstPass, QueryFragment, QueryId};
    use diesel::sql_types::{Bool, Text};

    /// `articles.search @@ plainto_tsquery('simple', $terms)`: every term, as plain words.
    ///
    /// A statement with it is sent unprepared, so PostgreSQL plans it for the search's words
    /// every time. Prepared and reused, a statement gets a generic plan after five runs when
    /// that looks no costlier, and the one it took walked the publication index and tested
    /// every article (`bench/README.md`).
    #[derive(Debug, Clone)]
    pub struct Matches(pub String);

    /// `articles.status = 'published' AND articles.published_at >= '…'`: the predicate of the
    /// partial index of the recent articles (see [`crate::articles::search::RecentIndex`]),
    /// written into the statement as the index has it rather than bound, so that PostgreSQL
    /// proves from the statement's text that the index applies, however it plans it.
    #[derive(Debug, Clone)]
    pub struct PublishedSince(pub NaiveDateTime);

    macro_rules! condition {
        ($type:ident) => {
            impl Expression for $type {
                type SqlType = Bool;
            }
            impl<QS> AppearsOnTable<QS> for $type {}
            impl ValidGrouping<()> for $type {
                type IsAggregate = is_aggregate::Never;
            }
            impl QueryId for $type {
                type QueryId = ();
                const HAS_STATIC_QUERY_ID: bool = false;
            }
        };
    }
    condition!(Matches);
    condition!(PublishedSince);

    impl QueryFragment<Pg> for Matches {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
            out.unsafe_to_cache_prepared();
            out.push_sql("articles.search @@ plainto_tsquery('simple', ");
            out.push_bind_param::<Text, _>(&self.0)?;
            out.push_sql(")");
            Ok(())
        }
    }

    impl QueryFragment<Pg> for PublishedSince {
        fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
            // A time formatted from a `NaiveDateTime`: digits and separators only.
            out.push_sql(&format!(
                "articles.status = 'published' AND articles.published_at >= '{}'",
                self.0.format("%Y-%m-%d %H:%M:%S%.6f")
            ));
            Ok(())
        }
    }
}

/// PostgreSQL: the newest [`SEARCH_WINDOW`] matches.
///
/// The GIN index returns matches unordered, so the newest of thousands means fetching every one.
/// A public search therefore looks first at the articles published since `recent`, which have a
/// partial GIN index of their own ([`crate::articles::search::RecentIndex`]; without one, the
/// last month, through the publication-time index), and at the older articles only when those
/// hold fewer than a window of matches, for the rest of it. Either way these are the newest
/// matches.
fn pg_window(
    c: &mut diesel::PgConnection,
    scope: Scope,
    filter: &Filter,
    terms: &[String],
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> QueryResult<Vec<Hit>> {
    let window = Page {
        offset: 0,
        limit: SEARCH_WINDOW,
    };
    let since = recent.unwrap_or(now - chrono::TimeDelta::days(30));
    if scope == Scope::Public && filter.published_before.is_none_or(|before| before > since) {
        let mut hits = pg_matches(c, scope, filter, terms, now, window, Some(since))?;
        let found = i64::try_from(hits.len()).unwrap_or(SEARCH_WINDOW);
        if found < SEARCH_WINDOW {
            // The rest of the window is the newest of the older matches. Only those are read
            // again: an archive the recent index covers whole has none, and PostgreSQL finds
            // that from the publication-time index without a second walk of the same matches.
            let older = Filter {
                published_before: Some(filter.published_before.map_or(since, |b| b.min(since))),
                ..filter.clone()
            };
            let rest = Page {
                offset: 0,
                limit: SEARCH_WINDOW - found,
            };
            hits.extend(pg_matches(c, scope, &older, terms, now, rest, None)?);
        }
        return Ok(hits);
    }
    pg_matches(c, scope, filter, terms, now, window, None)
}

/// A value bound to a search statement.
enum Bind {
    Text(String),
    Time(NaiveDateTime),
    Int(i64),
}

/// SQLite's search statement, written as SQL (an FTS5 table joined to `articles`): the text with
/// its placeholders and the values to bind to them, in order; the scope and filters are the
/// same conditions as [`filtered!`] applies.
struct SearchSql {
    text: String,
    binds: Vec<Bind>,
}

/// A boxed `sql_query` with `binds` bound in order.
macro_rules! bound {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                Bind::Text(value) => query.bind::<Text, _>(value),
                Bind::Time(value) => query.bind::<diesel::sql_types::Timestamp, _>(value),
                Bind::Int(value) => query.bind::<diesel::sql_types::BigInt, _>(value),
            };
        }
        query
    }};
}

impl SearchSql {
    fn sqlite(head: &str) -> Self {
        Self {
            text: head.to_owned(),
            binds: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        self.text.push('?');
        self
    }

    /// A list's conditions on `articles` (see [`Condition`]), each after an `AND`: SQLite's text
    /// of the same description that [`filtered!`] compiles for diesel. The FTS index drives this
    /// statement, so every bound is stated as it is and the links are read by key alone.
    fn filtered(&mut self, conditions: &[Condition<'_>]) -> &mut Self {
        for condition in conditions {
            match *condition {
                Condition::Status(status) => {
                    // A closed set of literals, written as the indexes have them.
                    self.push(" AND articles.status = '")
                        .push(status.as_str())
                        .push("'");
                }
                Condition::Due(now) => {
                    self.push(" AND articles.published_at <= ")
                        .bind(Bind::Time(now));
                }
                Condition::NotDue(now) => {
                    self.push(" AND articles.published_at > ")
                        .bind(Bind::Time(now));
                }
                Condition::Linked(link, key) => {
                    let (table, column) = match link {
                        Link::Tag => ("article_tags", "tag"),
                        Link::Author => ("article_authors", "user_id"),
                    };
                    self.push(" AND articles.id IN (SELECT article_id FROM ")
                        .push(table)
                        .push(" WHERE ")
                        .push(column)
                        .push(" = ")
                        .bind(Bind::Text(key.to_owned()))
                        .push(")");
                }
                Condition::Equals(column, value) => {
                    self.push(" AND ")
                        .push(column.sql())
                        .push(" = ")
                        .bind(Bind::Text(value.to_owned()));
                }
                Condition::PublishedAfter(t) => {
                    self.push(" AND articles.published_at >= ")
                        .bind(Bind::Time(t));
                }
                Condition::PublishedBefore(t) => {
                    self.push(" AND articles.published_at < ")
                        .bind(Bind::Time(t));
                }
            }
        }
        self
    }

    fn load_sqlite<T>(self, c: &mut diesel::SqliteConnection) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        let query = diesel::sql_query(&self.text).into_boxed::<diesel::sqlite::Sqlite>();
        bound!(query, self.binds).load(c)
    }
}

/// SQLite: the filtered matches, newest first (by `seq`, which grows as articles are created).
/// `CROSS JOIN` makes the FTS index drive the query and walk its posting lists from the newest
/// end, stopping after the page; left to choose, SQLite's planner may walk every published
/// article and probe the index for each.
fn sqlite_matches(
    conn: &mut diesel::SqliteConnection,
    scope: Scope,
    filter: &Filter,
    terms: &[String],
    now: NaiveDateTime,
    page: Page,
) -> QueryResult<Vec<Hit>> {
    let mut sql = SearchSql::sqlite(
        "SELECT articles.id, articles.title, articles.standfirst FROM articles_fts \
         CROSS JOIN articles ON articles.seq = articles_fts.rowid WHERE articles_fts MATCH ",
    );
    sql.bind(Bind::Text(crate::articles::search::fts5_query(terms)))
        .filtered(&filter.conditions(scope, now))
        .push(" ORDER BY articles_fts.rowid DESC LIMIT ")
        .bind(Bind::Int(page.limit))
        .push(" OFFSET ")
        .bind(Bind::Int(page.offset));
    sql.load_sqlite(conn)
}

#[cfg(test)]
mod tests {
    use super::{Filter, Scope, SearchSql};
    use chrono::NaiveDateTime;

    fn text(scope: Scope, filter: &Filter) -> String {
        let mut sql = SearchSql::sqlite("");
        sql.filtered(&filter.conditions(scope, NaiveDateTime::MIN));
        sql.text
    }

    #[test]
    fn sqlite_search_states_each_condition_of_the_description() {
        let all = Filter {
            tag: Some("canal".to_owned()),
            section: Some("world".to_owned()),
            author: Some("u1".into()),
            language: Some("en".to_owned()),
            published_after: Some(NaiveDateTime::MIN),
            published_before: Some(NaiveDateTime::MAX),
            terms: None,
        };
        assert_eq!(
            text(Scope::Public, &all),
            concat!(
                " AND articles.status = 'published' AND articles.published_at <= ?",
                " AND articles.id IN (SELECT article_id FROM article_tags WHERE tag = ?)",
                " AND articles.id IN (SELECT article_id FROM article_authors WHERE user_id = ?)",
                " AND articles.section = ? AND articles.language = ?",
                " AND articles.published_at >= ? AND articles.published_at < ?"
            )
        );
        let none = Filter::default();
        assert_eq!(
            text(Scope::Scheduled, &none),
            " AND articles.status = 'published' AND articles.published_at > ?"
        );
        assert_eq!(text(Scope::Draft, &none), " AND articles.status = 'draft'");
        assert_eq!(
            text(Scope::Archived, &none),
            " AND articles.status = 'archived'"
        );
        assert_eq!(text(Scope::Any, &none), "");
    }
}
