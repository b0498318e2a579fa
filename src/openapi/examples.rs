//! An example of every resource, request and page, in one place so they tell one story (a
//! bridge reopening, its photo, a reader's report) and a test can check each against its schema.
//! A schema that declares its own example keeps it.

use serde_json::{Value, json};

const ARTICLE: &str = "0193a8f2-4c1e-7b2a-9d3e-5f6a7b8c9d0e";
const IMAGE: &str = "0193a8e9-12ab-7cde-8f01-23456789abcd";
const CAPTION: &str = "0193a8ea-3344-7a55-8b66-778899aabbcc";
const USER: &str = "01936d1e-6a4b-7c3d-8e9f-0a1b2c3d4e5f";
const REPORT: &str = "0193a901-5e6f-7a80-9b1c-2d3e4f5a6b7c";
const FILE_URL: &str =
    "https://api.newsroom.example/v1/images/0193a8e9-12ab-7cde-8f01-23456789abcd/file";
const CURSOR: &str = "eyJrIjoiYXJ0aWNsZXMiLCJ2IjoiMDE5M2E4ZjIifQ";

fn author() -> Value {
    json!({"id": USER, "display_name": "Olena Kovalenko"})
}

fn user() -> Value {
    json!({
        "id": USER,
        "email": "olena@newsroom.example",
        "display_name": "Olena Kovalenko",
        "role": "editor",
        "disabled": false,
        "created_at": "2026-11-02T08:00:00Z",
        "updated_at": "2026-11-02T08:00:00Z",
    })
}

fn renditions() -> Value {
    json!([
        {"width": 320, "height": 213, "url": format!("{FILE_URL}?w=320")},
        {"width": 640, "height": 427, "url": format!("{FILE_URL}?w=640")},
        {"width": 1024, "height": 683, "url": format!("{FILE_URL}?w=1024")},
    ])
}

fn picture() -> Value {
    json!({
        "image_id": IMAGE,
        "caption_id": CAPTION,
        "url": FILE_URL,
        "width": 1600,
        "height": 1067,
        "alt_text": "Cars crossing a steel bridge over a wide river at dusk",
        "caption": "The Riverside bridge on the evening it reopened.",
        "credit": "Photo: Taras Melnyk",
        "illustrative": false,
        "renditions": renditions(),
    })
}

fn image() -> Value {
    json!({
        "id": IMAGE,
        "content_type": "image/jpeg",
        "width": 1600,
        "height": 1067,
        "byte_size": 412_337,
        "content_hash": "5d1c7f0e9b2a4c6d8e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
        "url": FILE_URL,
        "renditions": renditions(),
        "title": "Riverside bridge at dusk",
        "alt_text": "Cars crossing a steel bridge over a wide river at dusk",
        "credit": "Taras Melnyk",
        "license": "CC BY 4.0",
        "source_url": "https://photos.newsroom.example/riverside-bridge",
        "uploaded_by": USER,
        "version": 1,
        "created_at": "2026-12-01T09:12:00Z",
        "updated_at": "2026-12-01T09:12:00Z",
    })
}

fn caption() -> Value {
    json!({
        "id": CAPTION,
        "image_id": IMAGE,
        "article_id": ARTICLE,
        "text": "The Riverside bridge on the evening it reopened.",
        "credit": "Photo: Taras Melnyk",
        "effective_credit": "Photo: Taras Melnyk",
        "illustrative": false,
        "version": 1,
        "created_at": "2026-12-01T09:20:00Z",
        "updated_at": "2026-12-01T09:20:00Z",
    })
}

fn section() -> Value {
    json!({
        "slug": "city",
        "name": "City",
        "description": "Council, transport and the neighbourhoods.",
        "position": 1,
        "retired": false,
        "version": 2,
        "created_at": "2026-11-02T08:00:00Z",
        "updated_at": "2026-12-01T09:00:00Z",
    })
}

fn tag() -> Value {
    json!({
        "slug": "infrastructure",
        "name": "Infrastructure",
        "description": "Roads, bridges, water and power.",
        "count": 42,
    })
}

fn author_links() -> Value {
    json!({
        "website": "https://olena.example",
        "social": ["https://social.example/@olena"],
        "contact_email": "tips@olena.example",
    })
}

fn author_profile() -> Value {
    json!({
        "id": USER,
        "slug": "olena-kovalenko",
        "display_name": "Olena Kovalenko",
        "job_title": "Transport correspondent",
        "bio": "Olena covers roads, rail and the river crossings.",
        "avatar": picture(),
        "links": author_links(),
        "version": 3,
    })
}

fn source() -> Value {
    json!({"name": "City transport department", "url": "https://transport.city.example/notices/412"})
}

fn body() -> Value {
    json!([
        {"type": "paragraph", "text": "The Riverside bridge reopened to traffic on Monday after **eight months** of repairs."},
        {"type": "quote", "text": "The deck is new from end to end.", "attribution": "the city's chief engineer"},
        {"type": "image", "image_id": IMAGE, "caption_id": CAPTION},
    ])
}

