//! Sections: the site's navigation, which editors create, reorder, rename and retire, and which
//! an article's `section` names (by slug or name; it shows the name, as it always has).

use masthead::db::{self, Db};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

/// A story in `section`, as a `section` field gives it.
fn story_in(title: &str, section: &str) -> Value {
    json!({
        "title": title,
        "section": section,
        "body": [{"type": "paragraph", "text": "The council met on Tuesday."}],
    })
}

/// The ids on a page of articles.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn editors_order_the_navigation_and_retire_sections(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (_, editor) = app.user_with_role("editor").await;
    let editor = editor.access;
    let world = app
        .create_section(
            &editor,
            "World",
            &json!({"position": 2, "description": "Abroad."}),
        )
        .await;
    assert_eq!(world["slug"], "world");
    assert_eq!(world["retired"], false);
    app.create_section(&editor, "Local news", &json!({"position": 1}))
        .await;
    let sport = app
        .create_section(&editor, "Sport", &json!({"slug": "games"}))
        .await;
    assert_eq!(sport["position"], 3, "without a position it goes last");
    assert_eq!(app.navigation().await, ["local-news", "world", "games"]);

    // Reordered: the navigation follows at once (the public list is cached).
    app.change_section(&editor, "games", &json!({"position": 0}))
        .await;
    assert_eq!(app.navigation().await, ["games", "local-news", "world"]);

    // An article in the section; then the section is retired: off the navigation, still
    // readable, still shown on its article, closed to new articles.
    let id = app
        .new_article_id(&editor, &story_in("Floods in the delta", "world"))
        .await;
    app.publish_article(&editor, &id).await;
    let retired = app
        .change_section(&editor, "world", &json!({"retired": true}))
        .await;
    assert_eq!(retired["retired"], true);
    assert_eq!(app.navigation().await, ["games", "local-news"]);
    let read = app.get("/v1/sections/world").send().await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.json()["retired"], true);
    let article = app.get(&format!("/v1/articles/{id}")).send().await.json();
    assert_eq!(article["section"], "World");
    let refused = app
        .post_article(&editor, &story_in("Another flood", "world"))
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&refused, 422, "validation")),
        ["section"]
    );
    // Its article can still be edited without choosing another.
    let etag = app.etag(&format!("/v1/articles/{id}"), Some(&editor)).await;
    let edited = app
        .update_article(
            &editor,
            &id,
            &etag,
            &json!({"title": "Floods in the delta recede"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.json()["section"], "World");

    // Staff see retired sections when they ask; the public may not ask.
    let all = app
        .get_as(&editor, "/v1/sections?include_retired=true")
        .await;
    assert_eq!(all.json()["items"].as_array().unwrap().len(), 3);
    let public = app.get("/v1/sections?include_retired=true").send().await;
    assert_problem(&public, 401, "unauthorized");

    // A section in use cannot be deleted; an unused one can.
    let etag = app.etag("/v1/sections/world", Some(&editor)).await;
    let in_use = app.delete_section(&editor, "world", &etag).await;
    assert_problem(&in_use, 409, "conflict");
    let etag = app.etag("/v1/sections/games", Some(&editor)).await;
    let deleted = app.delete_section(&editor, "games", &etag).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_problem(
        &app.get("/v1/sections/games").send().await,
        404,
        "not-found",
    );
    assert_eq!(app.navigation().await, ["local-news"]);
}

async fn renaming_a_section_renames_it_on_every_article(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    app.create_section(&editor, "Local", &json!({"slug": "local"}))
        .await;
    // Named by its slug or by its name, the article shows the name.
    let by_slug = app
        .create_article(&editor, &story_in("Bridge reopens", "local"))
        .await;
    assert_eq!(by_slug["section"], "Local");
    let by_name = app
        .create_article(&editor, &story_in("Market day", "Local"))
        .await;
    assert_eq!(by_name["section"], "Local");
    let first = by_slug["id"].as_str().unwrap().to_owned();
    let second = by_name["id"].as_str().unwrap().to_owned();
    app.publish_article(&editor, &first).await;
    app.publish_article(&editor, &second).await;

    // The list filters by the slug, and still by the name.
    for path in ["/v1/articles?section=local", "/v1/articles?section=Local"] {
        let page = app.get(path).send().await.json();
        assert_eq!(ids(&page), [second.clone(), first.clone()], "{path}");
    }
    let elsewhere = app.get("/v1/articles?section=sport").send().await.json();
    assert!(ids(&elsewhere).is_empty());

    // Renamed (and re-slugged): readers see the new name on the article and on list cards.
    let renamed = app
        .change_section(&editor, "local", &json!({"name": "City", "slug": "city"}))
        .await;
    assert_eq!(renamed["name"], "City");
    let article = app
        .get(&format!("/v1/articles/{first}"))
        .send()
        .await
        .json();
    assert_eq!(article["section"], "City");
    let page = app.get("/v1/articles?section=city").send().await.json();
    assert_eq!(ids(&page), [second.clone(), first.clone()]);
    let sections: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["section"].as_str().unwrap())
        .collect();
    assert_eq!(sections, ["City", "City"]);
    assert_problem(
        &app.get("/v1/sections/local").send().await,
        404,
        "not-found",
    );
}

