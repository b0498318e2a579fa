//! Pages of articles: the staff lists as rows, the public list as stored summaries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::filter::{Condition, Link, OneRange, Upper};
use super::matches::{Page, search};
use super::*;
use crate::articles::StoredStatus;
use crate::db::DbConn;
use crate::db::schema::{article_authors, article_summaries, article_tags, articles};
use crate::db::time::StoredTime;
use crate::ids::ArticleId;

/// One page of public cards from a link table (`article_tags` by tag, `article_authors` by
/// user), newest first: a single range of its `(key, public_at, article_id)` index joined by key
/// to the stored summaries, however many articles the tag or author has. The link rows' public
/// time is the database's copy of each article's (migration `link_public_at`), so `articles` is
/// not read.
macro_rules! link_cards {
    ($conn:expr, $table:ident, $key:ident, $value:expr, $conditions:expr, $after:expr, $cursor:expr, $limit:expr) => {{
        let conditions: &[Condition<'_>] = $conditions;
        let now = Condition::due(conditions).unwrap_or(NaiveDateTime::MIN);
        let mut query = $table::table
            .left_join(
                article_summaries::table.on(article_summaries::article_id.eq($table::article_id)),
            )
            .filter($table::$key.eq($value.to_owned()))
            .select((
                $table::article_id,
                $table::public_at,
                article_summaries::format.nullable(),
                article_summaries::summary.nullable(),
            ))
            .order(($table::public_at.desc(), $table::article_id.desc()))
            .limit($limit)
            .into_boxed();
        if let Some(after) = $after {
            query = query.filter($table::public_at.ge(after));
        }
        let rows: Vec<LinkCardRow> = below!(
            query,
            Upper::tightest(now, Condition::before(conditions), $cursor),
            $table::public_at,
            $table::article_id
        )
        .load($conn)?;
        rows.into_iter()
            .map(|row| Card {
                id: row.article_id,
                published_at: row.public_at.map(|at| at.0),
                summary: stored(row.format, row.summary),
            })
            .collect()
    }};
}

/// A card read from a link table joined to the stored summaries (see [`link_cards!`]).
#[derive(Debug, Queryable)]
struct LinkCardRow {
    article_id: ArticleId,
    public_at: Option<StoredTime>,
    format: Option<i32>,
    summary: Option<String>,
}

/// One page of a list (`limit + 1` rows, to tell whether there is a next page), as rows to
/// render; the public list is read as stored summaries by [`public_cards`].
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    filter: &Filter,
    after: Option<&Position>,
    limit: i64,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> QueryResult<Vec<SummaryRow>> {
    if let Some(terms) = &filter.terms {
        let page = Page {
            offset: Position::offset(after),
            limit,
        };
        let ids = search(conn, scope, filter, terms, page, now, recent)?;
        return summaries_of(conn, &ids);
    }
    let cursor = Position::published(after);
    let mut query = filtered!(
        articles::table.select(SUMMARY_COLUMNS).into_boxed(),
        &filter.conditions(scope, now),
        cursor
    );
    if scope.by_publication() {
        if scope == Scope::Scheduled
            && let Some((at, id)) = cursor
        {
            // A range on the index (`published_at <= at` first), where a bare OR can make
            // SQLite walk the list from the top.
            query = below!(
                query,
                Upper::After(at, id),
                articles::published_at,
                articles::id
            );
        }
        query
            .order((articles::published_at.desc(), articles::id.desc()))
            .limit(limit)
            .load(conn)
    } else {
        if let Some(Position::Created(id)) = after {
            query = query.filter(articles::id.lt(id.clone()));
        }
        query.order(articles::id.desc()).limit(limit).load(conn)
    }
}

/// An article on a public list page: its key (for the cursor) and its stored summary, `None`
/// while stale (see [`crate::articles::summaries`]).
#[derive(Debug, Clone)]
pub struct Card {
    pub id: ArticleId,
    pub published_at: Option<NaiveDateTime>,
    pub summary: Option<String>,
}

/// One page of the public list (`limit + 1` cards, to tell whether there is a next page): the
/// same articles in the same order as [`list`] in [`Scope::Public`], with their stored summaries
/// instead of their columns. Not for a search (`filter.terms`, ignored here): its page is
/// [`public_search`]'s ids with their cards.
pub fn public_cards(
    conn: &mut DbConn,
    filter: &Filter,
    after: Option<&Position>,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<Card>> {
    let cursor = Position::published(after);
    let conditions = filter.conditions(Scope::Public, now);
    match OneRange::of(&conditions) {
        Some(OneRange {
            link: Some((Link::Tag, tag)),
            after,
        }) => {
            return Ok(link_cards!(
                conn,
                article_tags,
                tag,
                tag,
                &conditions,
                after,
                cursor,
                limit
            ));
        }
        Some(OneRange {
            link: Some((Link::Author, author)),
            after,
        }) => {
            return Ok(link_cards!(
                conn,
                article_authors,
                user_id,
                author,
                &conditions,
                after,
                cursor,
                limit
            ));
        }
        _ => {}
    }
    let rows = filtered!(
        articles::table
            .left_join(article_summaries::table)
            .select(card_columns())
            .into_boxed(),
        &conditions,
        cursor
    )
    .order((articles::published_at.desc(), articles::id.desc()))
    .limit(limit)
    .load(conn)?;
    Ok(published_cards(rows))
}

/// The cards of `ids` that are published, in the order of `ids` (a search's page). The status is
/// checked in Rust, not in SQL: next to `id = ? OR …`, a `status = ?` term lets SQLite's
/// planner, without statistics, walk every published article by the status index instead of
/// looking up a page of ids.
pub fn cards_of(conn: &mut DbConn, ids: &[ArticleId]) -> QueryResult<Vec<Card>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = among!(
        conn,
        articles::table
            .left_join(article_summaries::table)
            .into_boxed(),
        articles::id,
        ids
    )
    .select(card_columns())
    .load(conn)?;
    let mut cards = published_cards(rows);
    cards.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
    Ok(cards)
}

/// A card with its article's status and its summary's format, read from `articles` joined to
/// `article_summaries` (a left join: an article without a summary row, which the triggers never
/// leave, is listed all the same, as stale).
#[derive(Debug, Queryable)]
struct CardRow {
    id: ArticleId,
    status: StoredStatus,
    published_at: Option<StoredTime>,
    format: Option<i32>,
    summary: Option<String>,
}

impl CardRow {
    /// Its card; a summary of another format than this server's is stale.
    fn card(self) -> Card {
        Card {
            id: self.id,
            published_at: self.published_at.map(|at| at.0),
            summary: stored(self.format, self.summary),
        }
    }
}

/// A stored summary if it is of this server's format (else stale: `None`).
fn stored(format: Option<i32>, summary: Option<String>) -> Option<String> {
    summary.filter(|_| format == Some(crate::articles::summaries::FORMAT))
}

/// The columns of a [`CardRow`].
type CardColumns = (
    articles::id,
    articles::status,
    articles::published_at,
    diesel::dsl::Nullable<article_summaries::format>,
    diesel::dsl::Nullable<article_summaries::summary>,
);

/// Selects a [`CardRow`].
fn card_columns() -> CardColumns {
    (
        articles::id,
        articles::status,
        articles::published_at,
        article_summaries::format.nullable(),
        article_summaries::summary.nullable(),
    )
}

/// The cards of the published articles among `rows`, in their order; a summary of another
/// format than this server's is stale.
fn published_cards(rows: Vec<CardRow>) -> Vec<Card> {
    rows.into_iter()
        .filter(|row| row.status == StoredStatus::Published)
        .map(CardRow::card)
        .collect()
}

/// The summary rows of `ids`, in the order of `ids` (articles that are gone are left out).
pub(crate) fn summaries_of(conn: &mut DbConn, ids: &[ArticleId]) -> QueryResult<Vec<SummaryRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<SummaryRow> = among!(conn, articles::table.into_boxed(), articles::id, ids)
        .select(SUMMARY_COLUMNS)
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}
