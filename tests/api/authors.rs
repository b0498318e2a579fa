//! Authors: a public profile for everyone with a byline on a published story, kept by the
//! author or an editor, that never shows the account behind it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{jpeg_with_gps, upload};

fn story(title: &str) -> Value {
    json!({"title": title, "body": [{"type": "paragraph", "text": "The ferry ran late."}]})
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn profiles_show_what_the_author_chose_and_nothing_of_the_account(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (writer_id, writer) = app.user_with_role("writer").await;
    let (_, other) = app.user_with_role("writer").await;
    let (_, editor) = app.user_with_role("editor").await;
    let story_id = app
        .new_article_id(&writer.access, &story("Ferry timetable changes"))
        .await;
    app.publish_article(&editor.access, &story_id).await;
    // A byline only on a draft is not public.
    app.new_article_id(&other.access, &story("Unfinished"))
        .await;

    let authors = app.all_authors().await;
    assert_eq!(authors.len(), 1, "{authors:?}");
    let profile = &authors[0];
    assert_eq!(profile["id"], writer_id.as_str());
    let slug = profile["slug"].as_str().unwrap().to_owned();
    let expected: BTreeSet<String> = [
        "id",
        "slug",
        "display_name",
        "job_title",
        "bio",
        "avatar",
        "links",
        "version",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    assert_eq!(keys(profile), expected);
    let link_keys: BTreeSet<String> = ["website", "social", "contact_email"]
        .iter()
        .map(|k| (*k).to_owned())
        .collect();
    assert_eq!(keys(&profile["links"]), link_keys);

    // The author fills in their own profile, photo included.
    let res = upload(
        &app,
        &writer.access,
        &[
            ("file", Some("me.jpg"), &jpeg_with_gps(400, 400, 1)),
            ("alt_text", None, b"The author"),
        ],
    )
    .await;
    assert!(matches!(res.status, 200 | 201), "{}", res.text);
    let image = res.json()["id"].as_str().unwrap().to_owned();
    let etag = app.etag(&format!("/v1/authors/{slug}"), None).await;
    let res = app
        .update_author(
            &writer.access,
            &slug,
            &etag,
            &json!({
                "job_title": "Transport correspondent",
                "bio": "Covers ferries.",
                "avatar_image_id": image,
                "website": "https://writer.example",
                "social": ["https://social.example/@writer"],
                "contact_email": "tips@writer.example",
            }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let public = app.get(&format!("/v1/authors/{slug}")).send().await;
    assert_eq!(public.status, 200, "{}", public.text);
    let read = public.json();
    assert_eq!(keys(&read), expected);
    assert_eq!(read["job_title"], "Transport correspondent");
    assert_eq!(read["links"]["contact_email"], "tips@writer.example");
    assert_eq!(read["avatar"]["image_id"], image.as_str());
    assert!(
        read["avatar"]["url"].as_str().unwrap().starts_with("http"),
        "{read}"
    );
    // Nothing of the account: its email (at the newsroom's domain), role or state.
    for secret in ["newsroom.example", "\"writer\"", "disabled", "role"] {
        assert!(!public.text.contains(secret), "{secret} in {}", public.text);
    }

    // Someone else's profile: writers may not; editors may.
    let etag = app.etag(&format!("/v1/authors/{slug}"), None).await;
    let res = app
        .update_author(&other.access, &slug, &etag, &json!({"bio": "Not mine."}))
        .await;
    assert_problem(&res, 403, "forbidden");
    let res = app
        .update_author(
            &editor.access,
            &slug,
            &etag,
            &json!({"bio": "Covers ferries and rail."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // The list filters by the author's slug, and still by the user id.
    for filter in [slug.as_str(), writer_id.as_str()] {
        let page = app
            .get(&format!("/v1/articles?author={filter}"))
            .send()
            .await
            .json();
        assert_eq!(ids(&page), std::slice::from_ref(&story_id), "{filter}");
    }
}

async fn bad_profile_input_is_a_problem(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (_, first) = app.user_with_role("writer").await;
    let (_, second) = app.user_with_role("writer").await;
    for token in [&first.access, &second.access] {
        let id = app.new_article_id(token, &story("Harbour news")).await;
        app.publish_article(&editor, &id).await;
    }
    let authors = app.all_authors().await;
    let slug = authors[0]["slug"].as_str().unwrap().to_owned();
    let taken = authors[1]["slug"].as_str().unwrap().to_owned();
    let etag = app.etag(&format!("/v1/authors/{slug}"), None).await;

    for (patch, field) in [
        (json!({"website": "ftp://files.example"}), "website"),
        (json!({"social": ["not a url"]}), "social[0]"),
        (json!({"social": vec!["https://s.example"; 11]}), "social"),
        (json!({"contact_email": "nobody"}), "contact_email"),
        (json!({"job_title": "x".repeat(101)}), "job_title"),
        (json!({"slug": "Not A Slug"}), "slug"),
        (
            json!({"avatar_image_id": "0193a1b2-0000-7000-8000-000000000000"}),
            "avatar_image_id",
        ),
    ] {
        let res = app.update_author(&editor, &slug, &etag, &patch).await;
        assert_eq!(
            problem_fields(&assert_problem(&res, 422, "validation")),
            [field],
            "{patch}"
        );
    }
    let res = app
        .update_author(&editor, &slug, &etag, &json!({"email": "x@y.example"}))
        .await;
    assert!((400..500).contains(&res.status), "{}", res.text);
    let res = app
        .update_author(&editor, &slug, &etag, &json!({"slug": taken}))
        .await;
    assert_problem(&res, 409, "conflict");
    let res = app
        .patch(&format!("/v1/authors/{slug}"))
        .bearer(&editor)
        .json(&json!({"bio": "x"}))
        .send()
        .await;
    assert_problem(&res, 428, "precondition-required");
    let res = app
        .update_author(&editor, &slug, "\"v9\"", &json!({"bio": "x"}))
        .await;
    assert_problem(&res, 412, "precondition-failed");
    let res = app
        .update_author(&editor, "nobody", "*", &json!({"bio": "x"}))
        .await;
    assert_problem(&res, 404, "not-found");
    assert_problem(
        &app.get("/v1/authors/nobody").send().await,
        404,
        "not-found",
    );
    let res = app.get("/v1/authors?cursor=nope").send().await;
    assert_problem(&res, 400, "bad-request");
    let unchanged = app.get(&format!("/v1/authors/{slug}")).send().await.json();
    assert_eq!(unchanged["version"], 1);
}

backend_tests!(
    profiles_show_what_the_author_chose_and_nothing_of_the_account,
    bad_profile_input_is_a_problem,
);
