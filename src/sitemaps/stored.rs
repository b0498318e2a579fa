//! Stored sitemaps: the index and each day's sitemap rendered once after they change (migration
//! `sitemap_bodies`), so that a read is one row and its bytes.
//!
//! Every fold of `sitemap_changes` has a number (`sitemap_state.folds`), and the days it
//! touches carry it (`sitemap_days.version`). A stored sitemap names the fold it was rendered
//! after (read before what it lists) and is served only while that is still the current one and
//! no change to it waits to be folded; otherwise the read renders it from the tables as before
//! (the same functions, so the same bytes). Stale is never wrong. The background job that folds
//! renders the stale ones again a moment later ([`refresh`]).
//!
//! What a sitemap lists also depends on this server's settings: the URLs per sitemap and, in a
//! day's, the article path pattern. A stored one carries them (`links`), and a server with other
//! settings renders its own. The base URL (the API's in the index, the site's in a day's) is not
//! stored: a read puts it after each `<loc>` ([`render::with_base`]).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::render;
use super::{Chunk, MAX_URLS, chunks, model};
use crate::db::schema::{sitemap_bodies, sitemap_changes, sitemap_days, sitemap_state};
use crate::db::{Db, DbConn};
use crate::site::{ArticlePlace, Links, SitePaths};

/// The version of the stored XML: raise it whenever what the sitemaps render changes, so that
/// every stored one is stale to the new release.
const FORMAT: i32 = 1;

/// How many stale days one batch renders before it stores them (in one write transaction).
const BATCH: i64 = 20;

/// The most batches one look renders.
const BATCHES_PER_LOOK: usize = 20;

/// What the stored sitemaps are rendered with: this server's settings.
#[derive(Clone, Debug)]
pub struct Setup {
    per_sitemap: usize,
    /// Links without a base: each URL is its path on the site.
    links: Links,
    /// What a stored index was rendered with.
    index_links: String,
    /// What a stored day was rendered with.
    day_links: String,
}

impl Setup {
    pub fn new(per_sitemap: usize, paths: &SitePaths) -> Self {
        Self {
            per_sitemap,
            links: Links::new("", paths),
            index_links: format!("{FORMAT} {per_sitemap}"),
            day_links: format!("{FORMAT} {per_sitemap} {}", paths.article),
        }
    }

    pub fn per_sitemap(&self) -> usize {
        self.per_sitemap
    }
}

/// The section slugs by name (an article stores its section's name).
fn section_slugs(conn: &mut DbConn) -> QueryResult<HashMap<String, String>> {
    Ok(crate::sections::model::list(conn, true)?
        .into_iter()
        .map(|s| (s.name, s.slug))
        .collect())
}

/// A chunk's sitemap without the base, from its articles (in publication order).
fn day_body(setup: &Setup, slugs: &HashMap<String, String>, entries: &[model::Entry]) -> String {
    let urls: Vec<(String, NaiveDateTime)> = entries
        .iter()
        .map(|e| {
            let mut path = String::with_capacity(96);
            setup.links.push_article_path(
                &mut path,
                &ArticlePlace {
                    id: &e.id,
                    slug: &e.slug,
                    section: e
                        .section
                        .as_ref()
                        .and_then(|name| slugs.get(name))
                        .map(String::as_str),
                    published_at: e.published_at.map(|t| t.and_utc()),
                },
            );
            let lastmod = e.published_at.map_or(e.updated_at, |p| p.max(e.updated_at));
            (path, lastmod)
        })
        .collect();
    render::urlset_body(&urls)
}

/// The index without the base, from the days (newest first).
fn index_body(setup: &Setup, days: &[super::Day]) -> String {
    let list: Vec<(String, NaiveDateTime)> = chunks(days, setup.per_sitemap, MAX_URLS - 1)
        .into_iter()
        .map(|(chunk, lastmod)| (chunk.name(), lastmod))
        .collect();
    render::index_body(&list)
}

/// Renders the sitemap index from the tables, as the public reads it at `now`.
pub fn render_index(conn: &mut DbConn, setup: &Setup, now: NaiveDateTime) -> QueryResult<String> {
    Ok(index_body(setup, &model::days(conn, now)?))
}

/// Renders a chunk's sitemap from the tables at `now`; `None` when it lists nothing.
pub fn render_chunk(
    conn: &mut DbConn,
    setup: &Setup,
    chunk: &Chunk,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let entries = model::chunk(conn, chunk, setup.per_sitemap, now)?;
    if entries.is_empty() {
        return Ok(None);
    }
    let slugs = section_slugs(conn)?;
    Ok(Some(day_body(setup, &slugs, &entries)))
}

/// `statement` with its numbered parameters (`{1}`) as each backend writes them.
fn numbered(statement: &str, pg: bool, count: usize) -> String {
    (1..=count).fold(statement.to_owned(), |s, n| {
        s.replace(
            &format!("{{{n}}}"),
            &if pg { format!("${n}") } else { format!("?{n}") },
        )
    })
}

