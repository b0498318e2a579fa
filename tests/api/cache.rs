//! The public response cache is never stale: every change shows in the very next public read,
//! on this instance at once and on another instance sharing the database within a second.

use std::time::Duration;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

/// Reads `path` until the cache holds it: a response is stored the second time its URL is
/// asked for, so two misses come first.
async fn warm(app: &TestApp, path: &str) {
    for _ in 0..2 {
        let res = app.get(path).send().await;
        assert_eq!((res.status, res.header("x-cache")), (200, Some("miss")));
    }
}

async fn new_article(app: &TestApp, token: &str, title: &str) -> String {
    let body = json!({"title": title, "body": [{"type": "paragraph", "text": "Councillors met at noon."}]});
    app.new_article_id(token, &body).await
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn every_change_shows_in_the_very_next_public_read(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = new_article(&app, &editor, "First version").await;
    app.publish_article(&editor, &id).await;
    let path = format!("/v1/articles/{id}");

    // Warm the cache, and prove the next read is served from it.
    warm(&app, &path).await;
    let hit = app.get(&path).send().await;
    assert_eq!(hit.header("x-cache"), Some("hit"));
    assert_eq!(hit.json()["title"], "First version");
    let etag = hit.header("etag").unwrap().to_owned();
    let revalidated = app.get(&path).header("if-none-match", &etag).send().await;
    assert_eq!(
        (revalidated.status, revalidated.header("x-cache")),
        (304, Some("hit"))
    );
    warm(&app, "/v1/articles").await;
    assert_eq!(
        app.get("/v1/articles").send().await.header("x-cache"),
        Some("hit")
    );

    // Edit.
    let res = app
        .update_article(&editor, &id, "*", &json!({"title": "Second version"}))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        app.get(&path).send().await.json()["title"],
        "Second version"
    );
    assert_eq!(
        titles(&app.get("/v1/articles").send().await.json()),
        ["Second version"]
    );

    // A correction entry.
    let report = app
        .report_correction(
            &id,
            &json!({"quote": "at noon", "suggestion": "At one o'clock."}),
        )
        .await
        .json();
    let rpath = format!("/v1/corrections/{}", report["id"].as_str().unwrap());
    let t = app
        .update(&editor, &rpath, "*", &json!({"status": "triaged"}))
        .await;
    assert_eq!(t.status, 200);
    let accepted = app
        .update(
            &editor,
            &rpath,
            "*",
            &json!({"status": "accepted", "public_note": "The meeting began at one o'clock."}),
        )
        .await;
    assert_eq!(accepted.status, 200);
    let read = app.get(&path).send().await;
    assert_eq!(
        read.json()["corrections"][0]["note"],
        "The meeting began at one o'clock."
    );
    assert_eq!(
        app.get(&path)
            .header("if-none-match", &etag)
            .send()
            .await
            .status,
        200,
        "the old ETag is stale"
    );

    // Unpublish.
    let res = app.unpublish(&editor, &id).await;
    assert_eq!(res.status, 200);
    assert_problem(&app.get(&path).send().await, 404, "not-found");
    assert!(titles(&app.get("/v1/articles").send().await.json()).is_empty());

    // Publish again.
    app.publish_article(&editor, &id).await;
    assert_eq!(app.get(&path).send().await.status, 200);
    assert_eq!(
        titles(&app.get("/v1/articles").send().await.json()),
        ["Second version"]
    );
}

