//! Webhooks: admins register endpoints; every change to public content writes an event to an
//! outbox in the change's own transaction; a background worker delivers each event to each
//! subscribed endpoint, signed to the Standard Webhooks specification, until it is accepted or
//! about three days have passed.
//!
//! `model` holds the rows and queries (and [`model::emit`], which the services call), `sign` the
//! signatures, `target` the rules on where a webhook may be sent, `deliver` the worker.

pub mod deliver;
pub mod handlers;
pub mod model;
pub mod sign;
pub mod spec;
pub mod target;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ArticleId, ImageId, ReportId, UserId, WebhookId};

/// What happened.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum EventType {
    /// An article became public (published now, or a scheduled time came).
    #[serde(rename = "article.published")]
    ArticlePublished,
    /// A published article's public content changed (captions and credits included; also, one
    /// event per article, a rename of its section, a merge of one of its tags or a new name of
    /// one of its authors).
    #[serde(rename = "article.updated")]
    ArticleUpdated,
    /// A published article was taken down (back to draft or archived).
    #[serde(rename = "article.unpublished")]
    ArticleUnpublished,
    /// A published article was deleted.
    #[serde(rename = "article.deleted")]
    ArticleDeleted,
    /// A public correction appeared on a published article.
    #[serde(rename = "correction.published")]
    CorrectionPublished,
    /// The alt text or credit of an image a published article shows changed.
    #[serde(rename = "image.updated")]
    ImageUpdated,
    /// A test sent by `POST /v1/webhooks/{id}/test` (to that endpoint only).
    #[serde(rename = "ping")]
    Ping,
}

impl EventType {
    /// The types an endpoint may subscribe to (every type but `ping`).
    pub const SUBSCRIBABLE: [Self; 6] = [
        Self::ArticlePublished,
        Self::ArticleUpdated,
        Self::ArticleUnpublished,
        Self::ArticleDeleted,
        Self::CorrectionPublished,
        Self::ImageUpdated,
    ];

    /// The type's name, as sent in `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ArticlePublished => "article.published",
            Self::ArticleUpdated => "article.updated",
            Self::ArticleUnpublished => "article.unpublished",
            Self::ArticleDeleted => "article.deleted",
            Self::CorrectionPublished => "correction.published",
            Self::ImageUpdated => "image.updated",
            Self::Ping => "ping",
        }
    }

    /// The type named `name`.
    pub fn from_stored(name: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([Self::Ping])
            .find(|t| t.as_str() == name)
    }
}

crate::db::text::text_enum!(EventType, "webhook event type");

/// A webhook endpoint, as admins read it (never with its secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    /// The id.
    #[schema(value_type = String)]
    pub id: WebhookId,
    /// Where events are POSTed.
    #[schema(example = "https://www.newsroom.example/api/revalidate")]
    pub url: String,
    /// What it is for.
    pub description: Option<String>,
    /// The event types it receives.
    pub events: Vec<EventType>,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// When it was disabled (by an admin, or after three days of failed deliveries).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Until when the secret replaced by the last rotation still signs too.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Increases with every change; its ETag names it.
    pub version: i64,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An `http` or `https` URL without credentials, on a public address (unless the operator
    /// allows private ones).
    #[schema(
        example = "https://www.newsroom.example/api/revalidate",
        max_length = 2000
    )]
    pub url: String,
    /// The event types to receive (at least one).
    #[schema(value_type = Vec<EventType>, min_items = 1)]
    pub events: Vec<String>,
    /// What it is for.
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// Changes to an endpoint; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookUpdate {
    /// A new URL.
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    /// New event types (at least one).
    #[schema(value_type = Option<Vec<EventType>>, min_items = 1)]
    pub events: Option<Vec<String>>,
    /// A new description (`null` removes it).
    #[serde(default, deserialize_with = "crate::http::json::present")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub description: Option<Option<String>>,
    /// `true` re-enables a disabled endpoint (pending deliveries resume); `false` disables it.
    pub enabled: Option<bool>,
}

/// A registered endpoint and its signing secret, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedWebhook {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The signing secret (`whsec_…`): keep it, it is never shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A new signing secret, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret (`whsec_…`).
    pub secret: String,
    /// Until when the previous secret also signs every message.
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// A test event on its way.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SentPing {
    /// The event's id, sent as `webhook-id`.
    #[schema(example = "msg_0193a5b2c4d67e8f9a0b1c2d3e4f5a6b")]
    pub event_id: String,
}