/// The fold count of the stored sitemap index if it is current at `now` (stored after the last
/// fold, with these settings, and no change waiting to be folded); `None` when a request must
/// render it. It reads the same row as [`index`] without the body.
pub fn current_index(
    conn: &mut DbConn,
    setup: &Setup,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let pending =
        diesel::dsl::exists(sitemap_changes::table.filter(sitemap_changes::effective_at.le(now)));
    let found = sitemap_state::table
        .filter(sitemap_state::id.eq(1))
        .select((
            sitemap_state::folds,
            sitemap_state::index_folds,
            sitemap_state::index_links,
            pending,
        ))
        .get_result::<(i64, Option<i64>, Option<String>, bool)>(conn)
        .optional()?;
    Ok(match found {
        Some((folds, Some(stored), Some(links), false))
            if stored == folds && links == setup.index_links =>
        {
            Some(folds)
        }
        _ => None,
    })
}

/// The sitemap index at `now` without the base: the stored one when it is current, with the
/// fold count it was stored at, otherwise rendered from the tables (`None`).
pub fn index(
    conn: &mut DbConn,
    setup: &Setup,
    now: NaiveDateTime,
) -> QueryResult<(String, Option<i64>)> {
    // One statement, so that the fold count, the body and the pending changes are seen
    // together; written with the query builder, so that each backend prepares it once.
    let pending =
        diesel::dsl::exists(sitemap_changes::table.filter(sitemap_changes::effective_at.le(now)));
    let found = sitemap_state::table
        .filter(sitemap_state::id.eq(1))
        .select((
            sitemap_state::folds,
            sitemap_state::index_folds,
            sitemap_state::index_links,
            sitemap_state::index_body,
            pending,
        ))
        .get_result::<(i64, Option<i64>, Option<String>, Option<String>, bool)>(conn)
        .optional()?;
    if let Some((folds, Some(stored), Some(links), Some(body), false)) = found
        && stored == folds
        && links == setup.index_links
    {
        return Ok((body, Some(folds)));
    }
    Ok((render_index(conn, setup, now)?, None))
}

/// A chunk's sitemap at `now` without the base (`None`: it lists nothing): the stored one when
/// it is current, otherwise rendered from the tables.
pub fn chunk(
    conn: &mut DbConn,
    setup: &Setup,
    chunk: &Chunk,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    let part = i32::try_from(chunk.part).unwrap_or(i32::MAX);
    // One statement, as for the index: the stored body, the day's current version and its
    // pending changes seen together.
    let current = sitemap_days::table
        .filter(sitemap_days::day.eq(chunk.day))
        .select(sitemap_days::version)
        .single_value();
    let pending = diesel::dsl::exists(
        sitemap_changes::table
            .filter(sitemap_changes::day.eq(chunk.day))
            .filter(sitemap_changes::effective_at.le(now)),
    );
    let found = sitemap_bodies::table
        .filter(sitemap_bodies::day.eq(chunk.day))
        .filter(sitemap_bodies::part.eq(part))
        .select((
            sitemap_bodies::version,
            sitemap_bodies::links,
            sitemap_bodies::body,
            current,
            pending,
        ))
        .get_result::<(i64, String, String, Option<i64>, bool)>(conn)
        .optional()?;
    if let Some((stored, links, body, current, false)) = found
        && current == Some(stored)
        && links == setup.day_links
    {
        return Ok(Some(body));
    }
    render_chunk(conn, setup, chunk, now)
}

#[derive(QueryableByName)]
struct StaleDay {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
}

/// Days with public articles whose stored sitemap is missing, older than their last fold, or
/// rendered with other settings; newest first.
const STALE_DAYS: &str = "SELECT d.day AS day FROM sitemap_days d \
     LEFT JOIN sitemap_bodies b ON b.day = d.day AND b.part = 1 \
     WHERE d.articles > 0 AND (b.day IS NULL OR b.version <> d.version OR b.links <> {1}) \
     ORDER BY d.day DESC LIMIT {2}";

fn stale_days(conn: &mut DbConn, setup: &Setup, limit: i64) -> QueryResult<Vec<NaiveDate>> {
    let rows: Vec<StaleDay> = match conn {
        DbConn::Pg(c) => diesel::sql_query(numbered(STALE_DAYS, true, 2))
            .bind::<Text, _>(&setup.day_links)
            .bind::<BigInt, _>(limit)
            .load(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(numbered(STALE_DAYS, false, 2))
            .bind::<Text, _>(&setup.day_links)
            .bind::<BigInt, _>(limit)
            .load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.day).collect())
}

/// A day's sitemaps rendered for storing: its fold, and each part's body.
struct RenderedDay {
    day: NaiveDate,
    version: i64,
    parts: Vec<String>,
}

