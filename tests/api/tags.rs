//! Tags: the strings articles carry, listed with how many published articles carry each,
//! described and merged by editors; a merged tag's old slug keeps working.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

fn tagged(title: &str, tags: &[&str]) -> Value {
    json!({
        "title": title,
        "tags": tags,
        "body": [{"type": "paragraph", "text": "Ships came in."}],
    })
}

/// Creates (and, when `publish`, publishes) an article with these tags; returns its id.
async fn article(app: &TestApp, token: &str, title: &str, tags: &[&str], publish: bool) -> String {
    let id = app.new_article_id(token, &tagged(title, tags)).await;
    if publish {
        app.publish_article(token, &id).await;
    }
    id
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
}

async fn tag_counts_count_only_published_articles(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    article(
        &app,
        &editor,
        "Harbour dredged",
        &["Harbour", "ships"],
        true,
    )
    .await;
    article(&app, &editor, "Harbour fees", &["harbour"], true).await;
    article(
        &app,
        &editor,
        "Harbour secret",
        &["harbour", "secret"],
        false,
    )
    .await;
    let unpublished = article(&app, &editor, "Harbour gone", &["harbour", "gone"], true).await;
    let res = app.unpublish(&editor, &unpublished).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // By name, one per page and all at once; by count.
    let by_name = pairs(&[("harbour", 2), ("ships", 1)]);
    assert_eq!(app.all_tags("/v1/tags?limit=1").await, by_name);
    assert_eq!(app.all_tags("/v1/tags?limit=100").await, by_name);
    article(&app, &editor, "Anchors", &["anchors"], true).await;
    assert_eq!(
        app.all_tags("/v1/tags?sort=count&limit=1").await,
        pairs(&[("harbour", 2), ("anchors", 1), ("ships", 1)])
    );
    assert_eq!(
        app.all_tags("/v1/tags?sort=name&limit=2").await,
        pairs(&[("anchors", 1), ("harbour", 2), ("ships", 1)])
    );

    let harbour = app.get("/v1/tags/harbour").send().await;
    assert_eq!(harbour.status, 200, "{}", harbour.text);
    assert_eq!(
        harbour.json(),
        json!({"slug": "harbour", "name": "harbour", "description": null, "count": 2})
    );
    // Tags only drafts and taken-down articles carry do not exist for the public.
    for slug in ["secret", "gone", "nothing"] {
        let res = app.get(&format!("/v1/tags/{slug}")).send().await;
        assert_problem(&res, 404, "not-found");
    }
}

