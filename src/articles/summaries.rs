//! Stored summaries: each article's summary as a public list shows it, rendered once after it
//! changes rather than on every list page.
//!
//! An uncached list page used to read twelve columns of each of its 21 articles, look up their
//! tags and authors (two more statements), and write the JSON. With the summaries stored
//! (`article_summaries`), a page is one index range joined to them, and its body their
//! concatenation: at a million articles a deep page took 2.2 times less server CPU on SQLite.
//!
//! Stale is never wrong: database triggers make a summary stale (format 0) in the same
//! transaction as any change to what it shows (the article's row, its tags, its authors, an
//! author's name), whichever code path makes the change. A list renders a stale summary from the
//! tables, exactly as it is stored once rendered (the same function, so the same bytes and the
//! same ETag), and each server renders stale summaries in the background ([`keep_fresh`]) a
//! moment later. A summary of another [`FORMAT`] (stored by an older or newer release) is stale
//! to this server: it renders it itself, and stores it again only if it is older.

use std::collections::HashSet;
use std::sync::Weak;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{self, Card};
use super::{Relations, summary};
use crate::db::schema::article_summaries;
use crate::db::{Db, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::ids::ArticleId;

/// The version of the summaries' JSON. Raise it whenever what [`render`] writes changes (a field
/// of [`ArticleSummary`](super::ArticleSummary), its order or its formatting): every stored
/// summary is then stale to the new release, which renders them again. A unit test pins the
/// JSON of a known summary to remind.
pub const FORMAT: i32 = 2;

/// How many stale summaries one transaction renders.
pub const BATCH: i64 = 500;

/// How often a server looks for stale summaries.
const EVERY: Duration = Duration::from_millis(200);

/// The most batches one look renders before it lets the server's state go for a moment, so
/// that a large backlog is worked through in many short looks.
const BATCHES_PER_LOOK: usize = 20;

/// An article's summary as the public sees it, with what a list needs to know whether it is
/// public now.
pub struct Rendered {
    pub id: ArticleId,
    pub json: String,
    public_at: Option<NaiveDateTime>,
}

/// The summaries of `ids` as a public list shows them, in the order of `ids` (articles that are
/// gone are left out); an article whose summary cannot be rendered is an error.
pub fn render(conn: &mut DbConn, ids: &[ArticleId]) -> ApiResult<Vec<Rendered>> {
    render_each(conn, ids)?.into_iter().map(|r| r.1).collect()
}

/// [`render`], each article on its own: the ids with their summary or why it failed.
fn render_each(
    conn: &mut DbConn,
    ids: &[ArticleId],
) -> ApiResult<Vec<(ArticleId, ApiResult<Rendered>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = model::summaries_of(conn, ids)?;
    let mut relations =
        Relations::group(model::relations_of(conn, ids)?).with_pictures(conn, &rows)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.id.clone();
            let public_at = model::public_at(row.status, row.published_at);
            // As a public list shows it: a published article that is listed is due.
            let rendered = summary(row, &mut relations, NaiveDateTime::MAX).and_then(|s| {
                Ok(Rendered {
                    id: id.clone(),
                    json: serde_json::to_string(&s).map_err(ApiError::internal)?,
                    public_at,
                })
            });
            (id, rendered)
        })
        .collect())
}

/// Fills in the summaries a page's cards lack (stale ones), rendered from the tables. They are
/// read after the page's ids, so an article that stopped being public in between (unpublished,
/// rescheduled, deleted) is taken off the page rather than shown as it is now.
pub fn complete(conn: &mut DbConn, cards: &mut Vec<Card>, now: NaiveDateTime) -> ApiResult<()> {
    let stale: Vec<ArticleId> = cards
        .iter()
        .filter(|c| c.summary.is_none())
        .map(|c| c.id.clone())
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    let mut rendered: std::collections::HashMap<ArticleId, String> = render(conn, &stale)?
        .into_iter()
        .filter(|r| r.public_at.is_some_and(|at| at <= now))
        .map(|r| (r.id, r.json))
        .collect();
    for card in cards.iter_mut().filter(|c| c.summary.is_none()) {
        card.summary = rendered.remove(&card.id);
    }
    cards.retain(|c| c.summary.is_some());
    Ok(())
}

/// The cards this instance read lately, each for the content generation it was read in (see
/// [`crate::cache`]), bounded by the bytes of their summaries.
///
/// A search's page is found among its matches (ids) and then needs its cards: a second
/// statement, about a fifth of a search's time on PostgreSQL at a million articles. The cards a
/// page shows are mostly the same few hundred recent stories, and they are the same bytes until
/// content changes, which bumps the generation: a card is taken from here only in the generation
/// it was read in, so what a search shows is never older than what the database held when the
/// request began, exactly as for a rendered response.
pub struct Known {
    inner: std::sync::Mutex<KnownCards>,
    max_bytes: usize,
}

