//! Articles: the editorial life of a story, public reads, lists, search and bad input.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

fn story(title: &str, words: &str) -> Value {
    json!({
        "title": title,
        "standfirst": "A standfirst written for the tests.",
        "body": [
            {"type": "paragraph", "text": format!("The council met on Tuesday. {words}")},
            {"type": "quote", "text": "We will rebuild the bridge by spring.", "attribution": "the mayor"},
            {"type": "list", "items": ["first point", "second point"]}
        ],
        "tags": ["Infrastructure", "city"],
        "section": "local",
        "sources": [{"name": "City Hall press office", "url": "https://cityhall.example/press"}]
    })
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The newsroom behind one story: its writer and an editor.
struct Desk {
    writer_id: String,
    writer: Tokens,
    editor: Tokens,
}

async fn desk(app: &TestApp) -> Desk {
    let (writer_id, writer) = app.user_with_role("writer").await;
    let (_, editor) = app.user_with_role("editor").await;
    // The section the stories are in, which writers cannot create.
    app.create_section(&editor.access, "local", &json!({}))
        .await;
    Desk {
        writer_id,
        writer,
        editor,
    }
}

/// The writer's story, drafted and retitled, as the tests below start from it.
async fn retitled_draft(app: &TestApp, desk: &Desk) -> String {
    let id = app
        .new_article_id(
            &desk.writer.access,
            &story(
                "Bridge repairs start in the old town",
                "Engineers found corrosion.",
            ),
        )
        .await;
    let edited = app
        .update_article(
            &desk.writer.access,
            &id,
            "*",
            &json!({"title": "Bridge repairs start in the old town on Monday"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    id
}

async fn a_writer_drafts_a_story_and_edits_it_with_if_match(backend: Backend) {
    let app = spawn_app(&backend).await;
    let Desk {
        writer_id, writer, ..
    } = desk(&app).await;

    // A writer drafts it.
    let draft = app
        .create_article(
            &writer.access,
            &story(
                "Bridge repairs start in the old town",
                "Engineers found corrosion.",
            ),
        )
        .await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["slug"], "bridge-repairs-start-in-the-old-town");
    assert_eq!(draft["authors"][0]["id"], writer_id);
    assert_eq!(draft["tags"], json!(["infrastructure", "city"]));
    assert!(
        draft["body_html"]
            .as_str()
            .unwrap()
            .contains("<blockquote>")
    );
    let path = format!("/v1/articles/{id}");
    let v1 = app
        .get_as(&writer.access, &path)
        .await
        .header("etag")
        .unwrap()
        .to_owned();

    // The draft is invisible to the public.
    assert_problem(&app.get(&path).send().await, 404, "not-found");

    // The writer edits with If-Match; a second tab with the old ETag loses the race.
    let edited = app
        .update_article(
            &writer.access,
            &id,
            &v1,
            &json!({"title": "Bridge repairs start in the old town on Monday"}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    let v2 = edited.header("etag").unwrap().to_owned();
    assert_ne!(v1, v2);
    let stale = app
        .update_article(
            &writer.access,
            &id,
            &v1,
            &json!({"standfirst": "This edit must not land."}),
        )
        .await;
    assert_problem(&stale, 412, "precondition-failed");
    let no_precondition = app
        .patch(&path)
        .bearer(&writer.access)
        .json(&json!({"standfirst": "Nor this."}))
        .send()
        .await;
    assert_problem(&no_precondition, 428, "precondition-required");
    let now = app.get_as(&writer.access, &path).await.json();
    assert_eq!(now["standfirst"], "A standfirst written for the tests.");
    assert_eq!(now["version"], 2);
}

async fn an_editor_publishes_it_and_the_public_reads_it(backend: Backend) {
    let app = spawn_app(&backend).await;
    let desk = desk(&app).await;
    let id = retitled_draft(&app, &desk).await;
    let Desk {
        writer_id,
        writer,
        editor,
    } = desk;
    let path = format!("/v1/articles/{id}");

    // Writers do not publish; editors do.
    let refused = app.publish(&writer.access, &id).await;
    assert_problem(&refused, 403, "forbidden");
    let published = app.publish_article(&editor.access, &id).await;
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    let again = app.publish(&editor.access, &id).await;
    assert_problem(&again, 409, "conflict");

    // The public reads it by slug and by id, with cache headers, and revalidates for free.
    let by_slug = app
        .get("/v1/articles/bridge-repairs-start-in-the-old-town")
        .send()
        .await;
    assert_eq!(by_slug.status, 200, "{}", by_slug.text);
    let etag = by_slug.header("etag").unwrap().to_owned();
    assert!(
        by_slug
            .header("cache-control")
            .unwrap()
            .starts_with("public")
    );
    let by_id = app.get(&path).send().await;
    assert_eq!(by_id.json(), by_slug.json());
    let public = by_id.json();
    assert_eq!(
        public["title"],
        "Bridge repairs start in the old town on Monday"
    );
    assert!(public["authors"][0].get("email").is_none());
    let revalidated = app.get(&path).header("if-none-match", &etag).send().await;
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.text.is_empty());
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));

    // Search finds it by a word from its body, in any case.
    let found = app.get("/v1/articles?q=CORROSION").send().await.json();
    assert_eq!(ids(&found), vec![id.clone()]);
    assert_eq!(
        ids(&app.get("/v1/articles?tag=city").send().await.json()),
        vec![id.clone()]
    );
    assert_eq!(
        ids(&app
            .get(&format!("/v1/articles?author={writer_id}"))
            .send()
            .await
            .json()),
        vec![id.clone()]
    );

    // An editor changes published text; writers no longer may.
    let writer_late = app
        .update_article(
            &writer.access,
            &id,
            &etag,
            &json!({"standfirst": "Too late for a writer."}),
        )
        .await;
    assert_problem(&writer_late, 403, "forbidden");
}

async fn unpublished_it_is_gone_and_the_log_tells_who_did_what(backend: Backend) {
    let app = spawn_app(&backend).await;
    let desk = desk(&app).await;
    let id = retitled_draft(&app, &desk).await;
    let Desk {
        writer_id, editor, ..
    } = desk;
    let path = format!("/v1/articles/{id}");
    app.publish_article(&editor.access, &id).await;
    let etag = app.etag(&path, None).await;

    // Unpublished: gone from every public read. (A JSON `null` body means no body.)
    let taken_down = app
        .post_json(&editor.access, &format!("{path}/unpublish"), &Value::Null)
        .await;
    assert_eq!(taken_down.status, 200, "{}", taken_down.text);
    assert_eq!(taken_down.json()["status"], "draft");
    assert_problem(&app.get(&path).send().await, 404, "not-found");
    assert_problem(
        &app.get("/v1/articles/bridge-repairs-start-in-the-old-town")
            .send()
            .await,
        404,
        "not-found",
    );
    assert!(ids(&app.get("/v1/articles").send().await.json()).is_empty());
    assert!(ids(&app.get("/v1/articles?q=corrosion").send().await.json()).is_empty());
    assert!(ids(&app.get("/v1/articles?tag=city").send().await.json()).is_empty());
    assert!(
        ids(&app
            .get(&format!("/v1/articles?author={writer_id}"))
            .send()
            .await
            .json())
        .is_empty()
    );
    // The cached copy is stale now: the ETag does not match any more.
    let staff = app
        .get(&path)
        .bearer(&editor.access)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(staff.status, 200);

    // The revision log tells who did what, newest first.
    let log = app
        .get_as(&editor.access, &format!("{path}/revisions"))
        .await
        .json();
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["unpublish", "publish", "update", "create"]);
    assert_eq!(log["items"][2]["changed"], json!(["title"]));
    assert_eq!(log["items"][2]["editor"]["id"], writer_id);

    // Archive, then delete with If-Match.
    let archived = app
        .post_json(
            &editor.access,
            &format!("{path}/unpublish"),
            &json!({"archive": true}),
        )
        .await;
    assert_eq!(archived.json()["status"], "archived");
    let tag = archived.header("etag").unwrap().to_owned();
    let gone = app.delete_article(&editor.access, &id, &tag).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    assert_problem(&app.get_as(&editor.access, &path).await, 404, "not-found");
}

async fn drafts_and_scheduled_stories_never_leak(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let draft = app
        .create_article(
            &editor,
            &story(
                "Secret draft about the budget",
                "Zucchini festival cancelled.",
            ),
        )
        .await;
    let scheduled = app
        .create_article(
            &editor,
            &story("Embargoed report on schools", "Zucchini harvest doubled."),
        )
        .await;
    let at = (chrono::Utc::now() + chrono::TimeDelta::seconds(3)).to_rfc3339();
    let res = app
        .post_json(
            &editor,
            &format!("/v1/articles/{}/publish", scheduled["id"].as_str().unwrap()),
            &json!({"at": at}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["status"], "scheduled");
    let public = app
        .create_article(&editor, &story("Market opens", "Zucchini prices fall."))
        .await;
    app.publish_article(&editor, public["id"].as_str().unwrap())
        .await;

    for path in [
        "/v1/articles".to_owned(),
        "/v1/articles?q=zucchini".to_owned(),
        "/v1/articles?tag=city".to_owned(),
        "/v1/articles?section=local".to_owned(),
        "/v1/articles?lang=en".to_owned(),
    ] {
        let page = app.get(&path).send().await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        assert_eq!(
            ids(&page.json()),
            vec![public["id"].as_str().unwrap().to_owned()],
            "{path}"
        );
        assert!(
            !page.text.contains("Secret draft") && !page.text.contains("Embargoed"),
            "{path}"
        );
    }
    for hidden in [&draft, &scheduled] {
        let id = hidden["id"].as_str().unwrap();
        assert_problem(
            &app.get(&format!("/v1/articles/{id}")).send().await,
            404,
            "not-found",
        );
        let slug = hidden["slug"].as_str().unwrap();
        assert_problem(
            &app.get(&format!("/v1/articles/{slug}")).send().await,
            404,
            "not-found",
        );
    }
    // Staff see them when they ask.
    let drafts = app
        .get_as(&editor, "/v1/articles?status=draft")
        .await
        .json();
    assert_eq!(ids(&drafts), vec![draft["id"].as_str().unwrap().to_owned()]);
    let upcoming = app
        .get_as(&editor, "/v1/articles?status=scheduled")
        .await
        .json();
    assert_eq!(
        ids(&upcoming),
        vec![scheduled["id"].as_str().unwrap().to_owned()]
    );
    assert_problem(
        &app.get("/v1/articles?status=draft").send().await,
        401,
        "unauthorized",
    );

    // Its time comes, and it is public by itself: nothing ran but the clock.
    let page = eventually("the scheduled story to come out", || async {
        let page = app.get("/v1/articles?q=zucchini").send().await.json();
        (page["items"].as_array().unwrap().len() == 2).then_some(page)
    })
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let id = scheduled["id"].as_str().unwrap();
    let now_public = app.get(&format!("/v1/articles/{id}")).send().await;
    assert_eq!(now_public.status, 200);
    assert_eq!(now_public.json()["status"], "published");
}

async fn walking_the_list_visits_every_story_once_while_news_breaks(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let mut expected = HashSet::new();
    for i in 0..120 {
        let a = app
            .create_article(
                &editor,
                &json!({"title": format!("Story number {i}"), "tags": ["walk"], "body": [{"type": "paragraph", "text": "Text."}]}),
            )
            .await;
        let id = a["id"].as_str().unwrap().to_owned();
        app.publish_article(&editor, &id).await;
        expected.insert(id);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut page_number = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/articles?limit=7&cursor={c}"),
            None => "/v1/articles?limit=7".to_owned(),
        };
        let page = app.get(&path).send().await;
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        assert!(page["items"].as_array().unwrap().len() <= 7);
        seen.extend(ids(&page));
        page_number += 1;
        if page_number % 4 == 0 {
            // Breaking news lands while the reader is paging.
            let a = app
                .create_article(
                    &editor,
                    &json!({"title": format!("Breaking {page_number}"), "body": [{"type": "paragraph", "text": "New."}]}),
                )
                .await;
            app.publish_article(&editor, a["id"].as_str().unwrap())
                .await;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(page_number, 18, "120 stories in pages of 7");
    assert_eq!(seen.len(), 120, "no story twice");
    assert_eq!(
        seen.iter().cloned().collect::<HashSet<_>>(),
        expected,
        "every story once"
    );
}

async fn body_html_cannot_carry_markup_or_script(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let attack = json!({
        "title": "<script>alert('title')</script>",
        "body": [
            {"type": "paragraph", "text": "<script>alert(1)</script> and <img src=x onerror=alert(1)>"},
            {"type": "heading", "level": 3, "text": "\"><svg onload=alert(1)>"},
            {"type": "quote", "text": "<iframe src=javascript:alert(1)>", "attribution": "<b onmouseover=alert(1)>x</b>"},
            {"type": "list", "items": ["<a href=\"javascript:alert(1)\">click</a>", "*<style>body{}</style>*"]},
            {"type": "paragraph", "text": "[safe label](https://news.example/a?b=1&c=2) **<script>**"}
        ]
    });
    let a = app.create_article(&editor, &attack).await;
    let html = a["body_html"].as_str().unwrap();
    for bad in [
        "<script",
        "<img",
        "<svg",
        "<iframe",
        "<style",
        "<b ",
        "<a href=\"javascript",
    ] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    let tags: Vec<&str> = html
        .split('<')
        .skip(1)
        .map(|t| t.split(['>', ' ']).next().unwrap())
        .collect();
    for tag in tags {
        assert!(
            [
                "p",
                "/p",
                "h3",
                "/h3",
                "blockquote",
                "/blockquote",
                "footer",
                "/footer",
                "ul",
                "/ul",
                "li",
                "/li",
                "em",
                "/em",
                "strong",
                "/strong",
                "a",
                "/a"
            ]
            .contains(&tag),
            "unexpected tag <{tag}> in {html}"
        );
    }
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains("href=\"https://news.example/a?b=1&amp;c=2\""),
        "{html}"
    );
    assert!(a["body_text"].as_str().unwrap().contains("safe label"));

    for link in [
        "javascript:alert(1)",
        "data:text/html,x",
        "/relative",
        "https://a.example/\" onmouseover=\"x",
    ] {
        let res = app
            .post_article(
                &editor,
                &json!({"title": "Links", "body": [{"type": "paragraph", "text": format!("[x]({link})")}]}),
            )
            .await;
        let problem = assert_problem(&res, 422, "validation");
        assert_eq!(problem_fields(&problem), vec!["body[0].text"], "{link}");
    }
}

async fn slugs_are_readable_unique_and_old_ones_keep_working(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let ua = app
        .create_article(
            &editor,
            &json!({"title": "Зеленський: міжнародна реакція недостатня", "language": "uk", "body": [{"type": "paragraph", "text": "Текст."}]}),
        )
        .await;
    assert_eq!(ua["slug"], "zelenskii-mizhnarodna-reaktsiia-nedostatnia");
    let de = app
        .create_article(
            &editor,
            &json!({"title": "Größe der Brücke überrascht", "language": "de", "body": [{"type": "paragraph", "text": "Text."}]}),
        )
        .await;
    assert_eq!(de["slug"], "grosse-der-brucke-uberrascht");
    let twin = app
        .create_article(
            &editor,
            &json!({"title": "Größe der Brücke überrascht", "body": [{"type": "paragraph", "text": "Text."}]}),
        )
        .await;
    assert_eq!(twin["slug"], "grosse-der-brucke-uberrascht-2");

    let duplicate = app
        .post_article(
            &editor,
            &json!({"title": "Another", "slug": "grosse-der-brucke-uberrascht", "body": [{"type": "paragraph", "text": "Text."}]}),
        )
        .await;
    assert_problem(&duplicate, 409, "conflict");

    let id = de["id"].as_str().unwrap();
    app.publish_article(&editor, id).await;
    let current = app.get_as(&editor, &format!("/v1/articles/{id}")).await;
    let renamed = app
        .update_article(
            &editor,
            id,
            current.header("etag").unwrap(),
            &json!({"slug": "bridge-size-surprises"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let old = app
        .get("/v1/articles/grosse-der-brucke-uberrascht")
        .send()
        .await;
    assert_eq!(old.status, 200, "{}", old.text);
    assert_eq!(old.json()["slug"], "bridge-size-surprises");
    assert_eq!(old.json()["id"], id);
    // The old slug stays reserved for the article that had it.
    let grab = app
        .update_article(
            &editor,
            twin["id"].as_str().unwrap(),
            "*",
            &json!({"slug": "grosse-der-brucke-uberrascht"}),
        )
        .await;
    assert_problem(&grab, 409, "conflict");
}

async fn concurrent_writers_neither_collide_nor_lose_edits(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    // Eight stories with the same headline at once: each gets its own slug.
    let body = json!({"title": "Storm closes the ferry", "body": [{"type": "paragraph", "text": "Text."}]});
    let creates = (0..8).map(|_| app.post("/v1/articles").bearer(&editor).json(&body).send());
    let results = futures_util::future::join_all(creates).await;
    let mut slugs: Vec<String> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{}", r.text);
            r.json()["slug"].as_str().unwrap().to_owned()
        })
        .collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 8, "{slugs:?}");
    // Eight edits at once with `If-Match: *` all land, one after another.
    let id = results[0].json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/articles/{id}");
    let edits = (0..8).map(|i| {
        app.patch(&path)
            .bearer(&editor)
            .header("if-match", "*")
            .json(&json!({"standfirst": format!("Edit {i}")}))
            .send()
    });
    for r in futures_util::future::join_all(edits).await {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let now = app.get_as(&editor, &path).await.json();
    assert_eq!(now["version"], 9, "every edit made a version");
}

async fn filters_narrow_the_public_list(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (reporter_id, reporter) = app.user_with_role("writer").await;
    app.create_section(&admin, "economy", &json!({})).await;
    let mine = app
        .create_article(
            &reporter.access,
            &json!({"title": "Harbour report", "section": "economy", "tags": ["Harbour"], "language": "uk", "body": [{"type": "paragraph", "text": "Ships."}]}),
        )
        .await;
    let other = app
        .create_article(
            &admin,
            &json!({"title": "Theatre review", "section": "culture", "tags": ["stage"], "body": [{"type": "paragraph", "text": "Actors."}]}),
        )
        .await;
    app.publish_article(&admin, mine["id"].as_str().unwrap())
        .await;
    let cut_at = chrono::Utc::now();
    let cut = cut_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    eventually("the clock to pass the cut", || async {
        (chrono::Utc::now() > cut_at + chrono::TimeDelta::milliseconds(1)).then_some(())
    })
    .await;
    app.publish_article(&admin, other["id"].as_str().unwrap())
        .await;
    let mine_id = vec![mine["id"].as_str().unwrap().to_owned()];
    let other_id = vec![other["id"].as_str().unwrap().to_owned()];

    assert_eq!(
        ids(&app.get("/v1/articles?tag=harbour").send().await.json()),
        mine_id
    );
    assert_eq!(
        ids(&app.get("/v1/articles?section=culture").send().await.json()),
        other_id
    );
    assert_eq!(
        ids(&app
            .get(&format!("/v1/articles?author={reporter_id}"))
            .send()
            .await
            .json()),
        mine_id
    );
    assert_eq!(
        ids(&app.get("/v1/articles?lang=uk").send().await.json()),
        mine_id
    );
    let cut = cut.replace('+', "%2B");
    assert_eq!(
        ids(&app
            .get(&format!("/v1/articles?published_after={cut}"))
            .send()
            .await
            .json()),
        other_id
    );
    assert_eq!(
        ids(&app
            .get(&format!("/v1/articles?published_before={cut}"))
            .send()
            .await
            .json()),
        mine_id
    );
    assert_eq!(
        ids(&app
            .get("/v1/articles?q=actors&section=culture")
            .send()
            .await
            .json()),
        other_id
    );
    assert!(
        ids(&app
            .get("/v1/articles?q=actors&section=economy")
            .send()
            .await
            .json())
        .is_empty()
    );

    let list = app.get("/v1/articles").send().await;
    let etag = list.header("etag").unwrap().to_owned();
    assert_eq!(
        app.get("/v1/articles")
            .header("if-none-match", &etag)
            .send()
            .await
            .status,
        304
    );
}

async fn excerpts_never_exceed_500_characters_or_cut_words(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let long = "Reconstruction ".repeat(80);
    let a = app
        .create_article(
            &editor,
            &json!({"title": "Long", "body": [{"type": "paragraph", "text": long}]}),
        )
        .await;
    let excerpt = a["excerpt"].as_str().unwrap();
    assert!(excerpt.chars().count() <= 500, "{}", excerpt.len());
    assert!(
        excerpt
            .trim_end_matches('…')
            .trim_end()
            .ends_with("Reconstruction"),
        "{excerpt}"
    );
    let custom = app
        .create_article(
            &editor,
            &json!({"title": "Custom", "excerpt": "Hand written.", "body": [{"type": "paragraph", "text": "Body."}]}),
        )
        .await;
    assert_eq!(custom["excerpt"], "Hand written.");
    let too_long = app
        .post_article(
            &editor,
            &json!({"title": "Custom", "excerpt": "x".repeat(501), "body": [{"type": "paragraph", "text": "Body."}]}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&too_long, 422, "validation")),
        vec!["excerpt"]
    );
}

async fn bad_input_is_refused_and_changes_nothing(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (_, writer) = app.user_with_role("writer").await;
    let body = json!([{"type": "paragraph", "text": "Text."}]);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"title": "x".repeat(300), "body": body}), "title"),
        (json!({"title": "  ", "body": body}), "title"),
        (json!({"title": "Ok", "body": []}), "body"),
        (
            json!({"title": "Ok", "body": [{"type": "video", "url": "https://x.example"}]}),
            "body[0]",
        ),
        (
            json!({"title": "Ok", "body": [{"type": "paragraph"}]}),
            "body[0].text",
        ),
        (
            json!({"title": "Ok", "body": [{"type": "paragraph", "text": " "}]}),
            "body[0].text",
        ),
        (
            json!({"title": "Ok", "body": [{"type": "heading", "level": 1, "text": "H"}]}),
            "body[0].level",
        ),
        (
            json!({"title": "Ok", "body": [{"type": "heading", "level": 5, "text": "H"}]}),
            "body[0].level",
        ),
        (
            json!({"title": "Ok", "body": body, "sources": [{"name": "Wire", "url": "not a url"}]}),
            "sources[0].url",
        ),
        (
            json!({"title": "Ok", "body": body, "canonical_url": "ftp://x.example"}),
            "canonical_url",
        ),
        (
            json!({"title": "Ok", "body": body, "language": "english!"}),
            "language",
        ),
        (
            json!({"title": "Ok", "body": body, "slug": "Not A Slug"}),
            "slug",
        ),
        (
            json!({"title": "Ok", "body": body, "authors": ["no-such-user"]}),
            "authors[0]",
        ),
        (
            json!({"title": "Ok", "body": body, "related": ["01a21bf6-30cb-75a9-98ac-4726716e4db0"]}),
            "related[0]",
        ),
        (
            json!({"title": "Ok", "body": body, "colour": "red"}),
            "colour",
        ),
    ];
    for (input, field) in cases {
        let res = app.post_article(&editor, &input).await;
        let problem = assert_problem(&res, 422, "validation");
        let fields = problem_fields(&problem);
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{field} not in {fields:?} for {input}"
        );
    }
    let huge =
        json!({"title": "Huge", "body": [{"type": "paragraph", "text": "x".repeat(1_100_000)}]});
    let res = app.post_article(&editor, &huge).await;
    assert_problem(&res, 413, "payload-too-large");
    let anonymous = app
        .post("/v1/articles")
        .json(&json!({"title": "Ok", "body": body}))
        .send()
        .await;
    assert_problem(&anonymous, 401, "unauthorized");

    // Nothing of that was stored.
    let all = app.get_as(&editor, "/v1/articles?status=any").await.json();
    assert!(ids(&all).is_empty(), "{all}");

    for path in [
        "/v1/articles?published_after=yesterday",
        "/v1/articles?cursor=garbage",
        "/v1/articles?limit=ten",
        "/v1/articles?status=lost",
    ] {
        assert_problem(&app.get(path).send().await, 400, "bad-request");
    }
    assert_problem(
        &app.get("/v1/articles?limit=500").send().await,
        422,
        "validation",
    );
    assert_problem(
        &app.get("/v1/articles?q=%20%2C").send().await,
        422,
        "validation",
    );
    assert_problem(
        &app.get("/v1/articles/01a21bf6-30cb-75a9-98ac-4726716e4db0")
            .send()
            .await,
        404,
        "not-found",
    );
    assert_problem(
        &app.get("/v1/articles/no-such-slug").send().await,
        404,
        "not-found",
    );

    // A writer cannot publish or edit someone else's draft; nothing changes.
    let a = app
        .create_article(&editor, &json!({"title": "Editor's draft", "body": body}))
        .await;
    let id = a["id"].as_str().unwrap();
    assert_problem(&app.publish(&writer.access, id).await, 403, "forbidden");
    let res = app
        .update_article(&writer.access, id, "\"v1\"", &json!({"title": "Hijacked"}))
        .await;
    assert_problem(&res, 403, "forbidden");
    let past = app
        .post_json(
            &editor,
            &format!("/v1/articles/{id}/publish"),
            &json!({"at": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&past, 422, "validation")),
        vec!["at"]
    );
    let unpublish_draft = app.unpublish(&editor, id).await;
    assert_problem(&unpublish_draft, 409, "conflict");
    let after = app
        .get_as(&editor, &format!("/v1/articles/{id}"))
        .await
        .json();
    assert_eq!(after["version"], 1);
    assert_eq!(after["title"], "Editor's draft");
    assert_eq!(after["status"], "draft");
    let log = app
        .get_as(&editor, &format!("/v1/articles/{id}/revisions"))
        .await
        .json();
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
}

