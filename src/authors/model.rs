//! Author rows and their queries (the same SQL on both backends).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::articles::slug::slugify;
use crate::db::DbConn;
use crate::db::schema::{article_authors, authors, users};
use crate::error::ApiResult;
use crate::ids::UserId;

/// A row of `authors`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authors)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct AuthorRow {
    pub id: String,
    pub user_id: Option<String>,
    pub slug: String,
    pub job_title: Option<String>,
    pub bio: Option<String>,
    pub avatar_image_id: Option<String>,
    pub website: Option<String>,
    pub social: String,
    pub contact_email: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A guest's name; `None` for staff, whose bylines show their account's name.
    pub display_name: Option<String>,
}

/// A profile and the name on its bylines.
pub type Named = (AuthorRow, String);

/// A profile and its account's name (none for a guest), as both reads select them.
fn named((row, account): (AuthorRow, Option<String>)) -> Named {
    let name = account.or_else(|| row.display_name.clone());
    (row, name.unwrap_or_default())
}

/// The profile with this slug and its byline name.
pub fn find(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Named>> {
    Ok(authors::table
        .left_join(users::table.on(authors::user_id.eq(users::id.nullable())))
        .filter(authors::slug.eq(slug))
        .select((AuthorRow::as_select(), users::display_name.nullable()))
        .first(conn)
        .optional()?
        .map(named))
}

/// Whether the author has a byline on an article public by `now`.
pub fn bylined(conn: &mut DbConn, author_id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_authors::table
            .filter(article_authors::user_id.eq(author_id))
            .filter(article_authors::public_at.le(now)),
    ))
    .get_result(conn)
}

/// Whether any article, draft or not, has the author on its byline.
pub fn bylined_anywhere(conn: &mut DbConn, author_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_authors::table.filter(article_authors::user_id.eq(author_id)),
    ))
    .get_result(conn)
}

/// A page of the profiles with a byline on an article public by `now`, by slug.
pub fn list_bylined(
    conn: &mut DbConn,
    after: Option<&str>,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Named>> {
    let mut query = authors::table
        .left_join(users::table.on(authors::user_id.eq(users::id.nullable())))
        .filter(diesel::dsl::exists(
            article_authors::table
                .filter(article_authors::user_id.eq(authors::id))
                .filter(article_authors::public_at.le(now)),
        ))
        .select((AuthorRow::as_select(), users::display_name.nullable()))
        .order(authors::slug.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(authors::slug.gt(after.to_owned()));
    }
    Ok(query.load(conn)?.into_iter().map(named).collect())
}

/// The id (what bylines hold) of the profile with this slug.
pub fn author_of(conn: &mut DbConn, slug: &str) -> QueryResult<Option<String>> {
    authors::table
        .filter(authors::slug.eq(slug))
        .select(authors::id)
        .first::<String>(conn)
        .optional()
}

/// The slug and job title of each of the profiles `ids` (byline ids), keyed by id: what a link
/// to an author's page on the site needs.
pub fn slugs_of(
    conn: &mut DbConn,
    ids: &[String],
) -> QueryResult<std::collections::HashMap<String, (String, Option<String>)>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(authors::table
        .filter(authors::id.eq_any(ids))
        .select((authors::id, authors::slug, authors::job_title))
        .load::<(String, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, slug, job)| (id, (slug, job)))
        .collect())
}

/// Which of `ids` are author profiles or users (whose profile [`ensure`] makes). On PostgreSQL
/// the rows stay locked (`FOR SHARE`) until the caller's transaction ends, so a rename waits for
/// the byline saved with the name (see `articles::model::existing_users`).
pub fn existing(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    let mut found = crate::articles::model::existing_users(conn, ids)?;
    let query = authors::table
        .filter(authors::id.eq_any(ids))
        .filter(authors::user_id.is_null())
        .select(authors::id);
    let guests: Vec<String> = match conn {
        DbConn::Pg(c) => query.for_share().load(c)?,
        DbConn::Sqlite(c) => query.load(c)?,
    };
    found.extend(guests.into_iter().map(UserId::from));
    Ok(found)
}

/// Adds a guest's profile.
pub fn insert(conn: &mut DbConn, row: &AuthorRow) -> QueryResult<()> {
    diesel::insert_into(authors::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Removes a profile.
pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(authors::table.filter(authors::id.eq(id)))
        .execute(conn)
        .map(drop)
}

/// The first free one of `base`, `base-2`, `base-3`, … (`except` may hold it).
pub fn free_slug(conn: &mut DbConn, base: &str, except: &str) -> QueryResult<String> {
    let mut slug = base.to_owned();
    let mut n = 2;
    while slug_taken(conn, &slug, except)? {
        slug = format!("{base}-{n}");
        n += 1;
    }
    Ok(slug)
}

/// Whether another profile than `except` has this slug.
pub fn slug_taken(conn: &mut DbConn, slug: &str, except: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        authors::table
            .filter(authors::slug.eq(slug))
            .filter(authors::id.ne(except)),
    ))
    .get_result(conn)
}

/// Those of these users who have no profile.
fn missing(conn: &mut DbConn, ids: &[&str]) -> QueryResult<Vec<String>> {
    // A staff profile's id is its user's id; a guest's id is its own.
    let have: Vec<String> = authors::table
        .filter(authors::id.eq_any(ids))
        .select(authors::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .filter(|id| !have.iter().any(|h| h == *id))
        .map(|id| (*id).to_owned())
        .collect())
}

/// Gives each of these users a profile if they have none (a slug made from their display name,
/// numbered when taken), so that every byline links to one.
pub fn ensure(conn: &mut DbConn, user_ids: &[UserId]) -> ApiResult<()> {
    let ids: Vec<&str> = user_ids.iter().map(UserId::as_str).collect();
    if missing(conn, &ids)?.is_empty() {
        return Ok(());
    }
    // Checked again under the lock: another request may have made the profile meanwhile.
    crate::db::lock_key(conn, "authors")?;
    let missing = missing(conn, &ids)?;
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(&missing))
        .select((users::id, users::display_name))
        .load(conn)?;
    for (id, name) in names {
        let slug = free_slug(conn, &slugify(&name), &id)?;
        let now = crate::db::now();
        diesel::insert_into(authors::table)
            .values(&AuthorRow {
                id: id.clone(),
                user_id: Some(id),
                slug,
                job_title: None,
                bio: None,
                avatar_image_id: None,
                website: None,
                social: "[]".to_owned(),
                contact_email: None,
                version: 1,
                created_at: now,
                updated_at: now,
                display_name: None,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Writes `row` over the profile `row.id` if it is still at `expected_version`.
pub fn update(conn: &mut DbConn, row: &AuthorRow, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::update(
        authors::table
            .filter(authors::id.eq(&row.id))
            .filter(authors::version.eq(expected_version)),
    )
    .set((
        authors::slug.eq(&row.slug),
        authors::job_title.eq(&row.job_title),
        authors::bio.eq(&row.bio),
        authors::avatar_image_id.eq(&row.avatar_image_id),
        authors::website.eq(&row.website),
        authors::social.eq(&row.social),
        authors::contact_email.eq(&row.contact_email),
        authors::display_name.eq(&row.display_name),
        authors::version.eq(row.version),
        authors::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
