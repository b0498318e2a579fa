//! The public corrections log of an article, as the article and its log endpoint show it.

use super::CorrectionEntry;
use super::model;
use crate::db::DbConn;
use crate::error::ApiResult;

/// The public log of an article.
pub fn log_of(conn: &mut DbConn, article_id: &str) -> ApiResult<Vec<CorrectionEntry>> {
    Ok(model::public_log(conn, article_id)?
        .into_iter()
        .filter_map(|(id, note, at)| {
            Some(CorrectionEntry {
                id,
                note: note?,
                corrected_at: at?.and_utc(),
            })
        })
        .collect())
}