/// One attempt to deliver an event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryAttempt {
    /// The attempt's id.
    pub id: String,
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The event's id (`webhook-id`; the same on every attempt).
    pub event_id: String,
    /// The event's type.
    pub event_type: EventType,
    /// The endpoint's HTTP status code (`null` when no response came).
    pub status_code: Option<i32>,
    /// How long it took, in milliseconds.
    pub duration_ms: i64,
    /// What went wrong (`null` for a 2xx answer).
    pub error: Option<String>,
}

/// A page of attempts, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    /// The attempts.
    pub items: Vec<DeliveryAttempt>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of endpoints.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookPage {
    /// The endpoints, oldest first.
    pub items: Vec<Webhook>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// What a front end needs to revalidate for an article: its keys now, and the ones it had
/// before when they changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ArticleData {
    /// The article's id.
    #[schema(value_type = String)]
    pub id: ArticleId,
    /// Its slug.
    pub slug: String,
    /// Slugs it had before this change (readers' links to them redirect).
    pub old_slugs: Vec<String>,
    /// Its headline.
    pub title: String,
    /// Its section.
    pub section: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its authors' ids.
    #[schema(value_type = Vec<String>)]
    pub authors: Vec<UserId>,
    /// When it became (or becomes) public.
    pub published_at: Option<DateTime<Utc>>,
    /// The story's URL on the newsroom's site, if the article names one.
    pub canonical_url: Option<String>,
    /// Its path in this API.
    #[schema(example = "/v1/articles/drone-makers-race-to-adapt")]
    pub path: String,
    /// The fields of the public article that changed (`article.updated`), such as `title`,
    /// `body`, `images` or `tags`.
    pub changed: Vec<String>,
    /// Its section, tags and authors before this change, when any of them changed (pages
    /// listing them need revalidating too).
    pub previous: Option<PreviousKeys>,
}

/// Keys an article had before a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviousKeys {
    /// The section before.
    pub section: Option<String>,
    /// The tags before.
    pub tags: Vec<String>,
    /// The authors' ids before.
    #[schema(value_type = Vec<String>)]
    pub authors: Vec<UserId>,
}

/// `correction.published`'s data: the correction and its article.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CorrectionData {
    /// The correction's id (its report's).
    #[schema(value_type = String)]
    pub id: ReportId,
    /// What was corrected, as readers see it.
    pub note: String,
    /// When.
    pub corrected_at: DateTime<Utc>,
    /// The corrected article.
    pub article: ArticleData,
}

/// `image.updated`'s data: the image, what changed, and the published articles that show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImageData {
    /// The image's id.
    #[schema(value_type = String)]
    pub id: ImageId,
    /// `alt_text` and/or `credit`.
    pub changed: Vec<String>,
    /// The alt text now.
    pub alt_text: Option<String>,
    /// The credit now.
    pub credit: Option<String>,
    /// The published articles showing it.
    pub articles: Vec<ArticleData>,
}

/// `ping`'s data.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PingData {
    /// The endpoint tested.
    #[schema(value_type = String)]
    pub webhook_id: WebhookId,
}

/// The body of every webhook: `{type, timestamp, data}`, as the Standard Webhooks
/// specification recommends. The OpenAPI document names one schema per kind of data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Payload<T> {
    /// The event type.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// What changed.
    pub data: T,
}

/// An `article.*` event's body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArticleEvent {
    /// `article.published`, `article.updated`, `article.unpublished` or `article.deleted`.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The article.
    pub data: ArticleData,
}

/// A `correction.published` event's body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CorrectionEvent {
    /// `correction.published`.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The correction.
    pub data: CorrectionData,
}

/// An `image.updated` event's body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImageEvent {
    /// `image.updated`.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The image.
    pub data: ImageData,
}

/// A `ping` event's body.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PingEvent {
    /// `ping`.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When it was sent.
    pub timestamp: DateTime<Utc>,
    /// The endpoint.
    pub data: PingData,
}

/// Wakes the delivery worker after a commit that may have written events.
#[derive(Debug, Default)]
pub struct Wake(tokio::sync::Notify);

impl Wake {
    /// Tells the worker to look for due deliveries now.
    pub fn poke(&self) {
        self.0.notify_one();
    }

    /// Waits for a [`Wake::poke`].
    pub async fn poked(&self) {
        self.0.notified().await;
    }
}