/// Search: recent matches are ranked by where the words are (headline, then headline or
/// standfirst, then anywhere), newest first among equals; paging goes on past the ranked window
/// (the newest 100 matches) through every older match, newest first, each exactly once.
async fn search_ranks_recent_matches_and_pages_through_every_match(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let mut older = Vec::new();
    for n in 0..104 {
        let a = app
            .create_article(
                &editor,
                &story(&format!("Routine item {n}"), "The lighthouse keeper waved."),
            )
            .await;
        let id = a["id"].as_str().unwrap().to_owned();
        app.publish_article(&editor, &id).await;
        older.push(id);
    }
    let publish_story = |title: &'static str, standfirst: &'static str, words: &'static str| {
        let app = &app;
        let editor = &editor;
        async move {
            let mut body = story(title, words);
            body["standfirst"] = json!(standfirst);
            let a = app.create_article(editor, &body).await;
            let id = a["id"].as_str().unwrap().to_owned();
            app.publish_article(editor, &id).await;
            id
        }
    };
    let headline_and_body =
        publish_story("A lighthouse is sold", "Bidders came.", "Its keeper stays.").await;
    let standfirst = publish_story(
        "Coast news",
        "The lighthouse keeper retires.",
        "Nothing else.",
    )
    .await;
    let headline = publish_story("Lighthouse keeper honoured", "A medal.", "Nothing else.").await;
    let body_only = publish_story("Harbour notes", "Boats.", "A lighthouse keeper spoke.").await;

    let page = app
        .get("/v1/articles?q=Lighthouse+KEEPER&limit=5")
        .send()
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let first = ids(&page.json());
    // Headline, standfirst, then anywhere newest first (the body-only story, then the story
    // with one word in its headline, then the routine items).
    assert_eq!(
        first,
        vec![
            headline.clone(),
            standfirst.clone(),
            body_only.clone(),
            headline_and_body.clone(),
            older[103].clone()
        ]
    );

    // Walk every page: all 108 matches, each once; past the window, newest first.
    let mut seen = first;
    let mut cursor = page.json()["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let page = app
            .get(&format!(
                "/v1/articles?q=lighthouse+keeper&limit=7&cursor={c}"
            ))
            .send()
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        if seen.len() == 5 {
            // The page size may change between pages; offsets carry on.
            assert_eq!(ids(&page.json())[0], older[102]);
        }
        seen.extend(ids(&page.json()));
        cursor = page.json()["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 108);
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 108);
    let mut newest_first = older.clone();
    newest_first.reverse();
    assert_eq!(seen[4..], newest_first[..]);
}