/// Renders a day's every part, its fold read first and the time taken after it (so that every
/// change folded by then is visible to the render).
fn render_day(
    conn: &mut DbConn,
    setup: &Setup,
    slugs: &HashMap<String, String>,
    day: NaiveDate,
) -> QueryResult<Option<RenderedDay>> {
    use crate::db::schema::sitemap_days;
    let Some(version) = sitemap_days::table
        .find(day)
        .select(sitemap_days::version)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let now = crate::db::now();
    let per = setup.per_sitemap.max(1);
    let whole = Chunk { day, part: 1 };
    let entries = model::chunk(conn, &whole, usize::MAX / 2, now)?;
    let parts = entries
        .chunks(per)
        .map(|slice| day_body(setup, slugs, slice))
        .collect();
    Ok(Some(RenderedDay {
        day,
        version,
        parts,
    }))
}

/// Stores a rendered day: its parts replace what was stored for it.
fn store_day(conn: &mut DbConn, setup: &Setup, rendered: RenderedDay) -> QueryResult<()> {
    diesel::delete(sitemap_bodies::table.filter(sitemap_bodies::day.eq(rendered.day)))
        .execute(conn)?;
    for (n, body) in rendered.parts.into_iter().enumerate() {
        let part = i32::try_from(n + 1).unwrap_or(i32::MAX);
        diesel::insert_into(sitemap_bodies::table)
            .values((
                sitemap_bodies::day.eq(rendered.day),
                sitemap_bodies::part.eq(part),
                sitemap_bodies::version.eq(rendered.version),
                sitemap_bodies::links.eq(&setup.day_links),
                sitemap_bodies::body.eq(body),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The index rendered for storing, after fold `folds` (read first, the time taken after it);
/// `None` when the stored one is current.
fn stale_index(conn: &mut DbConn, setup: &Setup) -> QueryResult<Option<(i64, String)>> {
    let (folds, stored, links): (i64, Option<i64>, Option<String>) = sitemap_state::table
        .select((
            sitemap_state::folds,
            sitemap_state::index_folds,
            sitemap_state::index_links,
        ))
        .first(conn)?;
    if stored == Some(folds) && links.as_deref() == Some(setup.index_links.as_str()) {
        return Ok(None);
    }
    let now = crate::db::now();
    Ok(Some((folds, render_index(conn, setup, now)?)))
}

fn store_index(conn: &mut DbConn, setup: &Setup, folds: i64, body: String) -> QueryResult<()> {
    diesel::update(sitemap_state::table)
        .set((
            sitemap_state::index_folds.eq(folds),
            sitemap_state::index_links.eq(&setup.index_links),
            sitemap_state::index_body.eq(body),
        ))
        .execute(conn)?;
    Ok(())
}

/// Renders the stale stored sitemaps on read connections and stores them on the write
/// connection: the index, then the stale days, [`BATCH`] at a time, at most
/// [`BATCHES_PER_LOOK`] batches.
pub fn refresh(db: &Db, setup: &Setup) {
    match db.read_blocking(|c| Ok(stale_index(c, setup)?)) {
        Ok(Some((folds, body))) => {
            if let Err(e) = db.write_blocking(|c| Ok(store_index(c, setup, folds, body)?)) {
                tracing::warn!(error = %e, "cannot store the sitemap index");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "cannot render the sitemap index"),
    }
    let most = BATCH.saturating_mul(i64::try_from(BATCHES_PER_LOOK).unwrap_or(1));
    let days = match db.read_blocking(|c| Ok(stale_days(c, setup, most)?)) {
        Ok(days) => days,
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for stale day sitemaps");
            return;
        }
    };
    for batch in days.chunks(usize::try_from(BATCH).unwrap_or(1)) {
        let rendered = db.read_blocking(|c| {
            let slugs = section_slugs(c)?;
            let mut out = Vec::with_capacity(batch.len());
            for day in batch {
                out.extend(render_day(c, setup, &slugs, *day)?);
            }
            Ok(out)
        });
        let rendered = match rendered {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot render day sitemaps");
                return;
            }
        };
        let stored = db.write_blocking(|c| {
            for day in rendered {
                store_day(c, setup, day)?;
            }
            Ok(())
        });
        if let Err(e) = stored {
            tracing::warn!(error = %e, "cannot store day sitemaps");
            return;
        }
    }
}

/// Renders and stores every stale sitemap on `conn` (after a bulk load).
pub fn refresh_all(conn: &mut DbConn, setup: &Setup) -> QueryResult<()> {
    if let Some((folds, body)) = stale_index(conn, setup)? {
        store_index(conn, setup, folds, body)?;
    }
    let slugs = section_slugs(conn)?;
    // Every stale day once: a day that renders nothing stays stale, and is not tried again.
    for day in stale_days(conn, setup, i64::MAX)? {
        if let Some(rendered) = render_day(conn, setup, &slugs, day)? {
            store_day(conn, setup, rendered)?;
        }
    }
    Ok(())
}
