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

/// The bylines of the first card of a list page.
fn card_authors(page: &Value) -> Value {
    page["items"][0]["authors"].clone()
}

async fn guest_contributors_are_bylined_like_staff(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (writer_id, writer) = app.user_with_role("writer").await;
    let (_, editor) = app.user_with_role("editor").await;

    // Writers may not add guests; editors may.
    let res = app
        .post_author(&writer.access, &json!({"display_name": "Marta Nowak"}))
        .await;
    assert_problem(&res, 403, "forbidden");
    let res = app
        .post_author(
            &editor.access,
            &json!({"display_name": "Marta Nowak", "job_title": "Guest columnist",
                    "website": "https://marta.example"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let guest = res.json();
    let guest_id = guest["id"].as_str().unwrap().to_owned();
    let slug = guest["slug"].as_str().unwrap().to_owned();
    assert_eq!(slug, "marta-nowak");
    assert_eq!(guest["display_name"], "Marta Nowak");

    // An article bylined to a staff writer and the guest, published.
    let mut body = story("Ferry fares rise");
    body["authors"] = json!([writer_id, guest_id]);
    let story_id = app.new_article_id(&writer.access, &body).await;
    // A draft with the guest alone stays off the guest's public pages.
    let mut draft = story("Unfinished column");
    draft["authors"] = json!([guest_id]);
    app.new_article_id(&editor.access, &draft).await;
    app.publish_article(&editor.access, &story_id).await;

    let article = app.get(&format!("/v1/articles/{story_id}")).send().await;
    assert_eq!(article.status, 200, "{}", article.text);
    let bylines = article.json()["authors"].clone();
    assert_eq!(bylines.as_array().unwrap().len(), 2, "{bylines}");
    assert_eq!(
        bylines[1],
        json!({"id": guest_id, "display_name": "Marta Nowak"})
    );
    assert_eq!(keys(&bylines[0]), keys(&bylines[1]));
    assert_eq!(bylines[0]["id"], writer_id.as_str());

    // The list card, the author filter (by slug and by id) and the profile.
    let page = app.get("/v1/articles").send().await.json();
    assert_eq!(card_authors(&page), bylines);
    for filter in [slug.as_str(), guest_id.as_str()] {
        let page = app
            .get(&format!("/v1/articles?author={filter}"))
            .send()
            .await
            .json();
        assert_eq!(ids(&page), std::slice::from_ref(&story_id), "{filter}");
        assert_eq!(card_authors(&page), bylines);
    }
    let public = app.get(&format!("/v1/authors/{slug}")).send().await;
    assert_eq!(public.status, 200, "{}", public.text);
    let profile = public.json();
    assert_eq!(profile["id"], guest_id.as_str());
    assert_eq!(profile["display_name"], "Marta Nowak");
    assert_eq!(profile["job_title"], "Guest columnist");
    for secret in [
        "newsroom.example",
        "\"editor\"",
        "role",
        "disabled",
        "user_id",
    ] {
        assert!(!public.text.contains(secret), "{secret} in {}", public.text);
    }
    let authors = app.all_authors().await;
    assert_eq!(authors.len(), 2, "{authors:?}");
    let listed = authors.iter().find(|a| a["id"] == guest_id.as_str());
    assert_eq!(listed.map(keys), Some(keys(&profile)));

    // A guest's name is theirs to change (a staff member's is the account's), and shows on the
    // bylines at once.
    let etag = app.etag(&format!("/v1/authors/{slug}"), None).await;
    let res = app
        .update_author(
            &editor.access,
            &slug,
            &etag,
            &json!({"display_name": "Marta Nowak-Lis"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let page = app.get("/v1/articles").send().await.json();
    assert_eq!(card_authors(&page)[1]["display_name"], "Marta Nowak-Lis");
    let staff = &authors
        .iter()
        .find(|a| a["id"] == writer_id.as_str())
        .unwrap()["slug"];
    let staff = staff.as_str().unwrap();
    let staff_etag = app.etag(&format!("/v1/authors/{staff}"), None).await;
    let res = app
        .update_author(
            &editor.access,
            staff,
            &staff_etag,
            &json!({"display_name": "Someone"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&res, 422, "validation")),
        ["display_name"]
    );

    // A byline naming nobody is a 422 pointing at it.
    let mut bad = story("Nobody wrote this");
    bad["authors"] = json!([writer_id, "0193a1b2-0000-7000-8000-000000000000"]);
    let res = app.post_article(&writer.access, &bad).await;
    assert_eq!(
        problem_fields(&assert_problem(&res, 422, "validation")),
        ["authors[1]"]
    );

    // A bylined guest stays; a staff profile goes with its account; an unused guest can go.
    let etag = app.etag(&format!("/v1/authors/{slug}"), None).await;
    assert_problem(
        &app.delete_author(&editor.access, &slug, &etag).await,
        409,
        "conflict",
    );
    assert_problem(
        &app.delete_author(&editor.access, staff, &staff_etag).await,
        409,
        "conflict",
    );
    let unused = app.create_guest(&editor.access, "Marta Nowak").await;
    let unused_slug = unused["slug"].as_str().unwrap().to_owned();
    assert_eq!(unused_slug, "marta-nowak-2");
    let etag = app
        .etag(&format!("/v1/authors/{unused_slug}"), Some(&editor.access))
        .await;
    assert_problem(
        &app.delete_author(&writer.access, &unused_slug, &etag).await,
        403,
        "forbidden",
    );
    let res = app.delete_author(&editor.access, &unused_slug, &etag).await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert_problem(
        &app.get_as(&editor.access, &format!("/v1/authors/{unused_slug}"))
            .await,
        404,
        "not-found",
    );
}

async fn bad_guest_input_is_a_problem(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let taken = app.create_guest(&editor, "Ana Lima").await;
    for (body, field) in [
        (json!({"display_name": "  "}), "display_name"),
        (json!({"display_name": "x".repeat(101)}), "display_name"),
        (json!({"display_name": "A", "slug": "Not A Slug"}), "slug"),
        (
            json!({"display_name": "A", "website": "ftp://x.example"}),
            "website",
        ),
        (
            json!({"display_name": "A", "contact_email": "nobody"}),
            "contact_email",
        ),
        (
            json!({"display_name": "A", "avatar_image_id": "0193a1b2-0000-7000-8000-000000000000"}),
            "avatar_image_id",
        ),
    ] {
        let res = app.post_author(&editor, &body).await;
        assert_eq!(
            problem_fields(&assert_problem(&res, 422, "validation")),
            [field],
            "{body}"
        );
    }
    let res = app
        .post_author(
            &editor,
            &json!({"display_name": "B", "slug": taken["slug"]}),
        )
        .await;
    assert_problem(&res, 409, "conflict");
    let res = app.post_author(&editor, &json!({"name": "B"})).await;
    assert!((400..500).contains(&res.status), "{}", res.text);
    // Nothing rejected was written: only the first guest exists.
    let res = app.get_as(&editor, "/v1/authors/b").await;
    assert_problem(&res, 404, "not-found");
}

backend_tests!(
    profiles_show_what_the_author_chose_and_nothing_of_the_account,
    bad_profile_input_is_a_problem,
    guest_contributors_are_bylined_like_staff,
    bad_guest_input_is_a_problem,
);
