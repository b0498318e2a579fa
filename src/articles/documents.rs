//! Stored documents: each public article's response, assembled once after it changes rather than
//! on every read that misses the response cache.
//!
//! A public article read used to look up the article, its authors and tags, its related
//! articles (and which of them are public), its images and captions, and its corrections (five
//! to eight statements), decode its body, sources and featured image, rewrite its HTML's
//! figures, and write the JSON. With the documents stored (`article_documents`), it is one
//! statement (the article's status and publication time beside its document) and the bytes.
//!
//! Who may see the article is still decided by the article's own row, as before, never by the
//! document. Stale is never wrong: triggers make a document stale in the same transaction as any
//! change to what it shows, whichever code path makes the change, and a read of a stale (or
//! missing, or unusable) document assembles the article from the tables exactly as before (the
//! same function, so the same bytes and the same ETag). Each server renders stale documents in
//! the background ([`keep_fresh`]) a moment later, and stores one only if no change was counted
//! since it read it (`changes`), so a render racing a change never covers it up.
//!
//! Image URLs are stored site-relative, with the offsets where the request's base URL goes
//! (`base_at`): one stored document serves every base, as stored summaries do.

use std::collections::HashSet;
use std::sync::Weak;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{self, ArticleRow};
use super::{Status, StoredStatus, service};
use crate::db::schema::{article_documents, article_related, articles};
use crate::db::{Db, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::ids::ArticleId;

/// The version of the documents' JSON. Raise it whenever what an [`Article`](super::Article)
/// serializes to changes (a field, its order, its formatting, how its HTML is made): every
/// stored document is then stale to the new release, which renders them again.
pub const FORMAT: i32 = 1;

/// How many stale documents one look renders before it stores them.
pub const BATCH: i64 = 100;

/// How often a server looks for stale documents.
const EVERY: Duration = Duration::from_millis(200);

/// The most batches one look renders before it lets go for a moment.
const BATCHES_PER_LOOK: usize = 20;

/// An article's public response, rendered for storing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub version: i64,
    /// The JSON, with site-relative image URLs.
    pub json: String,
    /// Where the base URL goes in `json`, ascending.
    pub base_at: Vec<usize>,
    /// The time it was rendered for, and until when its related articles are right.
    pub valid_from: NaiveDateTime,
    pub valid_until: Option<NaiveDateTime>,
}

impl Rendered {
    /// The response's bytes for a request whose base URL is `base`.
    pub fn with_base(&self, base: &str) -> Vec<u8> {
        splice(&self.json, &self.base_at, base)
    }
}

/// `json` with `base` inserted at each offset of `base_at` (ascending, each on a character
/// boundary; checked by [`parse_offsets`]).
fn splice(json: &str, base_at: &[usize], base: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() + base_at.len() * base.len());
    let mut from = 0;
    for &at in base_at {
        out.extend_from_slice(&json.as_bytes()[from..at]);
        out.extend_from_slice(base.as_bytes());
        from = at;
    }
    out.extend_from_slice(&json.as_bytes()[from..]);
    out
}

/// Whether `base` is written into a response as it is: JSON strings escape `"`, `\` and control
/// characters, and the HTML of a body's figures `&`, `<`, `>`, `"` and `'`. A base with any of
/// them (which `public_base` never makes) is served from the tables.
pub fn is_plain(base: &str) -> bool {
    !base
        .chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\\' | '&' | '<' | '>' | '\''))
}

/// The offsets of a stored `base_at` ("12,345"), if they fit `json`: ascending, within it, on
/// character boundaries. Anything else is a corrupt document, served from the tables.
fn parse_offsets(base_at: &str, json: &str) -> Option<Vec<usize>> {
    if base_at.is_empty() {
        return Some(Vec::new());
    }
    let mut last = 0;
    base_at
        .split(',')
        .map(|n| {
            let at: usize = n.parse().ok()?;
            (at >= last && json.is_char_boundary(at)).then(|| {
                last = at;
                at
            })
        })
        .collect()
}

