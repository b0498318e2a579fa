//! What an article links to: authors, tags, related articles and the images it shows.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::articles::StoredStatus;
use crate::db::DbConn;
use crate::db::schema::{
    article_authors, article_images, article_related, article_tags, articles, authors, users,
};
use crate::ids::{ArticleId, UserId};

/// Replaces an article's authors, tags and related articles. The tag and author rows are written
/// with the article's `public_at`, which the database checks (migration `link_public_at`: it
/// keeps the copy right whatever is written, and updates it when the article's status or time
/// changes); the right value saves SQLite's trigger an update.
pub fn replace_relations(
    conn: &mut DbConn,
    id: &ArticleId,
    authors: &[UserId],
    tags: &[String],
    related: &[ArticleId],
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
pub fn replace_images(
    conn: &mut DbConn,
    id: &ArticleId,
    refs: &[crate::articles::ImageRef],
) -> QueryResult<()> {
    diesel::delete(article_images::table.filter(article_images::article_id.eq(id)))
        .execute(conn)?;
    for crate::articles::ImageRef {
        position,
        image_id,
        caption_id,
        ..
    } in refs
    {
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

/// One author or tag of an article.
#[derive(Debug, Clone, Queryable)]
pub struct RelationRow {
    pub article_id: ArticleId,
    /// In the byline, or among the tags.
    pub position: i32,
    /// The author id (a user's id for staff) or the tag.
    pub value: String,
    /// The author's display name; `None` for a tag.
    pub display_name: Option<String>,
}

/// The name on a byline: the account's for staff, the profile's own for a guest (two primary-key
/// lookups, each left joined so the planner keeps starting from the article's bylines).
const BYLINE_NAME: &str = "coalesce(users.display_name, authors.display_name)";

/// The authors and tags of each of `ids`, in byline and tag order within each article. On
/// PostgreSQL one statement (`UNION ALL`): a round trip less per page. On SQLite, where a
/// statement costs no round trip, the union measured slower than two statements, so it is two
/// (`bench/README.md`).
pub fn relations_of(conn: &mut DbConn, ids: &[ArticleId]) -> QueryResult<Vec<RelationRow>> {
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
                        .left_join(users::table)
                        .left_join(authors::table.on(authors::id.eq(article_authors::user_id)))
                        .into_boxed::<$backend>(),
                    article_authors::article_id
                )
                .select((
                    article_authors::article_id,
                    article_authors::position,
                    article_authors::user_id,
                    diesel::dsl::sql::<diesel::sql_types::Nullable<Text>>(BYLINE_NAME),
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
    rows.sort_by_key(|r| r.position);
    Ok(rows)
}

/// Related article ids of `id`, in order; with `public_at`, only those the public can read
/// at that time. (Two plain lookups rather than a join: without statistics, SQLite's planner
/// would rather walk every published article than the few related ones.)
pub fn related_of(
    conn: &mut DbConn,
    id: &ArticleId,
    public_at: Option<NaiveDateTime>,
) -> QueryResult<Vec<ArticleId>> {
    let related: Vec<ArticleId> = article_related::table
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
    let visible: Vec<ArticleId> = articles::table
        .filter(articles::id.eq_any(&related))
        .filter(articles::status.eq(StoredStatus::Published))
        .filter(articles::published_at.le(now))
        .select(articles::id)
        .load(conn)?;
    Ok(related
        .into_iter()
        .filter(|r| visible.contains(r))
        .collect())
}
