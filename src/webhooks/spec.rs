//! The webhooks as the OpenAPI document describes them (its 3.1 `webhooks` section: one
//! operation per event type, the body a `$ref` to the event's schema), and examples of every
//! webhook schema.

use serde_json::{Value, json};

use super::EventType;

/// The document's `webhooks`, keyed by event type.
pub fn webhooks() -> Result<utoipa::openapi::path::Paths, serde_json::Error> {
    let mut paths = serde_json::Map::new();
    for kind in EventType::SUBSCRIBABLE.into_iter().chain([EventType::Ping]) {
        let (schema, summary) = match kind {
            EventType::ArticlePublished => ("ArticleEvent", "An article became public"),
            EventType::ArticleUpdated => ("ArticleEvent", "A published article changed"),
            EventType::ArticleUnpublished => ("ArticleEvent", "A published article was taken down"),
            EventType::ArticleDeleted => ("ArticleEvent", "A published article was deleted"),
            EventType::CorrectionPublished => ("CorrectionEvent", "A public correction appeared"),
            EventType::ImageUpdated => (
                "ImageEvent",
                "A published image's alt text or credit changed",
            ),
            EventType::Ping => ("PingEvent", "A test sent from POST /v1/webhooks/{id}/test"),
        };
        let header = |name: &str, description: &str| {
            json!({
                "name": name,
                "in": "header",
                "required": true,
                "description": description,
                "schema": {"type": "string"},
            })
        };
        let operation = json!({
            "tags": ["webhooks"],
            "summary": summary,
            "description": format!(
                "POSTed to every enabled endpoint subscribed to `{}`, signed to the Standard \
                 Webhooks specification (https://www.standardwebhooks.com). Answer 2xx within \
                 the timeout; any other answer, or none, is retried with the same `webhook-id` \
                 for about three days, after which the endpoint is disabled.",
                kind.as_str()
            ),
            "operationId": format!("webhook-{}", kind.as_str().replace('.', "-")),
            "security": [],
            "parameters": [
                header("webhook-id", "The message's id (`msg_…`), the same on every retry: drop repeats by it"),
                header("webhook-timestamp", "When this attempt was signed, in Unix seconds: refuse old ones"),
                header("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256>` signatures of `{webhook-id}.{webhook-timestamp}.{body}` with the endpoint's secret (two while a rotated-out secret still signs)"),
            ],
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}},
            },
            "responses": {
                "200": {"description": "Received (any 2xx is)"},
                "400": {"description": "Not accepted (a signature that does not verify); retried like any failure"},
            },
        });
        paths.insert(kind.as_str().to_owned(), json!({"post": operation}));
    }
    serde_json::from_value(Value::Object(paths))
}

const ARTICLE: &str = "0193a8f2-4c1e-7b2a-9d3e-5f6a7b8c9d0e";
const IMAGE: &str = "0193a8e9-12ab-7cde-8f01-23456789abcd";
const USER: &str = "01936d1e-6a4b-7c3d-8e9f-0a1b2c3d4e5f";
const REPORT: &str = "0193a901-5e6f-7a80-9b1c-2d3e4f5a6b7c";
const WEBHOOK: &str = "0193b0c4-1d2e-7f30-8a41-b5c6d7e8f901";
const EVENT: &str = "msg_0193b0c52a3b7c4d8e5f6a7b8c9d0e1f";

fn article_data(changed: &[&str]) -> Value {
    json!({
        "id": ARTICLE,
        "slug": "riverside-bridge-reopens",
        "old_slugs": [],
        "title": "Riverside bridge reopens after eight months of repairs",
        "section": "city",
        "tags": ["transport", "city"],
        "authors": [USER],
        "published_at": "2026-12-02T06:00:00Z",
        "canonical_url": "https://www.newsroom.example/city/riverside-bridge-reopens",
        "path": "/v1/articles/riverside-bridge-reopens",
        "changed": changed,
        "previous": null,
    })
}

fn webhook() -> Value {
    json!({
        "id": WEBHOOK,
        "url": "https://www.newsroom.example/api/revalidate",
        "description": "Next.js on-demand revalidation",
        "events": ["article.published", "article.updated", "article.unpublished", "article.deleted"],
        "enabled": true,
        "disabled_at": null,
        "disabled_reason": null,
        "previous_secret_expires_at": null,
        "version": 1,
        "created_at": "2026-12-05T09:00:00Z",
        "updated_at": "2026-12-05T09:00:00Z",
    })
}

fn attempt() -> Value {
    json!({
        "id": "0193b0c6-7a8b-7c9d-8e0f-1a2b3c4d5e6f",
        "attempted_at": "2026-12-05T09:30:00Z",
        "event_id": EVENT,
        "event_type": "article.updated",
        "status_code": 503,
        "duration_ms": 212,
        "error": "the endpoint answered 503 Service Unavailable",
    })
}

fn correction_data() -> Value {
    json!({
        "id": REPORT,
        "note": "An earlier version said the repairs took six months; they took eight.",
        "corrected_at": "2026-12-03T10:00:00Z",
        "article": article_data(&["corrections"]),
    })
}

fn image_data() -> Value {
    json!({
        "id": IMAGE,
        "changed": ["credit"],
        "alt_text": "Cars crossing a steel bridge over a wide river at dusk",
        "credit": "Taras Melnyk / Newsroom",
        "articles": [article_data(&["images"])],
    })
}

/// An example of every webhook schema.
pub fn examples() -> Vec<(&'static str, Value)> {
    let event = |kind: &str, data: Value| json!({"type": kind, "timestamp": "2026-12-05T09:30:00Z", "data": data});
    vec![
        ("Webhook", webhook()),
        (
            "WebhookPage",
            json!({"items": [webhook()], "next_cursor": null}),
        ),
        (
            "NewWebhook",
            json!({
                "url": "https://www.newsroom.example/api/revalidate",
                "events": ["article.published", "article.updated"],
                "description": "Next.js on-demand revalidation",
            }),
        ),
        ("WebhookUpdate", json!({"enabled": true})),
        ("CreatedWebhook", {
            let mut created = webhook();
            created["secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into();
            created
        }),
        (
            "RotatedSecret",
            json!({
                "secret": "whsec_Zm9yIHRoZSBuZXcgc2lnbmluZyBrZXkgb2Y",
                "previous_secret_expires_at": "2026-12-06T09:30:00Z",
            }),
        ),
        ("SentPing", json!({"event_id": EVENT})),
        ("DeliveryAttempt", attempt()),
        (
            "DeliveryPage",
            json!({"items": [attempt()], "next_cursor": null}),
        ),
        (
            "ArticleData",
            article_data(&["title", "body", "body_html", "body_text"]),
        ),
        (
            "PreviousKeys",
            json!({"section": "news", "tags": ["transport"], "authors": [USER]}),
        ),
        ("CorrectionData", correction_data()),
        ("ImageData", image_data()),
        ("PingData", json!({"webhook_id": WEBHOOK})),
        (
            "ArticleEvent",
            event("article.updated", article_data(&["standfirst"])),
        ),
        (
            "CorrectionEvent",
            event("correction.published", correction_data()),
        ),
        ("ImageEvent", event("image.updated", image_data())),
        ("PingEvent", event("ping", json!({"webhook_id": WEBHOOK}))),
    ]
}
