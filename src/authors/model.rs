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
}

/// A profile and the name on its bylines.
pub type Named = (AuthorRow, String);

/// The profile with this slug and its byline name.
pub fn find(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Named>> {
    authors::table
        .inner_join(users::table.on(authors::user_id.eq(users::id.nullable())))
        .filter(authors::slug.eq(slug))
        .select((AuthorRow::as_select(), users::display_name))
        .first(conn)
        .optional()
}

/// Whether the author has a byline on an article public by `now`.
pub fn bylined(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        article_authors::table
            .filter(article_authors::user_id.eq(user_id))
            .filter(article_authors::public_at.le(now)),
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
        .inner_join(users::table.on(authors::user_id.eq(users::id.nullable())))
        .filter(diesel::dsl::exists(
            article_authors::table
                .filter(article_authors::user_id.nullable().eq(authors::user_id))
                .filter(article_authors::public_at.le(now)),
        ))
        .select((AuthorRow::as_select(), users::display_name))
        .order(authors::slug.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(authors::slug.gt(after.to_owned()));
    }
    query.load(conn)
}

/// The user whose profile has this slug.
pub fn user_of(conn: &mut DbConn, slug: &str) -> QueryResult<Option<String>> {
    Ok(authors::table
        .filter(authors::slug.eq(slug))
        .select(authors::user_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
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
    let have: Vec<Option<String>> = authors::table
        .filter(authors::user_id.eq_any(ids))
        .select(authors::user_id)
        .load(conn)?;
    Ok(ids
        .iter()
        .filter(|id| !have.iter().any(|h| h.as_deref() == Some(**id)))
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
        let base = slugify(&name);
        let mut slug = base.clone();
        let mut n = 2;
        while slug_taken(conn, &slug, &id)? {
            slug = format!("{base}-{n}");
            n += 1;
        }
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
        authors::version.eq(row.version),
        authors::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