/// Renders the public response of `row` for storing, as the public will read it at `now` (or,
/// for a scheduled article, once it is due); `None` for a draft or an archived article, which
/// the public never reads.
pub fn render(
    conn: &mut DbConn,
    row: ArticleRow,
    now: NaiveDateTime,
) -> ApiResult<Option<Rendered>> {
    if row.status != StoredStatus::Published {
        return Ok(None);
    }
    let at = row.published_at.map_or(now, |p| p.max(now));
    // Related articles scheduled after `at` join the document when they come due.
    let valid_until: Option<NaiveDateTime> = article_related::table
        .inner_join(articles::table.on(articles::id.eq(article_related::related_id)))
        .filter(article_related::article_id.eq(&row.id))
        .filter(articles::status.eq(StoredStatus::Published))
        .filter(articles::published_at.gt(at))
        .select(diesel::dsl::min(articles::published_at))
        .first::<Option<NaiveDateTime>>(conn)?;
    // A marker nobody can have written stands for the base URL; it is taken out again below.
    let marker = format!("mhbase{}", uuid::Uuid::now_v7().simple());
    let article = service::load(conn, row, true, at, &marker)?;
    let version = article.version;
    let with_marker = serde_json::to_string(&article).map_err(ApiError::internal)?;
    let mut json = String::with_capacity(with_marker.len());
    let mut base_at = Vec::new();
    let mut rest = with_marker.as_str();
    while let Some(found) = rest.find(&marker) {
        json.push_str(&rest[..found]);
        base_at.push(json.len());
        rest = &rest[found + marker.len()..];
    }
    json.push_str(rest);
    Ok(Some(Rendered {
        version,
        json,
        base_at,
        valid_from: at,
        valid_until,
    }))
}

/// What a public read of one article found.
pub enum Found {
    /// No public article has this key.
    Nothing,
    /// The stored document.
    Stored(Rendered),
    /// A public article without a current document: assemble it from its row.
    Assemble(Box<ArticleRow>),
}

type DocumentColumns = (
    ArticleId,
    StoredStatus,
    Option<NaiveDateTime>,
    Option<i32>,
    Option<i64>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
);

/// The public article `key` names (its id, its slug, or an earlier slug) at `now`: its stored
/// document when that is current, otherwise its row. One statement for an id or a current slug;
/// an earlier slug is looked up as before.
pub fn find(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> ApiResult<Found> {
    macro_rules! by {
        ($filter:expr) => {
            articles::table
                .left_join(article_documents::table)
                .filter($filter)
                .select((
                    articles::id,
                    articles::status,
                    articles::published_at,
                    article_documents::format.nullable(),
                    article_documents::version.nullable(),
                    article_documents::valid_from.nullable(),
                    article_documents::valid_until.nullable(),
                    article_documents::base_at.nullable(),
                    article_documents::document.nullable(),
                ))
                .first::<DocumentColumns>(conn)
                .optional()?
        };
    }
    let by_id = uuid::Uuid::try_parse(key).is_ok();
    let found = if by_id {
        by!(articles::id.eq(key))
    } else {
        by!(articles::slug.eq(key))
    };
    let Some((id, status, published_at, format, version, from, until, base_at, document)) = found
    else {
        if by_id {
            return Ok(Found::Nothing);
        }
        return Ok(match model::find_by_old_slug(conn, key)? {
            Some(row) if Status::of(&row, now) == Status::Published => {
                Found::Assemble(Box::new(row))
            }
            _ => Found::Nothing,
        });
    };
    if Status::at(status, published_at, now) != Status::Published {
        return Ok(Found::Nothing);
    }
    let current = format == Some(FORMAT)
        && from.is_some_and(|from| from <= now)
        && until.is_none_or(|until| now < until);
    if current
        && let (Some(version), Some(from), Some(base_at), Some(json)) =
            (version, from, base_at, document)
    {
        match parse_offsets(&base_at, &json) {
            Some(base_at) => {
                return Ok(Found::Stored(Rendered {
                    version,
                    json,
                    base_at,
                    valid_from: from,
                    valid_until: until,
                }));
            }
            None => tracing::warn!(article = %id, "a stored article document is corrupt"),
        }
    }
    let row = model::find(conn, &id)?.ok_or_else(not_found)?;
    Ok(Found::Assemble(Box::new(row)))
}

fn not_found() -> ApiError {
    service::not_found()
}

/// A document's format, validity and JSON.
type Validity = (
    i32,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
);

/// The article `id`'s document if it is current at `now`: its JSON with site-relative URLs,
/// exactly what assembling it with an empty base gives. For the webhook events' public view of
/// an article before a change, which need not assemble it again.
pub fn current_json(
    conn: &mut DbConn,
    id: &ArticleId,
    now: NaiveDateTime,
) -> ApiResult<Option<String>> {
    let found: Option<Validity> = article_documents::table
        .find(id)
        .select((
            article_documents::format,
            article_documents::valid_from,
            article_documents::valid_until,
            article_documents::document,
        ))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(format, from, until, json)| {
        let current = format == FORMAT
            && from.is_some_and(|from| from <= now)
            && until.is_none_or(|until| now < until);
        json.filter(|_| current)
    }))
}

