//! Previews: a short-lived, revocable token shows an article's current draft, and the embargoed
//! images it shows, exactly as the public will read them once published, to whoever holds it;
//! nothing previewed ever reaches a public response or the response cache.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{jpeg_with_gps, upload};

fn story(title: &str) -> Value {
    json!({
        "title": title,
        "standfirst": "What the council decided, and why.",
        "body": [{"type": "paragraph", "text": "Councillors met at noon."}],
        "tags": ["council"],
    })
}

async fn draft(app: &TestApp, token: &str, title: &str) -> String {
    app.new_article_id(token, &story(title)).await
}

/// Asserts a preview answer: 200, stored by nobody, no ETag, varying on the header.
#[track_caller]
fn assert_private(res: &Resp) -> Value {
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    assert_eq!(res.header("etag"), None, "a preview shares no ETag");
    assert_eq!(
        res.header("x-cache"),
        None,
        "a preview never meets the cache"
    );
    assert!(
        res.header("vary")
            .is_some_and(|v| v.contains("Masthead-Preview")),
        "{:?}",
        res.headers
    );
    res.json()
}

/// Asserts a 401 problem for a preview token, with the challenge the other 401s carry.
#[track_caller]
fn assert_refused(res: &Resp) -> Value {
    let problem = assert_problem(res, 401, "unauthorized");
    assert!(res.header("www-authenticate").is_some());
    assert_eq!(res.header("x-cache"), None);
    problem
}

async fn a_draft_a_scheduled_and_an_unpublished_article_open_only_with_their_token(
    backend: Backend,
) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let drafted = draft(&app, &editor, "Council weighs a new bridge").await;
    let scheduled = draft(&app, &editor, "Bridge vote set for Friday").await;
    let at = chrono::Utc::now() + chrono::TimeDelta::days(1);
    let res = app.schedule_article(&editor, &scheduled, at).await;
    assert_eq!(res.json()["status"], "scheduled", "{}", res.text);
    let unpublished = draft(&app, &editor, "Bridge report withdrawn").await;
    app.publish_article(&editor, &unpublished).await;
    assert_eq!(app.unpublish(&editor, &unpublished).await.status, 200);

    for (id, status) in [
        (&drafted, "draft"),
        (&scheduled, "scheduled"),
        (&unpublished, "draft"),
    ] {
        // Without a token the public sees nothing, by id or by slug.
        let slug = app
            .get_as(&editor, &format!("/v1/articles/{id}"))
            .await
            .json()["slug"]
            .as_str()
            .unwrap()
            .to_owned();
        for key in [id.as_str(), slug.as_str()] {
            assert_problem(
                &app.get(&format!("/v1/articles/{key}")).send().await,
                404,
                "not-found",
            );
        }

        // The editor makes a link; whoever holds it reads the article, by id or slug, with the
        // token in the query or in the header.
        let link = app.preview_link(&editor, id).await;
        let token = link["token"].as_str().unwrap();
        assert!(token.starts_with("mhp_"), "{link}");
        assert_eq!(link["article_id"], id.as_str());
        assert_eq!(
            link["url"],
            Value::Null,
            "no MASTHEAD_PREVIEW_URL configured"
        );
        let expires = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        let hour = expires - chrono::Utc::now();
        assert!(
            hour > chrono::TimeDelta::minutes(59) && hour <= chrono::TimeDelta::hours(1),
            "{link}"
        );
        let by_id = assert_private(&app.preview(token, id).await);
        assert_eq!(by_id["id"], id.as_str());
        assert_eq!(by_id["status"], status);
        assert_eq!(assert_private(&app.preview(token, &slug).await), by_id);
        assert_eq!(
            assert_private(&app.preview_by_header(token, &slug).await),
            by_id
        );

        // And still nothing without it.
        assert_problem(
            &app.get(&format!("/v1/articles/{id}")).send().await,
            404,
            "not-found",
        );
    }
}

