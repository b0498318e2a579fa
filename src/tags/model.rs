//! Tag rows, counts of published articles per tag, and merges (the same SQL on both backends).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::DbConn;
use crate::db::schema::{article_tags, tags};

/// A row of `tags`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tags)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TagRow {
    pub slug: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub merged_into: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A tag and how many published articles carry it.
#[derive(Debug, Clone, QueryableByName)]
pub struct TagCount {
    #[diesel(sql_type = Text)]
    pub slug: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// How a list of tags is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By slug, A to Z.
    Name,
    /// Most published articles first, then by slug.
    Count,
}

/// Where a page of tags starts: after this tag (and, by count, this count).
#[derive(Debug, Clone)]
pub struct After {
    pub slug: String,
    pub n: i64,
}

/// A page of the tags that published articles (public by `now`) carry, with their counts.
pub fn counted(
    conn: &mut DbConn,
    order: Order,
    after: Option<&After>,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<TagCount>> {
    let base = "SELECT tag AS slug, count(*) AS n FROM article_tags \
                WHERE public_at IS NOT NULL AND public_at <= $1";
    match (order, after) {
        (Order::Name, None) => {
            diesel::sql_query(format!("{base} GROUP BY tag ORDER BY tag LIMIT $2"))
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(conn)
        }
        (Order::Name, Some(after)) => diesel::sql_query(format!(
            "{base} AND tag > $2 GROUP BY tag ORDER BY tag LIMIT $3"
        ))
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(&after.slug)
        .bind::<BigInt, _>(limit)
        .load(conn),
        (Order::Count, None) => diesel::sql_query(format!(
            "{base} GROUP BY tag ORDER BY count(*) DESC, tag LIMIT $2"
        ))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn),
        (Order::Count, Some(after)) => diesel::sql_query(format!(
            "{base} GROUP BY tag HAVING count(*) < $2 OR (count(*) = $2 AND tag > $3) \
             ORDER BY count(*) DESC, tag LIMIT $4"
        ))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(after.n)
        .bind::<Text, _>(&after.slug)
        .bind::<BigInt, _>(limit)
        .load(conn),
    }
}

/// How many published articles (public by `now`) carry `slug`.
pub fn count_published(conn: &mut DbConn, slug: &str, now: NaiveDateTime) -> QueryResult<i64> {
    article_tags::table
        .filter(article_tags::tag.eq(slug))
        .filter(article_tags::public_at.le(now))
        .count()
        .get_result(conn)
}

/// Whether any article (in any state) carries `slug`.
pub fn used(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_tags::table.filter(article_tags::tag.eq(slug)),
    ))
    .get_result(conn)
}

/// The row of `slug`, if it has one.
pub fn find(conn: &mut DbConn, slug: &str) -> QueryResult<Option<TagRow>> {
    tags::table
        .find(slug)
        .select(TagRow::as_select())
        .first(conn)
        .optional()
}

/// The rows of these slugs.
pub fn find_many(conn: &mut DbConn, slugs: &[String]) -> QueryResult<Vec<TagRow>> {
    tags::table
        .filter(tags::slug.eq_any(slugs))
        .select(TagRow::as_select())
        .load(conn)
}

/// The tag `slug` stands for now: the one it was merged into, else itself.
pub fn current(conn: &mut DbConn, slug: &str) -> QueryResult<String> {
    Ok(find(conn, slug)?
        .and_then(|row| row.merged_into)
        .unwrap_or_else(|| slug.to_owned()))
}

/// `tags` with each merged tag replaced by the one it was merged into, without repeats.
pub fn current_all(conn: &mut DbConn, tags: &[String]) -> QueryResult<Vec<String>> {
    let merged: std::collections::HashMap<String, String> = find_many(conn, tags)?
        .into_iter()
        .filter_map(|row| row.merged_into.map(|into| (row.slug, into)))
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for tag in tags {
        let tag = merged.get(tag).unwrap_or(tag);
        if !out.contains(tag) {
            out.push(tag.clone());
        }
    }
    Ok(out)
}

/// Inserts or overwrites the row of `row.slug` (the caller read it in this transaction).
pub fn save(conn: &mut DbConn, row: &TagRow, existed: bool) -> QueryResult<()> {
    if existed {
        diesel::update(tags::table.find(&row.slug))
            .set((
                tags::name.eq(&row.name),
                tags::description.eq(&row.description),
                tags::merged_into.eq(&row.merged_into),
                tags::version.eq(row.version),
                tags::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(tags::table).values(row).execute(conn)?;
    }
    Ok(())
}

/// Moves every article tagged `from` to `into` (an article with both keeps `into` where it
/// was), and points the tags merged into `from` at `into`. The summary triggers make those
/// articles' cards stale in the same transaction.
pub fn move_articles(conn: &mut DbConn, from: &str, into: &str) -> QueryResult<()> {
    diesel::sql_query(
        "DELETE FROM article_tags WHERE tag = $1 \
         AND article_id IN (SELECT article_id FROM article_tags WHERE tag = $2)",
    )
    .bind::<Text, _>(from)
    .bind::<Text, _>(into)
    .execute(conn)?;
    diesel::update(article_tags::table.filter(article_tags::tag.eq(from)))
        .set(article_tags::tag.eq(into))
        .execute(conn)?;
    diesel::update(tags::table.filter(tags::merged_into.eq(from)))
        .set(tags::merged_into.eq(into))
        .execute(conn)?;
    Ok(())
}
