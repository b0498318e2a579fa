//! `/metrics` as a Prometheus scraper reads it.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

/// The value of the sample named `name` with exactly `labels`, if present.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{name}{{{labels}}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

async fn metrics_count_requests_cache_pools_and_statuses(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = app
        .new_article_id(
            &editor,
            &json!({"title": "Counted", "body": [{"type": "paragraph", "text": "One."}]}),
        )
        .await;
    app.publish_article(&editor, &id).await;
    for _ in 0..3 {
        assert_eq!(app.get("/v1/articles").send().await.status, 200);
    }
    assert_eq!(
        app.get("/v1/articles/no-such-story").send().await.status,
        404
    );
    assert_eq!(app.get("/v1/nothing/here/at/all").send().await.status, 404);
    // The instance's cache has read the version of the publication.
    app.caught_up().await;

    let res = app.get("/metrics").send().await;
    assert_eq!(res.status, 200);
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        res.header("content-type")
    );
    let text = &res.text;
    let count = |labels: &str| {
        sample(text, "masthead_http_request_duration_seconds_count", labels).unwrap_or(0.0)
    };
    assert!(
        count(r#"route="/v1/articles",method="GET",status="200""#) >= 3.0,
        "{text}"
    );
    assert!(
        count(r#"route="/v1/articles/{id}",method="GET",status="404""#) >= 1.0,
        "{text}"
    );
    assert!(
        count(r#"route="other",method="GET",status="404""#) >= 1.0,
        "{text}"
    );
    assert!(
        count(r#"route="/v1/articles/{id}/publish",method="POST",status="200""#) >= 1.0,
        "{text}"
    );
    assert!(
        text.contains(r#"masthead_http_request_duration_seconds_bucket{le="0.0001",route="/v1/articles",method="GET",status="200"}"#)
            || text.contains(r#"route="/v1/articles",method="GET",status="200",le="0.0001"}"#),
        "{text}"
    );
    // The list was rendered once and stored on the second read: one hit at least.
    let hits = sample(
        text,
        "masthead_response_cache_requests_total",
        r#"result="hit""#,
    );
    let misses = sample(
        text,
        "masthead_response_cache_requests_total",
        r#"result="miss""#,
    );
    assert!(
        hits.unwrap_or(0.0) >= 1.0 && misses.unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    assert!(
        sample(
            text,
            "masthead_db_pool_connections",
            r#"pool="read",state="open""#
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        text.contains("# TYPE masthead_content_version_seen gauge"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert_eq!(text.matches("# EOF").count(), 1, "{text}");
}

backend_tests!(metrics_count_requests_cache_pools_and_statuses);
