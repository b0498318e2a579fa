//! Webhook events for changes to articles. A change takes a look at what the public saw of the
//! article before it ([`before`]) and, once written, compares it with what the public sees now
//! ([`after`]); the difference decides the event written to the outbox, in the change's own
//! transaction: `article.published`, `article.updated` (with the fields that changed),
//! `correction.published`, `article.unpublished` or `article.deleted`. Drafts and changes the
//! public cannot see announce nothing.
//!
//! A scheduled article becomes public without a write. Its `article.published` is written when
//! it is scheduled, due at the scheduled time (the outbox's `deliver_after`), and withdrawn and
//! rewritten in the same transaction whenever the article changes before then (a new time, an
//! edit, unpublishing or deletion).

use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::Value;

use super::model::{self, ArticleRow};
use super::{Article, Status, service};
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::ids::{ArticleId, ImageId};
use crate::images::model::ImageRow;
use crate::webhooks::model::{NewEvent, emit, withdraw};
use crate::webhooks::{ArticleData, CorrectionData, EventType, ImageData, PreviousKeys};

/// What the public saw of an article before a change.
pub struct Seen {
    id: ArticleId,
    was: Visible,
}

enum Visible {
    /// No endpoint is enabled: nothing to compare.
    Unwatched,
    /// A draft, archived, or not there.
    Hidden,
    /// Scheduled: public later, by itself.
    Scheduled,
    /// Public: the article as readers get it, without what changes on every write.
    Public(Box<(Value, ArticleData)>),
}

/// What the public sees of `row` now (call it before a change, with the row the change read).
pub fn before(conn: &mut DbConn, row: &ArticleRow) -> ApiResult<Seen> {
    let was = if crate::webhooks::model::any_enabled(conn)? {
        visible(conn, Some(row.clone()), db::now())?
    } else {
        Visible::Unwatched
    };
    Ok(Seen {
        id: row.id.clone(),
        was,
    })
}

/// As [`before`], for the article `id` (a change to something an article shows).
pub fn before_id(conn: &mut DbConn, id: &ArticleId) -> ApiResult<Seen> {
    match model::find(conn, id)? {
        Some(row) => before(conn, &row),
        None => Ok(Seen {
            id: id.clone(),
            was: Visible::Unwatched,
        }),
    }
}

/// Compares what the public sees of the article now with what it saw `seen`, and writes the
/// events that follow.
pub fn after(conn: &mut DbConn, seen: Seen) -> ApiResult<()> {
    if matches!(seen.was, Visible::Unwatched) {
        return Ok(());
    }
    let now = db::now();
    let row = model::find(conn, &seen.id)?;
    let scheduled_at = row
        .as_ref()
        .filter(|r| Status::of(r, now) == Status::Scheduled)
        .and_then(|r| r.published_at);
    let is = visible(conn, row.clone(), now)?;
    let gone = row.is_none();
    // A scheduled publication is announced for its time; any change replaces that.
    withdraw(conn, EventType::ArticlePublished, seen.id.as_str(), now)?;
    match (seen.was, is) {
        (Visible::Public(was), Visible::Public(is)) => updated(conn, *was, *is, now)?,
        (_, Visible::Public(is)) => {
            announce(conn, EventType::ArticlePublished, &seen.id, now, &is.1)?;
        }
        (Visible::Public(was), _) => {
            let kind = if gone {
                EventType::ArticleDeleted
            } else {
                EventType::ArticleUnpublished
            };
            announce(conn, kind, &seen.id, now, &was.1)?;
        }
        _ => {}
    }
    if let (Some(at), Some(row)) = (scheduled_at, row) {
        let (_, data) = public_view(conn, row, at)?;
        announce(conn, EventType::ArticlePublished, &seen.id, at, &data)?;
    }
    Ok(())
}

