//! Structured data: each published article as schema.org `NewsArticle` JSON-LD, checked by an
//! independent JSON-LD processor; its authors' pages on the site, also in every feed kind; and no
//! embargoed picture in any of them until its story is out.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::{jpeg_with_gps, upload};

const SITE: &str = "https://www.newsroom.example";

fn site_settings() -> [(&'static str, &'static str); 4] {
    [
        ("MASTHEAD_SITE_URL", SITE),
        ("MASTHEAD_SITE_NAME", "The Harbour Gazette"),
        (
            "MASTHEAD_SITE_LOGO",
            "https://www.newsroom.example/logo.png",
        ),
        // The checkers take a while on a busy machine: the client's idle connection waits.
        ("MASTHEAD_KEEP_ALIVE", "60s"),
    ]
}

fn story(title: &str, text: &str) -> Value {
    json!({"title": title, "body": [{"type": "paragraph", "text": text}]})
}

/// A photo in the library with a credit and a licence; its id.
async fn photo(app: &TestApp, token: &str, credit: &str, license: &str) -> String {
    let res = upload(
        app,
        token,
        &[
            ("file", Some("quay.jpg"), &jpeg_with_gps(64, 48, 1)),
            ("alt_text", None, b"The quay at dawn"),
            ("credit", None, credit.as_bytes()),
            ("license", None, license.as_bytes()),
        ],
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()["id"].as_str().unwrap().to_owned()
}

/// Sets `image` with a new caption (`text`, `credit`) as the featured image of the draft `id`.
async fn feature(app: &TestApp, token: &str, id: &str, image: &str, text: &str, credit: &str) {
    let caption = app
        .post_json(
            token,
            "/v1/captions",
            &json!({"image_id": image, "article_id": id, "text": text, "credit": credit}),
        )
        .await;
    assert_eq!(caption.status, 201, "{}", caption.text);
    let patch = json!({"featured_image": {"image_id": image, "caption_id": caption.json()["id"]}});
    let etag = app.etag(&format!("/v1/articles/{id}"), Some(token)).await;
    let res = app.update_article(token, id, &etag, &patch).await;
    assert_eq!(res.status, 200, "{}", res.text);
}

/// The slug of the public profile with this id.
async fn profile_slug(app: &TestApp, id: &str) -> String {
    let profiles = app.all_authors().await;
    let profile = profiles
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no public profile {id} in {profiles:?}"));
    profile["slug"].as_str().unwrap().to_owned()
}

async fn a_published_article_is_a_news_article_with_every_property(backend: Backend) {
    let app = spawn_app_with(&backend, &site_settings()).await;
    let editor = app.admin_token().await;
    let (writer_id, writer) = app.user_with_role("writer").await;
    app.create_section(&editor, "Local news", &json!({})).await;
    let res = app
        .post_author(
            &editor,
            &json!({"display_name": "Marta Nowak", "job_title": "Guest columnist"}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let guest_id = res.json()["id"].as_str().unwrap().to_owned();

    // A story by a staff writer and a guest, with a featured photo whose caption credits it.
    let image = photo(&app, &editor, "Archive", "© Ada & Co. All rights reserved").await;
    let mut body = story("Harbour dredged", "Ships came in at dawn.");
    body["standfirst"] = json!("The channel is deep enough for ferries again.");
    body["section"] = json!("Local news");
    body["tags"] = json!(["harbour", "ships"]);
    body["authors"] = json!([writer_id, guest_id]);
    let id = app.new_article_id(&writer.access, &body).await;
    feature(
        &app,
        &editor,
        &id,
        &image,
        "Dredgers at work.",
        "Photo: Ada & Co",
    )
    .await;
    app.publish_article(&editor, &id).await;
    let etag = app.etag("/v1/tags/harbour", Some(&editor)).await;
    let res = app
        .update_tag(&editor, "harbour", &etag, &json!({"name": "The Harbour"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let writer_slug = profile_slug(&app, &writer_id).await;
    let etag = app.etag(&format!("/v1/authors/{writer_slug}"), None).await;
    let res = app
        .update_author(
            &writer.access,
            &writer_slug,
            &etag,
            &json!({"job_title": "Transport correspondent"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    let article = app.get(&format!("/v1/articles/{id}")).send().await.json();
    let slug = article["slug"].as_str().unwrap().to_owned();
    let writer_name = article["authors"][0]["display_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let page = format!("{SITE}/local-news/{slug}");
    let writer_page = format!("{SITE}/author/{writer_slug}");
    let guest_page = format!("{SITE}/author/marta-nowak");
    let mut expect = json!({
        "headline": "Harbour dredged",
        "description": "The channel is deep enough for ferries again.",
        "url": page,
        "inLanguage": "en",
        "articleSection": "Local news",
        "keywords": ["The Harbour", "ships"],
        "authors": [
            {"name": writer_name, "url": writer_page, "jobTitle": "Transport correspondent"},
            {"name": "Marta Nowak", "url": guest_page, "jobTitle": "Guest columnist"},
        ],
        "credits": ["Photo: Ada & Co"],
        "copyright": ["© Ada & Co. All rights reserved"],
        "publisher": ["The Harbour Gazette", format!("{SITE}/")],
        "absent": ["correction"],
    });
    let res = app.accepted_jsonld(&id, &expect).await;
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=60, stale-while-revalidate=30")
    );
    let doc = res.json();
    assert_eq!(doc["@context"], "https://schema.org");
    assert_eq!(doc["@type"], "NewsArticle");
    assert_eq!(doc["headline"], "Harbour dredged");
    assert_eq!(doc["url"], page.as_str());
    assert_eq!(
        doc["mainEntityOfPage"],
        json!({"@type": "WebPage", "@id": page})
    );
    assert_eq!(doc["isAccessibleForFree"], true);
    assert_eq!(doc["datePublished"], article["published_at"]);
    assert_eq!(
        doc["publisher"],
        json!({"@type": "Organization", "name": "The Harbour Gazette", "url": format!("{SITE}/"),
               "logo": {"@type": "ImageObject", "url": "https://www.newsroom.example/logo.png"}})
    );
    assert_eq!(
        doc["author"],
        json!([
            {"@type": "Person", "name": writer_name, "url": writer_page,
             "jobTitle": "Transport correspondent"},
            {"@type": "Person", "name": "Marta Nowak", "url": guest_page,
             "jobTitle": "Guest columnist"},
        ])
    );
    assert_eq!(
        doc["image"],
        json!([{
            "@type": "ImageObject",
            "url": article["featured_image"]["url"],
            "width": 64,
            "height": 48,
            "caption": "Dredgers at work.",
            "creditText": "Photo: Ada & Co",
            "copyrightNotice": "© Ada & Co. All rights reserved",
        }])
    );
    assert_eq!(doc["keywords"], json!(["The Harbour", "ships"]));
    assert!(doc.get("correction").is_none(), "{doc}");

    // Revalidated with its ETag, by id and by slug alike.
    let etag = res.header("etag").unwrap().to_owned();
    for key in [id.as_str(), slug.as_str()] {
        let again = app
            .get(&format!("/v1/articles/{key}/jsonld"))
            .header("if-none-match", &etag)
            .send()
            .await;
        assert_eq!(again.status, 304, "{key}: {}", again.text);
    }

    // A published correction appears as a CorrectionComment, under a new ETag.
    app.publish_correction(&editor, &id, "An earlier version named the wrong dredger.")
        .await;
    let corrected = app
        .get(&format!("/v1/articles/{id}/jsonld"))
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    assert_ne!(corrected.header("etag"), Some(etag.as_str()));
    let doc = corrected.json();
    assert_eq!(doc["correction"][0]["@type"], "CorrectionComment");
    assert_eq!(
        doc["correction"][0]["text"],
        "An earlier version named the wrong dredger."
    );
    let log = app.get(&format!("/v1/articles/{id}")).send().await.json();
    assert_eq!(
        doc["correction"][0]["datePublished"],
        log["corrections"][0]["corrected_at"]
    );
    assert_eq!(doc["dateModified"], log["corrected_at"]);
    expect["corrections"] = json!(["An earlier version named the wrong dredger."]);
    expect["absent"] = json!([]);
    app.accepted_jsonld(&id, &expect).await;
}

async fn only_published_articles_have_structured_data(backend: Backend) {
    let app = spawn_app_with(&backend, &site_settings()).await;
    let editor = app.admin_token().await;
    let draft = app
        .new_article_id(&editor, &story("Secret plans", "x"))
        .await;
    let scheduled = app
        .new_article_id(&editor, &story("Tomorrow's news", "x"))
        .await;
    let at = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let res = app.schedule_article(&editor, &scheduled, at).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let withdrawn = app.new_article_id(&editor, &story("Withdrawn", "x")).await;
    app.publish_article(&editor, &withdrawn).await;
    assert_eq!(app.jsonld(&withdrawn).await.status, 200);
    let res = app.unpublish(&editor, &withdrawn).await;
    assert_eq!(res.status, 200, "{}", res.text);

    for id in [&draft, &scheduled, &withdrawn] {
        assert_problem(&app.jsonld(id).await, 404, "not-found");
        // A token opens drafts on the article's read, not here: structured data is public.
        let staff = app
            .get(&format!("/v1/articles/{id}/jsonld"))
            .bearer(&editor)
            .send()
            .await;
        assert_problem(&staff, 404, "not-found");
    }
    assert_problem(&app.jsonld("no-such-story").await, 404, "not-found");

    // A long headline is cut for Google, and kept whole in `name`.
    let title = "Ferry ".repeat(30);
    let long = app.new_article_id(&editor, &story(&title, "x")).await;
    app.publish_article(&editor, &long).await;
    let doc = app.jsonld(&long).await.json();
    let headline = doc["headline"].as_str().unwrap();
    assert!(headline.chars().count() <= 110, "{headline}");
    assert!(headline.ends_with("Ferry…"), "{headline}");
    assert_eq!(doc["name"], title.trim_end());
}

/// The texts of a feed that name `needle` (any kind): how many times it appears.
fn mentions(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

async fn bylines_link_to_author_pages_in_every_feed_kind(backend: Backend) {
    let app = spawn_app_with(&backend, &site_settings()).await;
    let editor = app.admin_token().await;
    let (writer_id, writer) = app.user_with_role("writer").await;
    let guest = app.create_guest(&editor, "Marta Nowak").await;
    let mut body = story("Ferry returns", "Text.");
    body["authors"] = json!([writer_id, guest["id"]]);
    let id = app.new_article_id(&writer.access, &body).await;
    app.publish_article(&editor, &id).await;
    let writer_slug = profile_slug(&app, &writer_id).await;
    let name =
        app.get(&format!("/v1/articles/{id}")).send().await.json()["authors"][0]["display_name"]
            .as_str()
            .unwrap()
            .to_owned();
    let writer_page = format!("{SITE}/author/{writer_slug}");
    let guest_page = format!("{SITE}/author/marta-nowak");

    for rest in ["", "/authors/marta-nowak"] {
        let rss = app.accepted_feed("rss", rest).await.text;
        // RSS keeps the names (Dublin Core has no link for a creator).
        assert_eq!(
            mentions(&rss, &format!("<dc:creator>{name}</dc:creator>")),
            1,
            "{rss}"
        );
        assert_eq!(
            mentions(&rss, "<dc:creator>Marta Nowak</dc:creator>"),
            1,
            "{rss}"
        );
        let atom = app.accepted_feed("atom", rest).await.text;
        for (who, page) in [(name.as_str(), &writer_page), ("Marta Nowak", &guest_page)] {
            assert_eq!(
                mentions(
                    &atom,
                    &format!("<author><name>{who}</name><uri>{page}</uri></author>")
                ),
                1,
                "{atom}"
            );
        }
        let feed = app.accepted_feed("json", rest).await.json();
        assert_eq!(
            feed["items"][0]["authors"],
            json!([
                {"name": name, "url": writer_page},
                {"name": "Marta Nowak", "url": guest_page},
            ])
        );
    }
}

async fn an_embargoed_picture_is_in_no_output_until_its_story_is_out(backend: Backend) {
    let app = spawn_app_with(&backend, &site_settings()).await;
    let editor = app.admin_token().await;
    let out = app
        .new_article_id(&editor, &story("Already out", "x"))
        .await;
    app.publish_article(&editor, &out).await;
    // A scoop's photo, on a story scheduled a moment from now: under embargo until then.
    let image = photo(&app, &editor, "Photo: Desk", "All rights reserved").await;
    let scoop = app.new_article_id(&editor, &story("The scoop", "x")).await;
    feature(
        &app,
        &editor,
        &scoop,
        &image,
        "The scoop's photo.",
        "Photo: Desk",
    )
    .await;
    let at = chrono::Utc::now() + chrono::TimeDelta::milliseconds(4_000);
    let res = app.schedule_article(&editor, &scoop, at).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Each answer received before the time was made before it: it must not show the photo.
    let outputs = ["/v1/feeds/rss", "/v1/feeds/atom", "/v1/feeds/json"];
    for path in outputs {
        let res = app.get(path).send().await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        if chrono::Utc::now() < at {
            assert!(
                !res.text.contains(&image),
                "{path} shows the embargoed photo"
            );
            assert!(
                !res.text.contains(&scoop),
                "{path} shows the scheduled story"
            );
        }
    }
    let doc = app.jsonld(&out).await;
    assert!(!doc.text.contains(&image), "{}", doc.text);
    let (early, image_read) = (
        app.jsonld(&scoop).await,
        app.get(&format!("/v1/images/{image}")).send().await,
    );
    if chrono::Utc::now() < at {
        assert_problem(&early, 404, "not-found");
        assert_problem(&image_read, 404, "not-found");
    }

    // Once the story is out, its photo is in every feed kind and in its structured data.
    eventually("the scoop to come out", || async {
        let res = app.jsonld(&scoop).await;
        (res.status == 200).then_some(())
    })
    .await;
    let photo_url = format!("/v1/images/{image}/file");
    let rss = app.accepted_feed("rss", "").await.text;
    assert!(rss.contains(&format!("<enclosure url=\"{}", app.base)) && rss.contains(&photo_url));
    assert_eq!(
        mentions(&rss, &photo_url),
        2,
        "enclosure and media:content: {rss}"
    );
    let atom = app.accepted_feed("atom", "").await.text;
    assert_eq!(
        mentions(&atom, &photo_url),
        2,
        "enclosure and media:content: {atom}"
    );
    let feed = app.accepted_feed("json", "").await.json();
    assert_eq!(feed["items"][0]["id"], scoop.as_str());
    assert_eq!(
        feed["items"][0]["image"],
        format!("{}{photo_url}", app.base)
    );
    let doc = app.jsonld(&scoop).await.json();
    assert_eq!(doc["image"][0]["url"], format!("{}{photo_url}", app.base));
    assert_eq!(doc["image"][0]["creditText"], "Photo: Desk");

    // Taken down again (the only story that shows it withdrawn): gone from every output.
    let res = app.unpublish(&editor, &scoop).await;
    assert_eq!(res.status, 200, "{}", res.text);
    for path in outputs {
        let res = app.get(path).send().await;
        assert!(!res.text.contains(&image), "{path} shows a withdrawn photo");
    }
    assert_problem(&app.jsonld(&scoop).await, 404, "not-found");
    assert!(!app.jsonld(&out).await.text.contains(&image));
}

backend_tests!(
    a_published_article_is_a_news_article_with_every_property,
    only_published_articles_have_structured_data,
    bylines_link_to_author_pages_in_every_feed_kind,
    an_embargoed_picture_is_in_no_output_until_its_story_is_out,
);
