//! An attacker's inputs: NUL and other control characters in every place a request carries
//! text (path segments, query values, cursors, JSON strings), and times out of any database's
//! range. Each gets a 4xx problem document on both backends, and nothing is written.

use base64::Engine;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

/// How many articles, images, captions and reports the staff can see.
async fn counts(app: &TestApp, token: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for path in [
        "/v1/articles?status=any&limit=100",
        "/v1/images?limit=100",
        "/v1/corrections?limit=100",
    ] {
        let res = app.get_as(token, path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        out.push(res.json()["items"].as_array().map_or(0, Vec::len));
    }
    out
}

async fn control_characters_and_impossible_times_are_refused_everywhere(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let id = app
        .new_article_id(
            &admin,
            &json!({"title": "Target", "body": [{"type": "paragraph", "text": "Words."}]}),
        )
        .await;
    app.publish_article(&admin, &id).await;
    let before = counts(&app, &admin).await;

    let cursor = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    // Path segments and query values, with and without a token.
    let targets: Vec<(String, &str)> = vec![
        ("/v1/articles/%00".into(), ""),
        ("/v1/articles/a%00b/corrections".into(), ""),
        ("/v1/images/%00".into(), ""),
        ("/v1/images/%00/file".into(), ""),
        ("/v1/captions/%00".into(), ""),
        ("/v1/users/%1F".into(), ""),
        ("/v1/articles?tag=%00".into(), "tag"),
        ("/v1/articles?section=x%00".into(), "section"),
        ("/v1/articles?author=%00".into(), "author"),
        ("/v1/articles?q=bridge%00".into(), "q"),
        ("/v1/captions?image_id=%00".into(), "image_id"),
        (
            "/v1/articles?published_after=-200000-01-01T00:00:00Z".into(),
            "published_after",
        ),
        (
            "/v1/articles?published_before=+20000-01-01T00:00:00Z".into(),
            "published_before",
        ),
        (
            format!(
                "/v1/articles?cursor={}",
                cursor("articles-p:-8000000000000000000|x")
            ),
            "",
        ),
        (
            format!("/v1/articles?cursor={}", cursor("articles-p:0|\u{0}")),
            "",
        ),
        (
            format!(
                "/v1/articles?status=any&cursor={}",
                cursor("articles-c:\u{0}")
            ),
            "",
        ),
        (format!("/v1/images?cursor={}", cursor("images:\u{0}")), ""),
    ];
    for (path, field) in &targets {
        for token in [None, Some(admin.as_str())] {
            let mut req = app.get(path);
            if let Some(t) = token {
                req = req.bearer(t);
            }
            let res = req.send().await;
            assert!(
                (400..500).contains(&res.status),
                "GET {path}: {} {}",
                res.status,
                res.text
            );
            assert_eq!(
                res.header("content-type"),
                Some("application/problem+json"),
                "GET {path}"
            );
            if !field.is_empty() && res.status == 422 {
                assert_eq!(
                    problem_fields(&res.json()),
                    vec![field.to_string()],
                    "{path}"
                );
            }
        }
    }
    for path in [
        "/v1/articles/%00",
        "/v1/images/%00",
        "/v1/captions/%00",
        "/v1/users/%00",
    ] {
        let res = app.remove(&admin, path, "*").await;
        assert!(
            (400..500).contains(&res.status),
            "DELETE {path}: {}",
            res.text
        );
    }

    // JSON strings: each names its field.
    let nul = "a\u{0}b";
    let report_path = format!("/v1/articles/{id}/corrections");
    let bodies: Vec<(&str, &str, Value, &str)> = vec![
        (
            "POST",
            "/v1/auth/login",
            json!({"email": nul, "password": "x"}),
            "email",
        ),
        (
            "POST",
            "/v1/articles",
            json!({"title": "T", "body": [], "authors": [nul]}),
            "authors[0]",
        ),
        (
            "POST",
            "/v1/articles",
            json!({"title": "T", "body": [], "related": [nul]}),
            "related[0]",
        ),
        (
            "POST",
            "/v1/articles",
            json!({"title": "T", "body": [], "featured_image": {"image_id": nul}}),
            "featured_image.image_id",
        ),
        (
            "POST",
            "/v1/articles",
            json!({"title": "T", "body": [{"type": "image", "image_id": nul}]}),
            "body[0].image_id",
        ),
        (
            "POST",
            "/v1/captions",
            json!({"image_id": nul, "article_id": id, "text": "x"}),
            "image_id",
        ),
        ("POST", &report_path, json!({"quote": nul}), "quote"),
        (
            "POST",
            "/v1/users",
            json!({"email": nul, "password": "long enough pass", "role": "writer"}),
            "email",
        ),
        (
            "POST",
            "/v1/auth/refresh",
            json!({"refresh_token": nul}),
            "refresh_token",
        ),
    ];
    for (method, path, body, field) in bodies {
        let res = app
            .request(method.parse().unwrap(), path)
            .bearer(&admin)
            .json(&body)
            .send()
            .await;
        let problem = assert_problem(&res, 422, "validation");
        assert_eq!(
            problem_fields(&problem),
            vec![field.to_owned()],
            "{method} {path}"
        );
    }
    // A NUL in a triage's duplicate_of, with If-Match.
    let report = app.report_correction(&id, &json!({"quote": "Words"})).await;
    assert_eq!(report.status, 202, "{}", report.text);
    let report_id = report.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .update_correction(
            &admin,
            &report_id,
            "*",
            &json!({"status": "duplicate", "duplicate_of": nul}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&res, 422, "validation")),
        vec!["duplicate_of"]
    );

    // Nothing was written by any of it but the one report.
    let after = counts(&app, &admin).await;
    assert_eq!(after, vec![before[0], before[1], before[2] + 1]);
}

backend_tests!(control_characters_and_impossible_times_are_refused_everywhere);
