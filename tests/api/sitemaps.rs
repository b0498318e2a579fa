//! Sitemaps: the index of the archive's day sitemaps, each day's public articles with their last
//! change, the site's pages, and the Google News sitemap of the last two days; validated against
//! the official XML schemas, revalidated with ETags, and never showing an article that is not
//! public.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

const SITE: &str = "https://www.newsroom.example";

fn story(title: &str, section: Option<&str>) -> Value {
    let mut body = json!({
        "title": title,
        "body": [{"type": "paragraph", "text": "Ships came in at dawn."}],
    });
    if let Some(section) = section {
        body["section"] = json!(section);
    }
    body
}

/// A time from the API or a sitemap, to the millisecond (what sitemaps show).
fn ms(text: &str) -> DateTime<Utc> {
    use chrono::DurationRound;
    let at: DateTime<Utc> = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    at.duration_trunc(TimeDelta::milliseconds(1))
        .expect("in range")
}

/// The UTC day an article was published on.
fn day_of(article: &Value) -> NaiveDate {
    ms(article["published_at"].as_str().expect("published_at")).date_naive()
}

/// An article as its editor reads it now.
async fn current(app: &TestApp, token: &str, id: &str) -> Value {
    let res = app.get_as(token, &format!("/v1/articles/{id}")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json()
}

/// The index's article sitemaps by name (`2026-12-05`, `2026-12-05-2`) with their `lastmod`.
async fn index_days(app: &TestApp) -> BTreeMap<String, DateTime<Utc>> {
    index_days_at(app, "").await
}

/// As [`index_days`], with `query` after the index's path.
async fn index_days_at(app: &TestApp, query: &str) -> BTreeMap<String, DateTime<Utc>> {
    let (_, entries) = app
        .accepted_sitemap(
            &format!("/v1/sitemaps/index.xml{query}"),
            SitemapKind::Index,
        )
        .await;
    assert_eq!(
        entries[0].loc,
        format!("{}/v1/sitemaps/pages.xml", app.base),
        "the pages' sitemap comes first"
    );
    entries
        .iter()
        .filter_map(|e| {
            let name = e
                .loc
                .strip_prefix(&format!("{}/v1/sitemaps/articles/", app.base))?
                .strip_suffix(".xml")?;
            Some((name.to_owned(), ms(e.lastmod.as_deref().expect("lastmod"))))
        })
        .collect()
}

/// Every URL in the article sitemaps, with its `lastmod`, each sitemap validated.
async fn article_urls(app: &TestApp) -> BTreeMap<String, DateTime<Utc>> {
    let mut urls = BTreeMap::new();
    for (sitemap, entries) in app.article_sitemaps().await {
        assert!(
            sitemap.loc.starts_with(&app.base),
            "sitemaps are served by the API: {}",
            sitemap.loc
        );
        for e in entries {
            let lastmod = ms(e.lastmod.as_deref().expect("lastmod"));
            assert!(
                urls.insert(e.loc.clone(), lastmod).is_none(),
                "{} twice",
                e.loc
            );
        }
    }
    urls
}

async fn sitemaps_list_public_articles_only_and_lastmod_follows_each_change(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[("MASTHEAD_SITE_URL", SITE), ("MASTHEAD_KEEP_ALIVE", "60s")],
    )
    .await;
    let editor = app.admin_token().await;
    app.create_section(&editor, "Local news", &json!({})).await;

    // An empty archive: the index lists the pages' sitemap alone.
    assert!(index_days(&app).await.is_empty());

    // Withdrawn (published, then archived), a draft, a scheduled story; then two public ones.
    let withdrawn = app
        .new_article_id(&editor, &story("Withdrawn claim", Some("Local news")))
        .await;
    app.publish_article(&editor, &withdrawn).await;
    let res = app
        .post_json(
            &editor,
            &format!("/v1/articles/{withdrawn}/unpublish"),
            &json!({"archive": true}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let draft = app
        .new_article_id(&editor, &story("Secret plans", None))
        .await;
    let scheduled = app
        .new_article_id(&editor, &story("Tomorrow's news", None))
        .await;
    let at = Utc::now() + TimeDelta::days(1);
    let res = app.schedule_article(&editor, &scheduled, at).await;
    assert_eq!(res.json()["status"], "scheduled", "{}", res.text);
    let local_id = app
        .new_article_id(&editor, &story("Harbour dredged", Some("Local news")))
        .await;
    let local = app.publish_article(&editor, &local_id).await;
    let plain_id = app
        .new_article_id(&editor, &story("Ferry returns", None))
        .await;
    let plain = app.publish_article(&editor, &plain_id).await;

    // Exactly the two public stories, at their pages on the site, each with its last change.
    let local_url = format!("{SITE}/local-news/harbour-dredged");
    let plain_url = format!("{SITE}/ferry-returns");
    let urls = article_urls(&app).await;
    assert_eq!(
        urls.keys().collect::<Vec<_>>(),
        [&plain_url, &local_url],
        "{urls:?}"
    );
    assert_eq!(urls[&local_url], ms(local["updated_at"].as_str().unwrap()));
    assert_eq!(urls[&plain_url], ms(plain["updated_at"].as_str().unwrap()));
    for hidden in [&withdrawn, &draft, &scheduled] {
        let slug = current(&app, &editor, hidden).await["slug"]
            .as_str()
            .unwrap()
            .to_owned();
        for (_, entries) in app.article_sitemaps().await {
            assert!(entries.iter().all(|e| !e.loc.contains(&slug)), "{slug}");
        }
        let news = app.sitemap("/v1/sitemaps/news.xml").await.text;
        assert!(!news.contains(&slug), "{slug} in the news sitemap");
    }
    // The day's sitemap changed last when the newest story came out.
    let day = day_of(&local).to_string();
    let days = index_days(&app).await;
    assert_eq!(days[&day_of(&plain).to_string()], urls[&plain_url]);
    assert_eq!(
        days.values().max().copied(),
        Some(urls[&plain_url].max(urls[&local_url]))
    );

    // An edit moves its URL's lastmod and its day's, and the index's ETag.
    let index_etag = app.etag("/v1/sitemaps/index.xml", None).await;
    let etag = app
        .etag(&format!("/v1/articles/{local_id}"), Some(&editor))
        .await;
    let res = app
        .update_article(
            &editor,
            &local_id,
            &etag,
            &json!({"standfirst": "Deeper now."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let edited = ms(res.json()["updated_at"].as_str().unwrap());
    assert_eq!(article_urls(&app).await[&local_url], edited);
    assert_eq!(index_days(&app).await[&day], edited);
    let again = app
        .get("/v1/sitemaps/index.xml")
        .header("if-none-match", &index_etag)
        .send()
        .await;
    assert_eq!(again.status, 200, "an edit changes the index");

    // So does a public correction (the article's log is part of its page).
    let report = app
        .report_correction(
            &local_id,
            &json!({"quote": "Ships", "suggestion": "Boats."}),
        )
        .await;
    assert_eq!(report.status, 202, "{}", report.text);
    let rid = report.json()["id"].as_str().unwrap().to_owned();
    for change in [
        json!({"status": "triaged"}),
        json!({"status": "accepted", "public_note": "The boats were tugs."}),
    ] {
        let res = app.update_correction(&editor, &rid, "*", &change).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let corrected = ms(current(&app, &editor, &local_id).await["updated_at"]
        .as_str()
        .unwrap());
    assert!(corrected > edited);
    assert_eq!(article_urls(&app).await[&local_url], corrected);
    assert_eq!(index_days(&app).await[&day], corrected);

    // A new slug for the section moves its articles' pages, and so changes their days.
    app.change_section(&editor, "local-news", &json!({"slug": "harbour-desk"}))
        .await;
    let local_url = format!("{SITE}/harbour-desk/harbour-dredged");
    assert!(article_urls(&app).await.contains_key(&local_url));
    let moved = index_days(&app).await[&day];
    assert!(moved > corrected, "{moved} after {corrected}");

    // Taken down: gone from its sitemap, whose lastmod moves on.
    let res = app.unpublish(&editor, &plain_id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let urls = article_urls(&app).await;
    assert_eq!(urls.keys().collect::<Vec<_>>(), [&local_url]);
    let plain_day = day_of(&plain).to_string();
    if plain_day == day {
        assert!(index_days(&app).await[&day] > moved);
    }

    // Deleted: the day's sitemap goes with its last article.
    let etag = app
        .etag(&format!("/v1/articles/{local_id}"), Some(&editor))
        .await;
    let res = app.delete_article(&editor, &local_id, &etag).await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert!(index_days(&app).await.is_empty());
    assert_problem(
        &app.sitemap(&format!("/v1/sitemaps/articles/{day}.xml"))
            .await,
        404,
        "not-found",
    );
}

async fn a_scheduled_story_enters_its_day_sitemap_when_its_time_comes(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_SITE_URL", SITE)]).await;
    let editor = app.admin_token().await;
    let live = app
        .new_article_id(&editor, &story("Already out", None))
        .await;
    let live = app.publish_article(&editor, &live).await;
    let later = app
        .new_article_id(&editor, &story("Embargoed until soon", None))
        .await;
    let at = Utc::now() + TimeDelta::seconds(4);
    let res = app.schedule_article(&editor, &later, at).await;
    assert_eq!(res.status, 200, "{}", res.text);
    // Asked for again, the index is in the response cache; it still changes at the story's time.
    app.sitemap("/v1/sitemaps/index.xml").await;
    app.sitemap("/v1/sitemaps/index.xml").await;
    let cached = app.sitemap("/v1/sitemaps/index.xml").await;
    assert_eq!(cached.header("x-cache"), Some("hit"));
    let later_url = format!("{SITE}/embargoed-until-soon");
    let day = day_of(&live);
    let before = app
        .sitemap(&format!("/v1/sitemaps/articles/{day}.xml"))
        .await;
    let asked_before = Utc::now() < at;
    assert!(asked_before, "the machine took 4 s for four requests");
    assert!(
        before.text.contains(&format!("{SITE}/already-out")),
        "{}",
        before.text
    );
    assert!(!before.text.contains(&later_url), "{}", before.text);
    let at_ms = ms(&at.to_rfc3339());
    let urls = eventually("the scheduled story to enter its sitemap", || async {
        let urls = article_urls(&app).await;
        if urls.contains_key(&later_url) {
            assert!(Utc::now() >= at, "listed before its time");
            return Some(urls);
        }
        None
    })
    .await;
    assert_eq!(urls.len(), 2);
    assert_eq!(urls[&later_url], at_ms, "its lastmod is its publication");
    let days = index_days(&app).await;
    assert_eq!(days[&at_ms.date_naive().to_string()], at_ms);
    let news = app
        .accepted_sitemap("/v1/sitemaps/news.xml", SitemapKind::News)
        .await
        .1;
    assert_eq!(news[0].loc, later_url);
}

async fn a_day_over_the_limit_is_cut_into_parts(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[("MASTHEAD_SITE_URL", SITE), ("MASTHEAD_SITEMAP_URLS", "2")],
    )
    .await;
    let editor = app.admin_token().await;
    let mut published = Vec::new();
    for n in 1..=5 {
        let id = app
            .new_article_id(&editor, &story(&format!("Report {n}"), None))
            .await;
        published.push(app.publish_article(&editor, &id).await);
    }
    // Expected: per day (newest first), its articles in publication order, two to a part.
    let mut by_day: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for a in &published {
        by_day
            .entry(day_of(a))
            .or_default()
            .push(format!("{SITE}/{}", a["slug"].as_str().unwrap()));
    }
    let mut names = Vec::new();
    for (day, urls) in by_day.iter().rev() {
        for part in 1..=urls.len().div_ceil(2) {
            names.push(if part == 1 {
                day.to_string()
            } else {
                format!("{day}-{part}")
            });
        }
    }
    let listed: Vec<(SitemapEntry, Vec<SitemapEntry>)> = app.article_sitemaps().await;
    let listed_names: Vec<String> = listed
        .iter()
        .map(|(s, _)| {
            s.loc
                .rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".xml")
                .to_owned()
        })
        .collect();
    assert_eq!(listed_names, names);
    for (day, urls) in &by_day {
        let mut in_parts = Vec::new();
        for (sitemap, entries) in &listed {
            if sitemap.loc.contains(&format!("/articles/{day}")) {
                assert!(entries.len() <= 2, "{}: {}", sitemap.loc, entries.len());
                in_parts.extend(entries.iter().map(|e| e.loc.clone()));
            }
        }
        assert_eq!(&in_parts, urls, "{day}: every article once, in order");
    }

    // Parts past the last, days without articles and names that are not a day's: 404.
    let (day, urls) = by_day.iter().next_back().unwrap();
    let past = urls.len().div_ceil(2) + 1;
    for name in [
        format!("{day}-{past}.xml"),
        format!("{day}-1.xml"),
        format!("{day}"),
        "2001-01-01.xml".to_owned(),
        "2026-13-01.xml".to_owned(),
        "today.xml".to_owned(),
        "..%2Findex.xml".to_owned(),
    ] {
        assert_problem(
            &app.sitemap(&format!("/v1/sitemaps/articles/{name}")).await,
            404,
            "not-found",
        );
    }
}

#[test]
fn the_urls_per_sitemap_setting_is_checked() {
    let db = TestDb::new(&Backend::Sqlite);
    for bad in ["0", "50001", "many"] {
        let map = settings(&db, &[("MASTHEAD_SITEMAP_URLS", bad)]);
        let Err(err) = masthead::Config::from_lookup(|k| map.get(k).cloned()) else {
            panic!("MASTHEAD_SITEMAP_URLS={bad} accepted");
        };
        let err = err.to_string();
        assert!(err.contains("MASTHEAD_SITEMAP_URLS"), "{err}");
    }
    let map = settings(&db, &[]);
    let config = masthead::Config::from_lookup(|k| map.get(k).cloned()).expect("valid");
    assert_eq!(config.sitemap_urls, 50_000, "the protocol's limit");
}

async fn the_news_sitemap_has_the_last_two_days_newest_first_at_most_1000(backend: Backend) {
    let app = spawn_app_with_archive(
        &backend,
        &[
            ("MASTHEAD_SITE_URL", SITE),
            ("MASTHEAD_SITE_NAME", "The Harbour & Quay Times"),
        ],
        1_100,
    )
    .await;
    let editor = app.admin_token().await;
    let mut body = story("Typhoon <Haikui> & the port", None);
    body["language"] = json!("zh-Hant-TW");
    let newest = app.new_article_id(&editor, &body).await;
    let newest = app.publish_article(&editor, &newest).await;

    let (_, news) = app
        .accepted_sitemap("/v1/sitemaps/news.xml", SitemapKind::News)
        .await;
    assert_eq!(news.len(), 1_000, "at most 1,000 of the 1,101 stories");
    let first = &news[0];
    assert_eq!(first.loc, format!("{SITE}/typhoon-haikui-the-port"));
    assert_eq!(first.news["news:name"], "The Harbour & Quay Times");
    assert_eq!(first.news["news:language"], "zh-tw");
    assert_eq!(first.news["news:title"], "Typhoon <Haikui> & the port");
    assert_eq!(
        ms(&first.news["news:publication_date"]),
        ms(newest["published_at"].as_str().unwrap())
    );
    // Newest first, within two days, English for the archive's stories.
    let dates: Vec<DateTime<Utc>> = news
        .iter()
        .map(|e| ms(&e.news["news:publication_date"]))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(*dates.last().unwrap() > Utc::now() - TimeDelta::days(2));
    assert!(news[1..].iter().all(|e| e.news["news:language"] == "en"));
    // The same order as the public list.
    let list = app.get("/v1/articles?limit=100").send().await.json();
    let items = list["items"].as_array().unwrap();
    for (entry, item) in news.iter().zip(items) {
        let slug = item["slug"].as_str().unwrap();
        assert!(
            entry.loc.ends_with(&format!("/{slug}")),
            "{} for {slug}",
            entry.loc
        );
    }

    // Moved three days back, the story leaves the news sitemap for its day's sitemap.
    let three_days_ago = Utc::now() - TimeDelta::days(3);
    app.db
        .backdate(newest["id"].as_str().unwrap(), three_days_ago);
    app.caught_up().await;
    let (_, news) = app
        .accepted_sitemap("/v1/sitemaps/news.xml", SitemapKind::News)
        .await;
    assert_eq!(news.len(), 1_000);
    assert!(news.iter().all(|e| !e.loc.contains("typhoon")));
    let day = three_days_ago.date_naive().to_string();
    assert!(index_days(&app).await.contains_key(&day));
    let (_, urls) = app
        .accepted_sitemap(
            &format!("/v1/sitemaps/articles/{day}.xml"),
            SitemapKind::Urlset,
        )
        .await;
    assert!(urls.iter().any(|e| e.loc.contains("typhoon")), "{urls:?}");
    // The seeded archive is in the day sitemaps too, each once.
    assert_eq!(article_urls(&app).await.len(), 1_101);
}

async fn sitemaps_revalidate_and_the_pages_sitemap_lists_the_site(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[
            ("MASTHEAD_SITE_URL", SITE),
            ("MASTHEAD_SECTION_PATH", "/s/{slug}"),
        ],
    )
    .await;
    let editor = app.admin_token().await;
    let (_, writer) = app.user_with_role("writer").await;
    app.create_section(&editor, "Sport", &json!({})).await;
    app.create_section(&editor, "Old desk", &json!({})).await;
    app.change_section(&editor, "old-desk", &json!({"retired": true}))
        .await;
    let id = app
        .new_article_id(&writer.access, &story("Cup final", Some("Sport")))
        .await;
    let article = app.publish_article(&editor, &id).await;
    let writer_name = article["authors"][0]["display_name"].as_str().unwrap();
    let author_slug = app
        .all_authors()
        .await
        .into_iter()
        .find(|a| a["display_name"] == writer_name)
        .and_then(|a| a["slug"].as_str().map(str::to_owned))
        .expect("the writer's profile");

    let (_, pages) = app
        .accepted_sitemap("/v1/sitemaps/pages.xml", SitemapKind::Urlset)
        .await;
    let locs: Vec<&str> = pages.iter().map(|e| e.loc.as_str()).collect();
    assert_eq!(locs[0], format!("{SITE}/"));
    assert!(
        locs.contains(&format!("{SITE}/s/sport").as_str()),
        "{locs:?}"
    );
    assert!(
        !locs.iter().any(|l| l.contains("old-desk")),
        "retired: {locs:?}"
    );
    let authors: Vec<&&str> = locs.iter().filter(|l| l.contains("/author/")).collect();
    assert_eq!(authors.len(), 1, "the writer, the one byline: {locs:?}");
    assert_eq!(**authors[0], format!("{SITE}/author/{author_slug}"));

    let day = day_of(&article);
    for path in [
        "/v1/sitemaps/index.xml".to_owned(),
        format!("/v1/sitemaps/articles/{day}.xml"),
        "/v1/sitemaps/pages.xml".to_owned(),
        "/v1/sitemaps/news.xml".to_owned(),
    ] {
        let etag = app.etag(&path, None).await;
        let same = app.get(&path).header("if-none-match", &etag).send().await;
        assert_eq!(same.status, 304, "{path}");
        assert!(same.text.is_empty(), "{path}");
        if path != "/v1/sitemaps/news.xml" {
            // Asked for again, it is served from the response cache.
            let again = app.get(&path).header("if-none-match", &etag).send().await;
            assert_eq!(again.status, 304, "{path}");
            assert_eq!(again.header("x-cache"), Some("hit"), "{path}");
        }
        let stale = app
            .get(&path)
            .header("if-none-match", "W/\"not-this-one\"")
            .send()
            .await;
        assert_eq!(stale.status, 200, "{path}");
    }

    // With no story in two days, the news sitemap is an empty set (which the schema, asking for
    // one URL at least, would refuse; crawlers take it as "nothing new").
    let res = app.unpublish(&editor, &id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let news = app.sitemap("/v1/sitemaps/news.xml").await;
    assert_eq!(news.status, 200);
    assert!(sitemap_entries(&news.text).is_empty(), "{}", news.text);
    assert!(news.text.contains("<urlset"), "{}", news.text);
}

/// Waits until the index and every day's sitemap are served from storage.
async fn stored(app: &TestApp) {
    eventually("the sitemaps to be stored", || async {
        app.db.sitemaps_stored().then_some(())
    })
    .await;
}

async fn a_stored_day_sitemap_is_never_served_after_a_change(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[("MASTHEAD_SITE_URL", SITE), ("MASTHEAD_KEEP_ALIVE", "60s")],
    )
    .await;
    let editor = app.admin_token().await;
    app.create_section(&editor, "Local news", &json!({})).await;
    let local_id = app
        .new_article_id(&editor, &story("Harbour dredged", Some("Local news")))
        .await;
    app.publish_article(&editor, &local_id).await;
    let plain_id = app
        .new_article_id(&editor, &story("Ferry returns", None))
        .await;
    app.publish_article(&editor, &plain_id).await;
    app.new_article_id(&editor, &story("Secret plans", None))
        .await;
    let local_url = format!("{SITE}/local-news/harbour-dredged");
    let plain_url = format!("{SITE}/ferry-returns");

    // Stored: the same bytes as rendered, and never the draft.
    let rendered = article_urls(&app).await;
    let rendered_index = index_days(&app).await;
    stored(&app).await;
    assert_eq!(article_urls(&app).await, rendered);
    assert_eq!(index_days(&app).await, rendered_index);
    assert_eq!(
        rendered.keys().collect::<Vec<_>>(),
        [&plain_url, &local_url],
        "{rendered:?}"
    );

    // Taken down: gone at once, before the job stores the day again, and after.
    let res = app.unpublish(&editor, &plain_id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let urls = article_urls(&app).await;
    assert_eq!(urls.keys().collect::<Vec<_>>(), [&local_url], "{urls:?}");
    stored(&app).await;
    assert_eq!(article_urls(&app).await, urls);

    // An edit moves its lastmod at once.
    let etag = app
        .etag(&format!("/v1/articles/{local_id}"), Some(&editor))
        .await;
    let res = app
        .update_article(
            &editor,
            &local_id,
            &etag,
            &json!({"standfirst": "Deeper now."}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let edited = current(&app, &editor, &local_id).await;
    let urls = article_urls(&app).await;
    assert_eq!(urls[&local_url], ms(edited["updated_at"].as_str().unwrap()));
    stored(&app).await;
    assert_eq!(article_urls(&app).await, urls);

    // A section's new slug moves the page at once.
    app.change_section(&editor, "local-news", &json!({"slug": "harbour-desk"}))
        .await;
    let moved = format!("{SITE}/harbour-desk/harbour-dredged");
    let urls = article_urls(&app).await;
    assert_eq!(urls.keys().collect::<Vec<_>>(), [&moved], "{urls:?}");
    stored(&app).await;
    assert_eq!(article_urls(&app).await, urls);

    // Published again: back at once.
    app.publish_article(&editor, &plain_id).await;
    let urls = article_urls(&app).await;
    assert_eq!(
        urls.keys().collect::<Vec<_>>(),
        [&plain_url, &moved],
        "{urls:?}"
    );
    let index = index_days(&app).await;
    stored(&app).await;
    assert_eq!(article_urls(&app).await, urls);
    assert_eq!(index_days(&app).await, index);

    // Past the response cache (a query it does not share): the index kept from the stored one,
    // read twice, is what was rendered; a change after it shows at once, and once stored.
    assert_eq!(index_days_at(&app, "?read=1").await, index);
    assert_eq!(index_days_at(&app, "?read=2").await, index);
    let res = app.unpublish(&editor, &local_id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let changed = index_days_at(&app, "?read=3").await;
    assert_ne!(changed, index, "a take-down moves its day's lastmod");
    stored(&app).await;
    assert_eq!(index_days_at(&app, "?read=4").await, changed);
    assert_eq!(index_days_at(&app, "?read=5").await, changed);
}

backend_tests!(
    a_stored_day_sitemap_is_never_served_after_a_change,
    sitemaps_list_public_articles_only_and_lastmod_follows_each_change,
    a_scheduled_story_enters_its_day_sitemap_when_its_time_comes,
    a_day_over_the_limit_is_cut_into_parts,
    the_news_sitemap_has_the_last_two_days_newest_first_at_most_1000,
    sitemaps_revalidate_and_the_pages_sitemap_lists_the_site,
);
