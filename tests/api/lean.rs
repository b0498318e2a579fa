//! Sparse fieldsets (`fields`, `formats`) on article reads and lists, and lists that carry
//! bodies (`include=body`): each returns exactly what it asked for, is cached, invalidated and
//! revalidated like the full form, and refuses what it does not know with a problem document.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

/// What a front page shows of a story.
const FRONT_PAGE: &str = "title,slug,standfirst,featured_image,published_at,authors";

/// Publishes an article titled `title` with a two-block body; its id.
async fn published(app: &TestApp, token: &str, title: &str) -> String {
    let body = json!({
        "title": title,
        "standfirst": "What the council decided.",
        "body": [
            {"type": "paragraph", "text": format!("{title}: councillors met at noon.")},
            {"type": "quote", "text": "Every number adds up", "attribution": "The treasurer"},
        ],
        "tags": ["council"],
    });
    let id = app.new_article_id(token, &body).await;
    app.publish_article(token, &id).await;
    id
}

/// Reads `path` until the cache holds it (stored the second time a URL is asked for).
async fn warm(app: &TestApp, path: &str) {
    for _ in 0..2 {
        let res = app.get(path).send().await;
        assert_eq!(
            (res.status, res.header("x-cache")),
            (200, Some("miss")),
            "{path}"
        );
    }
}

async fn every_selection_returns_exactly_the_members_it_asked_for(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = published(&app, &editor, "Budget passes").await;
    let whole = app.get(&format!("/v1/articles/{id}")).send().await;
    assert_eq!(whole.header("content-type"), Some("application/json"));
    let whole = whole.json();

    // One article: exactly the members named, and `id`, with the values of the whole read.
    for fields in [
        FRONT_PAGE,
        "title",
        "id",
        "body_text,version",
        "title,title,slug",
    ] {
        let res = app.shaped_article(&id, &format!("fields={fields}")).await;
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.header("content-type"), Some(SPARSE_JSON));
        let part = res.json();
        let mut asked: Vec<&str> = fields.split(',').collect();
        asked.push("id");
        assert_eq!(keys(&part), sorted(&asked), "fields={fields}");
        for key in keys(&part) {
            assert_eq!(part[&key], whole[&key], "{key}");
        }
    }
    // By slug too.
    let by_slug = app
        .shaped_article(whole["slug"].as_str().unwrap(), "fields=title")
        .await
        .json();
    assert_eq!(by_slug, json!({"id": id, "title": "Budget passes"}));

    // A list: each card exactly the members named, the page's envelope whole.
    published(&app, &editor, "Library reopens").await;
    let page = app
        .shaped_list(&format!("fields={FRONT_PAGE}&limit=1"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("content-type"), Some(SPARSE_JSON));
    let page = page.json();
    assert_eq!(keys(&page), ["items", "next_cursor"]);
    assert!(page["next_cursor"].is_string(), "{page}");
    let mut asked: Vec<&str> = FRONT_PAGE.split(',').collect();
    asked.push("id");
    let cards = page["items"].as_array().unwrap();
    assert_eq!(cards.len(), 1);
    assert_eq!(keys(&cards[0]), sorted(&asked));
    assert_eq!(cards[0]["title"], "Library reopens");
    // The default list is as it always was.
    let default = app.get("/v1/articles").send().await;
    assert_eq!(default.header("content-type"), Some("application/json"));
    assert!(keys(&default.json()["items"][0]).contains(&"excerpt".to_owned()));
}

async fn formats_choose_the_forms_of_the_body(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = published(&app, &editor, "Bridge reopens").await;
    let whole = app.get(&format!("/v1/articles/{id}")).send().await.json();
    let all = keys(&whole);
    let forms = [
        ("blocks", "body"),
        ("html", "body_html"),
        ("text", "body_text"),
    ];

    for formats in [
        "blocks",
        "html",
        "text",
        "html,text",
        "text,blocks",
        "blocks,html,text",
    ] {
        let part = app
            .shaped_article(&id, &format!("formats={formats}"))
            .await
            .json();
        // Every other member stays; the forms not asked for go.
        let expected: Vec<String> = all
            .iter()
            .filter(|k| {
                forms
                    .iter()
                    .all(|(f, member)| k.as_str() != *member || formats.contains(f))
            })
            .cloned()
            .collect();
        assert_eq!(keys(&part), expected, "formats={formats}");
        for (_, member) in forms {
            if part.get(member).is_some() {
                assert_eq!(part[member], whole[member]);
            }
        }
    }
    // With `fields`, `formats` adds its forms.
    let lean = app
        .shaped_article(&id, "fields=title&formats=html")
        .await
        .json();
    assert_eq!(keys(&lean), ["body_html", "id", "title"]);
    let lean = app
        .shaped_article(&id, "fields=title,body_text&formats=text")
        .await
        .json();
    assert_eq!(keys(&lean), ["body_text", "id", "title"]);
}