#[derive(Default)]
struct KnownCards {
    generation: u64,
    cards: std::collections::HashMap<ArticleId, Card>,
    /// Ids in the order they came, to forget the oldest first.
    order: std::collections::VecDeque<ArticleId>,
    bytes: usize,
}

/// What a known card counts for: its id twice (map and order), its summary, and the rest.
fn card_bytes(card: &Card) -> usize {
    2 * card.id.len() + card.summary.as_ref().map_or(0, String::len) + 96
}

impl Known {
    /// Holds at most `max_bytes` of cards.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            inner: std::sync::Mutex::new(KnownCards::default()),
            max_bytes,
        }
    }

    /// The cards of `ids` known in `generation`, in the order of `ids`; `None` for each one that
    /// is not.
    fn get(&self, generation: u64, ids: &[ArticleId]) -> Vec<Option<Card>> {
        let Ok(known) = self.inner.lock() else {
            return vec![None; ids.len()];
        };
        if known.generation != generation {
            return vec![None; ids.len()];
        }
        ids.iter().map(|id| known.cards.get(id).cloned()).collect()
    }

    /// Remembers `cards` (with their summaries) as read in `generation`. Cards read in a
    /// generation older than the newest seen are not kept; a newer one forgets every card.
    fn put(&self, generation: u64, cards: &[Card]) {
        let Ok(mut known) = self.inner.lock() else {
            return;
        };
        if generation < known.generation {
            return;
        }
        if generation > known.generation {
            *known = KnownCards {
                generation,
                ..KnownCards::default()
            };
        }
        for card in cards.iter().filter(|c| c.summary.is_some()) {
            let size = card_bytes(card);
            if known.cards.contains_key(&card.id) || size > self.max_bytes {
                continue;
            }
            while known.bytes + size > self.max_bytes {
                let Some(oldest) = known.order.pop_front() else {
                    break;
                };
                if let Some(gone) = known.cards.remove(&oldest) {
                    known.bytes = known.bytes.saturating_sub(card_bytes(&gone));
                }
            }
            known.bytes += size;
            known.order.push_back(card.id.clone());
            known.cards.insert(card.id.clone(), card.clone());
        }
    }

    /// The public cards of `ids` (a search's page), in their order: those known in
    /// `generation`, which must have been read before anything else of the request was; the
    /// others read, completed (see [`complete`]) and remembered.
    pub fn cards(
        &self,
        conn: &mut DbConn,
        generation: u64,
        ids: &[ArticleId],
        now: NaiveDateTime,
    ) -> ApiResult<Vec<Card>> {
        let mut found = self.get(generation, ids);
        let missing: Vec<ArticleId> = ids
            .iter()
            .zip(&found)
            .filter(|(_, card)| card.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        let mut read = model::cards_of(conn, &missing)?;
        complete(conn, &mut read, now)?;
        self.put(generation, &read);
        let mut read: std::collections::HashMap<ArticleId, Card> =
            read.into_iter().map(|c| (c.id.clone(), c)).collect();
        for (id, card) in ids.iter().zip(found.iter_mut()) {
            if card.is_none() {
                *card = read.remove(id);
            }
        }
        Ok(found.into_iter().flatten().collect())
    }
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

/// `format < FORMAT`, with the format written into the statement: bound as a value, a generic
/// PostgreSQL plan (the connection's mode after a public list) estimated a third of the table
/// below an unknown value and scanned the whole table for none at every look
/// (`bench/README.md`).
fn stale() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    static STALE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("article_summaries.format < {FORMAT}"));
    diesel::dsl::sql::<diesel::sql_types::Bool>(&STALE)
}

/// What one batch of [`refresh_stale`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Stale summaries found (at most the limit).
    pub found: usize,
    /// Articles whose summary could not be rendered (left stale; lists of them fail as before).
    pub failed: Vec<ArticleId>,
}

impl Refreshed {
    /// Whether a batch of [`BATCH`] was full, so that there may be more.
    fn full(&self) -> bool {
        i64::try_from(self.found).is_ok_and(|n| n >= BATCH)
    }
}

