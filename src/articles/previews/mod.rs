//! Preview links: a short-lived, revocable token that lets whoever holds it (an editor's
//! browser, the site's preview route) read one article's current draft exactly as the public
//! will read it once published, and the embargoed images it shows. Only the token's hash is
//! stored; the token is shown once, when the link is made.
//!
//! Expired links are deleted by a background job ([`purge_expired`]); until then they are
//! refused like revoked ones.

pub mod handlers;
pub mod model;

use std::sync::Weak;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use self::model::PreviewRow;
use super::Article;
use super::model as articles;
use super::service::{self, editable};
use crate::auth::AuthUser;
use crate::db::{Db, DbConn};
use crate::error::{ApiError, ApiResult};
use crate::ids::{ArticleId, ImageId, PreviewId};

/// What every preview token starts with, so that one pasted in the wrong place is recognisable
/// (and secret scanners can find a leaked one).
pub const TOKEN_PREFIX: &str = "mhp_";
/// The random bytes behind a token.
const TOKEN_BYTES: usize = 32;
/// How long a link works unless asked otherwise, in seconds.
pub const DEFAULT_TTL_SECONDS: i64 = 3_600;
/// The shortest lifetime a link may be given, in seconds.
pub const MIN_TTL_SECONDS: i64 = 60;
/// The longest lifetime a link may be given, in seconds (a week).
pub const MAX_TTL_SECONDS: i64 = 7 * 86_400;
/// The most links one article may have working at once (the list of them is not paged).
pub const MAX_ACTIVE: i64 = 100;
/// How often expired links are deleted.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3_600);

/// A new token: the prefix and 32 random bytes, base64url without padding.
pub fn new_token() -> ApiResult<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The stored form of a token: its BLAKE3 hash, as for refresh tokens (256 random bits need no
/// slow hash).
pub fn hash_token(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// Whether `token` has the shape [`new_token`] makes: checked before any database lookup.
pub fn well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        URL_SAFE_NO_PAD
            .decode(rest)
            .is_ok_and(|bytes| bytes.len() == TOKEN_BYTES)
    })
}

/// How long the new link should work.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// The link's lifetime in seconds, from 60 to 604800 (a week); an hour when left out.
    #[schema(minimum = 60, maximum = 604800)]
    pub ttl_seconds: Option<i64>,
}

impl PreviewRequest {
    /// The lifetime asked for (422 outside the allowed range).
    pub fn ttl(&self) -> ApiResult<TimeDelta> {
        let seconds = self.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS);
        if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&seconds) {
            return Err(ApiError::field(
                "ttl_seconds",
                format!("must be from {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS} seconds"),
            ));
        }
        Ok(TimeDelta::seconds(seconds))
    }
}

/// A new preview link. The token is shown only in this response: keep it, or make another.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewPreview {
    /// The link's id, to revoke it.
    #[schema(value_type = String)]
    pub id: PreviewId,
    /// The article it opens.
    #[schema(value_type = String)]
    pub article_id: ArticleId,
    /// The token: send it as `?preview=` or in the `Masthead-Preview` header when reading the
    /// article (and its images).
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The site's preview page for it (`MASTHEAD_PREVIEW_URL` with the token filled in), or
    /// `null` when none is configured.
    pub url: Option<String>,
}

/// A preview link that still works (its token is never shown again).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Preview {
    /// The link's id, to revoke it.
    #[schema(value_type = String)]
    pub id: PreviewId,
    /// The article it opens.
    #[schema(value_type = String)]
    pub article_id: ArticleId,
    /// Who made it (a user id).
    #[schema(value_type = String)]
    pub created_by: crate::ids::UserId,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<PreviewRow> for Preview {
    fn from(row: PreviewRow) -> Self {
        Self {
            id: row.id,
            article_id: row.article_id,
            created_by: row.created_by,
            created_at: row.created_at.and_utc(),
            expires_at: row.expires_at.and_utc(),
        }
    }
}

/// An article's working preview links.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewList {
    /// Newest first (at most 100).
    pub items: Vec<Preview>,
}

/// Makes a link to the article `id` that works for `ttl`, if `user` may change the article;
/// returns it with its token and the article's slug.
pub fn create(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &ArticleId,
    ttl: TimeDelta,
    now: NaiveDateTime,
) -> ApiResult<(PreviewRow, String, String)> {
    editable(conn, user, id)?;
    let article = articles::find(conn, id)?.ok_or_else(service::not_found)?;
    if model::count_active(conn, id, now)? >= MAX_ACTIVE {
        return Err(ApiError::Conflict(format!(
            "this article has {MAX_ACTIVE} working preview links; revoke some first"
        )));
    }
    let token = new_token()?;
    let row = PreviewRow {
        id: PreviewId::new_v7(),
        article_id: id.clone(),
        token_hash: hash_token(&token),
        created_by: user.id.clone(),
        created_at: now,
        expires_at: now + ttl,
        revoked_at: None,
    };
    model::insert(conn, &row)?;
    Ok((row, token, article.slug))
}

/// The article's working links, if `user` may change it.
pub fn list(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &ArticleId,
    now: NaiveDateTime,
) -> ApiResult<Vec<Preview>> {
    editable(conn, user, id)?;
    Ok(model::active(conn, id, now)?
        .into_iter()
        .map(Preview::from)
        .collect())
}

