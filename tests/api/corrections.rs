//! Correction reports: readers flag mistakes, editors triage, the public sees the record.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

const BODY: &str = "The council approved the budget on Tuesday. \u{201C}We will rebuild the bridge by spring,\u{201D} the mayor said.";

async fn published(app: &TestApp, token: &str, title: &str) -> Value {
    let created = app.create_article(token,
        &json!({"title": title, "standfirst": "The city plans for next year.", "body": [{"type": "paragraph", "text": BODY}]}),
    )
    .await;
    app.publish_article(token, created["id"].as_str().unwrap())
        .await
}

fn report(quote: &str) -> Value {
    json!({"quote": quote, "suggestion": "It was Wednesday.", "comment": "I was there.", "name": "Reader One", "email": "reader.one@mail.example"})
}

async fn send(app: &TestApp, article: &str, body: &Value, forwarded: Option<&str>) -> Resp {
    let mut req = app
        .post(&format!("/v1/articles/{article}/corrections"))
        .json(body);
    if let Some(xff) = forwarded {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await
}

async fn a_quote_is_found_whatever_its_whitespace(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let article = published(&app, &editor, "Budget approved").await;
    let slug = article["slug"].as_str().unwrap();

    // Copied from a browser: line break, double spaces, straight quotes instead of curly ones.
    let res = send(
        &app,
        slug,
        &report("approved  the budget\non Tuesday. \"We will rebuild"),
        None,
    )
    .await;
    assert_eq!(res.status, 202, "{}", res.text);
    let receipt = res.json();
    assert_eq!(receipt["status"], "new");
    assert_eq!(receipt["quote_found"], true);
    assert_eq!(receipt["quote_location"]["field"], "body");
    let start = receipt["quote_location"]["start"].as_u64().unwrap() as usize;
    let end = receipt["quote_location"]["end"].as_u64().unwrap() as usize;
    let text = article["body_text"].as_str().unwrap();
    let found: String = text.chars().skip(start).take(end - start).collect();
    assert_eq!(
        found,
        "approved the budget on Tuesday. \u{201C}We will rebuild"
    );

    let missing = send(&app, slug, &report("the tunnel was closed"), None).await;
    assert_eq!(missing.status, 202);
    assert_eq!(missing.json()["quote_found"], false);

    // Editors see where, and who.
    let id = receipt["id"].as_str().unwrap();
    let seen = app
        .get_as(&editor, &format!("/v1/corrections/{id}"))
        .await
        .json();
    assert_eq!(seen["quote_location"], receipt["quote_location"]);
    assert_eq!(seen["reporter_email"], "reader.one@mail.example");
    let queue = app
        .get_as(&editor, "/v1/corrections?status=new")
        .await
        .json();
    assert_eq!(queue["items"].as_array().unwrap().len(), 2);
    assert_eq!(queue["items"][0]["id"], receipt["id"], "oldest first");
    let not_found = app
        .get_as(&editor, "/v1/corrections?quote_found=false")
        .await
        .json();
    assert_eq!(not_found["items"].as_array().unwrap().len(), 1);
}

async fn the_sixth_report_in_a_minute_waits(backend: Backend) {
    // Untrusted proxy headers are ignored: all these come from 127.0.0.1.
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let article = published(&app, &editor, "Rates").await;
    let id = article["id"].as_str().unwrap();
    for i in 0..5 {
        let res = send(
            &app,
            id,
            &report(&format!("budget {i}")),
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        assert_eq!(res.status, 202, "{}", res.text);
    }
    let sixth = send(&app, id, &report("budget 6"), Some("198.51.100.99")).await;
    assert_problem(&sixth, 429, "too-many-requests");
    let wait: u64 = sixth.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let stored = app.get_as(&editor, "/v1/corrections").await.json();
    assert_eq!(stored["items"].as_array().unwrap().len(), 5);
}

async fn behind_a_trusted_proxy_clients_are_told_apart(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[("MASTHEAD_TRUSTED_PROXIES", "127.0.0.1/32, ::1")],
    )
    .await;
    let editor = app.admin_token().await;
    let article = published(&app, &editor, "Proxies").await;
    let id = article["id"].as_str().unwrap();
    for i in 0..5 {
        let res = send(
            &app,
            id,
            &report(&format!("budget {i}")),
            Some("203.0.113.7"),
        )
        .await;
        assert_eq!(res.status, 202, "{}", res.text);
    }
    let limited = send(&app, id, &report("budget 5"), Some("203.0.113.7")).await;
    assert_problem(&limited, 429, "too-many-requests");
    // Another reader behind the same proxy is not punished for the first one.
    let other = send(&app, id, &report("budget 6"), Some("203.0.113.8")).await;
    assert_eq!(other.status, 202, "{}", other.text);
    // A client cannot spoof its way out: the right-most untrusted address counts.
    let spoofed = send(
        &app,
        id,
        &report("budget 7"),
        Some("192.0.2.1, 203.0.113.7"),
    )
    .await;
    assert_problem(&spoofed, 429, "too-many-requests");
}

async fn bots_and_repeats_are_not_stored_twice(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let article = published(&app, &editor, "Bots").await;
    let id = article["id"].as_str().unwrap();
    let mut bot = report("the budget");
    bot["website"] = json!("https://spam.example");
    let res = send(&app, id, &bot, None).await;
    assert_eq!(res.status, 202, "a bot is told nothing");
    let first = send(&app, id, &report("the budget"), None).await.json();
    let again = send(&app, id, &report("the budget"), None).await.json();
    assert_eq!(
        first["id"], again["id"],
        "an identical report is stored once"
    );
    let stored = app.get_as(&editor, "/v1/corrections").await.json();
    assert_eq!(stored["items"].as_array().unwrap().len(), 1);
}

async fn an_accepted_correction_joins_the_public_record(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let article = published(&app, &editor, "Record").await;
    let id = article["id"].as_str().unwrap().to_owned();
    let before = app.get(&format!("/v1/articles/{id}")).send().await;
    let old_etag = before.header("etag").unwrap().to_owned();
    assert_eq!(before.json()["corrections"], json!([]));

    let receipt = send(&app, &id, &report("on Tuesday"), None).await.json();
    let rid = receipt["id"].as_str().unwrap();
    let path = format!("/v1/corrections/{rid}");
    let mut tag = app
        .get_as(&editor, &path)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    for change in [
        json!({"status": "triaged", "editor_note": "Checked the council minutes."}),
        json!({"status": "accepted", "public_note": "An earlier version gave the wrong day of the vote; it was Wednesday."}),
    ] {
        let res = app.update_correction(&editor, rid, &tag, &change).await;
        assert_eq!(res.status, 200, "{}", res.text);
        tag = res.header("etag").unwrap().to_owned();
    }

    let after = app.get(&format!("/v1/articles/{id}")).send().await;
    let new_etag = after.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, old_etag, "caches must see the correction");
    assert_eq!(
        app.get(&format!("/v1/articles/{id}"))
            .header("if-none-match", &old_etag)
            .send()
            .await
            .status,
        200
    );
    let body = after.json();
    assert_eq!(
        body["corrections"][0]["note"],
        "An earlier version gave the wrong day of the vote; it was Wednesday."
    );
    assert_eq!(body["corrected_at"], body["corrections"][0]["corrected_at"]);
    let log = app
        .get(&format!("/v1/articles/{id}/corrections"))
        .send()
        .await;
    assert_eq!(log.status, 200);
    assert_eq!(log.json()["items"].as_array().unwrap().len(), 1);

    // A silent fix (accepted, no public note) stays internal.
    let typo = send(&app, &id, &report("the bridge"), None).await.json();
    let tpath = format!("/v1/corrections/{}", typo["id"].as_str().unwrap());
    let t1 = app
        .get_as(&editor, &tpath)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let t2 = app
        .update(&editor, &tpath, &t1, &json!({"status": "triaged"}))
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let res = app
        .update(&editor, &tpath, &t2, &json!({"status": "accepted"}))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        app.get(&format!("/v1/articles/{id}/corrections"))
            .send()
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // No public response anywhere carries the reporter's name or email.
    for path in [
        format!("/v1/articles/{id}"),
        format!("/v1/articles/{id}/corrections"),
        "/v1/articles".to_owned(),
    ] {
        let text = app.get(&path).send().await.text;
        assert!(
            !text.contains("reader.one@mail.example") && !text.contains("Reader One"),
            "{path}: {text}"
        );
    }
    // The article's history shows the correction.
    let revisions = app
        .get_as(&editor, &format!("/v1/articles/{id}/revisions"))
        .await
        .json();
    assert_eq!(revisions["items"][0]["action"], "correction");

    // An admin erases the reporter's data; the report stays.
    let editor_only = app.user_with_role("editor").await.1;
    assert_problem(
        &app.remove(&editor_only.access, &format!("{path}/reporter"), &tag)
            .await,
        403,
        "forbidden",
    );
    let erased = app.remove(&editor, &format!("{path}/reporter"), &tag).await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    let kept = app.get_as(&editor, &path).await.json();
    assert_eq!(kept["reporter_email"], Value::Null);
    assert_eq!(kept["reporter_name"], Value::Null);
    assert!(kept["reporter_erased_at"].is_string());
    assert_eq!(kept["status"], "accepted");
}