async fn writers_use_sections_but_only_editors_shape_them(backend: Backend) {
    let app = spawn_app(&backend).await;
    let (_, writer) = app.user_with_role("writer").await;
    let (_, editor) = app.user_with_role("editor").await;
    let writer = writer.access;
    let editor = editor.access;

    let res = app.post_section(&writer, &json!({"name": "Opinion"})).await;
    assert_problem(&res, 403, "forbidden");
    let section = app.create_section(&editor, "Science", &json!({})).await;
    let etag = app.etag("/v1/sections/science", None).await;
    let res = app
        .update_section(&writer, "science", &etag, &json!({"name": "Lab"}))
        .await;
    assert_problem(&res, 403, "forbidden");
    let res = app.delete_section(&writer, "science", &etag).await;
    assert_problem(&res, 403, "forbidden");
    assert_eq!(section["name"], "Science");

    // A writer files into an existing section, but cannot invent one.
    let filed = app
        .create_article(&writer, &story_in("Comet seen", "science"))
        .await;
    assert_eq!(filed["section"], "Science");
    let refused = app
        .post_article(&writer, &story_in("My view", "Opinion"))
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&refused, 422, "validation")),
        ["section"]
    );
    assert_eq!(app.navigation().await, ["science"]);

    // An editor's new free-text section is created, as the API has always taken free text.
    let created = app
        .create_article(&editor, &story_in("Our view", "Opinion & Letters"))
        .await;
    assert_eq!(created["section"], "Opinion & Letters");
    assert_eq!(app.navigation().await, ["science", "opinion-letters"]);
}

