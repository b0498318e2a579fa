//! Closed sets stored as text: a role, a report's status. The enum derives `AsExpression` and
//! `FromSqlRow` for `Text` and names its variants with `as_str` and `from_stored`;
//! [`text_enum!`] maps it to a `Text` column on both backends (the crates.io `pg_enum!` idea,
//! on a column both databases share). An unknown stored name fails the read.

/// Implements `ToSql`/`FromSql` for `Text` through the enum's `as_str` and `from_stored`;
/// `$what` names it in the error for an unknown stored value.
macro_rules! text_enum {
    ($ty:ty, $what:literal) => {
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $ty
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $ty
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Self::from_stored(&text)
                    .ok_or_else(|| format!("unknown {} in the database: {text}", $what).into())
            }
        }
    };
}

pub(crate) use text_enum;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use crate::corrections::ReportStatus;
    use crate::users::Role;

    #[test]
    fn a_closed_set_reads_back_as_written_and_an_unknown_name_fails() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let text: String = diesel::select(Role::Editor.into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(text, "editor");
        let status: ReportStatus = diesel::select("duplicate".into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(status, ReportStatus::Duplicate);
        let unknown = diesel::select("boss".into_sql::<Text>()).get_result::<Role>(&mut conn);
        assert!(unknown.is_err());
    }
}