fn correction() -> Value {
    json!({
        "id": REPORT,
        "note": "An earlier version said the repairs took six months; they took eight.",
        "corrected_at": "2026-12-02T10:05:00Z",
    })
}

fn summary() -> Value {
    json!({
        "id": ARTICLE,
        "slug": "riverside-bridge-reopens",
        "title": "Riverside bridge reopens after eight months of repairs",
        "standfirst": "Buses return to their old routes on Tuesday.",
        "excerpt": "The Riverside bridge reopened to traffic on Monday after eight months of repairs.",
        "status": "published",
        "authors": [author()],
        "tags": ["transport", "city"],
        "section": "city",
        "language": "en",
        "featured_image": picture(),
        "published_at": "2026-12-01T10:00:00Z",
        "version": 4,
        "updated_at": "2026-12-02T10:05:00Z",
    })
}

fn article() -> Value {
    let mut article = summary();
    let extra = json!({
        "body": body(),
        "body_html": "<p>The Riverside bridge reopened to traffic on Monday after <strong>eight \
    months</strong> of repairs.</p><blockquote><p>The deck is new from end to end.</p><footer>the \
    city's chief engineer</footer></blockquote><figure class=\"image\"><img src=\"https://api.\
    newsroom.example/v1/images/0193a8e9-12ab-7cde-8f01-23456789abcd/file\" width=\"1600\" \
    height=\"1067\" alt=\"Cars crossing a steel bridge over a wide river at dusk\" \
    loading=\"lazy\"><figcaption>The Riverside bridge on the evening it reopened. <span \
    class=\"credit\">Photo: Taras Melnyk</span></figcaption></figure>",
        "body_text": "The Riverside bridge reopened to traffic on Monday after eight months of \
    repairs.\n\nThe deck is new from end to end. — the city's chief engineer",
        "sources": [source()],
        "related": [],
        "canonical_url": null,
        "images": [{"usage": "body", "block": 2, "image": image(), "caption": caption()}],
        "corrections": [correction()],
        "corrected_at": "2026-12-02T10:05:00Z",
        "created_at": "2026-11-30T16:40:00Z",
    });
    merge(&mut article, extra);
    article
}

fn quote_location() -> Value {
    json!({"field": "body", "start": 57, "end": 69})
}

fn report() -> Value {
    json!({
        "id": REPORT,
        "article_id": ARTICLE,
        "quote": "eight months",
        "suggestion": "It was six months, according to the city.",
        "comment": null,
        "quote_found": true,
        "quote_location": quote_location(),
        "reporter_name": "A reader",
        "reporter_email": "reader@mail.example",
        "reporter_erased_at": null,
        "status": "accepted",
        "editor_note": "Checked with the transport department: eight is right.",
        "public_note": null,
        "duplicate_of": null,
        "corrected_at": null,
        "version": 2,
        "created_at": "2026-12-01T12:30:00Z",
        "updated_at": "2026-12-01T15:00:00Z",
    })
}

const PREVIEW: &str = "0193a912-7c8d-7e9f-a0b1-c2d3e4f5a6b7";

fn preview() -> Value {
    json!({
        "id": PREVIEW,
        "article_id": ARTICLE,
        "created_by": USER,
        "created_at": "2026-12-02T10:05:00Z",
        "expires_at": "2026-12-02T11:05:00Z",
    })
}

fn page(item: Value) -> Value {
    json!({"items": [item], "next_cursor": CURSOR})
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}