/// Everything but what publishing itself sets: its status and time, and the version and update
/// time every change moves.
fn as_published(mut article: Value) -> Value {
    let fields = article.as_object_mut().unwrap();
    for set_by_publishing in ["status", "published_at", "version", "updated_at"] {
        assert!(
            fields.remove(set_by_publishing).is_some(),
            "{set_by_publishing}"
        );
    }
    article
}

async fn a_preview_reads_exactly_as_the_published_article_will(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let photo = upload(
        &app,
        &editor,
        &[
            ("file", Some("bridge.jpg"), &jpeg_with_gps(1200, 800, 1)),
            ("alt_text", None, b"The old bridge at dusk"),
            ("credit", None, b"Photo: City Archive"),
        ],
    )
    .await;
    assert_eq!(photo.status, 201, "{}", photo.text);
    let image_id = photo.json()["id"].as_str().unwrap().to_owned();
    let earlier = draft(&app, &editor, "The bridge's first century").await;
    app.publish_article(&editor, &earlier).await;
    let unpublished_related = draft(&app, &editor, "Notes for a later story").await;

    let id = draft(&app, &editor, "Council approves the new bridge").await;
    let caption = app
        .post_json(
            &editor,
            "/v1/captions",
            &json!({"image_id": image_id, "article_id": id, "text": "The bridge to be replaced.", "illustrative": false}),
        )
        .await;
    assert_eq!(caption.status, 201, "{}", caption.text);
    let caption_id = caption.json()["id"].as_str().unwrap().to_owned();
    let res = app
        .update_article(
            &editor,
            &id,
            "*",
            &json!({
                "section": "local",
                "sources": [{"name": "City council minutes", "url": "https://council.example/minutes"}],
                "related": [earlier, unpublished_related],
                "featured_image": {"image_id": image_id, "caption_id": caption_id},
                "body": [
                    {"type": "paragraph", "text": "The vote was 7 to 2."},
                    {"type": "image", "image_id": image_id, "caption_id": caption_id},
                    {"type": "quote", "text": "It is time.", "attribution": "The mayor"},
                ],
            }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let token = app.preview_token(&editor, &id).await;
    let preview = assert_private(&app.preview(&token, &id).await);
    assert_eq!(preview["status"], "draft");
    assert_eq!(preview["published_at"], Value::Null);
    // As the public will see it: only published related stories, no staff-only image fields.
    assert_eq!(preview["related"], json!([earlier]));
    assert_eq!(preview["images"].as_array().unwrap().len(), 2, "{preview}");
    assert_eq!(preview["images"][0]["image"]["byte_size"], Value::Null);
    assert_eq!(
        preview["featured_image"]["caption"],
        "The bridge to be replaced."
    );
    assert!(
        preview["body_html"]
            .as_str()
            .unwrap()
            .contains("The bridge to be replaced."),
        "{preview}"
    );

    app.publish_article(&editor, &id).await;
    let public = app.get(&format!("/v1/articles/{id}")).send().await;
    assert_eq!(public.status, 200, "{}", public.text);
    let public = public.json();
    assert_eq!(public["status"], "published");
    assert_eq!(as_published(preview), as_published(public.clone()));

    // Once published, the token shows what the public sees.
    assert_eq!(
        assert_private(&app.preview(&token, &id).await),
        public,
        "a preview of a published article is the article"
    );
}

async fn an_expired_revoked_malformed_or_unknown_token_is_refused(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = draft(&app, &editor, "Harbour dredging delayed").await;

    // Expired: its time has passed (moved in the database, not waited for).
    let expiring = app.preview_token(&editor, &id).await;
    assert_private(&app.preview(&expiring, &id).await);
    app.db.expire_previews(&id);
    let problem = assert_refused(&app.preview(&expiring, &id).await);
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );
    assert_refused(&app.preview_by_header(&expiring, &id).await);

    // Revoked one by one, then all at once.
    let first = app.preview_link(&editor, &id).await;
    let second = app.preview_link(&editor, &id).await;
    let third = app.preview_link(&editor, &id).await;
    let listed = app.list_previews(&editor, &id).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.header("cache-control"), Some("private, no-store"));
    let ids: Vec<Value> = listed.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(
        ids,
        [
            third["id"].clone(),
            second["id"].clone(),
            first["id"].clone()
        ],
        "working links, newest first; the expired one is gone"
    );
    assert!(
        listed.json()["items"][0].get("token").is_none(),
        "a token is shown once"
    );

    let res = app
        .revoke_preview(&editor, &id, first["id"].as_str().unwrap())
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    let problem = assert_refused(&app.preview(first["token"].as_str().unwrap(), &id).await);
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    assert_private(&app.preview(second["token"].as_str().unwrap(), &id).await);
    // Revoking again is no error; a link the article does not have is 404.
    let again = app
        .revoke_preview(&editor, &id, first["id"].as_str().unwrap())
        .await;
    assert_eq!(again.status, 204);
    assert_problem(
        &app.revoke_preview(&editor, &id, "no-such-link").await,
        404,
        "not-found",
    );

    assert_eq!(app.revoke_previews(&editor, &id).await.status, 204);
    for link in [&second, &third] {
        assert_refused(&app.preview(link["token"].as_str().unwrap(), &id).await);
    }
    assert_eq!(
        app.list_previews(&editor, &id).await.json()["items"],
        json!([])
    );

    // Malformed and unknown tokens.
    let unknown = format!("mhp_{}", "A".repeat(43));
    for token in [
        "",
        "nonsense",
        "mhp_short",
        unknown.as_str(),
        &expiring[4..],
    ] {
        assert_refused(&app.preview(token, &id).await);
    }
    assert_refused(&app.preview_by_header("mhp_??", &id).await);
    // Two different tokens at once are a malformed request.
    let res = app
        .get(&format!("/v1/articles/{id}?preview={unknown}"))
        .header("masthead-preview", &expiring)
        .send()
        .await;
    assert_problem(&res, 400, "bad-request");

    // Expired links are deleted by the background job's purge (run here once, directly).
    assert_eq!(app.db.purge_expired_previews(), 1);
    assert_eq!(app.db.purge_expired_previews(), 0);

    // Deleting the article ends its links.
    let live = app.preview_token(&editor, &id).await;
    let etag = app.etag(&format!("/v1/articles/{id}"), Some(&editor)).await;
    assert_eq!(app.delete_article(&editor, &id, &etag).await.status, 204);
    assert_refused(&app.preview(&live, &id).await);
}