async fn editors_describe_and_merge_tags_and_old_slugs_keep_working(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let first = article(&app, &editor, "Harbour dredged", &["harbour"], true).await;
    let second = article(&app, &editor, "Port fees rise", &["port", "fees"], true).await;
    let both = article(
        &app,
        &editor,
        "Port and harbour",
        &["port", "harbour"],
        true,
    )
    .await;

    // Described: the public sees the name and description.
    let etag = app.etag("/v1/tags/harbour", None).await;
    let res = app
        .update_tag(
            &editor,
            "harbour",
            &etag,
            &json!({"name": "Harbour", "description": "The port and its ships."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let read = app.get("/v1/tags/harbour").send().await.json();
    assert_eq!(read["name"], "Harbour");
    assert_eq!(read["description"], "The port and its ships.");
    assert_eq!(read["count"], 2);

    // Merged: the articles follow, the old slug answers as the new tag and filters to it.
    let res = app.merge_tag(&editor, "port", "Harbour").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["slug"], "harbour");
    assert_eq!(res.json()["count"], 3);
    let old = app.get("/v1/tags/port").send().await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert_eq!(old.json()["slug"], "harbour");
    let expected = [both.clone(), second.clone(), first.clone()];
    for path in ["/v1/articles?tag=port", "/v1/articles?tag=harbour"] {
        let page = app.get(path).send().await.json();
        assert_eq!(ids(&page), expected, "{path}");
    }
    let moved = app
        .get(&format!("/v1/articles/{second}"))
        .send()
        .await
        .json();
    assert_eq!(moved["tags"], json!(["harbour", "fees"]));
    let merged = app.get(&format!("/v1/articles/{both}")).send().await.json();
    assert_eq!(merged["tags"], json!(["harbour"]));
    assert_eq!(
        app.all_tags("/v1/tags?limit=10").await,
        pairs(&[("fees", 1), ("harbour", 3)])
    );
    // A story written with the old tag gets the new one.
    let later = app
        .create_article(&editor, &tagged("Port reopens", &["port"]))
        .await;
    assert_eq!(later["tags"], json!(["harbour"]));

    // Merging again, or into itself, is refused.
    assert_problem(
        &app.merge_tag(&editor, "port", "fees").await,
        409,
        "conflict",
    );
    let res = app.merge_tag(&editor, "harbour", "harbour").await;
    assert_eq!(
        problem_fields(&assert_problem(&res, 422, "validation")),
        ["into"]
    );
}

async fn only_editors_change_tags_and_bad_input_is_a_problem(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (_, writer) = app.user_with_role("writer").await;
    let writer = writer.access;
    article(&app, &editor, "Harbour dredged", &["harbour"], true).await;
    article(&app, &editor, "Draft only", &["plans"], false).await;

    let etag = app.etag("/v1/tags/harbour", None).await;
    let res = app
        .update_tag(&writer, "harbour", &etag, &json!({"description": "Mine."}))
        .await;
    assert_problem(&res, 403, "forbidden");
    assert_problem(
        &app.merge_tag(&writer, "harbour", "port").await,
        403,
        "forbidden",
    );

    // A tag only a draft carries can be described ahead, and then the public finds it.
    let res = app
        .update_tag(
            &editor,
            "plans",
            "\"v0\"",
            &json!({"description": "What is coming."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let plans = app.get("/v1/tags/plans").send().await.json();
    assert_eq!(plans["count"], 0);
    assert_eq!(plans["description"], "What is coming.");

    for (patch, field) in [
        (json!({"description": "x".repeat(2_001)}), "description"),
        (json!({"name": "x".repeat(51)}), "name"),
    ] {
        let res = app.update_tag(&editor, "harbour", &etag, &patch).await;
        assert_eq!(
            problem_fields(&assert_problem(&res, 422, "validation")),
            [field]
        );
    }
    let res = app
        .update_tag(&editor, "harbour", &etag, &json!({"colour": "blue"}))
        .await;
    assert!((400..500).contains(&res.status), "{}", res.text);
    let res = app
        .patch("/v1/tags/harbour")
        .bearer(&editor)
        .json(&json!({"description": "x"}))
        .send()
        .await;
    assert_problem(&res, 428, "precondition-required");
    let res = app
        .update_tag(&editor, "harbour", "\"v7\"", &json!({"description": "x"}))
        .await;
    assert_problem(&res, 412, "precondition-failed");
    let res = app
        .update_tag(&editor, "nowhere", "*", &json!({"description": "x"}))
        .await;
    assert_problem(&res, 404, "not-found");
    assert_problem(
        &app.merge_tag(&editor, "nowhere", "harbour").await,
        404,
        "not-found",
    );
    let res = app.merge_tag(&editor, "harbour", " ").await;
    assert_eq!(
        problem_fields(&assert_problem(&res, 422, "validation")),
        ["into"]
    );
    for path in [
        "/v1/tags?sort=size",
        "/v1/tags?limit=0",
        "/v1/tags?cursor=nope",
    ] {
        let res = app.get(path).send().await;
        assert!((400..500).contains(&res.status), "{path}: {}", res.text);
        assert_eq!(res.header("content-type"), Some("application/problem+json"));
    }
    let harbour = app.get("/v1/tags/harbour").send().await.json();
    assert_eq!(harbour["description"], Value::Null);
}

backend_tests!(
    tag_counts_count_only_published_articles,
    editors_describe_and_merge_tags_and_old_slugs_keep_working,
    only_editors_change_tags_and_bad_input_is_a_problem,
);
