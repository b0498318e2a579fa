//! Section rows and their queries (the same SQL on both backends).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::articles::slug::slugify;
use crate::db::DbConn;
use crate::db::schema::{articles, sections};
use crate::error::{ApiResult, FieldError};

/// A row of `sections`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sections)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct SectionRow {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub position: i64,
    pub retired: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Every section in navigation order (position, then name); retired ones only when asked.
pub fn list(conn: &mut DbConn, include_retired: bool) -> QueryResult<Vec<SectionRow>> {
    let mut query = sections::table
        .select(SectionRow::as_select())
        .order((sections::position.asc(), sections::name.asc()))
        .into_boxed();
    if !include_retired {
        query = query.filter(sections::retired.eq(false));
    }
    query.load(conn)
}

/// The section with this slug.
pub fn find(conn: &mut DbConn, slug: &str) -> QueryResult<Option<SectionRow>> {
    sections::table
        .find(slug)
        .select(SectionRow::as_select())
        .first(conn)
        .optional()
}

/// The section `value` names: by its slug, else by its name.
pub fn resolve(conn: &mut DbConn, value: &str) -> QueryResult<Option<SectionRow>> {
    if let Some(row) = find(conn, value)? {
        return Ok(Some(row));
    }
    sections::table
        .filter(sections::name.eq(value))
        .select(SectionRow::as_select())
        .first(conn)
        .optional()
}

/// Whether another section than `except` has this slug or this name: (slug taken, name taken).
pub fn taken(
    conn: &mut DbConn,
    slug: &str,
    name: &str,
    except: Option<&str>,
) -> QueryResult<(bool, bool)> {
    let others: Vec<(String, String)> = sections::table
        .filter(sections::slug.eq(slug).or(sections::name.eq(name)))
        .select((sections::slug, sections::name))
        .load(conn)?;
    let others = others.iter().filter(|(s, _)| Some(s.as_str()) != except);
    let (mut slug_taken, mut name_taken) = (false, false);
    for (s, n) in others {
        slug_taken |= s == slug;
        name_taken |= n == name;
    }
    Ok((slug_taken, name_taken))
}

/// Whether a section has this slug.
pub fn slug_exists(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sections::table.filter(sections::slug.eq(slug)),
    ))
    .get_result(conn)
}

/// The position after the last section's.
pub fn next_position(conn: &mut DbConn) -> QueryResult<i64> {
    let last: Option<i64> = sections::table
        .select(diesel::dsl::max(sections::position))
        .first(conn)?;
    Ok(last.map_or(1, |p| p.saturating_add(1)))
}

/// Inserts a section.
pub fn insert(conn: &mut DbConn, row: &SectionRow) -> QueryResult<()> {
    diesel::insert_into(sections::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Writes `row` over the section that had slug `slug` at `expected_version`.
pub fn update(
    conn: &mut DbConn,
    slug: &str,
    row: &SectionRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        sections::table
            .filter(sections::slug.eq(slug))
            .filter(sections::version.eq(expected_version)),
    )
    .set((
        sections::slug.eq(&row.slug),
        sections::name.eq(&row.name),
        sections::description.eq(&row.description),
        sections::position.eq(row.position),
        sections::retired.eq(row.retired),
        sections::version.eq(row.version),
        sections::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Moves every article in the section named `from` to the name `to` (a rename): the summary
/// triggers make their cards stale in the same transaction.
pub fn rename_in_articles(conn: &mut DbConn, from: &str, to: &str) -> QueryResult<usize> {
    diesel::update(articles::table.filter(articles::section.eq(from)))
        .set(articles::section.eq(to))
        .execute(conn)
}

/// Whether any article (in any state) is in the section named `name`.
pub fn in_use(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        articles::table.filter(articles::section.eq(name)),
    ))
    .get_result(conn)
}

/// Deletes the section if it is still at `expected_version`.
pub fn delete(conn: &mut DbConn, slug: &str, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        sections::table
            .filter(sections::slug.eq(slug))
            .filter(sections::version.eq(expected_version)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// The first slug of `base`, `base-2`, `base-3`, … that no section has.
pub fn free_slug(conn: &mut DbConn, base: &str) -> QueryResult<String> {
    let mut free = base.to_owned();
    let mut n = 2;
    while slug_exists(conn, &free)? {
        free = format!("{base}-{n}");
        n += 1;
    }
    Ok(free)
}

/// Creates the section `name` (no other has it) last in the navigation, its slug made from
/// the name; call it with the `sections` lock held.
pub fn create_named(conn: &mut DbConn, name: &str) -> QueryResult<SectionRow> {
    let now = crate::db::now();
    let row = SectionRow {
        slug: free_slug(conn, &slugify(name))?,
        name: name.to_owned(),
        description: None,
        position: next_position(conn)?,
        retired: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    insert(conn, &row)?;
    Ok(row)
}

/// The section an article's `section` field names (by slug or by name), as the name articles
/// store; `field` is where the error goes. A retired section takes no new articles. An unknown
/// one is created when `may_create` (an editor's write: the API has always taken free text),
/// and refused otherwise. Shares the `sections` lock, which a rename holds exclusively, so that
/// no article is written with a name renamed meanwhile while saves do not wait for each other;
/// creating one is done under a lock of its own, and looked up again there, so that two saves
/// naming one new section make it once.
pub fn article_section(
    conn: &mut DbConn,
    value: &str,
    field: &str,
    may_create: bool,
) -> ApiResult<Result<String, FieldError>> {
    crate::db::lock_key_shared(conn, "sections")?;
    let mut found = resolve(conn, value)?;
    if found.is_none() && may_create {
        crate::db::lock_key(conn, "sections:create")?;
        found = resolve(conn, value)?;
    }
    Ok(match found {
        Some(s) if !s.retired => Ok(s.name),
        Some(_) => Err(FieldError::new(
            field,
            "this section is retired: choose another",
        )),
        None if may_create => Ok(create_named(conn, value)?.name),
        None => Err(FieldError::new(
            field,
            "no section has this slug or name: an editor creates it (POST /v1/sections)",
        )),
    })
}