async fn a_token_opens_only_its_own_article(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let a = draft(&app, &editor, "Tram line extended").await;
    let b = draft(&app, &editor, "Tram fares frozen").await;
    let published = draft(&app, &editor, "Tram timetable").await;
    app.publish_article(&editor, &published).await;
    let token_a = app.preview_token(&editor, &a).await;

    assert_private(&app.preview(&token_a, &a).await);
    let problem = assert_refused(&app.preview(&token_a, &b).await);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("another article"),
        "{problem}"
    );
    assert_refused(&app.preview_by_header(&token_a, &b).await);
    // Not even a published article, nor one that does not exist.
    assert_refused(&app.preview(&token_a, &published).await);
    assert_refused(&app.preview(&token_a, "no-such-story").await);
}

async fn only_who_may_change_an_article_may_preview_it(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (alice_id, alice) = app.user_with_role("writer").await;
    let (_, bob) = app.user_with_role("writer").await;
    let (_, editor) = app.user_with_role("editor").await;
    let id = draft(&app, &alice.access, "Alice's scoop").await;

    // Another writer may not make, list or revoke its links.
    assert_problem(
        &app.request_preview(&bob.access, &id, None).await,
        403,
        "forbidden",
    );
    assert_problem(&app.list_previews(&bob.access, &id).await, 403, "forbidden");
    assert_problem(
        &app.revoke_previews(&bob.access, &id).await,
        403,
        "forbidden",
    );
    // Its writer and an editor may.
    let own = app.preview_link(&alice.access, &id).await;
    let editors = app.preview_link(&editor.access, &id).await;
    assert_ne!(own["token"], editors["token"]);
    let res = app
        .revoke_preview(&bob.access, &id, own["id"].as_str().unwrap())
        .await;
    assert_problem(&res, 403, "forbidden");
    assert_private(&app.preview(own["token"].as_str().unwrap(), &id).await);

    // No token: 401; no such article: 404.
    let res = app.post(&format!("/v1/articles/{id}/preview")).send().await;
    assert_problem(&res, 401, "unauthorized");
    assert_problem(
        &app.request_preview(&editor.access, "0190b5c1-0000-7000-8000-000000000000", None)
            .await,
        404,
        "not-found",
    );

    // The lifetime: a minute to a week.
    let week = app
        .request_preview(&alice.access, &id, Some(&json!({"ttl_seconds": 604_800})))
        .await;
    assert_eq!(week.status, 201, "{}", week.text);
    for ttl in [59, 604_801, 0, -5] {
        let res = app
            .request_preview(&alice.access, &id, Some(&json!({"ttl_seconds": ttl})))
            .await;
        let problem = assert_problem(&res, 422, "validation");
        assert_eq!(problem_fields(&problem), ["ttl_seconds"]);
    }
    let res = app
        .request_preview(&alice.access, &id, Some(&json!({"ttl": 60})))
        .await;
    assert!(
        (400..500).contains(&res.status),
        "an unknown field: {}",
        res.text
    );

    // A disabled account's links stop working with its sessions; the editor's go on.
    let admin = app.admin_token().await;
    let etag = app
        .etag(&format!("/v1/users/{alice_id}"), Some(&admin))
        .await;
    let res = app
        .update_user(&admin, &alice_id, &etag, &json!({"disabled": true}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let problem = assert_refused(&app.preview(own["token"].as_str().unwrap(), &id).await);
    assert!(
        problem["detail"].as_str().unwrap().contains("disabled"),
        "{problem}"
    );
    assert_private(&app.preview(editors["token"].as_str().unwrap(), &id).await);
}

async fn the_link_comes_ready_for_the_site_when_configured(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[(
            "MASTHEAD_PREVIEW_URL",
            "https://www.newsroom.example/preview/{slug}?token={token}&id={id}",
        )],
    )
    .await;
    let editor = app.admin_token().await;
    let id = draft(&app, &editor, "Ferry strike ends").await;
    let link = app.preview_link(&editor, &id).await;
    let token = link["token"].as_str().unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    assert_eq!(
        link["url"],
        format!("https://www.newsroom.example/preview/ferry-strike-ends?token={encoded}&id={id}")
    );
}

async fn nothing_previewed_reaches_a_public_response_or_the_cache(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let secret = draft(&app, &editor, "Minister to resign").await;
    let token = app.preview_token(&editor, &secret).await;

    // The preview, asked for again and again: never stored, never served from the cache.
    for _ in 0..3 {
        assert_private(&app.preview(&token, &secret).await);
        assert_private(&app.preview_by_header(&token, &secret).await);
    }
    // The public still sees nothing: not the article, not in the list, not in a search.
    for _ in 0..3 {
        assert_problem(
            &app.get(&format!("/v1/articles/{secret}")).send().await,
            404,
            "not-found",
        );
    }
    for path in ["/v1/articles", "/v1/articles?q=minister"] {
        let res = app.get(path).send().await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.json()["items"], json!([]), "{path}");
    }

    // A published article in the cache: a request with a preview token is never answered from
    // it, and a preview never replaces what the cache holds.
    let public = draft(&app, &editor, "Budget passes").await;
    app.publish_article(&editor, &public).await;
    app.caught_up().await;
    let path = format!("/v1/articles/{public}");
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(
            app.get(&path)
                .send()
                .await
                .header("x-cache")
                .map(str::to_owned),
        );
    }
    assert_eq!(
        seen.last().cloned().flatten().as_deref(),
        Some("hit"),
        "{seen:?}"
    );
    let cached = app.get(&path).send().await;
    assert_eq!(cached.header("x-cache"), Some("hit"));
    assert!(
        cached
            .header("vary")
            .is_some_and(|v| v.contains("Masthead-Preview")),
        "{:?}",
        cached.headers
    );
    let public_token = app.preview_token(&editor, &public).await;
    let previewed = assert_private(&app.preview_by_header(&public_token, &public).await);
    assert_eq!(previewed, cached.json());
    // A bad token on a cached URL is refused, not answered with the cached public version.
    assert_refused(&app.preview_by_header("mhp_not-a-token", &public).await);
    assert_refused(&app.preview(&token, &public).await);
    let after = app.get(&path).send().await;
    assert_eq!(after.header("x-cache"), Some("hit"));
    assert_eq!(after.json(), cached.json());
    assert_eq!(
        after.header("cache-control"),
        cached.header("cache-control")
    );
}

