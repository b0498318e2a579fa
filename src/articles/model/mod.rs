//! Article rows and their queries, grouped by concern.

/// Starts a boxed query's `WHERE` with `column IN (ids)` so that its statement is prepared once
/// per connection and then reused. diesel never caches a statement with `eq_any` over a list,
/// and preparing the small per-page queries cost more than running them on SQLite: there it is
/// written `column = ? OR …` over the ids padded to a power of two (repeating the last), which
/// SQLite turns back into an `IN` on the index. PostgreSQL plans such a chain as one index scan
/// per term, so there it stays `eq_any`. `ids` must not be empty; further `.filter`s are ANDed
/// after the group.
macro_rules! among {
    ($conn:expr, $query:expr, $column:expr, $ids:expr) => {{
        let ids: &[crate::ids::ArticleId] = $ids;
        match $conn {
            DbConn::Pg(_) => $query.filter($column.eq_any(ids)),
            DbConn::Sqlite(_) => or_chain!($query, $column, ids),
        }
    }};
}

/// SQLite's half of [`among!`]: `column = ? OR …` over `ids` padded to a power of two.
macro_rules! or_chain {
    ($query:expr, $column:expr, $ids:expr) => {{
        let ids: &[crate::ids::ArticleId] = $ids;
        let last = ids.len().saturating_sub(1);
        let mut query = $query.filter($column.eq(ids[0].clone()));
        for i in 1..ids.len().next_power_of_two() {
            query = query.or_filter($column.eq(ids[i.min(last)].clone()));
        }
        query
    }};
}

/// A JSON text column (`Text` on both backends), decoded as the row is read: a value that does
/// not decode fails the read, as a stored status that is not one fails it.
#[derive(Debug, Clone, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub struct Json<T>(pub T);

impl<T, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Json<T>
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
    T: serde::de::DeserializeOwned,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        Ok(Self(serde_json::from_str(&String::from_sql(bytes)?)?))
    }
}

/// A JSON text column decoded as the row is read, for rows read in batches where one bad value
/// must fail only its own row's use: the decoding error is kept for the use site to report.
#[derive(Debug, Clone, diesel::deserialize::FromSqlRow)]
pub struct JsonOrError<T>(pub Result<T, String>);

impl<T, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for JsonOrError<T>
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
    T: serde::de::DeserializeOwned,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = String::from_sql(bytes)?;
        Ok(Self(serde_json::from_str(&text).map_err(|e| e.to_string())))
    }
}

#[macro_use]
mod filter;
mod lists;
mod matches;
mod relations;
mod revisions;
mod rows;

pub use self::filter::{Filter, Position, Scope, plans};
pub(crate) use self::lists::summaries_of;
pub use self::lists::{Card, cards_of, list, public_cards};
pub use self::matches::{SEARCH_WINDOW, public_search};
pub use self::relations::*;
pub use self::revisions::*;
pub use self::rows::*;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::{Nullable, Text};

    use super::{Json, JsonOrError};
    use crate::articles::FeaturedImage;

    #[test]
    fn a_json_column_decodes_in_the_row_and_a_bad_value_fails_the_read() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let featured = r#"{"image_id":"i1","caption_id":null}"#;
        let read: Json<FeaturedImage> = diesel::select(featured.into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(read.0.image_id.as_str(), "i1");
        let absent: Option<Json<FeaturedImage>> =
            diesel::select(None::<String>.into_sql::<Nullable<Text>>())
                .get_result(&mut conn)
                .unwrap();
        assert!(absent.is_none());
        let bad = diesel::select("{not json".into_sql::<Text>())
            .get_result::<Json<FeaturedImage>>(&mut conn);
        assert!(bad.is_err());
    }

    #[test]
    fn a_json_or_error_column_keeps_a_bad_value_for_its_use() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let (good, bad): (JsonOrError<Vec<String>>, JsonOrError<Vec<String>>) = diesel::select((
            r#"["a"]"#.into_sql::<Text>(),
            "{not json".into_sql::<Text>(),
        ))
        .get_result(&mut conn)
        .unwrap();
        assert_eq!(good.0.unwrap(), ["a"]);
        assert!(bad.0.is_err());
    }
}
