//! An article's status: as stored (`articles.status`), and as the API shows it.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::ArticleRow;

/// Where an article is in its life. `scheduled` is published with a time still to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being written; only staff see it.
    Draft,
    /// Will become public by itself at `published_at`.
    Scheduled,
    /// Public.
    Published,
    /// Taken down and kept for the record; only staff see it.
    Archived,
}

impl Status {
    /// The status of a row at `now`.
    pub fn of(row: &ArticleRow, now: NaiveDateTime) -> Self {
        Self::at(row.status, row.published_at, now)
    }

    /// The status of an article stored as `status`, published at `published_at`, at `now`.
    pub fn at(
        status: StoredStatus,
        published_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Self {
        match (status, published_at) {
            (StoredStatus::Published, Some(at)) if at > now => Self::Scheduled,
            (StoredStatus::Published, _) => Self::Published,
            (StoredStatus::Archived, _) => Self::Archived,
            (StoredStatus::Draft, _) => Self::Draft,
        }
    }
}

/// The status column of `articles`: text on both backends, one of these three (a `CHECK`
/// constraint keeps it so). A scheduled article is stored as published with a future time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum StoredStatus {
    /// `draft`.
    Draft,
    /// `published` (due or scheduled).
    Published,
    /// `archived`.
    Archived,
}

impl StoredStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }
}

impl<DB: Backend> ToSql<Text, DB> for StoredStatus
where
    str: ToSql<Text, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.as_str().to_sql(out)
    }
}

impl<DB: Backend> FromSql<Text, DB> for StoredStatus
where
    String: FromSql<Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        match String::from_sql(bytes)?.as_str() {
            "draft" => Ok(Self::Draft),
            "published" => Ok(Self::Published),
            "archived" => Ok(Self::Archived),
            other => Err(format!("unknown article status `{other}`").into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StoredStatus;

    #[test]
    fn a_stored_status_is_its_text_in_json_too() {
        for status in [
            StoredStatus::Draft,
            StoredStatus::Published,
            StoredStatus::Archived,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
