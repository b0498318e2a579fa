//! `column IN (the keys)` for SQLite as one statement whatever the number of keys, which
//! SQLite prepares once per connection: the keys go in one bind, a JSON array, read back by
//! `json_each`. A list of `column = ?` terms is a statement per count of keys, and diesel
//! writes out its SQL again on every use to find it in the connection's cache, which cost a
//! feed more than running its lookups (`bench/README.md`).

use diesel::expression::{AppearsOnTable, Expression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, sql_types};

/// `column IN (SELECT value FROM json_each(?))`, with `keys` bound as a JSON array of strings.
#[derive(Debug, Clone)]
pub struct InKeys<C> {
    column: C,
    keys: String,
}

/// The same statement for any keys: one per column.
impl<C: QueryId> QueryId for InKeys<C> {
    type QueryId = InKeys<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C: ValidGrouping<()>> ValidGrouping<()> for InKeys<C> {
    type IsAggregate = C::IsAggregate;
}

impl<C> InKeys<C> {
    /// `column` among `keys`.
    pub fn new(column: C, keys: &[String]) -> Self {
        let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".to_owned());
        Self { column, keys }
    }
}

impl<C: Expression> Expression for InKeys<C> {
    type SqlType = sql_types::Bool;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for InKeys<C> where InKeys<C>: Expression {}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InKeys<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<sql_types::Text, _>(&self.keys)?;
        out.push_sql("))");
        Ok(())
    }
}
