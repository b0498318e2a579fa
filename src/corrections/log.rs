//! The public corrections log of an article, as the article and its log endpoint show it.

use super::CorrectionEntry;
use super::model;
use crate::db::DbConn;
use crate::error::ApiResult;
use crate::ids::ArticleId;

/// The public log of an article.
pub fn log_of(conn: &mut DbConn, article_id: &ArticleId) -> ApiResult<Vec<CorrectionEntry>> {
    Ok(model::public_log(conn, article_id)?
        .into_iter()
        .filter_map(|row| {
            Some(CorrectionEntry {
                id: row.id,
                note: row.public_note?,
                corrected_at: row.corrected_at?.and_utc(),
            })
        })
        .collect())
}
