//! Article lists: a list request's position and paging, and its page read as stored summaries
//! (public) or as rows rendered here (staff).

use chrono::{DateTime, NaiveDateTime, Utc};

use super::model::{self, Card, Filter, Position, Scope, SummaryRow};
use super::{ArticlePage, Relations, summaries, summary};
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult};
use crate::http::pagination;
use crate::ids::ArticleId;

/// A parsed list request: which articles, from where, how many.
#[derive(Debug)]
pub struct ListRequest {
    pub scope: Scope,
    pub filter: Filter,
    pub after: Option<Position>,
    pub limit: i64,
}

impl ListRequest {
    /// Whether the list is a search (paged by offset).
    fn searching(&self) -> bool {
        self.filter.terms.is_some()
    }
}

const CURSOR_PUBLISHED: &str = "articles-p";
const CURSOR_CREATED: &str = "articles-c";
const CURSOR_SEARCH: &str = "articles-q";

pub fn decode_position(scope: Scope, searching: bool, cursor: &str) -> ApiResult<Position> {
    let invalid = || ApiError::BadRequest("the cursor is not valid for this list".to_owned());
    if searching {
        let offset = pagination::decode_cursor(CURSOR_SEARCH, cursor)?;
        return offset
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=1_000_000).contains(n))
            .map(Position::Offset)
            .ok_or_else(invalid);
    }
    if scope.by_publication() {
        let position = pagination::decode_cursor(CURSOR_PUBLISHED, cursor)?;
        let (micros, id) = position.split_once('|').ok_or_else(invalid)?;
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::<Utc>::from_timestamp_micros)
            .filter(|at| crate::http::input::is_storable(*at))
            .ok_or_else(invalid)?;
        Ok(Position::Published(at.naive_utc(), ArticleId::from(id)))
    } else {
        Ok(Position::Created(ArticleId::from(
            pagination::decode_cursor(CURSOR_CREATED, cursor)?,
        )))
    }
}

/// One page of the public list or search (`limit + 1` cards): a search's page from its ids, with
/// the cards known in `generation` (which must have been taken before anything was read) or
/// read; a list's from the stored summaries, stale ones rendered.
pub fn public_cards(
    conn: &mut DbConn,
    known: &summaries::Known,
    generation: u64,
    list: &ListRequest,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> ApiResult<Vec<Card>> {
    let (filter, after, limit) = (&list.filter, list.after.as_ref(), list.limit);
    if let Some(terms) = &filter.terms {
        let ids = model::public_search(conn, filter, terms, after, limit + 1, now, recent)?;
        return known.cards(conn, generation, &ids, now);
    }
    let mut cards = model::public_cards(conn, filter, after, limit + 1, now)?;
    summaries::complete(conn, &mut cards, now)?;
    Ok(cards)
}

/// The JSON of a public page of `cards` (see [`public_cards`]), with the next page's cursor.
pub fn public_body(cards: Vec<Card>, list: &ListRequest) -> ApiResult<Vec<u8>> {
    let offset = Position::offset(list.after.as_ref());
    let (cards, next_cursor) = page(cards, list.limit, offset, list.searching(), true, |c| {
        (c.published_at, c.id.as_str())
    });
    summaries::page_body(&cards, next_cursor.as_deref())
}

/// One page of a staff list (`limit + 1` rows) with their authors, tags and featured pictures.
pub fn staff_rows(
    conn: &mut DbConn,
    list: &ListRequest,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> ApiResult<(Vec<SummaryRow>, Relations)> {
    let rows = model::list(
        conn,
        list.scope,
        &list.filter,
        list.after.as_ref(),
        list.limit + 1,
        now,
        recent,
    )?;
    let ids: Vec<ArticleId> = rows.iter().map(|r| r.id.clone()).collect();
    let relations =
        Relations::group(model::relations_of(conn, &ids)?).with_pictures(conn, &rows)?;
    Ok((rows, relations))
}

/// The JSON of a staff page of `rows` (see [`staff_rows`]), with the next page's cursor.
pub fn staff_body(
    rows: Vec<SummaryRow>,
    mut relations: Relations,
    list: &ListRequest,
    now: NaiveDateTime,
) -> ApiResult<Vec<u8>> {
    let offset = Position::offset(list.after.as_ref());
    let (rows, next_cursor) = page(
        rows,
        list.limit,
        offset,
        list.searching(),
        list.scope.by_publication(),
        |r| (r.published_at, r.id.as_str()),
    );
    let items = rows
        .into_iter()
        .map(|row| summary(row, &mut relations, now))
        .collect::<ApiResult<Vec<_>>>()?;
    serde_json::to_vec(&ArticlePage { items, next_cursor }).map_err(ApiError::internal)
}

/// The first `limit` of a list's `limit + 1` rows, and the cursor of the next page if there is
/// one: a search's offset, or the last row's position (`key`: its publication time and id) by
/// publication or by creation.
fn page<T>(
    rows: Vec<T>,
    limit: i64,
    offset: i64,
    searching: bool,
    by_publication: bool,
    key: impl Fn(&T) -> (Option<NaiveDateTime>, &str),
) -> (Vec<T>, Option<String>) {
    if searching {
        let (rows, more) = pagination::paginate(rows, limit, "", |_| String::new());
        let next =
            more.map(|_| pagination::encode_cursor(CURSOR_SEARCH, &(offset + limit).to_string()));
        (rows, next)
    } else if by_publication {
        pagination::paginate(rows, limit, CURSOR_PUBLISHED, |r| {
            let (at, id) = key(r);
            let micros = at.map_or(0, |t| t.and_utc().timestamp_micros());
            format!("{micros}|{id}")
        })
    } else {
        pagination::paginate(rows, limit, CURSOR_CREATED, |r| key(r).1.to_owned())
    }
}

/// Puts the list's slug filters in the form articles store, in the list's own read: a section
/// by its slug (or, as always, its name) becomes its name; an author's slug (or, as always, a
/// user id) becomes the author's id; a merged tag becomes the tag it went into.
pub fn resolve_slugs(conn: &mut DbConn, filter: &mut Filter) -> ApiResult<()> {
    if let Some(value) = &filter.section
        && let Some(section) = crate::sections::model::resolve(conn, value)?
    {
        filter.section = Some(section.name);
    }
    if let Some(author) = &filter.author
        && let Some(user) = crate::authors::model::author_of(conn, author.as_str())?
    {
        filter.author = Some(user.into());
    }
    if let Some(tag) = &filter.tag {
        filter.tag = Some(crate::tags::model::current(conn, tag)?);
    }
    Ok(())
}
