//! User rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::users;
use crate::ids::UserId;
use crate::users::Role;

/// A row of `users` (inserted as it is read).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub email_normalized: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns a PATCH may change; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub disabled: Option<bool>,
}

/// The user with this id.
pub fn find(conn: &mut DbConn, id: &UserId) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// The user with this normalised email.
pub fn find_by_email(conn: &mut DbConn, email_normalized: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email_normalized.eq(email_normalized))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Whether any user exists at all.
pub fn any_exists(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(users::table.select(users::id))).get_result(conn)
}

/// How many enabled admins there are besides `except_id`.
pub fn count_other_active_admins(conn: &mut DbConn, except_id: &UserId) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::disabled.eq(false))
        .filter(users::id.ne(except_id))
        .count()
        .get_result(conn)
}

/// Inserts a user.
pub fn insert(conn: &mut DbConn, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A page of users in creation order, after the user with id `after`.
pub fn list(
    conn: &mut DbConn,
    after: Option<&str>,
    role: Option<Role>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after.to_owned()));
    }
    if let Some(role) = role {
        query = query.filter(users::role.eq(role));
    }
    query.load(conn)
}

/// Applies `changes` if the row is still at `expected_version`; returns whether it was.
pub fn update(
    conn: &mut DbConn,
    id: &UserId,
    expected_version: i64,
    changes: &UserChanges,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        changes,
        users::version.eq(users::version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// What `id` has to their name: (articles they created, articles whose byline names them).
pub fn work_of(conn: &mut DbConn, id: &UserId) -> QueryResult<(i64, i64)> {
    use crate::db::schema::{article_authors, articles};
    let created = articles::table
        .filter(articles::created_by.eq(id))
        .count()
        .get_result(conn)?;
    let bylined = article_authors::table
        .filter(article_authors::user_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok((created, bylined))
}

/// Hands `from`'s articles and bylines to `to`. A byline that names both keeps `to` only, in
/// `to`'s place; the others put `to` where `from` stood.
pub fn reassign_work(conn: &mut DbConn, from: &UserId, to: &UserId) -> QueryResult<()> {
    use crate::db::schema::{article_authors, articles};
    diesel::update(articles::table.filter(articles::created_by.eq(from)))
        .set(articles::created_by.eq(to))
        .execute(conn)?;
    let both: Vec<String> = article_authors::table
        .filter(article_authors::user_id.eq(to))
        .select(article_authors::article_id)
        .load(conn)?;
    diesel::delete(
        article_authors::table
            .filter(article_authors::user_id.eq(from))
            .filter(article_authors::article_id.eq_any(both)),
    )
    .execute(conn)?;
    diesel::update(article_authors::table.filter(article_authors::user_id.eq(from)))
        .set(article_authors::user_id.eq(to))
        .execute(conn)?;
    Ok(())
}

/// Deletes the row if it is still at `expected_version`; returns whether it was.
pub fn delete(conn: &mut DbConn, id: &UserId, expected_version: i64) -> QueryResult<bool> {
    let deleted = diesel::delete(
        users::table
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}