async fn bad_section_input_is_a_problem_and_changes_nothing(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    app.create_section(&editor, "World", &json!({})).await;

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"name": "Sport", "slug": "Not A Slug"}), "slug"),
        (json!({"name": "Sport", "slug": "-sport"}), "slug"),
        (json!({"name": "Sport", "position": 10_000_000}), "position"),
        (
            json!({"name": "Sport", "description": "x".repeat(2_001)}),
            "description",
        ),
    ] {
        let res = app.post_section(&editor, &body).await;
        let problem = assert_problem(&res, 422, "validation");
        assert_eq!(problem_fields(&problem), [field], "{body}");
    }
    let res = app
        .post_section(&editor, &json!({"name": "Sport", "colour": "red"}))
        .await;
    assert!((400..500).contains(&res.status), "{}", res.text);
    let res = app.post_section(&editor, &json!({"slug": "sport"})).await;
    assert!((400..500).contains(&res.status), "{}", res.text);
    // Taken names and slugs.
    let res = app.post_section(&editor, &json!({"name": "World"})).await;
    assert_problem(&res, 409, "conflict");
    let res = app
        .post_section(&editor, &json!({"name": "Planet", "slug": "world"}))
        .await;
    assert_problem(&res, 409, "conflict");
    app.create_section(&editor, "Sport", &json!({})).await;
    let etag = app.etag("/v1/sections/sport", Some(&editor)).await;
    let res = app
        .update_section(&editor, "sport", &etag, &json!({"name": "World"}))
        .await;
    assert_problem(&res, 409, "conflict");

    // Preconditions, and sections that do not exist.
    let res = app
        .patch("/v1/sections/sport")
        .bearer(&editor)
        .json(&json!({"name": "Games"}))
        .send()
        .await;
    assert_problem(&res, 428, "precondition-required");
    let res = app
        .update_section(&editor, "sport", "\"v99\"", &json!({"name": "Games"}))
        .await;
    assert_problem(&res, 412, "precondition-failed");
    let res = app
        .update_section(&editor, "sport", &etag, &json!({"position": "first"}))
        .await;
    assert!((400..500).contains(&res.status), "{}", res.text);
    let res = app
        .update_section(&editor, "nowhere", "*", &json!({"name": "Games"}))
        .await;
    assert_problem(&res, 404, "not-found");
    assert_problem(
        &app.get("/v1/sections/nowhere").send().await,
        404,
        "not-found",
    );
    let res = app.delete_section(&editor, "nowhere", "*").await;
    assert_problem(&res, 404, "not-found");

    assert_eq!(app.navigation().await, ["world", "sport"]);
    let sport = app.get("/v1/sections/sport").send().await.json();
    assert_eq!(sport["name"], "Sport");
    assert_eq!(sport["version"], 1);
}

/// Free-text sections written before sections existed become sections when the migration
/// runs: slugs made from the names, positions by name, and articles showing what they showed.
async fn free_text_sections_migrate_into_sections(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    // Created in the other order than their names sort in.
    let world = app
        .new_article_id(&editor, &story_in("Summit ends", "World"))
        .await;
    let arts = app
        .new_article_id(&editor, &story_in("Gallery opens", "Arts & Culture"))
        .await;
    let none = app
        .new_article_id(
            &editor,
            &json!({"title": "No section", "body": [{"type": "paragraph", "text": "Words."}]}),
        )
        .await;
    for id in [&arts, &world, &none] {
        app.publish_article(&editor, id).await;
    }
    let before = app.get(&format!("/v1/articles/{arts}")).send().await.json();

    // Back to before sections: articles keep their text; then the migration runs again.
    let database = Db::open(&app.db.url, 1).expect("opens");
    let mut conn = database.writer_conn().unwrap();
    let mut reverted = 0;
    loop {
        let version = db::revert_last_migration(&mut conn).expect("goes down");
        reverted += 1;
        if version.contains("000016") {
            break;
        }
        assert!(reverted < 10, "no sections migration among the newest");
    }
    assert_eq!(
        db::run_migrations(&mut conn).expect("goes up").len(),
        reverted
    );
    drop(conn);

    assert_eq!(app.navigation().await, ["arts-culture", "world"]);
    let section = app.get("/v1/sections/arts-culture").send().await.json();
    assert_eq!(section["name"], "Arts & Culture");
    assert_eq!(section["position"], 1);
    let after = app.get(&format!("/v1/articles/{arts}")).send().await.json();
    assert_eq!(after["section"], before["section"]);
    let page = app
        .get("/v1/articles?section=arts-culture")
        .send()
        .await
        .json();
    assert_eq!(ids(&page), [arts]);
}

backend_tests!(
    editors_order_the_navigation_and_retire_sections,
    renaming_a_section_renames_it_on_every_article,
    writers_use_sections_but_only_editors_shape_them,
    bad_section_input_is_a_problem_and_changes_nothing,
    free_text_sections_migrate_into_sections,
);
