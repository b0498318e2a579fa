//! Webhooks: admins register endpoints; every public change reaches a real receiver, signed to
//! the Standard Webhooks specification (checked with the reference crate), at least once,
//! across failures, restarts, a `kill -9` and a second instance.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{jpeg_with_gps, upload};

backend_tests!(
    a_publication_reaches_the_receiver_signed_and_drafts_send_nothing,
    each_public_change_sends_its_event_with_the_keys_to_revalidate,
    a_rejected_change_sends_nothing,
    a_change_rolled_back_after_its_event_was_written_sends_nothing,
    a_receiver_failing_three_times_gets_the_event_on_the_fourth_with_the_same_id,
    a_rotated_secret_signs_alongside_the_new_one_for_a_day,
    a_scheduled_article_is_announced_when_it_goes_public,
    only_admins_manage_webhooks_and_bad_input_is_a_problem,
    private_targets_are_refused_unless_the_operator_allows_them,
    a_private_target_is_refused_again_when_sending,
    a_hanging_endpoint_never_delays_another,
    an_endpoint_failing_past_the_limit_is_disabled_and_says_why,
    an_event_committed_before_a_kill_9_is_delivered_after_the_restart,
    the_document_describes_every_payload_as_it_is_sent,
    a_section_rename_announces_each_published_article_in_it,
    a_tag_merge_and_author_renames_announce_the_articles_they_show_on,
);

fn story(title: &str) -> Value {
    json!({
        "title": title,
        "standfirst": "What happened.",
        "body": [{"type": "paragraph", "text": "Words."}],
        "tags": ["city"],
        "section": "news",
    })
}