/// The examples, by schema name.
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        ("Article", article()),
        ("ArticleSummary", summary()),
        ("ArticlePage", page(summary())),
        (
            "NewArticle",
            json!({
                "title": "Riverside bridge reopens after eight months of repairs",
                "standfirst": "Buses return to their old routes on Tuesday.",
                "body": body(),
                "tags": ["transport", "city"],
                "section": "city",
                "sources": [source()],
                "featured_image": {"image_id": IMAGE, "caption_id": CAPTION},
            }),
        ),
        (
            "ArticlePatch",
            json!({"standfirst": "Buses return to their old routes on Tuesday morning.", "section": null}),
        ),
        (
            "FeaturedImage",
            json!({"image_id": IMAGE, "caption_id": CAPTION}),
        ),
        ("PublishRequest", json!({"at": "2026-12-24T06:00:00Z"})),
        ("UnpublishRequest", json!({"archive": true})),
        ("PreviewRequest", json!({"ttl_seconds": 86_400})),
        (
            "NewPreview",
            json!({
                "id": PREVIEW,
                "article_id": ARTICLE,
                "token": "mhp_q3Zk1c9Vb0H2sXo7Yt4WnLrE8uJ6aPfG5dMhKi3TgNw",
                "expires_at": "2026-12-02T11:05:00Z",
                "url": "https://www.newsroom.example/api/preview?token=mhp_q3Zk1c9Vb0H2sXo7Yt4WnLrE8uJ6aPfG5dMhKi3TgNw",
            }),
        ),
        ("Preview", preview()),
        ("PreviewList", json!({"items": [preview()]})),
        (
            "Revision",
            json!({
                "version": 4,
                "action": "update",
                "changed": ["standfirst", "section"],
                "editor": author(),
                "created_at": "2026-12-02T10:05:00Z",
            }),
        ),
        (
            "RevisionPage",
            page(json!({
                "version": 4,
                "action": "update",
                "changed": ["standfirst"],
                "editor": null,
                "created_at": "2026-12-02T10:05:00Z",
            })),
        ),
        ("Author", author()),
        ("Source", source()),
        ("SourceInput", json!({"name": "City transport department"})),
        ("Block", body()[0].clone()),
        ("Picture", picture()),
        (
            "Rendition",
            json!({"width": 320, "height": 213, "url": format!("{FILE_URL}?w=320")}),
        ),
        ("Image", image()),
        ("ImagePage", page(image())),
        (
            "ImageUpdate",
            json!({"alt_text": "Cars crossing a steel bridge over a wide river at dusk", "license": null}),
        ),
        (
            "ImageUpload",
            json!({
                "file": "(the image's bytes)",
                "alt_text": "Cars crossing a steel bridge over a wide river at dusk",
                "credit": "Taras Melnyk",
            }),
        ),
        (
            "ImageUse",
            json!({"usage": "body", "block": 2, "image": image(), "caption": caption()}),
        ),
        ("Section", section()),
        ("SectionList", json!({"items": [section()]})),
        (
            "NewSection",
            json!({"name": "City", "slug": "city", "description": "Council, transport and the neighbourhoods.", "position": 1}),
        ),
        (
            "SectionPatch",
            json!({"name": "City & Region", "position": 2, "description": null}),
        ),
        ("Tag", tag()),
        ("TagPage", page(tag())),
        (
            "TagPatch",
            json!({"name": "Infrastructure", "description": "Roads, bridges, water and power."}),
        ),
        ("TagMerge", json!({"into": "infrastructure"})),
        ("AuthorLinks", author_links()),
        ("AuthorProfile", author_profile()),
        ("AuthorPage", page(author_profile())),
        (
            "AuthorPatch",
            json!({"job_title": "Transport correspondent", "social": ["https://social.example/@olena"], "contact_email": null}),
        ),
        (
            "NewAuthor",
            json!({
                "display_name": "Marta Nowak",
                "job_title": "Guest columnist",
                "bio": "Writes about housing.",
                "website": "https://marta.example",
                "social": ["https://social.example/@marta"],
            }),
        ),
        ("Caption", caption()),
        ("CaptionPage", page(caption())),
        (
            "NewCaption",
            json!({
                "image_id": IMAGE,
                "article_id": ARTICLE,
                "text": "The Riverside bridge on the evening it reopened.",
                "credit": "Photo: Taras Melnyk",
                "illustrative": false,
            }),
        ),
        (
            "CaptionUpdate",
            json!({"text": "The bridge on the evening it reopened.", "credit": null}),
        ),
        ("CorrectionEntry", correction()),
        ("CorrectionLog", json!({"items": [correction()]})),
        (
            "NewReport",
            json!({
                "quote": "eight months",
                "suggestion": "It was six months, according to the city.",
                "name": "A reader",
                "email": "reader@mail.example",
            }),
        ),
        (
            "ReportReceipt",
            json!({"id": REPORT, "status": "new", "quote_found": true, "quote_location": quote_location()}),
        ),
        ("QuoteLocation", quote_location()),
        ("Report", report()),
        ("ReportPage", page(report())),
        (
            "TriageRequest",
            json!({"status": "accepted", "public_note": "An earlier version said the repairs took six months; they took eight."}),
        ),
        (
            "LoginRequest",
            json!({"email": "olena@newsroom.example", "password": "a long passphrase"}),
        ),
        (
            "RefreshRequest",
            json!({"refresh_token": "rt_4b9f0c2e7a1d4f6b8c3e5a7d9f1b3c5e"}),
        ),
        (
            "TokenResponse",
            json!({
                "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkzNmQxZSJ9.c2lnbmF0dXJl",
                "token_type": "Bearer",
                "expires_in": 900,
                "refresh_token": "rt_4b9f0c2e7a1d4f6b8c3e5a7d9f1b3c5e",
                "refresh_expires_in": 2_592_000,
                "user": user(),
            }),
        ),
        ("User", user()),
        ("UserPage", page(user())),
        (
            "NewUser",
            json!({
                "email": "taras@newsroom.example",
                "display_name": "Taras Melnyk",
                "role": "writer",
                "password": "another long passphrase",
            }),
        ),
        ("UserUpdate", json!({"role": "editor"})),
        (
            "FieldError",
            json!({"field": "email", "message": "must be an email address"}),
        ),
        ("Health", json!({"status": "ready"})),
    ]
    .into_iter()
    .chain(crate::webhooks::spec::examples())
    .chain(crate::jsonld::examples::all())
    .collect()
}