/// Something many articles show, changed by one write elsewhere.
pub enum Shown<'a> {
    /// The section with this name (renamed).
    Section(&'a str),
    /// The tag with this slug (merged into another).
    Tag(&'a str),
    /// The author with this id (their byline name changed).
    Author(&'a str),
}

/// What the public saw, before a change to `shown`, of each published article (scheduled ones
/// included) that shows it; pass the result to [`after_shown`] once the change is written. Costs
/// one `EXISTS` when no endpoint is enabled; otherwise each such article is read twice.
pub fn before_shown(conn: &mut DbConn, shown: Shown<'_>) -> ApiResult<Vec<Seen>> {
    use crate::db::schema::{article_authors, article_tags, articles};
    use diesel::prelude::*;

    if !crate::webhooks::model::any_enabled(conn)? {
        return Ok(Vec::new());
    }
    let published = articles::status.eq(super::StoredStatus::Published);
    let ids: Vec<ArticleId> = match shown {
        Shown::Section(name) => articles::table
            .filter(articles::section.eq(name))
            .filter(published)
            .select(articles::id)
            .load(conn)?,
        Shown::Tag(tag) => article_tags::table
            .inner_join(articles::table)
            .filter(article_tags::tag.eq(tag))
            .filter(published)
            .select(articles::id)
            .load(conn)?,
        Shown::Author(id) => article_authors::table
            .inner_join(articles::table)
            .filter(article_authors::user_id.eq(id))
            .filter(published)
            .select(articles::id)
            .load(conn)?,
    };
    let now = db::now();
    let mut seen = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = model::find(conn, &id)? {
            let was = visible(conn, Some(row), now)?;
            seen.push(Seen { id, was });
        }
    }
    Ok(seen)
}

/// Writes the events that follow from a change [`before_shown`] looked at: `article.updated`
/// naming the field for each published article, and each scheduled article's
/// `article.published` rewritten with what it will show.
pub fn after_shown(conn: &mut DbConn, seen: Vec<Seen>) -> ApiResult<()> {
    for one in seen {
        after(conn, one)?;
    }
    Ok(())
}

/// Announces a change of an image's alt text or credit (from `was` to `is`) to the published
/// articles that show it.
pub fn image_changed(conn: &mut DbConn, was: &ImageRow, is: &ImageRow) -> ApiResult<()> {
    let mut changed = Vec::new();
    if was.alt_text != is.alt_text {
        changed.push("alt_text".to_owned());
    }
    if was.credit != is.credit {
        changed.push("credit".to_owned());
    }
    if changed.is_empty() || !crate::webhooks::model::any_enabled(conn)? {
        return Ok(());
    }
    let now = db::now();
    let mut articles = Vec::new();
    for shown in crate::images::model::used_by(conn, &is.id)? {
        if let Some(row) = model::find(conn, &shown.id)?
            && Status::of(&row, now) == Status::Published
        {
            let (_, mut data) = public_view(conn, row, now)?;
            data.changed = vec!["images".to_owned()];
            articles.push(data);
        }
    }
    if articles.is_empty() {
        return Ok(());
    }
    let data = ImageData {
        id: ImageId::from(is.id.as_str()),
        changed,
        alt_text: is.alt_text.clone(),
        credit: is.credit.clone(),
        articles,
    };
    emit(
        conn,
        NewEvent {
            kind: EventType::ImageUpdated,
            subject: Some(is.id.as_str().to_owned()),
            at: now,
            data: serde_json::to_value(data).map_err(ApiError::internal)?,
        },
    )
}

fn visible(conn: &mut DbConn, row: Option<ArticleRow>, now: NaiveDateTime) -> ApiResult<Visible> {
    let Some(row) = row else {
        return Ok(Visible::Hidden);
    };
    Ok(match Status::of(&row, now) {
        Status::Published => Visible::Public(Box::new(public_view(conn, row, now)?)),
        Status::Scheduled => Visible::Scheduled,
        Status::Draft | Status::Archived => Visible::Hidden,
    })
}

/// The article as the public reads it at `now` (less what every write changes), and its keys.
///
/// Taken from the article's stored document when it is current (before a change, usually), which
/// is the same JSON; otherwise assembled.
fn public_view(
    conn: &mut DbConn,
    row: ArticleRow,
    now: NaiveDateTime,
) -> ApiResult<(Value, ArticleData)> {
    let stored = super::documents::current_json(conn, &row.id, now)?
        .and_then(|json| serde_json::from_str::<Value>(&json).ok())
        .and_then(|view| Some((data_of_view(&view)?, view)));
    let (data, mut view) = match stored {
        Some(found) => found,
        None => {
            let article = service::load(conn, row, true, now, "")?;
            let view = serde_json::to_value(&article).map_err(ApiError::internal)?;
            (data_of(&article), view)
        }
    };
    if let Value::Object(fields) = &mut view {
        for volatile in ["version", "updated_at", "created_at", "status"] {
            fields.remove(volatile);
        }
    }
    Ok((view, data))
}

/// The keys of an article, read from its public view.
#[derive(serde::Deserialize)]
struct Keys {
    id: ArticleId,
    slug: String,
    title: String,
    section: Option<String>,
    tags: Vec<String>,
    authors: Vec<super::Author>,
    published_at: Option<chrono::DateTime<chrono::Utc>>,
    canonical_url: Option<String>,
}

/// [`data_of`] from a public view (a stored document), `None` if it lacks a key.
fn data_of_view(view: &Value) -> Option<ArticleData> {
    let keys = Keys::deserialize(view).ok()?;
    Some(ArticleData {
        path: format!("/v1/articles/{}", keys.slug),
        id: keys.id,
        slug: keys.slug,
        old_slugs: Vec::new(),
        title: keys.title,
        section: keys.section,
        tags: keys.tags,
        authors: keys.authors.into_iter().map(|a| a.id).collect(),
        published_at: keys.published_at,
        canonical_url: keys.canonical_url,
        changed: Vec::new(),
        previous: None,
    })
}

fn data_of(article: &Article) -> ArticleData {
    ArticleData {
        id: article.id.clone(),
        slug: article.slug.clone(),
        old_slugs: Vec::new(),
        title: article.title.clone(),
        section: article.section.clone(),
        tags: article.tags.clone(),
        authors: article.authors.iter().map(|a| a.id.clone()).collect(),
        published_at: article.published_at,
        canonical_url: article.canonical_url.clone(),
        path: format!("/v1/articles/{}", article.slug),
        changed: Vec::new(),
        previous: None,
    }
}

/// A public article changed: `correction.published` for each new public correction, and
/// `article.updated` naming whatever else changed.
fn updated(
    conn: &mut DbConn,
    (was, before): (Value, ArticleData),
    (is, mut data): (Value, ArticleData),
    now: NaiveDateTime,
) -> ApiResult<()> {
    let (Value::Object(was), Value::Object(is)) = (&was, &is) else {
        return Ok(());
    };
    let mut changed: Vec<String> = is
        .iter()
        .filter(|(key, value)| was.get(*key) != Some(value))
        .map(|(key, _)| key.clone())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let corrections =
        |view: &serde_json::Map<String, Value>| -> Vec<crate::corrections::CorrectionEntry> {
            view.get("corrections")
                .cloned()
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default()
        };
    let known: Vec<_> = corrections(was).into_iter().map(|c| c.id).collect();
    let new: Vec<_> = corrections(is)
        .into_iter()
        .filter(|c| !known.contains(&c.id))
        .collect();
    if before.slug != data.slug {
        data.old_slugs = vec![before.slug.clone()];
    }
    if (&before.section, &before.tags, &before.authors)
        != (&data.section, &data.tags, &data.authors)
    {
        data.previous = Some(PreviousKeys {
            section: before.section.clone(),
            tags: before.tags.clone(),
            authors: before.authors.clone(),
        });
    }
    if !new.is_empty() {
        changed.retain(|key| key != "corrections" && key != "corrected_at");
        let mut article = data.clone();
        article.changed = vec!["corrections".to_owned()];
        for correction in new {
            let data = CorrectionData {
                id: correction.id,
                note: correction.note,
                corrected_at: correction.corrected_at,
                article: article.clone(),
            };
            emit(
                conn,
                NewEvent {
                    kind: EventType::CorrectionPublished,
                    subject: Some(data.article.id.as_str().to_owned()),
                    at: now,
                    data: serde_json::to_value(data).map_err(ApiError::internal)?,
                },
            )?;
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    changed.sort();
    data.changed = changed;
    announce(
        conn,
        EventType::ArticleUpdated,
        &data.id.clone(),
        now,
        &data,
    )
}

fn announce(
    conn: &mut DbConn,
    kind: EventType,
    id: &ArticleId,
    at: NaiveDateTime,
    data: &ArticleData,
) -> ApiResult<()> {
    emit(
        conn,
        NewEvent {
            kind,
            subject: Some(id.as_str().to_owned()),
            at,
            data: serde_json::to_value(data).map_err(ApiError::internal)?,
        },
    )
}
