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

/// A JSON text column, decoded as the row is read (`#[diesel(deserialize_as = String)]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned> TryFrom<String> for Json<T> {
    type Error = serde_json::Error;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        serde_json::from_str(&text).map(Self)
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
