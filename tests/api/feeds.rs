//! Feeds: RSS, Atom and JSON Feed of the latest published articles, for the site and for a
//! section, a tag and an author; links to the newsroom's site; accepted by independent parsers;
//! revalidated with ETags and changed by a publication.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;
use crate::images::upload;

const KINDS: [&str; 3] = ["rss", "atom", "json"];

/// A title no feed may carry raw: markup, an ampersand, a CDATA end and a noncharacter that
/// XML forbids.
const HOSTILE: &str = "<script>alert('x')</script> & ]]> \u{FFFF}done";

fn story(title: &str, section: Option<&str>, tags: &[&str], text: &str) -> Value {
    let mut body = json!({
        "title": title,
        "tags": tags,
        "body": [{"type": "paragraph", "text": text}],
    });
    if let Some(section) = section {
        body["section"] = json!(section);
    }
    body
}

/// The article ids a feed lists, in its order.
fn ids_in(kind: &str, text: &str) -> Vec<String> {
    if kind == "json" {
        let doc: Value = serde_json::from_str(text).expect("JSON feed");
        return doc["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["id"].as_str().expect("id").to_owned())
            .collect();
    }
    let (open, close) = if kind == "rss" {
        ("<guid isPermaLink=\"false\">", "</guid>")
    } else {
        ("<id>urn:uuid:", "</id>")
    };
    text.split(open)
        .skip(1)
        .map(|rest| rest.split(close).next().unwrap_or("").to_owned())
        .collect()
}

/// The texts of the elements (or JSON members) that carry an item's excerpt.
fn summaries_in(kind: &str, text: &str) -> Vec<String> {
    if kind == "json" {
        let doc: Value = serde_json::from_str(text).expect("JSON feed");
        return doc["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["summary"].as_str().expect("summary").to_owned())
            .collect();
    }
    let (open, close) = if kind == "rss" {
        ("<description>", "</description>")
    } else {
        ("<summary type=\"text\">", "</summary>")
    };
    // The first RSS description is the channel's.
    let skip = if kind == "rss" { 2 } else { 1 };
    text.split(open)
        .skip(skip)
        .map(|rest| {
            rest.split(close)
                .next()
                .unwrap_or("")
                .replace("&amp;", "&")
                .replace("&apos;", "'")
        })
        .collect()
}

async fn every_kind_and_subject_lists_its_articles(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[
            ("MASTHEAD_SITE_URL", "https://www.newsroom.example"),
            ("MASTHEAD_ARTICLE_PATH", "/{section}/{yyyy}/{slug}"),
            ("MASTHEAD_TAG_PATH", "/topics/{slug}"),
            // The parsers take a while on a busy machine: the client's idle connection waits.
            ("MASTHEAD_KEEP_ALIVE", "60s"),
        ],
    )
    .await;
    let editor = app.admin_token().await;
    let (_, writer) = app.user_with_role("writer").await;
    app.create_section(&editor, "Local news", &json!({})).await;

    let photo = upload(
        &app,
        &editor,
        &[
            (
                "file",
                Some("quay.jpg"),
                &crate::images::jpeg_with_gps(40, 30, 1),
            ),
            ("alt_text", None, b"The quay at dawn"),
            ("credit", None, b"Photo: Ada & Co <Desk>"),
        ],
    )
    .await;
    assert_eq!(photo.status, 201, "{}", photo.text);
    let image_id = photo.json()["id"].as_str().unwrap().to_owned();

    // Oldest first: a local story with the photo and a long text, a hostile headline by the
    // writer, a story without a section; a draft and a scheduled story no feed shows.
    let long = "Ships came in at dawn, é and all. ".repeat(40);
    let local = app
        .new_article_id(
            &editor,
            &story("Harbour dredged", Some("Local news"), &["harbour"], &long),
        )
        .await;
    let patch = json!({"featured_image": {"image_id": image_id}});
    let etag = app
        .etag(&format!("/v1/articles/{local}"), Some(&editor))
        .await;
    let res = app.update_article(&editor, &local, &etag, &patch).await;
    assert_eq!(res.status, 200, "{}", res.text);
    app.publish_article(&editor, &local).await;
    let hostile = app
        .new_article_id(
            &writer.access,
            &story(HOSTILE, Some("Local news"), &["harbour", "ships"], "Text."),
        )
        .await;
    app.publish_article(&editor, &hostile).await;
    let plain = app
        .new_article_id(&editor, &story("Ferry returns", None, &["ships"], "Text."))
        .await;
    app.publish_article(&editor, &plain).await;
    let draft = app
        .new_article_id(
            &editor,
            &story("Secret plans", Some("Local news"), &["harbour"], "x"),
        )
        .await;
    let scheduled = app
        .new_article_id(
            &editor,
            &story("Tomorrow's news", Some("Local news"), &["ships"], "x"),
        )
        .await;
    let at = chrono::Utc::now() + chrono::TimeDelta::days(1);
    let res = app.schedule_article(&editor, &scheduled, at).await;
    assert_eq!(res.json()["status"], "scheduled", "{}", res.text);

    let writer_name = app
        .get(&format!("/v1/articles/{hostile}"))
        .send()
        .await
        .json()["authors"][0]["display_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let authors = app.all_authors().await;
    let named: Vec<&Value> = authors
        .iter()
        .filter(|a| a["display_name"] == writer_name.as_str())
        .collect();
    assert_eq!(named.len(), 1, "{authors:?}");
    let writer_slug = named[0]["slug"].as_str().unwrap().to_owned();

    let subjects = [
        (String::new(), vec![&plain, &hostile, &local]),
        ("/sections/local-news".to_owned(), vec![&hostile, &local]),
        ("/tags/ships".to_owned(), vec![&plain, &hostile]),
        (format!("/authors/{writer_slug}"), vec![&hostile]),
    ];
    for kind in KINDS {
        for (rest, expected) in &subjects {
            let res = app.accepted_feed(kind, rest).await;
            let expected: Vec<String> = expected.iter().map(|s| (*s).clone()).collect();
            assert_eq!(ids_in(kind, &res.text), expected, "{kind}{rest}");
            assert!(!res.text.contains(&draft), "{kind}{rest} shows a draft");
            assert!(
                !res.text.contains(&scheduled),
                "{kind}{rest} shows a scheduled story"
            );
            for summary in summaries_in(kind, &res.text) {
                assert!(summary.chars().count() <= 500, "{kind}{rest}: {summary}");
            }
        }
        let site = app.accepted_feed(kind, "").await.text;
        // Links to the site, by its patterns; the article without a section drops the segment.
        let year = chrono::Utc::now().format("%Y").to_string();
        assert!(
            site.contains(&format!(
                "https://www.newsroom.example/local-news/{year}/harbour-dredged"
            )),
            "{kind}: {site}"
        );
        assert!(
            site.contains(&format!(
                "https://www.newsroom.example/{year}/ferry-returns"
            )),
            "{kind}: {site}"
        );
        // The photo and its credit, escaped where XML needs it.
        assert!(
            site.contains(&format!("/v1/images/{image_id}/file")),
            "{kind}"
        );
        // The hostile headline: escaped in XML, the forbidden character gone everywhere.
        assert!(!site.contains('\u{FFFF}'), "{kind}");
        if kind == "json" {
            assert!(site.contains("Photo: Ada & Co <Desk>"), "{kind}: {site}");
            assert!(
                site.contains("<script>alert('x')</script> & ]]> done"),
                "{site}"
            );
        } else {
            assert!(
                site.contains("Photo: Ada &amp; Co &lt;Desk&gt;"),
                "{kind}: {site}"
            );
            assert!(site.contains("<media:credit>"), "{kind}");
            assert!(!site.contains("<script>"), "{kind}: {site}");
            assert!(
                site.contains(
                    "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; ]]&gt; done"
                ),
                "{kind}: {site}"
            );
        }
        if kind == "rss" {
            assert!(site.contains("<enclosure url=\""), "{site}");
            assert!(site.contains("type=\"image/jpeg\""), "{site}");
        }
        if kind == "atom" {
            assert!(site.contains("rel=\"enclosure\""), "{site}");
        }
        // The long text is cut to 500 characters with an ellipsis.
        let cut = summaries_in(kind, &site)
            .into_iter()
            .find(|s| s.starts_with("Ships came in"))
            .expect("the long story's excerpt");
        assert!(cut.chars().count() <= 500, "{cut}");
    }
    let tag_page = app.accepted_feed("atom", "/tags/ships").await.text;
    assert!(
        tag_page.contains("https://www.newsroom.example/topics/ships"),
        "{tag_page}"
    );

    // Unknown slugs and kinds.
    for kind in KINDS {
        for rest in ["/sections/nowhere", "/tags/nothing", "/authors/nobody"] {
            assert_problem(&app.feed(kind, rest).await, 404, "not-found");
        }
    }
    assert_eq!(app.feed("xml", "").await.status, 400);
}

async fn feeds_revalidate_and_change_when_an_article_is_published_or_corrected(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_KEEP_ALIVE", "60s")]).await;
    let editor = app.admin_token().await;
    let first = app
        .new_article_id(&editor, &story("First", None, &["news"], "One."))
        .await;
    app.publish_article(&editor, &first).await;
    for kind in KINDS {
        let path = format!("/v1/feeds/{kind}/tags/news");
        let etag = app.etag(&path, None).await;
        let same = app.get(&path).header("if-none-match", &etag).send().await;
        assert_eq!(same.status, 304, "{kind}");
        // Asked twice, the feed is stored in the response cache: served from it now.
        let again = app.get(&path).header("if-none-match", &etag).send().await;
        assert_eq!(again.status, 304, "{kind}");
        assert_eq!(again.header("x-cache"), Some("hit"), "{kind}");
    }
    let etags: Vec<String> = {
        let mut out = Vec::new();
        for kind in KINDS {
            out.push(app.etag(&format!("/v1/feeds/{kind}/tags/news"), None).await);
        }
        out
    };

    let second = app
        .new_article_id(&editor, &story("Second", None, &["news"], "Two."))
        .await;
    app.publish_article(&editor, &second).await;
    for (kind, etag) in KINDS.iter().zip(&etags) {
        let path = format!("/v1/feeds/{kind}/tags/news");
        let changed = app.get(&path).header("if-none-match", etag).send().await;
        assert_eq!(
            changed.status, 200,
            "{kind}: a publication changes the feed"
        );
        assert_ne!(changed.header("etag"), Some(etag.as_str()), "{kind}");
        assert_eq!(ids_in(kind, &changed.text), [second.clone(), first.clone()]);
        parsers_accept(kind, &changed.text).await;
    }

    // A correction to an article in the feed (its excerpt edited) changes it too.
    let etag = app.etag("/v1/feeds/json", None).await;
    let article_etag = app
        .etag(&format!("/v1/articles/{first}"), Some(&editor))
        .await;
    let res = app
        .update_article(
            &editor,
            &first,
            &article_etag,
            &json!({"excerpt": "Corrected."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let after = app
        .get("/v1/feeds/json")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert!(after.text.contains("Corrected."), "{}", after.text);

    // A public correction in the article's log changes each feed it is in (its update time).
    let mut etags = Vec::new();
    for kind in KINDS {
        etags.push(app.etag(&format!("/v1/feeds/{kind}"), None).await);
    }
    let report = app
        .report_correction(&first, &json!({"quote": "One", "suggestion": "Two."}))
        .await;
    assert_eq!(report.status, 202, "{}", report.text);
    let rid = report.json()["id"].as_str().unwrap().to_owned();
    for change in [
        json!({"status": "triaged"}),
        json!({"status": "accepted", "public_note": "An earlier version gave the wrong count."}),
    ] {
        let res = app.update_correction(&editor, &rid, "*", &change).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    for (kind, etag) in KINDS.iter().zip(&etags) {
        let path = format!("/v1/feeds/{kind}");
        let corrected = app.get(&path).header("if-none-match", etag).send().await;
        assert_eq!(
            corrected.status, 200,
            "{kind}: a correction changes the feed"
        );
        assert_ne!(corrected.header("etag"), Some(etag.as_str()), "{kind}");
        parsers_accept(kind, &corrected.text).await;
    }
}

backend_tests!(
    every_kind_and_subject_lists_its_articles,
    feeds_revalidate_and_change_when_an_article_is_published_or_corrected,
);