async fn bad_reports_and_bad_triage_are_refused(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_CORRECTIONS_PER_MINUTE", "100")]).await;
    let editor = app.admin_token().await;
    let article = published(&app, &editor, "Strict").await;
    let id = article["id"].as_str().unwrap().to_owned();
    let draft = app
        .post_article(
            &editor,
            &json!({"title": "Unpublished scoop", "body": [{"type": "paragraph", "text": "Secret."}]}),
        )
        .await
        .json();
    let on_draft = send(&app, draft["id"].as_str().unwrap(), &report("Secret"), None).await;
    let unknown = send(&app, "no-such-article", &report("Secret"), None).await;
    assert_eq!(
        assert_problem(&on_draft, 404, "not-found"),
        assert_problem(&unknown, 404, "not-found"),
        "a draft is indistinguishable from nothing"
    );

    let cases = [
        (json!({"quote": " ", "suggestion": "x"}), "quote"),
        (
            json!({"quote": "x".repeat(1001), "suggestion": "x"}),
            "quote",
        ),
        (
            json!({"quote": "budget", "suggestion": "a\u{7}bell"}),
            "suggestion",
        ),
        (
            json!({"quote": "budget", "suggestion": "x".repeat(5001)}),
            "suggestion",
        ),
        (
            json!({"quote": "budget", "suggestion": "x", "comment": "y".repeat(5001)}),
            "comment",
        ),
        (
            json!({"quote": "budget", "suggestion": "x", "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"quote": "budget", "suggestion": "x", "phone": "123"}),
            "phone",
        ),
    ];
    for (body, field) in cases {
        let res = send(&app, &id, &body, None).await;
        assert_eq!(
            problem_fields(&assert_problem(&res, 422, "validation")),
            vec![field],
            "{body}"
        );
    }
    assert!(
        app.get_as(&editor, "/v1/corrections").await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let first = send(&app, &id, &report("budget"), None).await.json();
    let rid = first["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/corrections/{rid}");
    let tag = app
        .get_as(&editor, &path)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let patch = |body: Value| {
        app.patch(&path)
            .bearer(&editor)
            .header("if-match", &tag)
            .json(&body)
    };
    assert_problem(
        &patch(json!({"status": "done"})).send().await,
        422,
        "validation",
    );
    let skip = patch(json!({"status": "accepted"})).send().await;
    assert_eq!(
        problem_fields(&assert_problem(&skip, 422, "validation")),
        vec!["status"]
    );
    let triaged = patch(json!({"status": "triaged"})).send().await;
    assert_eq!(triaged.status, 200);
    let tag = triaged.header("etag").unwrap().to_owned();
    let patch = |body: Value| {
        app.patch(&path)
            .bearer(&editor)
            .header("if-match", &tag)
            .json(&body)
    };
    let no_original = patch(json!({"status": "duplicate"})).send().await;
    assert_eq!(
        problem_fields(&assert_problem(&no_original, 422, "validation")),
        vec!["duplicate_of"]
    );
    let other_article = published(&app, &editor, "Elsewhere").await;
    let elsewhere = send(
        &app,
        other_article["id"].as_str().unwrap(),
        &report("budget"),
        None,
    )
    .await
    .json();
    let wrong = patch(json!({"status": "duplicate", "duplicate_of": elsewhere["id"]}))
        .send()
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&wrong, 422, "validation")),
        vec!["duplicate_of"]
    );
    let itself = patch(json!({"status": "duplicate", "duplicate_of": rid}))
        .send()
        .await;
    assert_problem(&itself, 422, "validation");
    assert_problem(
        &app.patch(&path)
            .bearer(&editor)
            .json(&json!({"status": "rejected"}))
            .send()
            .await,
        428,
        "precondition-required",
    );

    // Writers do not triage.
    let writer = app.user_with_role("writer").await.1;
    assert_problem(
        &app.get_as(&writer.access, "/v1/corrections").await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.update_correction(&writer.access, &rid, &tag, &json!({"status": "rejected"}))
            .await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get("/v1/corrections").send().await,
        401,
        "unauthorized",
    );

    // Nothing of that changed the report.
    let now = app.get_as(&editor, &path).await.json();
    assert_eq!(now["status"], "triaged");
    assert_eq!(now["duplicate_of"], Value::Null);

    // A real duplicate, then reopened.
    let second = send(&app, &id, &report("the budget on Tuesday"), None)
        .await
        .json();
    let dup = patch(json!({"status": "duplicate", "duplicate_of": second["id"]}))
        .send()
        .await;
    assert_eq!(dup.status, 200, "{}", dup.text);
    let tag = dup.header("etag").unwrap().to_owned();
    let reopened = app
        .update_correction(&editor, &rid, &tag, &json!({"status": "triaged"}))
        .await;
    assert_eq!(reopened.status, 200);
    assert_eq!(reopened.json()["duplicate_of"], Value::Null);
}

backend_tests!(
    a_quote_is_found_whatever_its_whitespace,
    the_sixth_report_in_a_minute_waits,
    behind_a_trusted_proxy_clients_are_told_apart,
    bots_and_repeats_are_not_stored_twice,
    an_accepted_correction_joins_the_public_record,
    bad_reports_and_bad_triage_are_refused,
);