async fn lists_carry_bodies_page_by_page_with_include(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    for title in ["First story", "Second story", "Third story"] {
        published(&app, &editor, title).await;
    }
    let plain: Vec<Value> = app
        .shaped_pages("limit=2")
        .await
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .collect();

    // Pages of two, following the cursor: the same cards, each with its body as read alone.
    let pages = app.shaped_pages("include=body&limit=2").await;
    assert_eq!(pages.len(), 2);
    let cards: Vec<Value> = pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .collect();
    assert_eq!(cards.len(), 3);
    for (card, plain) in cards.iter().zip(&plain) {
        let mut expected = keys(plain);
        expected.extend(sorted(&["body", "body_html", "body_text", "images"]));
        expected.sort();
        assert_eq!(keys(card), expected);
        let article = app
            .get(&format!("/v1/articles/{}", card["id"].as_str().unwrap()))
            .send()
            .await
            .json();
        for member in ["body", "body_html", "body_text", "images"] {
            assert_eq!(card[member], article[member], "{member}");
        }
        for key in keys(plain) {
            assert_eq!(card[&key], plain[&key], "{key}");
        }
    }

    // Narrowed: a site build that renders HTML.
    let pages = app
        .shaped_pages("include=body&formats=html&fields=title,slug&limit=2")
        .await;
    for card in pages.iter().flat_map(|p| p["items"].as_array().unwrap()) {
        assert_eq!(keys(card), ["body_html", "id", "slug", "title"]);
    }
    let res = app.shaped_list("include=body&formats=text").await;
    assert_eq!(res.header("content-type"), Some(SPARSE_JSON));
    for card in res.json()["items"].as_array().unwrap() {
        assert!(card.get("body_text").is_some() && card.get("body_html").is_none());
        assert!(card.get("title").is_some() && card.get("images").is_some());
    }
    // The largest page with bodies.
    assert_eq!(app.shaped_list("include=body&limit=25").await.status, 200);
}

async fn a_variant_is_invalidated_by_an_edit_and_revalidates_with_304(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = published(&app, &editor, "Old headline").await;
    let full_etag = app
        .get(&format!("/v1/articles/{id}"))
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();

    for (variant, permuted) in [
        (
            format!("/v1/articles/{id}?fields=title,slug"),
            format!("/v1/articles/{id}?fields=slug,title,slug"),
        ),
        (
            "/v1/articles?fields=title,published_at&limit=5".to_owned(),
            "/v1/articles?fields=published_at,title&limit=5".to_owned(),
        ),
        (
            "/v1/articles?include=body&formats=text,html&limit=5".to_owned(),
            "/v1/articles?include=body&formats=html,text,html&limit=5".to_owned(),
        ),
    ] {
        warm(&app, &variant).await;
        let hit = app.get(&variant).send().await;
        assert_eq!(hit.header("x-cache"), Some("hit"), "{variant}");
        assert_eq!(hit.header("content-type"), Some(SPARSE_JSON));
        let etag = hit.header("etag").unwrap().to_owned();
        assert_ne!(etag, full_etag, "a variant has its own ETag");
        // Another spelling of the same selection is the same entry.
        let same = app.get(&permuted).send().await;
        assert_eq!(
            (same.header("x-cache"), same.header("etag")),
            (Some("hit"), Some(etag.as_str())),
            "{permuted}"
        );
        assert_eq!(same.text, hit.text);
        let revalidated = app
            .get(&variant)
            .header("if-none-match", &etag)
            .send()
            .await;
        assert_eq!(
            (revalidated.status, revalidated.header("x-cache")),
            (304, Some("hit"))
        );
        assert!(revalidated.text.is_empty());
    }

    // An edit: every variant shows it in the very next read, under a new ETag.
    let variant = format!("/v1/articles/{id}?fields=title,slug");
    let old_etag = app
        .get(&variant)
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let res = app
        .update_article(
            &editor,
            &id,
            "*",
            &json!({"title": "New headline", "body": [{"type": "paragraph", "text": "Rewritten."}]}),
        )
        .await;
    assert_eq!(res.status, 200);
    let after = app
        .get(&variant)
        .header("if-none-match", &old_etag)
        .send()
        .await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json()["title"], "New headline");
    let new_etag = after.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, old_etag);
    let list = app
        .get("/v1/articles?fields=title,published_at&limit=5")
        .send()
        .await;
    assert_eq!(list.json()["items"][0]["title"], "New headline");
    let bodies = app
        .get("/v1/articles?include=body&formats=text,html&limit=5")
        .send()
        .await
        .json();
    let text = bodies["items"][0]["body_text"].as_str().unwrap();
    assert!(text.contains("Rewritten."), "{text}");
    let revalidated = app
        .get(&variant)
        .header("if-none-match", &new_etag)
        .send()
        .await;
    assert_eq!(revalidated.status, 304);
}