async fn embargoed_images_open_with_the_token_of_an_article_that_shows_them(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let photo = upload(
        &app,
        &editor,
        &[
            ("file", Some("scoop.jpg"), &jpeg_with_gps(800, 600, 1)),
            ("alt_text", None, b"The minister leaving the building"),
            ("credit", None, b"Photo: Staff"),
        ],
    )
    .await;
    assert_eq!(photo.status, 201, "{}", photo.text);
    let image = photo.json()["id"].as_str().unwrap().to_owned();
    let id = draft(&app, &editor, "Minister resigns").await;
    let res = app
        .update_article(
            &editor,
            &id,
            "*",
            &json!({"featured_image": {"image_id": image}}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let other = draft(&app, &editor, "Weather").await;
    let token = app.preview_token(&editor, &id).await;
    let other_token = app.preview_token(&editor, &other).await;

    let file = format!("/v1/images/{image}/file");
    let rendition = format!("/v1/images/{image}/file?w=320");
    let meta = format!("/v1/images/{image}");
    // Under embargo: nothing without the token.
    for path in [&file, &rendition, &meta] {
        assert_problem(&app.get(path).send().await, 404, "not-found");
    }
    // The preview shows the picture with its public URLs; the token opens them.
    let preview = assert_private(&app.preview(&token, &id).await);
    let url = preview["featured_image"]["url"].as_str().unwrap();
    assert!(url.ends_with(&file), "{url}");
    for path in [&file, &rendition] {
        let separator = if path.contains('?') { '&' } else { '?' };
        let res = app
            .get(&format!("{path}{separator}preview={token}"))
            .send()
            .await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        assert_eq!(res.header("cache-control"), Some("private, no-store"));
        assert!(res.header("content-type").unwrap().starts_with("image/"));
        assert!(!res.text.is_empty());
        let by_header = app
            .get(path)
            .header("masthead-preview", &token)
            .send()
            .await;
        assert_eq!(by_header.status, 200, "{path}");
        assert_eq!(by_header.text, res.text);
    }
    let seen = app.get(&format!("{meta}?preview={token}")).send().await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.header("cache-control"), Some("private, no-store"));
    assert_eq!(seen.header("x-cache"), None);
    assert_eq!(seen.json()["byte_size"], Value::Null, "the public view");

    // Another article's token does not open it; a bad token is refused.
    assert_problem(
        &app.get(&format!("{file}?preview={other_token}"))
            .send()
            .await,
        404,
        "not-found",
    );
    assert_refused(&app.get(&format!("{file}?preview=mhp_nope")).send().await);
    // Still embargoed for everyone else, and closed again once the link is revoked.
    for path in [&file, &meta] {
        assert_problem(&app.get(path).send().await, 404, "not-found");
    }
    assert_eq!(app.revoke_previews(&editor, &id).await.status, 204);
    assert_refused(&app.get(&format!("{file}?preview={token}")).send().await);
}

backend_tests!(
    a_draft_a_scheduled_and_an_unpublished_article_open_only_with_their_token,
    a_preview_reads_exactly_as_the_published_article_will,
    an_expired_revoked_malformed_or_unknown_token_is_refused,
    a_token_opens_only_its_own_article,
    only_who_may_change_an_article_may_preview_it,
    the_link_comes_ready_for_the_site_when_configured,
    nothing_previewed_reaches_a_public_response_or_the_cache,
    embargoed_images_open_with_the_token_of_an_article_that_shows_them,
);