/// Many matches with every word in the headline: the tiers still hold (headline, then standfirst,
/// then anywhere, newest first within each).
async fn search_tiers_hold_when_many_headlines_match(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let published = |title: String, standfirst: &'static str, words: &'static str| {
        let (app, editor) = (&app, &editor);
        async move {
            let mut body = story(&title, words);
            body["standfirst"] = json!(standfirst);
            let a = app.create_article(editor, &body).await;
            let id = a["id"].as_str().unwrap().to_owned();
            app.publish_article(editor, &id).await;
            id
        }
    };
    let mut body_only = Vec::new();
    let mut lead = Vec::new();
    let mut headlines = Vec::new();
    for n in 0..3 {
        body_only.push(published(format!("Tides {n}"), "Calm.", "The ferry pilot spoke.").await);
        lead.push(published(format!("Crossing {n}"), "A ferry pilot retires.", "No.").await);
    }
    for n in 0..18 {
        headlines.push(published(format!("Ferry pilot {n} praised"), "Brave.", "Yes.").await);
    }
    let page = app.get("/v1/articles?q=pilot+ferry&limit=30").send().await;
    assert_eq!(page.status, 200, "{}", page.text);
    let newest_first = |v: &[String]| v.iter().rev().cloned().collect::<Vec<_>>();
    let expected = [
        newest_first(&headlines),
        newest_first(&lead),
        newest_first(&body_only),
    ]
    .concat();
    assert_eq!(ids(&page.json()), expected);
}