/// Revokes the article's link `preview` (404 if it has none such), or every link it has, if
/// `user` may change it. Revoking a revoked or expired link again is not an error.
pub fn revoke(
    conn: &mut DbConn,
    user: &AuthUser,
    id: &ArticleId,
    preview: Option<&PreviewId>,
    now: NaiveDateTime,
) -> ApiResult<()> {
    editable(conn, user, id)?;
    if let Some(preview) = preview
        && !model::exists(conn, id, preview)?
    {
        return Err(ApiError::NotFound(
            "this article has no preview link with this id".to_owned(),
        ));
    }
    model::revoke(conn, id, preview, now)?;
    Ok(())
}

/// The link `token` opens at `now`: 401 when the token is malformed, unknown, expired or
/// revoked, or the account that made it is disabled.
pub fn open(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> ApiResult<PreviewRow> {
    if !well_formed(token) {
        return Err(ApiError::Unauthorized(format!(
            "the preview token is malformed: it is `{TOKEN_PREFIX}` and 43 base64url characters"
        )));
    }
    let row = model::find_by_hash(conn, &hash_token(token))?
        .ok_or_else(|| ApiError::Unauthorized("the preview token is not valid".to_owned()))?;
    if row.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(
            "the preview link was revoked; ask for a new one".to_owned(),
        ));
    }
    if row.expires_at <= now {
        return Err(ApiError::Unauthorized(
            "the preview link has expired; ask for a new one".to_owned(),
        ));
    }
    // A disabled account's links stop working with its sessions.
    if !model::creator_active(conn, &row.created_by)? {
        return Err(ApiError::Unauthorized(
            "the account that made this preview link is disabled; ask for a new one".to_owned(),
        ));
    }
    Ok(row)
}

/// The article `key` names, as the public will read it once published (its status stays what it
/// is), if `token` opens it; 401 otherwise, whether the article exists or not.
pub fn read(
    conn: &mut DbConn,
    key: &str,
    token: &str,
    now: NaiveDateTime,
    base: &str,
) -> ApiResult<Article> {
    let link = open(conn, token, now)?;
    match articles::find_by_key(conn, key)? {
        Some(row) if row.id == link.article_id => service::load(conn, row, true, now, base),
        _ => Err(ApiError::Unauthorized(
            "this preview token is for another article".to_owned(),
        )),
    }
}

/// Whether `token` opens an article that shows the image `image` (401 when the token does not
/// open any).
pub fn unlocks_image(
    conn: &mut DbConn,
    token: &str,
    image: &ImageId,
    now: NaiveDateTime,
) -> ApiResult<bool> {
    let link = open(conn, token, now)?;
    Ok(model::article_shows(conn, &link.article_id, image)?)
}

/// The site's preview page for a link: `template` (`MASTHEAD_PREVIEW_URL`) with `{token}`, `{id}`
/// and `{slug}` replaced by the URL-encoded values.
pub fn page_url(template: &str, token: &str, id: &ArticleId, slug: &str) -> String {
    let encode = |value: &str| -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    };
    template
        .replace("{token}", &encode(token))
        .replace("{id}", &encode(id))
        .replace("{slug}", &encode(slug))
}

/// Deletes expired links every `interval`, for as long as the database lives.
pub fn purge_expired(db: Weak<Db>, interval: Duration) {
    crate::background::every("masthead-preview-purge", db, interval, |db| {
        let purged = db.write_blocking(|conn| Ok(model::delete_expired(conn, crate::db::now())?));
        if let Err(e) = purged {
            tracing::warn!(error = %e, "could not delete expired preview links");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_prefixed_random_base64url_and_only_its_hash_is_kept() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert!(
            a[TOKEN_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert!(well_formed(&a));
        let hash = hash_token(&a);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, hash_token(&a));
        assert_ne!(hash, hash_token(&b));
        assert!(!hash.contains(&a[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        let good = new_token().unwrap();
        for bad in [
            "",
            "mhp_",
            "abc",
            &good[TOKEN_PREFIX.len()..],
            &good[..good.len() - 1],
            &format!("{good}A"),
            &format!("mhx_{}", &good[TOKEN_PREFIX.len()..]),
            &good.replace('_', "/"),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn a_page_url_gets_the_token_id_and_slug_encoded() {
        let url = page_url(
            "https://www.newsroom.example/preview/{slug}?token={token}&id={id}",
            "mhp_a+b",
            &ArticleId::from("0190-ab"),
            "a-slug",
        );
        assert_eq!(
            url,
            "https://www.newsroom.example/preview/a-slug?token=mhp_a%2Bb&id=0190-ab"
        );
    }

    #[test]
    fn a_lifetime_outside_a_minute_to_a_week_is_refused() {
        let ttl = |s| PreviewRequest { ttl_seconds: s }.ttl();
        assert_eq!(ttl(None).unwrap(), TimeDelta::hours(1));
        assert_eq!(ttl(Some(60)).unwrap(), TimeDelta::minutes(1));
        assert_eq!(ttl(Some(604_800)).unwrap(), TimeDelta::days(7));
        for bad in [Some(59), Some(604_801), Some(0), Some(-1), Some(i64::MAX)] {
            assert!(ttl(bad).is_err(), "{bad:?}");
        }
    }
}
