//! Article rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{
    article_authors, article_images, article_related, article_revisions, article_slugs,
    article_summaries, article_tags, articles, users,
};
use crate::db::{DbConn, Plans};

/// A row of `articles`.
#[derive(Debug, Clone, Queryable)]
pub struct ArticleRow {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub body: String,
    pub body_html: String,
    pub body_text: String,
    pub excerpt: String,
    pub excerpt_is_custom: bool,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub section: Option<String>,
    pub language: String,
    pub canonical_url: Option<String>,
    pub sources: String,
    pub featured_image: Option<String>,
    pub created_by: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns a list shows (no body: lists stay small and fast).
#[derive(Debug, Clone, Queryable)]
pub struct SummaryRow {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub excerpt: String,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub section: Option<String>,
    pub language: String,
    pub featured_image: Option<String>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

/// The columns of [`SummaryRow`], in order.
pub type SummaryColumns = (
    articles::id,
    articles::slug,
    articles::title,
    articles::standfirst,
    articles::excerpt,
    articles::status,
    articles::published_at,
    articles::section,
    articles::language,
    articles::featured_image,
    articles::version,
    articles::updated_at,
);

/// Selects a [`SummaryRow`].
pub const SUMMARY_COLUMNS: SummaryColumns = (
    articles::id,
    articles::slug,
    articles::title,
    articles::standfirst,
    articles::excerpt,
    articles::status,
    articles::published_at,
    articles::section,
    articles::language,
    articles::featured_image,
    articles::version,
    articles::updated_at,
);

/// Every column a write sets (all but the id, the creator and the creation time on update).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleValues {
    pub slug: String,
    pub title: String,
    pub standfirst: String,
    pub body: String,
    pub body_html: String,
    pub body_text: String,
    pub excerpt: String,
    pub excerpt_is_custom: bool,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub section: Option<String>,
    pub language: String,
    pub canonical_url: Option<String>,
    pub sources: String,
    pub featured_image: Option<String>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

impl ArticleValues {
    /// The stored values of a row, to change a few of them.
    pub fn from_row(row: &ArticleRow) -> Self {
        Self {
            slug: row.slug.clone(),
            title: row.title.clone(),
            standfirst: row.standfirst.clone(),
            body: row.body.clone(),
            body_html: row.body_html.clone(),
            body_text: row.body_text.clone(),
            excerpt: row.excerpt.clone(),
            excerpt_is_custom: row.excerpt_is_custom,
            status: row.status.clone(),
            published_at: row.published_at,
            section: row.section.clone(),
            language: row.language.clone(),
            canonical_url: row.canonical_url.clone(),
            sources: row.sources.clone(),
            featured_image: row.featured_image.clone(),
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

/// The columns only an insert sets.
#[derive(Debug, Insertable)]
#[diesel(table_name = articles)]
pub struct ArticleIdentity {
    pub id: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// Inserts a new article.
pub fn insert(
    conn: &mut DbConn,
    identity: &ArticleIdentity,
    values: &ArticleValues,
) -> QueryResult<()> {
    diesel::insert_into(articles::table)
        .values((identity, values))
        .execute(conn)
        .map(|_| ())
}

/// Writes `values` if the article is still at `expected_version`; returns whether it was.
pub fn update(
    conn: &mut DbConn,
    id: &str,
    expected_version: i64,
    values: &ArticleValues,
) -> QueryResult<bool> {
    let n = diesel::update(
        articles::table
            .filter(articles::id.eq(id))
            .filter(articles::version.eq(expected_version)),
    )
    .set(values)
    .execute(conn)?;
    Ok(n == 1)
}

/// Deletes the article if it is still at `expected_version`.
pub fn delete(conn: &mut DbConn, id: &str, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        articles::table
            .filter(articles::id.eq(id))
            .filter(articles::version.eq(expected_version)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// The article with this id.
pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::id.eq(id))
        .first(conn)
        .optional()
}

/// The article whose current slug is `slug`.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ArticleRow>> {
    articles::table
        .filter(articles::slug.eq(slug))
        .first(conn)
        .optional()
}

/// The article that once had `slug`.
pub fn find_by_old_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ArticleRow>> {
    let id: Option<String> = article_slugs::table
        .find(slug)
        .select(article_slugs::article_id)
        .first(conn)
        .optional()?;
    match id {
        Some(id) => find(conn, &id),
        None => Ok(None),
    }
}

/// The article an id, a slug or an earlier slug names.
pub fn find_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<ArticleRow>> {
    if uuid::Uuid::try_parse(key).is_ok() {
        return find(conn, key);
    }
    match find_by_slug(conn, key)? {
        Some(row) => Ok(Some(row)),
        None => find_by_old_slug(conn, key),
    }
}

/// When the next scheduled article becomes public, if any is scheduled.
pub fn next_publication(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    articles::table
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.gt(crate::db::now()))
        .select(diesel::dsl::min(articles::published_at))
        .first(conn)
}

/// Marks an article changed without changing its fields: a published correction is part of the
/// article, so it is a new version, and an editor's save based on the version before it is
/// refused (412) until they have seen it.
pub fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::update(articles::table.filter(articles::id.eq(id)))
        .set((
            articles::version.eq(articles::version + 1),
            articles::updated_at.eq(now),
        ))
        .execute(conn)?;
    articles::table
        .filter(articles::id.eq(id))
        .select(articles::version)
        .first(conn)
}

/// Whether `slug` leads to an article other than `except_id`, now or from before.
pub fn slug_taken(conn: &mut DbConn, slug: &str, except_id: &str) -> QueryResult<bool> {
    let current: bool = diesel::select(diesel::dsl::exists(
        articles::table
            .filter(articles::slug.eq(slug))
            .filter(articles::id.ne(except_id)),
    ))
    .get_result(conn)?;
    if current {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        article_slugs::table
            .filter(article_slugs::slug.eq(slug))
            .filter(article_slugs::article_id.ne(except_id)),
    ))
    .get_result(conn)
}

/// Keeps `old` leading to the article after a slug change (and frees `new` if it was an
/// earlier slug of the same article).
pub fn remember_old_slug(conn: &mut DbConn, id: &str, old: &str, new: &str) -> QueryResult<()> {
    diesel::delete(article_slugs::table.filter(article_slugs::slug.eq(new))).execute(conn)?;
    diesel::insert_into(article_slugs::table)
        .values((
            article_slugs::slug.eq(old),
            article_slugs::article_id.eq(id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of `ids` are users. On PostgreSQL their rows stay locked (`FOR SHARE`) until the
/// caller's transaction ends: a byline saved with them and a rename of one of them are then one
/// after the other, so the rename's trigger sees the byline or the byline's summary is rendered
/// with the new name (SQLite's one writer does that by itself).
pub fn existing_users(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<String>> {
    let query = users::table.filter(users::id.eq_any(ids)).select(users::id);
    match conn {
        DbConn::Pg(c) => query.for_share().load(c),
        DbConn::Sqlite(c) => query.load(c),
    }
}

/// Which of `ids` are articles.
pub fn existing_articles(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<String>> {
    articles::table
        .filter(articles::id.eq_any(ids))
        .select(articles::id)
        .load(conn)
}

/// When an article is public for list purposes: its publication time while it is published.
pub fn public_at(status: &str, published_at: Option<NaiveDateTime>) -> Option<NaiveDateTime> {
    (status == "published").then_some(published_at).flatten()
}

/// Replaces an article's authors, tags and related articles. The tag and author rows are written
/// with the article's `public_at`, which the database checks (migration `link_public_at`: it
/// keeps the copy right whatever is written, and updates it when the article's status or time
/// changes); the right value saves SQLite's trigger an update.
pub fn replace_relations(
    conn: &mut DbConn,
    id: &str,
    authors: &[String],
    tags: &[String],
    related: &[String],
    public_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::delete(article_authors::table.filter(article_authors::article_id.eq(id)))
        .execute(conn)?;
    diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id))).execute(conn)?;
    diesel::delete(article_related::table.filter(article_related::article_id.eq(id)))
        .execute(conn)?;
    // Row by row: multi-row inserts do not compile for the two-backend connection.
    for (position, user) in (0..).zip(authors) {
        diesel::insert_into(article_authors::table)
            .values((
                article_authors::article_id.eq(id),
                article_authors::user_id.eq(user),
                article_authors::position.eq(position),
                article_authors::public_at.eq(public_at),
            ))
            .execute(conn)?;
    }
    for (position, tag) in (0..).zip(tags) {
        diesel::insert_into(article_tags::table)
            .values((
                article_tags::article_id.eq(id),
                article_tags::tag.eq(tag),
                article_tags::position.eq(position),
                article_tags::public_at.eq(public_at),
            ))
            .execute(conn)?;
    }
    for (position, other) in (0..).zip(related) {
        diesel::insert_into(article_related::table)
            .values((
                article_related::article_id.eq(id),
                article_related::related_id.eq(other),
                article_related::position.eq(position),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the record of which images an article shows.
pub fn replace_images(conn: &mut DbConn, id: &str, refs: &[super::ImageRef]) -> QueryResult<()> {
    diesel::delete(article_images::table.filter(article_images::article_id.eq(id)))
        .execute(conn)?;
    for (position, _, image_id, caption_id) in refs {
        diesel::insert_into(article_images::table)
            .values((
                article_images::article_id.eq(id),
                article_images::position.eq(position),
                article_images::image_id.eq(image_id),
                article_images::caption_id.eq(caption_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Starts a boxed query's `WHERE` with `column IN (ids)` so that its statement is prepared once
/// per connection and then reused. diesel never caches a statement with `eq_any` over a list,
/// and preparing the small per-page queries cost more than running them on SQLite: there it is
/// written `column = ? OR …` over the ids padded to a power of two (repeating the last), which
/// SQLite turns back into an `IN` on the index. PostgreSQL plans such a chain as one index scan
/// per term, so there it stays `eq_any`. `ids` must not be empty; further `.filter`s are ANDed
/// after the group.
macro_rules! among {
    ($conn:expr, $query:expr, $column:expr, $ids:expr) => {{
        let ids: &[String] = $ids;
        match $conn {
            DbConn::Pg(_) => $query.filter($column.eq_any(ids)),
            DbConn::Sqlite(_) => or_chain!($query, $column, ids),
        }
    }};
}

/// SQLite's half of [`among!`]: `column = ? OR …` over `ids` padded to a power of two.
macro_rules! or_chain {
    ($query:expr, $column:expr, $ids:expr) => {{
        let ids: &[String] = $ids;
        let last = ids.len().saturating_sub(1);
        let mut query = $query.filter($column.eq(ids[0].clone()));
        for i in 1..ids.len().next_power_of_two() {
            query = query.or_filter($column.eq(ids[i.min(last)].clone()));
        }
        query
    }};
}

/// One author or tag of an article: (article id, position, user id or tag, the author's
/// display name or, for a tag, none).
pub type RelationRow = (String, i32, String, Option<String>);

/// The authors and tags of each of `ids`, in byline and tag order within each article. On
/// PostgreSQL one statement (`UNION ALL`): a round trip less per page, 11-12 % more uncached pages
/// at a million articles. On SQLite, where a statement costs no round trip, the union measured
/// 2-7 % slower than two statements, so it is two.
pub fn relations_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<RelationRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // diesel's multi-backend type has no UNION, so the two queries are built for each backend;
    // `$keep` is that backend's half of `among!`.
    macro_rules! queries {
        ($backend:ty, $keep:ident) => {
            (
                $keep!(
                    article_authors::table
                        .inner_join(users::table)
                        .into_boxed::<$backend>(),
                    article_authors::article_id
                )
                .select((
                    article_authors::article_id,
                    article_authors::position,
                    users::id,
                    users::display_name.nullable(),
                )),
                $keep!(
                    article_tags::table.into_boxed::<$backend>(),
                    article_tags::article_id
                )
                .select((
                    article_tags::article_id,
                    article_tags::position,
                    article_tags::tag,
                    None::<String>.into_sql::<diesel::sql_types::Nullable<Text>>(),
                )),
            )
        };
    }
    macro_rules! sqlite {
        ($query:expr, $column:expr) => {
            or_chain!($query, $column, ids)
        };
    }
    macro_rules! pg {
        ($query:expr, $column:expr) => {
            $query.filter($column.eq_any(ids))
        };
    }
    let mut rows: Vec<RelationRow> = match conn {
        DbConn::Sqlite(c) => {
            let (authors, tags) = queries!(diesel::sqlite::Sqlite, sqlite);
            let mut rows = authors.load(c)?;
            rows.extend(tags.load::<RelationRow>(c)?);
            rows
        }
        DbConn::Pg(c) => {
            let (authors, tags) = queries!(diesel::pg::Pg, pg);
            authors.union_all(tags).load(c)?
        }
    };
    rows.sort_by_key(|r| r.1);
    Ok(rows)
}

/// Related article ids of `id`, in order; with `public_at`, only those the public can read
/// at that time. (Two plain lookups rather than a join: without statistics, SQLite's planner
/// would rather walk every published article than the few related ones.)
pub fn related_of(
    conn: &mut DbConn,
    id: &str,
    public_at: Option<NaiveDateTime>,
) -> QueryResult<Vec<String>> {
    let related: Vec<String> = article_related::table
        .filter(article_related::article_id.eq(id))
        .order(article_related::position)
        .select(article_related::related_id)
        .load(conn)?;
    let Some(now) = public_at else {
        return Ok(related);
    };
    if related.is_empty() {
        return Ok(related);
    }
    let visible: Vec<String> = articles::table
        .filter(articles::id.eq_any(&related))
        .filter(articles::status.eq("published"))
        .filter(articles::published_at.le(now))
        .select(articles::id)
        .load(conn)?;
    Ok(related
        .into_iter()
        .filter(|r| visible.contains(r))
        .collect())
}

/// A revision to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = article_revisions)]
pub struct NewRevision<'a> {
    pub id: String,
    pub article_id: &'a str,
    pub version: i64,
    pub editor_id: Option<&'a str>,
    pub action: &'a str,
    pub changed: String,
    pub snapshot: String,
    pub created_at: NaiveDateTime,
}

/// Records a revision.
pub fn insert_revision(conn: &mut DbConn, revision: &NewRevision<'_>) -> QueryResult<()> {
    diesel::insert_into(article_revisions::table)
        .values(revision)
        .execute(conn)
        .map(|_| ())
}

/// A revision with its editor's display name.
pub type RevisionRow = (
    i64,
    String,
    String,
    NaiveDateTime,
    Option<String>,
    Option<String>,
);

/// An article's revisions, newest first, older than `before_version`.
pub fn revisions(
    conn: &mut DbConn,
    article_id: &str,
    before_version: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RevisionRow>> {
    let mut query = article_revisions::table
        .left_join(users::table.on(article_revisions::editor_id.eq(users::id.nullable())))
        .filter(article_revisions::article_id.eq(article_id))
        .order(article_revisions::version.desc())
        .limit(limit)
        .select((
            article_revisions::version,
            article_revisions::action,
            article_revisions::changed,
            article_revisions::created_at,
            article_revisions::editor_id,
            users::display_name.nullable(),
        ))
        .into_boxed();
    if let Some(v) = before_version {
        query = query.filter(article_revisions::version.lt(v));
    }
    query.load(conn)
}

/// Which articles a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Published and due: what the public sees.
    Public,
    /// Published with a future time.
    Scheduled,
    /// Drafts.
    Draft,
    /// Archived.
    Archived,
    /// Everything (editors).
    Any,
}

impl Scope {
    /// Whether the list is ordered by publication time (else by creation).
    pub fn by_publication(self) -> bool {
        matches!(self, Self::Public | Self::Scheduled)
    }
}

/// A position in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// After this (published_at, id), newest first.
    Published(NaiveDateTime, String),
    /// After this id, newest first.
    Created(String),
    /// After this many search results.
    Offset(i64),
}

impl Position {
    /// How many search results a position is after (0 at the start or for a cursor).
    pub fn offset(after: Option<&Self>) -> i64 {
        match after {
            Some(Self::Offset(n)) => *n,
            _ => 0,
        }
    }

    /// The (published_at, id) a position is after, if it is one.
    fn published(after: Option<&Self>) -> Option<(NaiveDateTime, &str)> {
        match after {
            Some(Self::Published(at, id)) => Some((*at, id.as_str())),
            _ => None,
        }
    }
}

/// Filters of a list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub tag: Option<String>,
    pub section: Option<String>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub published_after: Option<NaiveDateTime>,
    pub published_before: Option<NaiveDateTime>,
    /// Full-text search terms, already reduced to words.
    pub terms: Option<Vec<String>>,
}

/// The one upper bound on the publication time of a public list: the tightest of "due by now",
/// `published_before` and the cursor, since each of the others follows from it. With more than
/// one, SQLite's planner may start the index range at the wrong one (`<= now`) and walk the list
/// from its newest end to a deep cursor; with one, the range starts where the page does whatever
/// the planner knows of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Upper<'a> {
    /// `at < t`.
    Before(NaiveDateTime),
    /// After a cursor, newest first: `at <= t AND (at < t OR id < i)`.
    After(NaiveDateTime, &'a str),
    /// `at <= t`.
    AtMost(NaiveDateTime),
}

impl<'a> Upper<'a> {
    fn tightest(
        now: NaiveDateTime,
        before: Option<NaiveDateTime>,
        cursor: Option<(NaiveDateTime, &'a str)>,
    ) -> Self {
        // At the same time, `< t` excludes more than a cursor at t, which excludes more than `<= t`.
        let key = |u: &Self| match *u {
            Self::Before(t) => (t, 0),
            Self::After(t, _) => (t, 1),
            Self::AtMost(t) => (t, 2),
        };
        [
            before.map(Self::Before),
            cursor.map(|(t, id)| Self::After(t, id)),
        ]
        .into_iter()
        .flatten()
        .fold(Self::AtMost(now), |best, u| {
            if key(&u) < key(&best) { u } else { best }
        })
    }
}

/// Applies an [`Upper`] bound on a (time, id) pair of columns.
macro_rules! below {
    ($query:expr, $upper:expr, $at:expr, $id:expr) => {
        match $upper {
            Upper::Before(t) => $query.filter($at.lt(t)),
            Upper::AtMost(t) => $query.filter($at.le(t)),
            Upper::After(t, id) => {
                $query.filter($at.le(t).and($at.lt(t).or($id.lt(id.to_owned()))))
            }
        }
    };
}

/// Applies a list's scope and filters to a boxed query over `articles` (alone or joined); for
/// the public scope also the cursor (for the others, [`list`] applies it).
macro_rules! filtered {
    ($query:expr, $scope:expr, $filter:expr, $now:expr, $cursor:expr) => {{
        let mut query = $query;
        let (scope, filter, now): (Scope, &Filter, NaiveDateTime) = ($scope, $filter, $now);
        query = match scope {
            Scope::Public => below!(
                query.filter(articles::status.eq("published")),
                Upper::tightest(now, filter.published_before, $cursor),
                articles::published_at,
                articles::id
            ),
            Scope::Scheduled => query
                .filter(articles::status.eq("published"))
                .filter(articles::published_at.gt(now)),
            Scope::Draft => query.filter(articles::status.eq("draft")),
            Scope::Archived => query.filter(articles::status.eq("archived")),
            Scope::Any => query,
        };
        // For the public list these use the (tag | author, public_at) indexes.
        let public = scope == Scope::Public;
        if let Some(tag) = &filter.tag {
            let links = article_tags::table.filter(article_tags::tag.eq(tag.clone()));
            query = if public {
                query.filter(
                    articles::id.eq_any(
                        links
                            .filter(article_tags::public_at.le(now))
                            .select(article_tags::article_id),
                    ),
                )
            } else {
                query.filter(articles::id.eq_any(links.select(article_tags::article_id)))
            };
        }
        if let Some(author) = &filter.author {
            let links = article_authors::table.filter(article_authors::user_id.eq(author.clone()));
            query = if public {
                query.filter(
                    articles::id.eq_any(
                        links
                            .filter(article_authors::public_at.le(now))
                            .select(article_authors::article_id),
                    ),
                )
            } else {
                query.filter(articles::id.eq_any(links.select(article_authors::article_id)))
            };
        }
        if let Some(section) = &filter.section {
            query = query.filter(articles::section.eq(section.clone()));
        }
        if let Some(language) = &filter.language {
            query = query.filter(articles::language.eq(language.clone()));
        }
        if let Some(after) = filter.published_after {
            query = query.filter(articles::published_at.ge(after));
        }
        if !public && let Some(before) = filter.published_before {
            query = query.filter(articles::published_at.lt(before));
        }
        query
    }};
}

/// One page of public cards from a link table (`article_tags` by tag, `article_authors` by
/// user), newest first: a single range of its `(key, public_at, article_id)` index joined by key
/// to the stored summaries, however many articles the tag or author has. The link rows' public
/// time is the database's copy of each article's (migration `link_public_at`), so `articles` is
/// not read.
macro_rules! link_cards {
    ($conn:expr, $table:ident, $key:ident, $value:expr, $filter:expr, $cursor:expr, $limit:expr, $now:expr) => {{
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
        if let Some(after) = $filter.published_after {
            query = query.filter($table::public_at.ge(after));
        }
        let rows: Vec<(String, Option<NaiveDateTime>, Option<i32>, Option<String>)> = below!(
            query,
            Upper::tightest($now, $filter.published_before, $cursor),
            $table::public_at,
            $table::article_id
        )
        .load($conn)?;
        rows.into_iter()
            .map(|(id, published_at, format, summary)| Card {
                id,
                published_at,
                summary: summary.filter(|_| format == Some(super::summaries::FORMAT)),
            })
            .collect()
    }};
}

/// How PostgreSQL is to plan a list's statements. The public list, whole or by one tag or one
/// author, reads one range of one index whatever the values (see [`public_cards`]), so its plans
/// are reused; a search, and every other combination of filters, is planned for its values.
pub fn plans(scope: Scope, filter: &Filter) -> Plans {
    let one_range = scope == Scope::Public
        && filter.terms.is_none()
        && filter.section.is_none()
        && filter.language.is_none()
        && !(filter.tag.is_some() && filter.author.is_some());
    if one_range {
        Plans::Reused
    } else {
        Plans::ForValues
    }
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
        scope,
        filter,
        now,
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
/// while stale (see [`super::summaries`]).
#[derive(Debug, Clone)]
pub struct Card {
    pub id: String,
    pub published_at: Option<NaiveDateTime>,
    pub summary: Option<String>,
}

/// One page of a public search for `terms` (`limit` articles from the cursor's offset): the
/// same articles in the same order as [`list`] in [`Scope::Public`], as ids; their cards are
/// read by [`cards_of`] (or known already, see [`super::summaries::Known`]).
pub fn public_search(
    conn: &mut DbConn,
    filter: &Filter,
    terms: &[String],
    after: Option<&Position>,
    limit: i64,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> QueryResult<Vec<String>> {
    let page = Page {
        offset: Position::offset(after),
        limit,
    };
    search(conn, Scope::Public, filter, terms, page, now, recent)
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
    if filter.section.is_none() && filter.language.is_none() {
        match (&filter.tag, &filter.author) {
            (Some(tag), None) => {
                return Ok(link_cards!(
                    conn,
                    article_tags,
                    tag,
                    tag,
                    filter,
                    cursor,
                    limit,
                    now
                ));
            }
            (None, Some(author)) => {
                return Ok(link_cards!(
                    conn,
                    article_authors,
                    user_id,
                    author,
                    filter,
                    cursor,
                    limit,
                    now
                ));
            }
            _ => {}
        }
    }
    let rows = filtered!(
        articles::table
            .left_join(article_summaries::table)
            .select(card_columns())
            .into_boxed(),
        Scope::Public,
        filter,
        now,
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
pub fn cards_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<Card>> {
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
type CardRow = (
    String,
    String,
    Option<NaiveDateTime>,
    Option<i32>,
    Option<String>,
);

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
        .filter(|(_, status, _, _, _)| status == "published")
        .map(|(id, _, published_at, format, summary)| Card {
            id,
            published_at,
            summary: summary.filter(|_| format == Some(super::summaries::FORMAT)),
        })
        .collect()
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
fn search(
    conn: &mut DbConn,
    scope: Scope,
    filter: &Filter,
    terms: &[String],
    Page { offset, limit }: Page,
    now: NaiveDateTime,
    recent: Option<NaiveDateTime>,
) -> QueryResult<Vec<String>> {
    let take = |n: i64| usize::try_from(n).unwrap_or(0);
    let mut ids: Vec<String> = Vec::new();
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
        let mut ranked: Vec<(Tier, String)> = hits
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
struct Page {
    offset: i64,
    limit: i64,
}

/// The summary rows of `ids`, in the order of `ids` (articles that are gone are left out).
pub(crate) fn summaries_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<SummaryRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<SummaryRow> = among!(conn, articles::table.into_boxed(), articles::id, ids)
        .select(SUMMARY_COLUMNS)
        .load(conn)?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.id));
    Ok(rows)
}

/// The search's tiers: all terms in the headline, all in the headline or standfirst, elsewhere.
type Tier = u8;

/// A match of a search: its id, and the headline and standfirst its tier is read from.
#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    id: String,
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
        scope,
        filter,
        now,
        None
    )
    .filter(pg_search::Matches(terms.join(" ")));
    if let Some(since) = since {
        query = query.filter(pg_search::PublishedSince(since));
    }
    let rows: Vec<(String, String, String)> = query
        .order((articles::published_at.desc(), articles::id.desc()))
        .limit(page.limit)
        .offset(page.offset)
        .load(c)?;
    Ok(rows
        .into_iter()
        .map(|(id, title, standfirst)| Hit {
            id,
            title,
            standfirst,
        })
        .collect())
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
    /// that looks no costlier, and the one it took at 10,000 articles walked the publication
    /// index and tested every article: 924 searches/s (1.7 ms of PostgreSQL each) against
    /// 1,649/s (0.76 ms) unprepared. At a million articles preparing it saved nothing
    /// measurable.
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
            // that from the publication-time index without a second walk of the same matches
            // (at 10,000 articles a search read every match twice).
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

    /// The scope's and the filter's conditions on `articles`, each after an `AND`.
    fn filtered(&mut self, scope: Scope, filter: &Filter, now: NaiveDateTime) -> &mut Self {
        match scope {
            Scope::Public => {
                self.push(" AND articles.status = 'published' AND articles.published_at <= ")
                    .bind(Bind::Time(now));
            }
            Scope::Scheduled => {
                self.push(" AND articles.status = 'published' AND articles.published_at > ")
                    .bind(Bind::Time(now));
            }
            Scope::Draft => {
                self.push(" AND articles.status = 'draft'");
            }
            Scope::Archived => {
                self.push(" AND articles.status = 'archived'");
            }
            Scope::Any => {}
        }
        let conditions = [
            (
                &filter.tag,
                " AND articles.id IN (SELECT article_id FROM article_tags WHERE tag = ",
                ")",
            ),
            (
                &filter.author,
                " AND articles.id IN (SELECT article_id FROM article_authors WHERE user_id = ",
                ")",
            ),
            (&filter.section, " AND articles.section = ", ""),
            (&filter.language, " AND articles.language = ", ""),
        ];
        for (value, condition, close) in conditions {
            if let Some(value) = value {
                self.push(condition)
                    .bind(Bind::Text(value.clone()))
                    .push(close);
            }
        }
        if let Some(after) = filter.published_after {
            self.push(" AND articles.published_at >= ")
                .bind(Bind::Time(after));
        }
        if let Some(before) = filter.published_before {
            self.push(" AND articles.published_at < ")
                .bind(Bind::Time(before));
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
        .filtered(scope, filter, now)
        .push(" ORDER BY articles_fts.rowid DESC LIMIT ")
        .bind(Bind::Int(page.limit))
        .push(" OFFSET ")
        .bind(Bind::Int(page.offset));
    sql.load_sqlite(conn)
}

#[cfg(test)]
mod tests {
    use super::{Filter, Scope, Upper, plans};
    use crate::db::Plans;
    use chrono::NaiveDateTime;

    #[test]
    fn only_the_public_lists_of_one_index_range_reuse_their_plans() {
        let with = |f: fn(&mut Filter)| {
            let mut filter = Filter::default();
            f(&mut filter);
            filter
        };
        let tag = |f: &mut Filter| f.tag = Some("canal".to_owned());
        let author = |f: &mut Filter| f.author = Some("u1".to_owned());
        for filter in [Filter::default(), with(tag), with(author)] {
            assert_eq!(plans(Scope::Public, &filter), Plans::Reused, "{filter:?}");
        }
        let planned_for_values = [
            with(|f| f.terms = Some(vec!["canal".to_owned()])),
            with(|f| f.section = Some("world".to_owned())),
            with(|f| f.language = Some("en".to_owned())),
            with(|f| {
                f.tag = Some("canal".to_owned());
                f.author = Some("u1".to_owned());
            }),
        ];
        for filter in &planned_for_values {
            assert_eq!(plans(Scope::Public, filter), Plans::ForValues, "{filter:?}");
        }
        for scope in [Scope::Scheduled, Scope::Draft, Scope::Archived, Scope::Any] {
            assert_eq!(
                plans(scope, &Filter::default()),
                Plans::ForValues,
                "{scope:?}"
            );
        }
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn the_public_list_has_one_upper_bound_the_tightest() {
        let now = t("2026-11-27 10:00:00");
        assert_eq!(Upper::tightest(now, None, None), Upper::AtMost(now));
        let at = t("2025-01-01 00:00:00");
        // A cursor in the past bounds the page; one in the future (crafted) changes nothing.
        assert_eq!(
            Upper::tightest(now, None, Some((at, "b"))),
            Upper::After(at, "b")
        );
        let future = t("2030-01-01 00:00:00");
        assert_eq!(
            Upper::tightest(now, None, Some((future, "b"))),
            Upper::AtMost(now)
        );
        // `published_before` wins when earlier, and at the same instant (`<` excludes more).
        let before = t("2024-06-01 00:00:00");
        assert_eq!(
            Upper::tightest(now, Some(before), Some((at, "b"))),
            Upper::Before(before)
        );
        assert_eq!(
            Upper::tightest(now, Some(at), Some((at, "b"))),
            Upper::Before(at)
        );
        assert_eq!(Upper::tightest(now, Some(now), None), Upper::Before(now));
        assert_eq!(Upper::tightest(now, Some(future), None), Upper::AtMost(now));
    }
}