/// Renders up to `limit` stale summaries (of an older format, or none), other than `skip`, and
/// stores them. Run it in a write transaction: on PostgreSQL the stale rows are locked first
/// (those another transaction holds are skipped: a change not yet committed), so a change
/// committed while they render waits for this transaction and then makes its summary stale
/// again; on SQLite the writer is alone.
pub fn refresh_stale(
    conn: &mut DbConn,
    limit: i64,
    skip: &HashSet<ArticleId>,
) -> ApiResult<Refreshed> {
    let take = limit.saturating_add(i64::try_from(skip.len()).unwrap_or(i64::MAX));
    let stale = article_summaries::table
        .filter(stale())
        .select(article_summaries::article_id)
        .order(article_summaries::format)
        .limit(take);
    let mut ids: Vec<ArticleId> = match conn {
        DbConn::Pg(c) => stale.for_update().skip_locked().load(c)?,
        DbConn::Sqlite(c) => stale.load(c)?,
    };
    ids.retain(|id| !skip.contains(id));
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    let mut done = Refreshed {
        found: ids.len(),
        failed: Vec::new(),
    };
    let mut stored: Vec<(ArticleId, String)> = Vec::with_capacity(ids.len());
    for (id, rendered) in render_each(conn, &ids)? {
        match rendered {
            Ok(r) => stored.push((r.id, r.json)),
            Err(e) => {
                tracing::warn!(article = %id, error = %e, "cannot render an article's summary");
                done.failed.push(id);
            }
        }
    }
    store(conn, stored)?;
    Ok(done)
}

