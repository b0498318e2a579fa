//! The examples of the structured-data schemas in the OpenAPI document (the story of the
//! bridge reopening that `openapi::examples` tells).

use serde_json::{Value, json};

const FILE_URL: &str =
    "https://api.newsroom.example/v1/images/0193a8e9-12ab-7cde-8f01-23456789abcd/file";
const PAGE: &str = "https://www.newsroom.example/city/riverside-bridge-reopens";

fn image() -> Value {
    json!({
        "@type": "ImageObject",
        "url": FILE_URL,
        "width": 1600,
        "height": 1067,
        "caption": "The Riverside bridge on the evening it reopened.",
        "creditText": "Photo: Taras Melnyk",
        "copyrightNotice": "© Taras Melnyk, all rights reserved",
    })
}

fn person() -> Value {
    json!({
        "@type": "Person",
        "name": "Olena Kovalenko",
        "url": "https://www.newsroom.example/author/olena-kovalenko",
        "jobTitle": "Transport correspondent",
    })
}

fn logo() -> Value {
    json!({"@type": "ImageObject", "url": "https://www.newsroom.example/logo.png"})
}

fn organization() -> Value {
    json!({
        "@type": "Organization",
        "name": "The Riverside Courier",
        "url": "https://www.newsroom.example/",
        "logo": logo(),
    })
}

fn correction() -> Value {
    json!({
        "@type": "CorrectionComment",
        "text": "An earlier version said the repairs took six months; they took eight.",
        "datePublished": "2026-12-02T10:05:00Z",
    })
}

/// The examples, by schema name.
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        (
            "NewsArticle",
            json!({
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": "Riverside bridge reopens after eight months of repairs",
                "description": "Buses return to their old routes on Tuesday.",
                "image": [image()],
                "author": [person()],
                "datePublished": "2026-12-01T10:00:00Z",
                "dateModified": "2026-12-02T10:05:00Z",
                "publisher": organization(),
                "isAccessibleForFree": true,
                "mainEntityOfPage": {"@type": "WebPage", "@id": PAGE},
                "url": PAGE,
                "inLanguage": "en",
                "articleSection": "City",
                "keywords": ["Transport", "City"],
                "correction": [correction()],
            }),
        ),
        ("ImageObject", image()),
        ("Person", person()),
        ("Organization", organization()),
        ("Logo", logo()),
        ("WebPage", json!({"@type": "WebPage", "@id": PAGE})),
        ("CorrectionComment", correction()),
    ]
}
