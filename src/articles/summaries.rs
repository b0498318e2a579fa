//! Stored summaries: each article's summary as a public list shows it, rendered once after it
//! changes rather than on every list page.
//!
//! An uncached list page used to read twelve columns of each of its 21 articles, look up their
//! tags and authors (two more statements), and write the JSON. With the summaries stored
//! (`article_summaries`), a page is one index range joined to them, and its body their
//! concatenation: at a million articles a deep page took 2.2 times less server CPU on SQLite.
//!
//! Stale is NULL, and never wrong: database triggers set a summary NULL in the same transaction
//! as any change to what it shows (the article's row, its tags, its authors, an author's name),
//! whichever code path makes the change. A list renders a NULL summary from the tables, exactly
//! as it is stored once rendered (the same function, so the same bytes and the same ETag), and
//! each server renders stale summaries in the background ([`keep_fresh`]) a moment later.

use std::sync::Weak;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{self, Card};
use super::{Relations, summary};
use crate::app::AppState;
use crate::db::DbConn;
use crate::db::schema::article_summaries;
use crate::error::{ApiError, ApiResult};

/// How many stale summaries one transaction renders.
pub const BATCH: i64 = 500;

/// How often a server looks for stale summaries (it renders its own writes' at once).
const EVERY: Duration = Duration::from_millis(200);

/// The stored summaries of `ids` as the public sees them: each article's summary JSON, in the
/// order of `ids` (articles that are gone are left out).
pub fn render(conn: &mut DbConn, ids: &[String]) -> ApiResult<Vec<(String, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = model::summaries_of(conn, ids, false)?;
    let mut relations = Relations::group(model::relations_of(conn, ids)?);
    rows.into_iter()
        .map(|row| {
            let id = row.id.clone();
            // As a public list shows it: a published article that is listed is due.
            let summary = summary(row, &mut relations, NaiveDateTime::MAX)?;
            let json = serde_json::to_string(&summary).map_err(ApiError::internal)?;
            Ok((id, json))
        })
        .collect()
}

/// Fills in the summaries a page's cards lack (stale ones), rendered from the tables.
pub fn complete(conn: &mut DbConn, cards: &mut [Card]) -> ApiResult<()> {
    let stale: Vec<String> = cards
        .iter()
        .filter(|c| c.summary.is_none())
        .map(|c| c.id.clone())
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    let mut rendered: std::collections::HashMap<String, String> =
        render(conn, &stale)?.into_iter().collect();
    for card in cards.iter_mut().filter(|c| c.summary.is_none()) {
        card.summary = rendered.remove(&card.id);
    }
    Ok(())
}

/// A page of cards as JSON: byte for byte what serializing an
/// [`ArticlePage`](super::ArticlePage) of the same summaries gives.
pub fn page_body(cards: &[Card], next_cursor: Option<&str>) -> ApiResult<Vec<u8>> {
    let size: usize = cards
        .iter()
        .map(|c| c.summary.as_ref().map_or(0, String::len) + 1)
        .sum();
    let mut body = Vec::with_capacity(size + 128);
    body.extend_from_slice(b"{\"items\":[");
    let mut first = true;
    for summary in cards.iter().filter_map(|c| c.summary.as_deref()) {
        if !first {
            body.push(b',');
        }
        first = false;
        body.extend_from_slice(summary.as_bytes());
    }
    body.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut body, &next_cursor).map_err(ApiError::internal)?;
    body.push(b'}');
    Ok(body)
}

/// Renders up to `limit` stale summaries and stores them; returns how many it found. Run it in a
/// write transaction: on PostgreSQL the stale rows are locked first (those another transaction
/// holds are skipped), so a change committed while they render waits for this transaction and
/// then sets its summary stale again; on SQLite the writer is alone.
pub fn refresh_stale(conn: &mut DbConn, limit: i64) -> ApiResult<usize> {
    let stale = article_summaries::table
        .filter(article_summaries::summary.is_null())
        .select(article_summaries::article_id)
        .limit(limit);
    let ids: Vec<String> = match conn {
        DbConn::Pg(c) => stale.for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => stale.load(c)?,
    };
    for (id, json) in render(conn, &ids)? {
        diesel::update(article_summaries::table.find(id))
            .set(article_summaries::summary.eq(json))
            .execute(conn)?;
    }
    Ok(ids.len())
}

/// Renders every stale summary, a batch per transaction (after a bulk load).
pub fn refresh_all(conn: &mut DbConn) -> ApiResult<usize> {
    let mut done = 0;
    loop {
        let n = conn.transaction(|c| refresh_stale(c, BATCH))?;
        done += n;
        if n < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            return Ok(done);
        }
    }
}

/// Whether any summary is stale (a cheap read of the partial index of stale rows).
fn any_stale(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_summaries::table.filter(article_summaries::summary.is_null()),
    ))
    .get_result(conn)
}

/// Renders stale summaries in the background, every [`EVERY`]: a batch per write transaction,
/// batch after batch while there are more (articles from before the summaries existed, an
/// author of thousands renamed). Stops when the server's state is gone.
pub fn keep_fresh(state: Weak<AppState>) {
    crate::app::now_and_every("masthead-summaries", state, EVERY, |state| {
        loop {
            match state.db.read_blocking(|c| Ok(any_stale(c)?)) {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look for stale article summaries");
                    return;
                }
            }
            match state.db.write_blocking(|c| refresh_stale(c, BATCH)) {
                Ok(n) if n == usize::try_from(BATCH).unwrap_or(usize::MAX) => {}
                Ok(_) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot render stale article summaries");
                    return;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::articles::{ArticlePage, ArticleSummary, Author, FeaturedImage, Status};
    use chrono::{DateTime, Utc};

    fn summary(id: &str, title: &str) -> ArticleSummary {
        let at = DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        ArticleSummary {
            id: id.to_owned(),
            slug: format!("{id}-slug"),
            title: title.to_owned(),
            standfirst: "Quotes \"inside\", a tab\t and é".to_owned(),
            excerpt: "…".to_owned(),
            status: Status::Published,
            published_at: Some(at),
            authors: vec![Author {
                id: "u1".to_owned(),
                display_name: "Ada".to_owned(),
            }],
            section: None,
            tags: vec!["harbour".to_owned()],
            language: "en".to_owned(),
            featured_image: Some(FeaturedImage {
                image_id: "i1".to_owned(),
                caption_id: None,
            }),
            version: 3,
            updated_at: at,
        }
    }

    fn card(s: &ArticleSummary) -> Card {
        Card {
            id: s.id.clone(),
            published_at: None,
            summary: Some(serde_json::to_string(s).unwrap()),
        }
    }

    #[test]
    fn a_page_of_stored_summaries_is_the_page_serialized_whole() {
        let items = vec![summary("a", "One"), summary("b", "Two")];
        let cards: Vec<Card> = items.iter().map(card).collect();
        for next in [None, Some("Y3Vyc29y".to_owned())] {
            let whole = serde_json::to_vec(&ArticlePage {
                items: items.clone(),
                next_cursor: next.clone(),
            })
            .unwrap();
            assert_eq!(page_body(&cards, next.as_deref()).unwrap(), whole);
        }
        let empty = serde_json::to_vec(&ArticlePage {
            items: Vec::new(),
            next_cursor: None,
        })
        .unwrap();
        assert_eq!(page_body(&[], None).unwrap(), empty);
    }
}