async fn a_scheduled_story_appears_when_its_time_comes(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let live = new_article(&app, &editor, "Already out").await;
    app.publish_article(&editor, &live).await;
    let later = new_article(&app, &editor, "Embargoed until soon").await;
    let at = chrono::Utc::now() + chrono::TimeDelta::milliseconds(2_500);
    let res = app.schedule_article(&editor, &later, at).await;
    assert_eq!(res.status, 200);
    // Cached before the time…
    assert_eq!(
        titles(&app.get("/v1/articles").send().await.json()),
        ["Already out"]
    );
    assert_eq!(
        titles(&app.get("/v1/articles").send().await.json()),
        ["Already out"]
    );
    assert_eq!(
        app.get("/v1/articles").send().await.header("x-cache"),
        Some("hit")
    );
    // …and not a moment after it: looking until it shows, every look asked 20 ms after the
    // time shows it, and none answered before the time does.
    eventually("the scheduled story to appear", || async {
        let asked = chrono::Utc::now();
        let shown = titles(&app.get("/v1/articles").send().await.json());
        if shown == ["Embargoed until soon", "Already out"] {
            assert!(chrono::Utc::now() >= at, "shown before its time");
            return Some(());
        }
        assert_eq!(shown, ["Already out"]);
        assert!(
            asked < at + chrono::TimeDelta::milliseconds(20),
            "not shown when asked {} after its time",
            asked - at
        );
        None
    })
    .await;
    assert_eq!(
        app.get(&format!("/v1/articles/{later}"))
            .send()
            .await
            .status,
        200
    );
}

