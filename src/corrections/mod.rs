//! Readers' correction reports: flagged by readers, triaged by editors, and published as the
//! article's corrections log.

pub mod handlers;
pub mod locate;
pub mod log;
pub mod model;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::locate::QuoteLocation;
use self::model::ReportRow;

use crate::ids::{ArticleId, ReportId};

/// Where a report is in triage.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[serde(rename_all = "lowercase", try_from = "String")]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum ReportStatus {
    /// Not looked at yet.
    New,
    /// Being looked at.
    Triaged,
    /// The article was wrong; with a public note it joins the corrections log.
    Accepted,
    /// The article stands.
    Rejected,
    /// Another report says the same (`duplicate_of`).
    Duplicate,
}

/// A status is named by its string alone: serde's enum form would also take `{"new": null}`.
impl TryFrom<String> for ReportStatus {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        Self::from_stored(&value).ok_or_else(|| {
            format!(
                "unknown status `{value}`: expected new, triaged, accepted, rejected or duplicate"
            )
        })
    }
}

crate::db::text::text_enum!(ReportStatus, "report status");

impl ReportStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Triaged => "triaged",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Duplicate => "duplicate",
        }
    }

    /// The status named `value` (as stored and shown), if any.
    pub fn from_stored(value: &str) -> Option<Self> {
        [
            Self::New,
            Self::Triaged,
            Self::Accepted,
            Self::Rejected,
            Self::Duplicate,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    /// The workflow: new → triaged → accepted | rejected | duplicate, and a decided report may
    /// be reopened (back to triaged). Staying put is always allowed (to edit notes).
    pub fn may_become(self, to: Self) -> bool {
        use ReportStatus::*;
        self == to
            || matches!(
                (self, to),
                (New, Triaged)
                    | (Triaged, Accepted | Rejected | Duplicate)
                    | (Accepted | Rejected | Duplicate, Triaged)
            )
    }
}

/// A reader's report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// The text the reader highlighted (1–1,000 characters).
    #[schema(min_length = 1, max_length = 1000, example = "two bridges were closed")]
    pub quote: String,
    /// What it should say (up to 5,000 characters); leave it out to just flag the quote.
    #[schema(max_length = 5000, example = "Only one bridge was closed.")]
    pub suggestion: Option<String>,
    /// Anything else (up to 5,000 characters).
    #[schema(max_length = 5000)]
    pub comment: Option<String>,
    /// The reader's name, if they want to give it (never shown publicly).
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// The reader's email, if they want a reply (never shown publicly).
    #[schema(max_length = 254, format = Email)]
    pub email: Option<String>,
    /// Leave empty. (A field people do not see and bots fill in.)
    pub website: Option<String>,
}

/// The answer to a reader.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportReceipt {
    /// The report's id.
    #[schema(value_type = String)]
    pub id: ReportId,
    /// Always `new`.
    pub status: ReportStatus,
    /// Whether the quote was found in the article.
    pub quote_found: bool,
    /// Where it was found.
    pub quote_location: Option<QuoteLocation>,
}

/// A report as editors see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Report {
    #[schema(value_type = String)]
    pub id: ReportId,
    /// The article it is about.
    #[schema(value_type = String)]
    pub article_id: ArticleId,
    pub quote: String,
    pub quote_found: bool,
    pub quote_location: Option<QuoteLocation>,
    /// What the reader says it should say; `null` when they only flagged the quote.
    pub suggestion: Option<String>,
    pub comment: Option<String>,
    /// The reader's name (internal; erased on request).
    pub reporter_name: Option<String>,
    /// The reader's email (internal; erased on request).
    pub reporter_email: Option<String>,
    /// When the reporter's personal data was erased.
    pub reporter_erased_at: Option<DateTime<Utc>>,
    pub status: ReportStatus,
    /// For `duplicate`: the report this one repeats.
    #[schema(value_type = Option<String>)]
    pub duplicate_of: Option<ReportId>,
    /// Internal.
    pub editor_note: Option<String>,
    /// Shown in the article's corrections log once the report is accepted.
    pub public_note: Option<String>,
    /// When the correction was published (accepted with a public note).
    pub corrected_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Report {
    /// The editor view of a row.
    pub fn from_row(row: ReportRow) -> Self {
        let quote_location = match (row.quote_field, row.quote_start, row.quote_end) {
            (Some(field), Some(start), Some(end)) => Some(QuoteLocation {
                field,
                start: usize::try_from(start).unwrap_or(0),
                end: usize::try_from(end).unwrap_or(0),
            }),
            _ => None,
        };
        Self {
            status: row.status,
            id: row.id,
            article_id: row.article_id,
            quote: row.quote,
            quote_found: row.quote_found,
            quote_location,
            // Stored empty when the reader suggested nothing.
            suggestion: Some(row.suggestion).filter(|s| !s.is_empty()),
            comment: row.comment,
            reporter_name: row.reporter_name,
            reporter_email: row.reporter_email,
            reporter_erased_at: row.erased_at.map(|t| t.and_utc()),
            duplicate_of: row.duplicate_of,
            editor_note: row.editor_note,
            public_note: row.public_note,
            corrected_at: row.corrected_at.map(|t| t.and_utc()),
            version: row.version,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

/// An entry of an article's public corrections log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CorrectionEntry {
    /// The report's id.
    #[schema(value_type = String)]
    pub id: ReportId,
    /// What was corrected, in the newsroom's words.
    #[schema(example = "An earlier version said two bridges were closed; only one was.")]
    pub note: String,
    /// When the correction was published.
    pub corrected_at: DateTime<Utc>,
}