async fn unknown_fields_and_formats_are_refused_with_a_problem_document(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = published(&app, &editor, "Refusals").await;
    let article = format!("/v1/articles/{id}");

    for (path, field) in [
        (format!("{article}?fields=nope"), "fields"),
        (format!("{article}?fields=title,nope"), "fields"),
        (format!("{article}?fields="), "fields"),
        (format!("{article}?fields=title,,slug"), "fields"),
        (format!("{article}?fields=title,"), "fields"),
        (format!("{article}?fields=Title"), "fields"),
        (format!("{article}?formats=markdown"), "formats"),
        (format!("{article}?formats="), "formats"),
        // A body form named in `fields` that `formats` leaves out.
        (format!("{article}?fields=body_text&formats=html"), "fields"),
        ("/v1/articles?fields=nope".to_owned(), "fields"),
        // Cards have no body without include=body.
        ("/v1/articles?fields=title,body_html".to_owned(), "fields"),
        ("/v1/articles?formats=html".to_owned(), "formats"),
        ("/v1/articles?include=bodies".to_owned(), "include"),
        ("/v1/articles?include=body&limit=26".to_owned(), "limit"),
        (
            "/v1/articles?include=body&formats=pdf".to_owned(),
            "formats",
        ),
    ] {
        let res = app.get(&path).send().await;
        let problem = assert_problem(&res, 422, "validation");
        assert_eq!(problem_fields(&problem), [field], "{path}: {problem}");
    }
    // The message names what is unknown and what is allowed.
    let problem = app
        .get(&format!("{article}?fields=title,nope"))
        .send()
        .await
        .json();
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("`nope`") && message.contains("`standfirst`"),
        "{message}"
    );
    // Staff lists check the same way.
    let res = app
        .get("/v1/articles?status=draft&fields=nope")
        .bearer(&editor)
        .send()
        .await;
    assert_problem(&res, 422, "validation");
}

async fn author_profiles_take_fields_too(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    published(&app, &editor, "Bylined").await;
    let whole = app.all_authors().await;
    let slug = whole[0]["slug"].as_str().unwrap().to_owned();

    let page = app.get("/v1/authors?fields=display_name,slug").send().await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert_eq!(page.header("content-type"), Some(SPARSE_JSON));
    let page = page.json();
    assert_eq!(keys(&page), ["items", "next_cursor"]);
    for (card, whole) in page["items"].as_array().unwrap().iter().zip(&whole) {
        assert_eq!(keys(card), ["display_name", "id", "slug"]);
        assert_eq!(card["display_name"], whole["display_name"]);
    }
    let path = format!("/v1/authors/{slug}?fields=bio");
    let one = app.get(&path).send().await;
    assert_eq!(keys(&one.json()), ["bio", "id"]);
    let etag = one.header("etag").unwrap().to_owned();
    assert_eq!(
        app.get(&path)
            .header("if-none-match", &etag)
            .send()
            .await
            .status,
        304
    );
    let res = app
        .get(&format!("/v1/authors/{slug}?fields=body"))
        .send()
        .await;
    let problem = assert_problem(&res, 422, "validation");
    assert_eq!(problem_fields(&problem), ["fields"]);
    let res = app.get("/v1/authors?fields=").send().await;
    assert_problem(&res, 422, "validation");
}

backend_tests!(
    author_profiles_take_fields_too,
    every_selection_returns_exactly_the_members_it_asked_for,
    formats_choose_the_forms_of_the_body,
    lists_carry_bodies_page_by_page_with_include,
    a_variant_is_invalidated_by_an_edit_and_revalidates_with_304,
    unknown_fields_and_formats_are_refused_with_a_problem_document,
);