/// `format < FORMAT`, with the format written into the statement (as for the summaries: bound,
/// a generic PostgreSQL plan would misjudge it).
fn stale() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    static STALE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("article_documents.format < {FORMAT}"));
    diesel::dsl::sql::<diesel::sql_types::Bool>(&STALE)
}

/// What one batch of [`refresh`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Stale documents found (at most the limit).
    pub found: usize,
    /// Articles whose document could not be rendered (left stale; reads assemble them).
    pub failed: Vec<ArticleId>,
}

impl Refreshed {
    fn full(&self) -> bool {
        i64::try_from(self.found).is_ok_and(|n| n >= BATCH)
    }
}

/// One document to store: the article, the change count it was rendered after, and what it
/// rendered (`None`: not public, nothing to store).
type Store = (ArticleId, i64, Option<Rendered>);

/// Finds up to `limit` stale documents (of another format, or whose related articles came due),
/// other than `skip`, and renders them on `conn`: the change count is read before the article.
fn render_stale(
    conn: &mut DbConn,
    limit: i64,
    skip: &HashSet<ArticleId>,
    now: NaiveDateTime,
) -> ApiResult<(Vec<Store>, Vec<ArticleId>)> {
    let take = limit.saturating_add(i64::try_from(skip.len()).unwrap_or(i64::MAX));
    let mut found: Vec<(ArticleId, i64)> = article_documents::table
        .filter(stale())
        .select((article_documents::article_id, article_documents::changes))
        .order(article_documents::format)
        .limit(take)
        .load(conn)?;
    let due: Vec<(ArticleId, i64)> = article_documents::table
        .filter(article_documents::valid_until.le(now))
        .select((article_documents::article_id, article_documents::changes))
        .limit(take)
        .load(conn)?;
    found.extend(due);
    let mut seen = HashSet::new();
    found.retain(|(id, _)| !skip.contains(id) && seen.insert(id.clone()));
    found.truncate(usize::try_from(limit).unwrap_or(0));
    let mut done = Vec::with_capacity(found.len());
    let mut failed = Vec::new();
    for (id, changes) in found {
        let Some(row) = model::find(conn, &id)? else {
            continue;
        };
        match render(conn, row, now) {
            Ok(rendered) => done.push((id, changes, rendered)),
            Err(e) => {
                tracing::warn!(article = %id, error = %e, "cannot render an article's document");
                failed.push(id);
            }
        }
    }
    Ok((done, failed))
}

/// Stores rendered documents as current, each only if its article's change count is still the
/// one read before it was rendered. On PostgreSQL an update waits for a change that holds the
/// row and then finds the count moved; on SQLite the writer is alone.
fn store(conn: &mut DbConn, rendered: Vec<Store>) -> ApiResult<usize> {
    let mut stored = 0;
    for (id, changes, document) in rendered {
        let target = article_documents::table
            .filter(article_documents::article_id.eq(&id))
            .filter(article_documents::changes.eq(changes));
        let version = document.as_ref().map_or(0, |r| r.version);
        let valid_from = document.as_ref().map(|r| r.valid_from);
        let valid_until = document.as_ref().and_then(|r| r.valid_until);
        let base_at = document.as_ref().map(|r| join_offsets(&r.base_at));
        let json = document.map(|r| r.json);
        let values = (
            article_documents::format.eq(FORMAT),
            article_documents::version.eq(version),
            article_documents::valid_from.eq(valid_from),
            article_documents::valid_until.eq(valid_until),
            article_documents::base_at.eq(base_at),
            article_documents::document.eq(json),
        );
        stored += diesel::update(target).set(values).execute(conn)?;
    }
    Ok(stored)
}