async fn a_publication_reaches_the_receiver_signed_and_drafts_send_nothing(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let created = app
        .create_webhook(&admin, &receiver.url, &["article.published"])
        .await;
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = created["id"].as_str().unwrap();
    // The secret is shown once: never in a read or a list.
    let read = app.get_as(&admin, &format!("/v1/webhooks/{id}")).await;
    assert_eq!(read.status, 200);
    assert!(!read.text.contains(secret) && read.json().get("secret").is_none());
    let list = app.get_as(&admin, "/v1/webhooks").await;
    assert!(!list.text.contains(secret));
    assert_eq!(
        list.json()["items"][0]["events"],
        json!(["article.published"])
    );

    // A draft, written and rewritten: nothing to announce.
    let article = app.create_article(&admin, &story("Bridge reopens")).await;
    let article_id = article["id"].as_str().unwrap();
    let etag = app
        .etag(&format!("/v1/articles/{article_id}"), Some(&admin))
        .await;
    let res = app
        .update_article(
            &admin,
            article_id,
            &etag,
            &json!({"title": "Bridge reopens today"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    app.publish_article(&admin, article_id).await;
    let got = receiver
        .wait_for_event("article.published", |d| d["id"] == article_id)
        .await;
    assert!(
        got.verifies_with(secret),
        "the reference implementation verifies it"
    );
    assert!(!got.verifies_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assert!(got.id.starts_with("msg_"), "{}", got.id);
    assert_eq!(got.content_type, "application/json");
    let body = got.json();
    let data = &body["data"];
    assert_eq!(data["slug"], "bridge-reopens");
    assert_eq!(data["title"], "Bridge reopens today");
    assert_eq!(data["tags"], json!(["city"]));
    assert_eq!(data["section"], "news");
    assert_eq!(data["path"], "/v1/articles/bridge-reopens");
    assert_eq!(data["authors"].as_array().unwrap().len(), 1);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        receiver.kinds(),
        ["article.published"],
        "the draft sent nothing"
    );
}

async fn each_public_change_sends_its_event_with_the_keys_to_revalidate(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let (_, secret) = app.subscribe(&admin, &receiver).await;

    // A published story with a captioned photo.
    let photo = upload(
        &app,
        &admin,
        &[
            ("file", Some("p.jpg"), &jpeg_with_gps(64, 48, 1)),
            ("alt_text", None, b"A bridge at dusk"),
            ("credit", None, b"Photo: Taras Melnyk"),
        ],
    )
    .await
    .json();
    let image_id = photo["id"].as_str().unwrap().to_owned();
    let id = app.new_article_id(&admin, &story("Bridge reopens")).await;
    let caption = app
        .post_json(
            &admin,
            "/v1/captions",
            &json!({"image_id": image_id, "article_id": id, "text": "The bridge."}),
        )
        .await
        .json();
    let caption_id = caption["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/articles/{id}");
    let res = app
        .update_article(
            &admin,
            &id,
            &app.etag(&path, Some(&admin)).await,
            &json!({"featured_image": {"image_id": image_id, "caption_id": caption_id}}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    app.publish_article(&admin, &id).await;
    receiver
        .wait_for_event("article.published", |d| d["id"] == id.as_str())
        .await;

    // A new headline, slug and tags: the old slug and the old keys come along.
    let res = app
        .update_article(
            &admin,
            &id,
            &app.etag(&path, Some(&admin)).await,
            &json!({"title": "Bridge reopens at last", "slug": "bridge-open", "tags": ["transport"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let updated = receiver
        .wait_for_event("article.updated", |d| d["slug"] == "bridge-open")
        .await;
    assert!(updated.verifies_with(&secret));
    let data = &updated.json()["data"];
    assert_eq!(data["changed"], json!(["slug", "tags", "title"]));
    assert_eq!(data["old_slugs"], json!(["bridge-reopens"]));
    assert_eq!(data["tags"], json!(["transport"]));
    assert_eq!(data["previous"]["tags"], json!(["city"]));
    assert_eq!(data["path"], "/v1/articles/bridge-open");

    // The caption's words are the article's public content too.
    let res = app
        .update_caption(
            &admin,
            &caption_id,
            &app.etag(&format!("/v1/captions/{caption_id}"), Some(&admin))
                .await,
            &json!({"text": "The bridge on the evening it reopened."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let captioned = receiver
        .wait_for_event("article.updated", |d| {
            d["changed"].as_array().unwrap().contains(&json!("images"))
        })
        .await;
    assert_eq!(captioned.json()["data"]["id"], id.as_str());

    // The image's credit: image.updated, naming the published article that shows it.
    let res = app
        .update_image(
            &admin,
            &image_id,
            &app.etag(&format!("/v1/images/{image_id}"), Some(&admin))
                .await,
            &json!({"credit": "Photo: T. Melnyk / Newsroom"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let image = receiver.wait_for_event("image.updated", |_| true).await;
    let data = &image.json()["data"];
    assert_eq!(data["id"], image_id.as_str());
    assert_eq!(data["changed"], json!(["credit"]));
    assert_eq!(data["articles"][0]["slug"], "bridge-open");

    // A reader's report accepted with a public note: correction.published.
    let report = app
        .report_correction(
            &id,
            &json!({"quote": "Words", "suggestion": "More words.", "name": "Reader", "email": "reader@mail.example"}),
        )
        .await;
    assert_eq!(report.status, 202, "{}", report.text);
    let rid = report.json()["id"].as_str().unwrap().to_owned();
    let mut tag = app
        .etag(&format!("/v1/corrections/{rid}"), Some(&admin))
        .await;
    for change in [
        json!({"status": "triaged"}),
        json!({"status": "accepted", "public_note": "An earlier version said fewer words."}),
    ] {
        let res = app.update_correction(&admin, &rid, &tag, &change).await;
        assert_eq!(res.status, 200, "{}", res.text);
        tag = res.header("etag").unwrap().to_owned();
    }
    let correction = receiver
        .wait_for_event("correction.published", |_| true)
        .await;
    let data = &correction.json()["data"];
    assert_eq!(data["id"], rid.as_str());
    assert_eq!(data["note"], "An earlier version said fewer words.");
    assert_eq!(data["article"]["slug"], "bridge-open");

    // Taken down, put back, deleted.
    let res = app.unpublish(&admin, &id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let down = receiver
        .wait_for_event("article.unpublished", |_| true)
        .await;
    assert_eq!(down.json()["data"]["slug"], "bridge-open");
    app.publish_article(&admin, &id).await;
    eventually("a second article.published", || async {
        let kinds = receiver.kinds();
        (kinds.iter().filter(|k| *k == "article.published").count() == 2).then_some(())
    })
    .await;
    let res = app
        .delete_article(&admin, &id, &app.etag(&path, Some(&admin)).await)
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    let deleted = receiver.wait_for_event("article.deleted", |_| true).await;
    assert_eq!(deleted.json()["data"]["id"], id.as_str());
    assert_eq!(deleted.json()["data"]["tags"], json!(["transport"]));
    assert!(receiver.received().iter().all(|r| r.verifies_with(&secret)));
}

async fn a_rejected_change_sends_nothing(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = app.subscribe(&admin, &receiver).await;
    // A photo without alt text: publishing fails the newsroom's rule, and nothing is written.
    let photo = upload(
        &app,
        &admin,
        &[("file", Some("p.jpg"), &jpeg_with_gps(64, 48, 1))],
    )
    .await
    .json();
    let mut body = story("No alt text");
    body["featured_image"] = json!({"image_id": photo["id"]});
    let id = app.new_article_id(&admin, &body).await;
    let res = app.publish(&admin, &id).await;
    assert_problem(&res, 422, "validation");
    // A ping marks the end: it is the only message.
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    receiver
        .wait_for_event("ping", |d| d["webhook_id"] == webhook.as_str())
        .await;
    // The worker records an attempt after the receiver has it: wait for the record.
    let attempts = eventually("the ping's attempt in the log", || async {
        let log = app.webhook_attempts(&admin, &webhook, 100).await;
        (!log["items"].as_array().unwrap().is_empty()).then_some(log)
    })
    .await;
    assert_eq!(attempts["items"].as_array().unwrap().len(), 1, "{attempts}");
    assert_eq!(receiver.kinds(), ["ping"]);
}

async fn a_change_rolled_back_after_its_event_was_written_sends_nothing(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = app.subscribe(&admin, &receiver).await;
    let id = app.new_article_id(&admin, &story("Rolled back")).await;
    // The publication and its outbox rows are written; the transaction's last statement fails.
    app.db.fail_content_commits(true);
    let res = app.publish(&admin, &id).await;
    assert_eq!(res.status, 500, "{}", res.text);
    app.db.fail_content_commits(false);
    let read = app.get_as(&admin, &format!("/v1/articles/{id}")).await;
    assert_eq!(read.json()["status"], "draft", "{}", read.text);
    // A ping marks the end: it is the only message.
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    receiver
        .wait_for_event("ping", |d| d["webhook_id"] == webhook.as_str())
        .await;
    assert_eq!(receiver.kinds(), ["ping"]);
    // The same publication, committed, is announced.
    app.publish_article(&admin, &id).await;
    let published = receiver.wait_for_event("article.published", |_| true).await;
    assert_eq!(published.json()["data"]["id"], id.as_str());
}

async fn a_receiver_failing_three_times_gets_the_event_on_the_fourth_with_the_same_id(
    backend: Backend,
) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::failing_first(3).await;
    let (webhook, secret) = app.subscribe(&admin, &receiver).await;
    let id = app
        .new_article_id(&admin, &story("Fourth time lucky"))
        .await;
    app.publish_article(&admin, &id).await;

    let got = receiver.wait_for(4).await;
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "one webhook-id on every attempt"
    );
    assert!(got.iter().all(|r| r.verifies_with(&secret)));
    assert!(
        got.iter().all(|r| r.body == got[0].body),
        "the same body every time"
    );
    // The log shows each attempt, newest first: the success, then three failures.
    let log = eventually("four attempts in the log", || async {
        let log = app.webhook_attempts(&admin, &webhook, 10).await;
        (log["items"].as_array().unwrap().len() == 4).then_some(log)
    })
    .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items[0]["status_code"], 204);
    assert_eq!(items[0]["error"], Value::Null);
    for failed in &items[1..] {
        assert_eq!(failed["status_code"], 500);
        assert_eq!(failed["event_id"], got[0].id.as_str());
        assert_eq!(failed["event_type"], "article.published");
        assert!(
            failed["error"].as_str().unwrap().contains("500"),
            "{failed}"
        );
        assert!(failed["duration_ms"].as_i64().unwrap() >= 0);
    }
    // Paged with a cursor.
    let page = app.webhook_attempts(&admin, &webhook, 3).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_as(
            &admin,
            &format!("/v1/webhooks/{webhook}/deliveries?limit=3&cursor={cursor}"),
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["id"], items[3]["id"]);
    assert_eq!(receiver.received().len(), 4, "nothing more once accepted");
}

async fn a_rotated_secret_signs_alongside_the_new_one_for_a_day(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, old) = app.subscribe(&admin, &receiver).await;
    let new = app.rotate_webhook_secret(&admin, &webhook).await;
    assert_ne!(new, old);
    let read = app
        .get_as(&admin, &format!("/v1/webhooks/{webhook}"))
        .await
        .json();
    let expires =
        chrono::DateTime::parse_from_rfc3339(read["previous_secret_expires_at"].as_str().unwrap())
            .unwrap();
    let in_a_day = chrono::Utc::now() + chrono::TimeDelta::hours(24);
    assert!(
        (expires.to_utc() - in_a_day).num_minutes().abs() < 5,
        "{expires}"
    );

    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    let ping = receiver.wait_for_event("ping", |_| true).await;
    assert_eq!(
        ping.signature
            .split(' ')
            .filter(|s| s.starts_with("v1,"))
            .count(),
        2
    );
    assert!(
        ping.verifies_with(&old),
        "receivers with the old secret still verify"
    );
    assert!(
        ping.verifies_with(&new),
        "receivers with the new secret verify"
    );
}

async fn a_scheduled_article_is_announced_when_it_goes_public(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = app.subscribe(&admin, &receiver).await;
    let schedule = |id: String, seconds: i64| {
        let at = chrono::Utc::now() + chrono::TimeDelta::seconds(seconds);
        let app = &app;
        let admin = &admin;
        async move {
            let res = app
                .post_json(
                    admin,
                    &format!("/v1/articles/{id}/publish"),
                    &json!({"at": at.to_rfc3339()}),
                )
                .await;
            assert_eq!(res.status, 200, "{}", res.text);
            at
        }
    };
    // Scheduled, then moved later, then taken back: announced for nothing.
    let withdrawn = app.new_article_id(&admin, &story("Withdrawn")).await;
    schedule(withdrawn.clone(), 1).await;
    let res = app.unpublish(&admin, &withdrawn).await;
    assert_eq!(res.status, 200, "{}", res.text);
    // Scheduled, then rescheduled: announced once, at the new time.
    let id = app.new_article_id(&admin, &story("Embargoed")).await;
    schedule(id.clone(), 60).await;
    let at = schedule(id.clone(), 2).await;
    let published = receiver
        .wait_for_event("article.published", |d| d["id"] == id.as_str())
        .await;
    assert!(chrono::Utc::now() >= at, "not before its time");
    let timestamp = published.json()["timestamp"].as_str().unwrap().to_owned();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&timestamp)
            .unwrap()
            .timestamp(),
        at.timestamp()
    );
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    receiver.wait_for_event("ping", |_| true).await;
    let kinds = receiver.kinds();
    assert_eq!(
        kinds.iter().filter(|k| *k == "article.published").count(),
        1,
        "{kinds:?}"
    );
}

async fn only_admins_manage_webhooks_and_bad_input_is_a_problem(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (_, editor) = app.user_with_role("editor").await;
    let receiver = Receiver::start().await;
    let valid = json!({"url": receiver.url, "events": ["article.published"]});
    assert_problem(
        &app.post("/v1/webhooks").json(&valid).send().await,
        401,
        "unauthorized",
    );
    assert_problem(
        &app.post_webhook(&editor.access, &valid).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get_as(&editor.access, "/v1/webhooks").await,
        403,
        "forbidden",
    );

    for (body, field) in [
        (
            json!({"url": receiver.url, "events": ["article.exploded"]}),
            "events[0]",
        ),
        (json!({"url": receiver.url, "events": []}), "events"),
        (
            json!({"url": "ftp://files.example/hook", "events": ["ping"]}),
            "url",
        ),
        (
            json!({"url": "https://user:secret@hooks.example/", "events": ["article.updated"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "events": ["article.updated"]}),
            "url",
        ),
        (
            json!({"url": receiver.url, "events": ["article.updated"], "description": "x".repeat(501)}),
            "description",
        ),
    ] {
        let res = app.post_webhook(&admin, &body).await;
        let problem = assert_problem(&res, 422, "validation");
        assert!(
            problem_fields(&problem).contains(&field.to_owned()),
            "{body}: {problem}"
        );
    }
    let res = app
        .post_webhook(&admin, &json!({"url": receiver.url}))
        .await;
    assert_eq!(res.status / 100, 4, "{}", res.text);

    let created = app
        .create_webhook(&admin, &receiver.url, &["article.published"])
        .await;
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/webhooks/{id}");
    let etag = app.etag(&path, Some(&admin)).await;
    // PATCH and DELETE need the current ETag.
    let res = app
        .patch(&path)
        .bearer(&admin)
        .json(&json!({"enabled": false}))
        .send()
        .await;
    assert_problem(&res, 428, "precondition-required");
    let res = app
        .update(&admin, &path, "\"v99\"", &json!({"enabled": false}))
        .await;
    assert_problem(&res, 412, "precondition-failed");
    let res = app
        .update(&admin, &path, &etag, &json!({"events": ["nope"]}))
        .await;
    assert_problem(&res, 422, "validation");
    // Disabled, it says why and takes no ping; enabled again, it does.
    let res = app
        .update(&admin, &path, &etag, &json!({"enabled": false}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["enabled"], false);
    assert_eq!(res.json()["disabled_reason"], "disabled by an admin");
    assert_problem(&app.ping_webhook(&admin, id).await, 409, "conflict");
    let res = app
        .update_webhook(&admin, id, &json!({"enabled": true}))
        .await;
    assert_eq!(res.json()["enabled"], true);
    assert_eq!(res.json()["disabled_reason"], Value::Null);
    assert_eq!(app.ping_webhook(&admin, id).await.status, 202);
    receiver.wait_for_event("ping", |_| true).await;
    assert_problem(
        &app.ping_webhook(&editor.access, id).await,
        403,
        "forbidden",
    );
    assert_problem(
        &app.get_as(&editor.access, &format!("{path}/deliveries"))
            .await,
        403,
        "forbidden",
    );

    let res = app
        .remove(&admin, &path, &app.etag(&path, Some(&admin)).await)
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert_problem(&app.get_as(&admin, &path).await, 404, "not-found");
}

async fn private_targets_are_refused_unless_the_operator_allows_them(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_WEBHOOKS_ALLOW_PRIVATE", "false")]).await;
    let admin = app.admin_token().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://100.64.1.1/hook",
        "http://wiki.internal/hook",
    ] {
        let res = app
            .post_webhook(
                &admin,
                &json!({"url": url, "events": ["article.published"]}),
            )
            .await;
        let problem = assert_problem(&res, 422, "validation");
        assert_eq!(problem_fields(&problem), ["url"], "{url}");
    }
    let res = app
        .post_webhook(
            &admin,
            &json!({"url": "https://hooks.newsroom.example/revalidate", "events": ["article.published"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
}

async fn a_private_target_is_refused_again_when_sending(backend: Backend) {
    // Registered while private targets were allowed; the operator has since disallowed them.
    let allowing = spawn_app(&backend).await;
    let admin = allowing.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = allowing.subscribe(&admin, &receiver).await;
    let db = allowing.stop().await;
    let map = settings(&db, &[("MASTHEAD_WEBHOOKS_ALLOW_PRIVATE", "false")]);
    let app = start(db, map).await;
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    let log = eventually("a refused attempt", || async {
        let log = app.webhook_attempts(&admin, &webhook, 10).await;
        (!log["items"].as_array().unwrap().is_empty()).then_some(log)
    })
    .await;
    let attempt = &log["items"][0];
    assert_eq!(attempt["status_code"], Value::Null);
    assert!(
        attempt["error"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1 is a private address"),
        "{attempt}"
    );
    assert!(receiver.received().is_empty());
}

async fn a_hanging_endpoint_never_delays_another(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_WEBHOOK_TIMEOUT", "10s")]).await;
    let admin = app.admin_token().await;
    let (hanging, fast) = (Receiver::hanging().await, Receiver::start().await);
    let (slow, _) = app.subscribe(&admin, &hanging).await;
    app.subscribe(&admin, &fast).await;
    for n in 0..6 {
        let id = app
            .new_article_id(&admin, &story(&format!("Story {n}")))
            .await;
        app.publish_article(&admin, &id).await;
    }
    fast.wait_for(6).await;
    // Every message to the hanging endpoint is still waiting for its answer (10 s each), yet
    // the other endpoint has all of them.
    hanging.wait_for(1).await;
    let log = app.webhook_attempts(&admin, &slow, 10).await;
    assert_eq!(
        log["items"],
        json!([]),
        "no attempt to the hanging endpoint has ended yet"
    );
}

async fn an_endpoint_failing_past_the_limit_is_disabled_and_says_why(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_WEBHOOK_GIVE_UP_AFTER", "1s")]).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::failing_first(usize::MAX).await;
    let (webhook, _) = app.subscribe(&admin, &receiver).await;
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    let read = eventually("the endpoint to be disabled", || async {
        let read = app
            .get_as(&admin, &format!("/v1/webhooks/{webhook}"))
            .await
            .json();
        (read["enabled"] == false).then_some(read)
    })
    .await;
    let reason = read["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("500"), "{reason}");
    assert!(read["disabled_at"].is_string());
    let attempts = receiver.received().len();
    assert!(attempts >= 2, "retried before giving up: {attempts}");
    // Nothing more is sent to it; enabled again, it is sent to again.
    let res = app
        .update_webhook(&admin, &webhook, &json!({"enabled": true}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    receiver.wait_for(attempts + 1).await;
}

async fn the_document_describes_every_payload_as_it_is_sent(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let doc = app.get("/openapi.json").send().await.json();
    let schema_of = |kind: &str| {
        let reference = doc["webhooks"][kind]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("no webhook {kind} in the document"))
            .to_owned();
        let name = reference
            .trim_start_matches("#/components/schemas/")
            .to_owned();
        doc["components"]["schemas"][name].clone()
    };
    let keys = |value: &Value| {
        let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    for kind in [
        "article.published",
        "article.updated",
        "article.unpublished",
        "article.deleted",
        "correction.published",
        "image.updated",
        "ping",
    ] {
        let schema = schema_of(kind);
        assert_eq!(
            keys(&schema["properties"]),
            ["data", "timestamp", "type"],
            "{kind}"
        );
    }
    // What is sent has exactly the fields the document names.
    let receiver = Receiver::start().await;
    let (webhook, _) = app.subscribe(&admin, &receiver).await;
    let id = app.new_article_id(&admin, &story("Described")).await;
    app.publish_article(&admin, &id).await;
    assert_eq!(app.ping_webhook(&admin, &webhook).await.status, 202);
    for kind in ["article.published", "ping"] {
        let sent = receiver.wait_for_event(kind, |_| true).await.json();
        let data = schema_of(kind)["properties"]["data"]["$ref"]
            .as_str()
            .unwrap()
            .trim_start_matches("#/components/schemas/")
            .to_owned();
        let data_schema = &doc["components"]["schemas"][data];
        assert_eq!(
            keys(&sent["data"]),
            keys(&data_schema["properties"]),
            "{kind}"
        );
        assert_eq!(keys(&sent), ["data", "timestamp", "type"]);
    }
}

/// Several instances share one PostgreSQL (SQLite has one writer, so one instance): each event
/// is sent by one of them.
#[actix_web::test]
async fn two_instances_on_one_postgresql_deliver_each_event_once() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let first = spawn_app(&backend).await;
    let second = start(TestDb::alias(&first.db), settings(&first.db, &[])).await;
    let admin = first.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, _) = first.subscribe(&admin, &receiver).await;
    // Events written through both instances; both workers look for due deliveries.
    let mut ids = Vec::new();
    for n in 0..12 {
        let app = if n % 2 == 0 { &first } else { &second };
        let id = app
            .new_article_id(&admin, &story(&format!("Story {n}")))
            .await;
        app.publish_article(&admin, &id).await;
        ids.push(id);
    }
    let got = receiver.wait_for(12).await;
    // Every delivery recorded as accepted: nothing is left to send again.
    eventually("twelve attempts in the log", || async {
        let log = first.webhook_attempts(&admin, &webhook, 100).await;
        (log["items"].as_array().unwrap().len() >= 12).then_some(())
    })
    .await;
    let log = second.webhook_attempts(&admin, &webhook, 100).await;
    assert_eq!(log["items"].as_array().unwrap().len(), 12, "{log}");
    let got_now = receiver.received();
    assert_eq!(got_now.len(), 12, "each event once: {:?}", receiver.kinds());
    let mut seen: Vec<String> = got
        .iter()
        .map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    ids.sort();
    assert_eq!(seen, ids);
}

async fn an_event_committed_before_a_kill_9_is_delivered_after_the_restart(backend: Backend) {
    // The receiver is down until the restart, so nothing can be delivered before the kill.
    let port = free_port();
    let db = TestDb::migrated(&backend);
    let map = settings(
        &db,
        &[
            ("MASTHEAD_WEBHOOK_RETRY_BASE_MS", "1000"),
            ("MASTHEAD_WEBHOOK_TIMEOUT", "1s"),
        ],
    );
    let process = start_process(db, map).await;
    let admin = process.admin_token().await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let created = process
        .create_webhook(&admin, &url, &["article.published"])
        .await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = process
        .new_article_id(&admin, &story("Survives a crash"))
        .await;
    process.publish_article(&admin, &id).await;
    // Committed (the publication answered); killed before any delivery could succeed.
    let db = process.kill();

    let receiver = Receiver::on_port(port);
    let map = settings(&db, &[]);
    let restarted = start(db, map).await;
    let got = receiver
        .wait_for_event("article.published", |d| d["id"] == id.as_str())
        .await;
    assert!(got.verifies_with(&secret));
    drop(restarted);
}

/// The `article.updated` events received so far, by the id of their article.
fn updates(receiver: &Receiver) -> Vec<Value> {
    receiver
        .received()
        .iter()
        .filter(|r| r.kind() == "article.updated")
        .map(|r| r.json()["data"].clone())
        .collect()
}

/// Waits for the `n`th `article.updated`, then pings the endpoint and waits for the ping, so
/// that everything the change wrote has had its chance to arrive; returns the updates.
async fn exactly_updates(
    app: &TestApp,
    admin: &str,
    receiver: &Receiver,
    webhook: &str,
    n: usize,
) -> Vec<Value> {
    eventually(&format!("{n} article.updated webhooks"), || async {
        (updates(receiver).len() >= n).then_some(())
    })
    .await;
    assert_eq!(app.ping_webhook(admin, webhook).await.status, 202);
    receiver
        .wait_for_event("ping", |d| d["webhook_id"] == webhook)
        .await;
    let got = updates(receiver);
    assert_eq!(got.len(), n, "{got:?}");
    got
}

async fn a_section_rename_announces_each_published_article_in_it(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let receiver = Receiver::start().await;
    let (webhook, secret) = app.subscribe(&admin, &receiver).await;
    let mut published = Vec::new();
    for title in ["Council votes", "Budget passes"] {
        let id = app.new_article_id(&admin, &story(title)).await;
        app.publish_article(&admin, &id).await;
        published.push(id);
    }
    // A draft in the section, and a published story elsewhere: neither is announced.
    app.new_article_id(&admin, &story("Unfinished")).await;
    let mut elsewhere = story("Match report");
    elsewhere["section"] = json!("sport");
    let other = app.new_article_id(&admin, &elsewhere).await;
    app.publish_article(&admin, &other).await;
    for id in published.iter().chain([&other]) {
        receiver
            .wait_for_event("article.published", |d| d["id"] == id.as_str())
            .await;
    }

    app.change_section(&admin, "news", &json!({"name": "World news"}))
        .await;
    let got = exactly_updates(&app, &admin, &receiver, &webhook, 2).await;
    let mut ids: Vec<&str> = got.iter().map(|d| d["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected: Vec<&str> = published.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(ids, expected);
    for data in &got {
        assert_eq!(data["changed"], json!(["section"]), "{data}");
        assert_eq!(data["section"], "World news", "{data}");
        assert_eq!(data["previous"]["section"], "news", "{data}");
        assert!(
            data["slug"].is_string() && data["path"].is_string(),
            "{data}"
        );
    }
    let delivered = receiver
        .wait_for_event("article.updated", |d| d["id"] == published[0].as_str())
        .await;
    assert!(delivered.verifies_with(&secret));
}

async fn a_tag_merge_and_author_renames_announce_the_articles_they_show_on(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (writer_id, writer) = app.user_with_role("writer").await;
    let receiver = Receiver::start().await;
    let (webhook, _) = app.subscribe(&admin, &receiver).await;
    let guest = app.create_guest(&admin, "Ana Lima").await;
    let guest_slug = guest["slug"].as_str().unwrap().to_owned();
    let mut body = story("Tram line opens");
    body["authors"] = json!([writer_id, guest["id"]]);
    // Writers may not create sections; this story has none.
    body.as_object_mut().unwrap().remove("section");
    let id = app.new_article_id(&writer.access, &body).await;
    app.publish_article(&admin, &id).await;
    // A draft with the same tag and authors announces nothing.
    app.new_article_id(&writer.access, &body).await;
    receiver
        .wait_for_event("article.published", |d| d["id"] == id.as_str())
        .await;

    // The tag merged away: the article's tags change.
    let res = app.merge_tag(&admin, "city", "town").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let got = exactly_updates(&app, &admin, &receiver, &webhook, 1).await;
    assert_eq!(got[0]["id"], id.as_str());
    assert_eq!(got[0]["changed"], json!(["tags"]));
    assert_eq!(got[0]["tags"], json!(["town"]));
    assert_eq!(got[0]["previous"]["tags"], json!(["city"]));

    // The staff author's account renamed, then the guest: the byline's names change.
    let path = format!("/v1/users/{writer_id}");
    let etag = app.etag(&path, Some(&admin)).await;
    let res = app
        .update_user(
            &admin,
            &writer_id,
            &etag,
            &json!({"display_name": "Olena K."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let got = exactly_updates(&app, &admin, &receiver, &webhook, 2).await;
    assert_eq!(got[1]["id"], id.as_str());
    assert_eq!(got[1]["changed"], json!(["authors"]));
    let etag = app.etag(&format!("/v1/authors/{guest_slug}"), None).await;
    let res = app
        .update_author(
            &admin,
            &guest_slug,
            &etag,
            &json!({"display_name": "Ana M. Lima"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let got = exactly_updates(&app, &admin, &receiver, &webhook, 3).await;
    assert_eq!(got[2]["changed"], json!(["authors"]));
    assert_eq!(
        got[2]["authors"],
        json!([writer_id, guest["id"]]),
        "the keys name the bylined authors"
    );
}