backend_tests!(
    a_writer_drafts_a_story_and_edits_it_with_if_match,
    an_editor_publishes_it_and_the_public_reads_it,
    unpublished_it_is_gone_and_the_log_tells_who_did_what,
    drafts_and_scheduled_stories_never_leak,
    walking_the_list_visits_every_story_once_while_news_breaks,
    body_html_cannot_carry_markup_or_script,
    slugs_are_readable_unique_and_old_ones_keep_working,
    filters_narrow_the_public_list,
    concurrent_writers_neither_collide_nor_lose_edits,
    excerpts_never_exceed_500_characters_or_cut_words,
    bad_input_is_refused_and_changes_nothing,
    search_ranks_recent_matches_and_pages_through_every_match,
    search_tiers_hold_when_many_headlines_match,
);

/// PostgreSQL searches the newest articles through an index of their own, which the server
/// builds as it starts; the results are the same as without it: with fewer than a window of
/// recent matches, an older one is still ranked in the window (its headline has the words), and
/// with more, the window is the newest hundred and the older match follows them.
#[actix_web::test]
async fn postgres_search_reaches_past_the_recent_index() {
    use diesel::prelude::*;
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(&backend).await;
    let mut pg = diesel::PgConnection::establish(&app.db.url).expect("connects");
    let started = std::time::Instant::now();
    while !crate::db::recent_search_indexes(&mut pg)
        .iter()
        .any(|(_, valid)| *valid)
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the server built no recent search index"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let editor = app.admin_token().await;
    let publish = |title: String, words: &'static str| {
        let (app, editor) = (&app, &editor);
        async move {
            let a = app.create_article(editor, &story(&title, words)).await;
            let id = a["id"].as_str().unwrap().to_owned();
            app.publish_article(editor, &id).await;
            id
        }
    };
    let old = publish("The lamp keeper of Skerry".to_owned(), "Retired.").await;
    // Published 400 days ago: before any recent index's date.
    for table in ["articles", "article_tags", "article_authors"] {
        let (column, key) = match table {
            "articles" => ("published_at", "id"),
            _ => ("public_at", "article_id"),
        };
        diesel::sql_query(format!(
            "UPDATE {table} SET {column} = {column} - interval '400 days' WHERE {key} = $1"
        ))
        .bind::<diesel::sql_types::Text, _>(&old)
        .execute(&mut pg)
        .unwrap();
    }
    let mut recent = Vec::new();
    for n in 0..3 {
        recent.push(publish(format!("Harbour notes {n}"), "A lamp keeper spoke.").await);
    }
    let newest_first = |v: &[String]| v.iter().rev().cloned().collect::<Vec<_>>();
    let page = app.get("/v1/articles?q=keeper+lamp").send().await.json();
    assert_eq!(
        ids(&page),
        [vec![old.clone()], newest_first(&recent)].concat()
    );

    for n in 3..103 {
        recent.push(publish(format!("Harbour notes {n}"), "A lamp keeper spoke.").await);
    }
    let first = app
        .get("/v1/articles?q=keeper+lamp&limit=100")
        .send()
        .await
        .json();
    assert_eq!(ids(&first), newest_first(&recent[3..]));
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest = app
        .get(&format!(
            "/v1/articles?q=keeper+lamp&limit=100&cursor={cursor}"
        ))
        .send()
        .await
        .json();
    assert_eq!(
        ids(&rest),
        [newest_first(&recent[..3]), vec![old.clone()]].concat()
    );
}
