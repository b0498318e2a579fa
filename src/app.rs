//! The application's state: what every handler, extractor and middleware can reach. Routes and
//! the server are built above it (`router`, `server`); the features' lower parts (models,
//! queries, the cache, background jobs) never see it.

use std::sync::Arc;

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::db::Db;

/// What every handler can reach.
pub struct AppState {
    /// The database (shared with the background jobs).
    pub db: Arc<Db>,
    /// Access-token keys.
    pub jwt: JwtKeys,
    /// The settings.
    pub config: Config,
    /// Where image files live.
    pub media: Arc<dyn crate::images::store::MediaStore>,
    /// Readers' correction reports per client (shared by the instances on one PostgreSQL).
    pub corrections_limiter: crate::http::ratelimit::RateLimit,
    /// Failed logins per account and client, and the line for password checks.
    pub login: crate::auth::throttle::LoginGuard,
    /// Rendered public responses (shared with the version watcher).
    pub cache: Arc<crate::cache::ResponseCache>,
    /// The cards of articles on public pages this instance read lately (for searches).
    pub known_cards: crate::articles::summaries::Known,
    /// PostgreSQL: since when published articles have a search index of their own (kept by a
    /// background job).
    pub recent_search: Arc<crate::articles::search::RecentIndex>,
    /// Wakes the webhook worker after a commit (shared with it).
    pub webhooks: Arc<crate::webhooks::Wake>,
    /// The sitemap index as last served from the stored one.
    pub sitemap_index: crate::sitemaps::IndexMemo,
}

impl AppState {
    /// Runs a change to public content in one transaction that also bumps the shared content
    /// version; once it has committed, this instance's cache is invalidated (other instances
    /// notice the version within a poll interval).
    pub async fn write_content<T, F>(&self, change: F) -> crate::error::ApiResult<T>
    where
        F: FnOnce(&mut crate::db::DbConn) -> crate::error::ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (value, version) = self
            .db
            .write(move |conn| {
                let value = change(conn)?;
                let version = crate::db::bump_content_version(conn)?;
                Ok((value, version))
            })
            .await?;
        self.cache.invalidate_after(version);
        // The change may have written webhook events: send them now rather than at the next poll.
        self.webhooks.poke();
        Ok(value)
    }
}