/// Stores rendered summaries as current: on PostgreSQL in one statement (the batch's rows stay
/// locked for as short a time as may be), on SQLite one cached statement per row.
fn store(conn: &mut DbConn, stored: Vec<(ArticleId, String)>) -> ApiResult<()> {
    match conn {
        DbConn::Pg(c) => {
            let (ids, jsons): (Vec<ArticleId>, Vec<String>) = stored.into_iter().unzip();
            diesel::sql_query(
                "UPDATE article_summaries SET format = $1, summary = v.summary \
                 FROM unnest($2::text[], $3::text[]) AS v(id, summary) \
                 WHERE article_summaries.article_id = v.id",
            )
            .bind::<diesel::sql_types::Integer, _>(FORMAT)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(ids)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(jsons)
            .execute(c)?;
        }
        DbConn::Sqlite(c) => {
            for (id, json) in stored {
                diesel::update(article_summaries::table.find(id))
                    .set((
                        article_summaries::format.eq(FORMAT),
                        article_summaries::summary.eq(json),
                    ))
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// Renders every stale summary, a batch per transaction (after a bulk load); returns how many it
/// stored.
pub fn refresh_all(conn: &mut DbConn) -> ApiResult<usize> {
    let mut skip = HashSet::new();
    let mut done = 0;
    loop {
        let batch = conn.transaction(|c| refresh_stale(c, BATCH, &skip))?;
        done += batch.found - batch.failed.len();
        let full = batch.full();
        skip.extend(batch.failed);
        if !full {
            return Ok(done);
        }
    }
}

/// Whether any summary is stale to this server (a read of the start of the format index).
fn any_stale(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_summaries::table.filter(stale()),
    ))
    .get_result(conn)
}

/// How long an article whose summary failed to render is left alone before it is tried again.
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(600);

/// Renders stale summaries in the background: every [`EVERY`] it looks (on a read connection)
/// whether any is stale, and if so renders a batch per write transaction, up to
/// [`BATCHES_PER_LOOK`] while batches come back full (articles from before the summaries existed,
/// an author of thousands renamed). An article that fails to render is logged once and left
/// stale for ten minutes. Stops when the database is gone.
pub fn keep_fresh(db: Weak<Db>) {
    let mut failed: HashSet<ArticleId> = HashSet::new();
    let mut failed_since = Instant::now();
    crate::background::now_and_every("masthead-summaries", db, EVERY, move |db| {
        if failed_since.elapsed() > RETRY_FAILED_AFTER {
            failed.clear();
            failed_since = Instant::now();
        }
        match db.read_blocking(|c| Ok(any_stale(c)?)) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for stale article summaries");
                return;
            }
        }
        for _ in 0..BATCHES_PER_LOOK {
            let skip = &failed;
            match db.write_blocking(|c| refresh_stale(c, BATCH, skip)) {
                Ok(batch) => {
                    let full = batch.full();
                    failed.extend(batch.failed);
                    if !full {
                        return;
                    }
                }
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
    use crate::articles::{ArticlePage, ArticleSummary, Author, Status};
    use chrono::{DateTime, Utc};

    fn summary(id: &str, title: &str) -> ArticleSummary {
        let at = DateTime::<Utc>::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        ArticleSummary {
            id: id.into(),
            slug: format!("{id}-slug"),
            title: title.to_owned(),
            standfirst: "Quotes \"inside\", a tab\t and é".to_owned(),
            excerpt: "…".to_owned(),
            status: Status::Published,
            published_at: Some(at),
            authors: vec![Author {
                id: "u1".into(),
                display_name: "Ada".to_owned(),
            }],
            section: None,
            tags: vec!["harbour".to_owned()],
            language: "en".to_owned(),
            featured_image: Some(crate::images::Picture {
                image_id: "i1".into(),
                caption_id: None,
                url: "/v1/images/i1/file".to_owned(),
                width: 400,
                height: 300,
                alt_text: Some("A harbour".to_owned()),
                caption: None,
                credit: Some("Desk".to_owned()),
                illustrative: false,
                renditions: vec![crate::images::Rendition {
                    width: 320,
                    height: 240,
                    url: "/v1/images/i1/file?w=320".to_owned(),
                }],
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

    /// Stored summaries are this JSON; if this test fails, the JSON changed: raise [`FORMAT`]
    /// (and then this test's number), so that stored summaries of the old JSON are stale.
    #[test]
    fn the_stored_json_is_the_one_of_its_format() {
        assert_eq!(FORMAT, 2);
        assert_eq!(
            serde_json::to_string(&summary("a", "One")).unwrap(),
            concat!(
                r#"{"id":"a","slug":"a-slug","title":"One","standfirst":"Quotes \"inside\", "#,
                r#"a tab\t and é","excerpt":"…","status":"published","#,
                r#""published_at":"2023-11-14T22:13:20.123456Z","#,
                r#""authors":[{"id":"u1","display_name":"Ada"}],"section":null,"#,
                r#""tags":["harbour"],"language":"en","#,
                r#""featured_image":{"image_id":"i1","caption_id":null,"#,
                r#""url":"/v1/images/i1/file","width":400,"height":300,"#,
                r#""alt_text":"A harbour","caption":null,"credit":"Desk","illustrative":false,"#,
                r#""renditions":[{"width":320,"height":240,"url":"/v1/images/i1/file?w=320"}]},"#,
                r#""version":3,"#,
                r#""updated_at":"2023-11-14T22:13:20.123456Z"}"#
            )
        );
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

    fn known_card(id: &str, summary: &str) -> Card {
        Card {
            id: id.into(),
            published_at: None,
            summary: Some(summary.to_owned()),
        }
    }

    fn ids(ids: &[&str]) -> Vec<ArticleId> {
        ids.iter().map(|&id| ArticleId::from(id)).collect()
    }

    fn summaries_of(found: &[Option<Card>]) -> Vec<Option<&str>> {
        found
            .iter()
            .map(|c| c.as_ref().and_then(|c| c.summary.as_deref()))
            .collect()
    }

    #[test]
    fn known_cards_are_taken_only_in_the_generation_they_were_read_in() {
        let known = Known::new(1 << 20);
        known.put(5, &[known_card("a", "{\"a\":1}"), known_card("b", "{}")]);
        assert_eq!(
            summaries_of(&known.get(5, &ids(&["b", "x", "a"]))),
            [Some("{}"), None, Some("{\"a\":1}")]
        );
        assert_eq!(summaries_of(&known.get(6, &ids(&["a"]))), [None]);
        assert_eq!(summaries_of(&known.get(4, &ids(&["a"]))), [None]);
        // Read before a write that another request already saw: not kept.
        known.put(6, &[known_card("c", "{}")]);
        known.put(5, &[known_card("a", "{\"old\":1}")]);
        assert_eq!(
            summaries_of(&known.get(6, &ids(&["a", "c"]))),
            [None, Some("{}")]
        );
        // A stale card (no summary) is never kept.
        known.put(
            6,
            &[Card {
                id: "d".into(),
                published_at: None,
                summary: None,
            }],
        );
        assert_eq!(summaries_of(&known.get(6, &ids(&["d"]))), [None]);
    }

    #[test]
    fn known_cards_are_bounded_forgetting_the_oldest_first() {
        let one = card_bytes(&known_card("a", "{}"));
        let known = Known::new(3 * one);
        for id in ["a", "b", "c", "d"] {
            known.put(1, &[known_card(id, "{}")]);
        }
        assert_eq!(
            summaries_of(&known.get(1, &ids(&["a", "b", "c", "d"]))),
            [None, Some("{}"), Some("{}"), Some("{}")]
        );
        let big = "x".repeat(4 * one);
        known.put(1, &[known_card("e", &big)]);
        assert_eq!(
            summaries_of(&known.get(1, &ids(&["e", "d"]))),
            [None, Some("{}")]
        );
        let inner = known.inner.lock().unwrap();
        assert!(inner.bytes <= 3 * one && inner.cards.len() == inner.order.len());
    }
}