fn join_offsets(base_at: &[usize]) -> String {
    base_at
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Renders up to `limit` stale documents, other than `skip`, for [`store`].
fn refresh(
    read: &mut DbConn,
    limit: i64,
    skip: &HashSet<ArticleId>,
    now: NaiveDateTime,
) -> ApiResult<(Vec<Store>, Refreshed)> {
    let (rendered, failed) = render_stale(read, limit, skip, now)?;
    let done = Refreshed {
        found: rendered.len() + failed.len(),
        failed,
    };
    Ok((rendered, done))
}

/// Renders every stale document on `conn`, a batch at a time (after a bulk load, inside its
/// transaction); returns how many it stored.
pub fn refresh_all(conn: &mut DbConn) -> ApiResult<usize> {
    let mut skip = HashSet::new();
    let mut done = 0;
    loop {
        let (rendered, batch) = refresh(conn, BATCH, &skip, crate::db::now())?;
        done += store(conn, rendered)?;
        let full = batch.full();
        skip.extend(batch.failed);
        if !full {
            return Ok(done);
        }
    }
}

/// Whether any document is stale to this server, or has related articles that came due.
fn any_stale(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    let stale = diesel::select(diesel::dsl::exists(
        article_documents::table.filter(stale()),
    ))
    .get_result(conn)?;
    if stale {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        article_documents::table.filter(article_documents::valid_until.le(now)),
    ))
    .get_result(conn)
}

/// How long an article whose document failed to render is left alone before it is tried again.
const RETRY_FAILED_AFTER: Duration = Duration::from_secs(600);

/// Renders stale documents in the background: every [`EVERY`] it looks (on a read connection)
/// whether any is stale, and if so renders a batch there and stores it in a short write
/// transaction, up to [`BATCHES_PER_LOOK`] while batches come back full. An article that fails
/// to render is logged once and left stale (its reads assemble it) for ten minutes. Stops when
/// the database is gone.
pub fn keep_fresh(db: Weak<Db>) {
    let mut failed: HashSet<ArticleId> = HashSet::new();
    let mut failed_since = Instant::now();
    crate::background::now_and_every("masthead-documents", db, EVERY, move |db| {
        if failed_since.elapsed() > RETRY_FAILED_AFTER {
            failed.clear();
            failed_since = Instant::now();
        }
        let now = crate::db::now();
        match db.read_blocking(|c| Ok(any_stale(c, now)?)) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for stale article documents");
                return;
            }
        }
        for _ in 0..BATCHES_PER_LOOK {
            let skip = &failed;
            let now = crate::db::now();
            let (rendered, batch) = match db.read_blocking(|c| refresh(c, BATCH, skip, now)) {
                Ok(done) => done,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot render stale article documents");
                    return;
                }
            };
            let full = batch.full();
            failed.extend(batch.failed);
            if let Err(e) = db.write_blocking(|c| store(c, rendered)) {
                tracing::warn!(error = %e, "cannot store article documents");
                return;
            }
            if !full {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_goes_where_the_offsets_say() {
        let json = r#"{"url":"/v1/a","srcset":"/v1/a 1w, /v1/b 2w"}"#;
        let at = vec![8, 25, 35];
        assert_eq!(
            String::from_utf8(splice(json, &at, "http://h:1")).unwrap(),
            r#"{"url":"http://h:1/v1/a","srcset":"http://h:1/v1/a 1w, http://h:1/v1/b 2w"}"#
        );
        assert_eq!(splice(json, &at, ""), json.as_bytes());
        assert_eq!(parse_offsets(&join_offsets(&at), json), Some(at));
        assert_eq!(parse_offsets("", json), Some(Vec::new()));
    }

    #[test]
    fn corrupt_offsets_are_refused() {
        let json = "{\"a\":\"é\"}";
        for bad in ["x", "5,3", "99", "7", "1,,2", "-1"] {
            assert_eq!(parse_offsets(bad, json), None, "{bad}");
        }
    }

    #[test]
    fn only_a_plain_base_is_spliced() {
        assert!(is_plain("https://news.example:8443"));
        assert!(is_plain("http://[::1]:80"));
        for bad in [
            "http://a&b",
            "http://a\"",
            "http://a<",
            "http://a'",
            "a\\b",
            "a\nb",
        ] {
            assert!(!is_plain(bad), "{bad}");
        }
    }
}