async fn a_write_through_one_instance_shows_on_another_within_a_second(backend: Backend) {
    let first = spawn_app(&backend).await;
    // A second instance on the same database (and the same JWT secret, as a deployment would).
    let map = settings(&first.db, &[]);
    let second_db = TestDb::alias(&first.db);
    let second = start(second_db, map).await;
    let editor = first.admin_token().await;
    let id = new_article(&first, &editor, "Shared story").await;
    first.publish_article(&editor, &id).await;
    let path = format!("/v1/articles/{id}");
    // The second instance notices the publication within a poll; a response it stored before
    // that would be dropped then, and this test is not about that.
    second.caught_up().await;

    // Both instances cache it.
    for app in [&first, &second] {
        warm(app, &path).await;
        let hit = app.get(&path).send().await;
        assert_eq!(hit.header("x-cache"), Some("hit"));
        assert_eq!(hit.json()["title"], "Shared story");
    }
    // The second knows the story's card from a search.
    let search = |n: u32| format!("/v1/articles?q=shared&n={n}");
    assert_eq!(
        titles(&second.get(&search(0)).send().await.json()),
        ["Shared story"]
    );
    // Edit through the first; the second sees it within a second.
    let res = first
        .update_article(
            &editor,
            &id,
            "*",
            &json!({"title": "Shared story, updated"}),
        )
        .await;
    assert_eq!(res.status, 200);
    let started = std::time::Instant::now();
    loop {
        let title = second.get(&path).send().await.json()["title"]
            .as_str()
            .unwrap()
            .to_owned();
        if title == "Shared story, updated" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the second instance still serves the old title"
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    // Its searches too (each a URL of its own, so the cards are what could be stale).
    let started = std::time::Instant::now();
    for n in 1.. {
        if titles(&second.get(&search(n)).send().await.json()) == ["Shared story, updated"] {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the second instance's search still shows the old title"
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    // And an unpublish through the second is gone from the first.
    let res = second.unpublish(&editor, &id).await;
    assert_eq!(res.status, 200);
    let started = std::time::Instant::now();
    while first.get(&path).send().await.status != 404 {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the first instance still serves it"
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
    drop(second);
}

/// A URL asked for once is not stored: the cache holds what is asked for again, so one-off
/// URLs (a crawler's cache-busting parameter, a deep page) cannot push hot stories out.
async fn only_urls_asked_for_again_are_stored(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = new_article(&app, &editor, "Often read").await;
    app.publish_article(&editor, &id).await;
    let path = format!("/v1/articles/{id}");
    for n in 0..5 {
        let once = app.get(&format!("{path}?n={n}")).send().await;
        assert_eq!((once.status, once.header("x-cache")), (200, Some("miss")));
    }
    warm(&app, &path).await;
    for _ in 0..3 {
        assert_eq!(app.get(&path).send().await.header("x-cache"), Some("hit"));
    }
    // A one-off URL asked for a second time is stored from then on.
    let again = app.get(&format!("{path}?n=0")).send().await;
    assert_eq!(again.header("x-cache"), Some("miss"));
    assert_eq!(
        app.get(&format!("{path}?n=0"))
            .send()
            .await
            .header("x-cache"),
        Some("hit")
    );
}

/// A client that only ever revalidates (a CDN) is answered from the cache too, and a stale
/// validator still gets the whole current response.
async fn revalidations_alone_fill_the_cache(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = new_article(&app, &editor, "Revalidated by the edge").await;
    app.publish_article(&editor, &id).await;
    let path = format!("/v1/articles/{id}");
    let etag = app
        .get(&path)
        .send()
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let res = app.get(&path).header("if-none-match", &etag).send().await;
        assert_eq!(res.status, 304);
        assert!(res.text.is_empty());
        assert_eq!(res.header("etag"), Some(etag.as_str()));
        assert!(res.header("cache-control").is_some());
        seen.push(res.header("x-cache").unwrap().to_owned());
    }
    // The plain GET above was the first request; this URL is stored on the second.
    assert_eq!(seen, ["miss", "hit", "hit"]);
    let stale = app
        .get(&path)
        .header("if-none-match", "\"v0\"")
        .send()
        .await;
    assert_eq!(stale.status, 200);
    assert_eq!(stale.json()["title"], "Revalidated by the edge");
}

/// After its own write, an instance invalidates once, when the write commits; the watcher that
/// polls the shared version does not drop the freshly warmed cache again when it sees that write.
async fn an_instance_does_not_drop_its_cache_again_for_its_own_write(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let id = new_article(&app, &editor, "Read straight after it is published").await;
    app.publish_article(&editor, &id).await;
    let path = format!("/v1/articles/{id}");
    warm(&app, &path).await;
    // The watcher has read the version of that write (and would have dropped the cache then).
    app.caught_up().await;
    assert_eq!(app.get(&path).send().await.header("x-cache"), Some("hit"));
}

/// A burst of requests for a URL nobody asked for before (a story breaking) renders it once:
/// the others wait for that render and are served what it stored. Without the wait, every
/// request of the burst reached the database.
async fn a_burst_for_a_new_url_renders_it_once(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    for n in 0..30 {
        let id = new_article(&app, &editor, &format!("Flood update {n}")).await;
        app.publish_article(&editor, &id).await;
    }
    // A page heavy enough that the burst arrives while it renders.
    let path = "/v1/articles?limit=100";
    let burst = (0..48).map(|_| app.get(path).send());
    let responses = futures_util::future::join_all(burst).await;
    let mut misses = 0;
    for res in &responses {
        assert_eq!(res.status, 200, "{}", res.text);
        assert_eq!(res.json()["items"].as_array().unwrap().len(), 30);
        if res.header("x-cache") == Some("miss") {
            misses += 1;
        }
    }
    // The one that rendered; at most one more if the burst's first two did not overlap.
    assert!(misses <= 2, "{misses} of 48 rendered");
    let etags: std::collections::HashSet<_> = responses
        .iter()
        .map(|r| r.header("etag").unwrap())
        .collect();
    assert_eq!(etags.len(), 1);
    // What a waiter is served is never older than a write that came before it.
    let id = new_article(&app, &editor, "Flood update final").await;
    app.publish_article(&editor, &id).await;
    let after = app.get(path).send().await;
    assert_eq!(after.json()["items"][0]["title"], "Flood update final");
}

/// A byline shows the author's name, which is not the article's own: when an admin renames an
/// author, every article and list that shows the name answers a revalidation with the new one.
async fn a_renamed_author_is_a_new_etag_for_articles_and_lists(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (writer, tokens) = app.user_with_role("editor").await;
    let id = new_article(&app, &tokens.access, "Harbour wall repaired").await;
    app.publish_article(&admin, &id).await;
    let article_path = format!("/v1/articles/{id}");
    let list_path = "/v1/articles";
    let tags: Vec<String> = {
        let mut tags = Vec::new();
        for path in [article_path.as_str(), list_path] {
            let res = app.get(path).send().await;
            assert_eq!(res.status, 200);
            let tag = res.header("etag").unwrap().to_owned();
            assert_eq!(
                app.get(path)
                    .header("if-none-match", &tag)
                    .send()
                    .await
                    .status,
                304
            );
            tags.push(tag);
        }
        tags
    };

    let user_path = format!("/v1/users/{writer}");
    let user_tag = app.etag(&user_path, Some(&admin)).await;
    let renamed = app
        .update_user(
            &admin,
            &writer,
            &user_tag,
            &json!({"display_name": "Ana Renamed"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);

    let article = app
        .get(&article_path)
        .header("if-none-match", &tags[0])
        .send()
        .await;
    assert_eq!(article.status, 200, "the old byline is not current");
    assert_eq!(article.json()["authors"][0]["display_name"], "Ana Renamed");
    let list = app
        .get(list_path)
        .header("if-none-match", &tags[1])
        .send()
        .await;
    assert_eq!(list.status, 200, "the old byline is not current");
    assert_eq!(
        list.json()["items"][0]["authors"][0]["display_name"],
        "Ana Renamed"
    );
}

/// A search's page takes the cards it shows from those the server read in the same content
/// generation, and never from an older one: the summaries are changed here behind the server's
/// back (no content version bump, as no writer through the API or the CLI would), and each
/// search below has a URL of its own, so no response is served from the cache.
async fn a_search_shows_known_cards_only_until_content_changes(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let older = new_article(&app, &editor, "Quarry blast rattles windows").await;
    app.publish_article(&editor, &older).await;
    let newer = new_article(&app, &editor, "Quarry expansion approved").await;
    app.publish_article(&editor, &newer).await;
    let search = |n: u32| format!("/v1/articles?q=quarry&n={n}");
    assert_eq!(
        titles(&app.get(&search(1)).send().await.json()),
        ["Quarry expansion approved", "Quarry blast rattles windows"]
    );

    let database = masthead::db::Db::open(&app.db.url, 1).unwrap();
    let overwrite = |title: &str| {
        let mut conn = database.writer_conn().unwrap();
        let conn: &mut masthead::db::DbConn = &mut conn;
        diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE article_summaries SET format = $1, summary = $2")
                .bind::<diesel::sql_types::Integer, _>(masthead::articles::summaries::FORMAT)
                .bind::<diesel::sql_types::Text, _>(json!({"title": title}).to_string()),
            conn,
        )
        .unwrap();
    };
    overwrite("Changed behind the server's back");
    // The same content generation: the cards read for the first search.
    let res = app.get(&search(2)).send().await;
    assert_eq!(res.header("x-cache"), Some("miss"));
    assert_eq!(
        titles(&res.json()),
        ["Quarry expansion approved", "Quarry blast rattles windows"]
    );

    // An edit through the API is a new generation: every card is read again, the edited one
    // rendered from its article (the edit left its summary stale), the other as stored now.
    let res = app
        .update_article(
            &editor,
            &older,
            "*",
            &json!({"title": "Quarry blast: windows rattled"}),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        titles(&app.get(&search(3)).send().await.json()),
        [
            "Changed behind the server's back",
            "Quarry blast: windows rattled"
        ]
    );
    // Cards read in that generation are known in it, and dropped by the next write.
    overwrite("Changed again");
    assert_eq!(
        titles(&app.get(&search(4)).send().await.json()),
        [
            "Changed behind the server's back",
            "Quarry blast: windows rattled"
        ]
    );
    let res = app.unpublish(&editor, &newer).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        titles(&app.get(&search(5)).send().await.json()),
        ["Changed again"]
    );
}

backend_tests!(
    a_search_shows_known_cards_only_until_content_changes,
    a_renamed_author_is_a_new_etag_for_articles_and_lists,
    only_urls_asked_for_again_are_stored,
    a_burst_for_a_new_url_renders_it_once,
    every_change_shows_in_the_very_next_public_read,
    a_scheduled_story_appears_when_its_time_comes,
    a_write_through_one_instance_shows_on_another_within_a_second,
    an_instance_does_not_drop_its_cache_again_for_its_own_write,
    revalidations_alone_fill_the_cache,
);
