//! Stored documents: a public article read that misses the response cache is served from the
//! article's document as rendered after its last change. The server renders documents in the
//! background; until then a read assembles the article from the tables, to the same bytes and
//! ETag. A document is never served after a change to what it shows, and never decides who may
//! read the article: the article's row does.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use masthead::articles::documents::FORMAT;
use masthead::db::{Db, DbConn};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::frontends::photo_story;
use crate::helpers::*;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Runs `sql` (binding `$1` to `text`) on the server's database, behind its back.
fn execute(database: &Db, sql: &str, text: &str) -> usize {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(text)
        .execute(conn)
        .unwrap()
}

/// How many documents are stale to the server (of an older format).
fn stale(database: &Db) -> i64 {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query("SELECT count(*) AS n FROM article_documents WHERE format < $1")
        .bind::<diesel::sql_types::Integer, _>(FORMAT)
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

/// How many public documents are stored (current, with JSON).
fn stored(database: &Db) -> i64 {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(
        "SELECT count(*) AS n FROM article_documents WHERE format = $1 AND document IS NOT NULL",
    )
    .bind::<diesel::sql_types::Integer, _>(FORMAT)
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

/// Waits until the server has stored every document (it looks every 200 ms).
async fn until_stored(database: &Db) {
    let started = Instant::now();
    while stale(database) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server did not render the stale documents"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sets every stored document's format: a newer release's (which this server neither serves nor
/// replaces, so it assembles every read), or 0 (stale, so it renders them again).
fn set_format(database: &Db, format: i32) {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query("UPDATE article_documents SET format = $1")
        .bind::<diesel::sql_types::Integer, _>(format)
        .execute(conn)
        .unwrap();
}

/// A public read as the response cache never has it (a query parameter of its own): status,
/// ETag and body. `host`: as asked for on another host name.
struct Reader<'a> {
    app: &'a TestApp,
    reads: u32,
}

impl Reader<'_> {
    async fn read(&mut self, path: &str, host: Option<&str>) -> (u16, String, String) {
        self.reads += 1;
        let mut req = self.app.get(&format!("{path}?read={}", self.reads));
        if let Some(host) = host {
            req = req.header("host", host);
        }
        let res = req.send().await;
        let etag = res.header("etag").unwrap_or_default().to_owned();
        (res.status, etag, res.text)
    }

    /// Every path on the test's own base and on another host.
    async fn all(&mut self, paths: &[String]) -> Vec<(u16, String, String)> {
        let mut out = Vec::new();
        for path in paths {
            for host in [None, Some("api.news.example:8443")] {
                out.push(self.read(path, host).await);
            }
        }
        out
    }

    /// The article at `path` now, parsed (asserting 200).
    async fn article(&mut self, path: &str) -> Value {
        let (status, _, text) = self.read(path, None).await;
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }
}

/// What the reads of `paths` answer from stored documents is what they answer assembled from
/// the tables, byte for byte and ETag for ETag (with a newer release's documents, which this
/// server does not serve); made stale, the documents are stored again. Returns the articles as
/// read.
async fn stored_is_assembled(
    database: &Db,
    reader: &mut Reader<'_>,
    paths: &[String],
) -> Vec<Value> {
    until_stored(database).await;
    assert!(stored(database) > 0, "public articles have documents");
    let from_store = reader.all(paths).await;
    set_format(database, FORMAT + 1);
    let assembled = reader.all(paths).await;
    assert_eq!(
        from_store, assembled,
        "stored documents are the assembled reads"
    );
    set_format(database, 0);
    until_stored(database).await;
    assert_eq!(reader.all(paths).await, assembled);
    from_store
        .iter()
        .filter(|r| r.0 == 200)
        .map(|r| serde_json::from_str(&r.2).unwrap())
        .collect()
}

async fn stored_documents_are_the_assembled_articles_through_every_change(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let (article, image_id, caption_id) = photo_story(&app, &editor, "Harbour reopens").await;
    let id = article["id"].as_str().unwrap().to_owned();
    let author = article["authors"][0]["id"].as_str().unwrap().to_owned();
    let mut related = Vec::new();
    for title in ["Ferry timetable", "Pier repairs"] {
        let body = json!({"title": title, "tags": ["boats"],
                          "body": [{"type": "paragraph", "text": "Soon."}]});
        let other = app.new_article_id(&editor, &body).await;
        app.publish_article(&editor, &other).await;
        related.push(other);
    }
    let res = app
        .update_article(
            &editor,
            &id,
            "*",
            &json!({"related": related, "tags": ["harbour", "ferries"], "section": "Local",
                    "sources": [{"name": "Port authority", "url": "https://port.example/a?b=1&c=2"}]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let slug = res.json()["slug"].as_str().unwrap().to_owned();
    let paths = vec![format!("/v1/articles/{slug}"), format!("/v1/articles/{id}")];
    let database = Db::open(&app.db.url, 1).unwrap();
    let mut reader = Reader {
        app: &app,
        reads: 0,
    };
    let first = stored_is_assembled(&database, &mut reader, &paths).await;
    assert_eq!(first[0]["related"], json!(related));
    assert_eq!(
        first[1]["featured_image"]["url"],
        format!("http://api.news.example:8443/v1/images/{image_id}/file")
    );

    // Each change shows in the very next read, and the document stored after it is that read.
    let changes: Vec<(&str, Value)> = vec![
        ("edit", json!({"title": "Harbour reopens at last"})),
        ("caption", json!({"credit": "Harbour photo desk"})),
        (
            "image",
            json!({"alt_text": "Ferries at the quay", "credit": "Agency"}),
        ),
        ("rename", json!({"display_name": "Ada Renamed"})),
        ("section", json!({"name": "Harbourside"})),
        ("merge", json!("boats")),
        ("correction", json!("It reopened on Tuesday.")),
        ("unrelate", json!(related[1])),
    ];
    for (kind, change) in changes {
        let res = match kind {
            "edit" => app.update_article(&editor, &id, "*", &change).await,
            "caption" => {
                let tag = app
                    .etag(&format!("/v1/captions/{caption_id}"), Some(&editor))
                    .await;
                app.update_caption(&editor, &caption_id, &tag, &change)
                    .await
            }
            "image" => {
                let tag = app
                    .etag(&format!("/v1/images/{image_id}"), Some(&editor))
                    .await;
                app.update_image(&editor, &image_id, &tag, &change).await
            }
            "rename" => {
                let tag = app
                    .etag(&format!("/v1/users/{author}"), Some(&editor))
                    .await;
                app.update_user(&editor, &author, &tag, &change).await
            }
            "section" => {
                let tag = app.etag("/v1/sections/local", Some(&editor)).await;
                app.update_section(&editor, "local", &tag, &change).await
            }
            "merge" => app.merge_tag(&editor, "ferries", "boats").await,
            "correction" => publish_correction(&app, &editor, &id, change.as_str().unwrap()).await,
            _ => app.unpublish(&editor, change.as_str().unwrap()).await,
        };
        assert!(matches!(res.status, 200 | 201), "{kind}: {}", res.text);
        let now = reader.article(&paths[0]).await;
        let shows = match kind {
            "edit" => now["title"] == "Harbour reopens at last",
            "caption" => now["featured_image"]["credit"] == "Harbour photo desk",
            "image" => now["featured_image"]["alt_text"] == "Ferries at the quay",
            "rename" => now["authors"][0]["display_name"] == "Ada Renamed",
            "section" => now["section"] == "Harbourside",
            "merge" => now["tags"] == json!(["harbour", "boats"]),
            "correction" => now["corrections"][0]["note"] == "It reopened on Tuesday.",
            _ => now["related"] == json!([related[0]]),
        };
        assert!(shows, "{kind} shows at once: {now}");
        let read = stored_is_assembled(&database, &mut reader, &paths).await;
        assert_eq!(read[0], now, "{kind}");
    }

    // Taken down, the article is gone from every read; published again, it is back.
    let res = app.unpublish(&editor, &id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    for (status, _, _) in stored_is_assembled_statuses(&database, &mut reader, &paths).await {
        assert_eq!(status, 404);
    }
    app.publish_article(&editor, &id).await;
    stored_is_assembled(&database, &mut reader, &paths).await;
}

/// [`stored_is_assembled`] for reads that may fail: their statuses.
async fn stored_is_assembled_statuses(
    database: &Db,
    reader: &mut Reader<'_>,
    paths: &[String],
) -> Vec<(u16, String, String)> {
    until_stored(database).await;
    let from_store = reader.all(paths).await;
    set_format(database, FORMAT + 1);
    assert_eq!(reader.all(paths).await, from_store);
    set_format(database, 0);
    until_stored(database).await;
    from_store
}

/// Accepts a reader's report of `article` with a public note.
async fn publish_correction(app: &TestApp, editor: &str, article: &str, note: &str) -> Resp {
    let report = json!({"quote": "Ferries sail again", "suggestion": "On Tuesday.",
                        "comment": "I was there.", "name": "Reader One",
                        "email": "reader.one@mail.example"});
    let receipt = app.report_correction(article, &report).await;
    assert_eq!(receipt.status, 202, "{}", receipt.text);
    let rid = receipt.json()["id"].as_str().unwrap().to_owned();
    let mut tag = app
        .etag(&format!("/v1/corrections/{rid}"), Some(editor))
        .await;
    let triaged = app
        .update_correction(editor, &rid, &tag, &json!({"status": "triaged"}))
        .await;
    assert_eq!(triaged.status, 200, "{}", triaged.text);
    tag = triaged.header("etag").unwrap().to_owned();
    app.update_correction(
        editor,
        &rid,
        &tag,
        &json!({"status": "accepted", "public_note": note}),
    )
    .await
}

/// The article's row decides who reads it, never its document: a document written back behind
/// the server's back for a draft, or stored for a scheduled article before its time, is not
/// served. A document whose offsets are corrupt is assembled instead; one that is current is
/// what the read serves (shown by changing it behind the server's back).
async fn documents_never_decide_who_reads_an_article(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let body = json!({"title": "Lighthouse keeper retires",
                      "body": [{"type": "paragraph", "text": "After forty years on the rock."}]});
    let id = app.new_article_id(&editor, &body).await;
    app.publish_article(&editor, &id).await;
    let database = Db::open(&app.db.url, 1).unwrap();
    let mut reader = Reader {
        app: &app,
        reads: 0,
    };
    let path = format!("/v1/articles/{id}");
    until_stored(&database).await;
    let published = reader.read(&path, None).await;
    assert_eq!(published.0, 200, "{}", published.2);

    // Served from the document: changed behind the server's back, the read shows it.
    let n = execute(
        &database,
        "UPDATE article_documents SET document = replace(document, 'Lighthouse', 'Tampered') \
         WHERE article_id = $1",
        &id,
    );
    assert_eq!(n, 1);
    let (_, _, text) = reader.read(&path, None).await;
    assert!(text.contains("Tampered keeper"), "{text}");

    // Corrupt offsets: assembled from the tables instead.
    execute(
        &database,
        "UPDATE article_documents SET base_at = '9999999' WHERE article_id = $1",
        &id,
    );
    assert_eq!(reader.read(&path, None).await, published);

    // Taken back to draft: 404, even with its public document written back.
    let res = app.unpublish(&editor, &id).await;
    assert_eq!(res.status, 200, "{}", res.text);
    until_stored(&database).await;
    restore_document(&database, &id, &published.2);
    assert_eq!(reader.read(&path, None).await.0, 404);

    // Scheduled: its document is rendered for its time, and not served before then.
    let at = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let res = app
        .post(&format!("/v1/articles/{id}/publish"))
        .bearer(&editor)
        .json(&json!({"at": at}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    until_stored(&database).await;
    assert_eq!(stored(&database), 1, "rendered for its time");
    restore_document(&database, &id, &published.2);
    assert_eq!(reader.read(&path, None).await.0, 404);
}

/// Writes `json` back as the article's current document, valid from long ago, behind the
/// server's back.
fn restore_document(database: &Db, id: &str, json: &str) {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    let n = diesel::sql_query(
        "UPDATE article_documents SET format = $1, document = $2, base_at = '', version = 1, \
         valid_from = '2000-01-01 00:00:00', valid_until = NULL WHERE article_id = $3",
    )
    .bind::<diesel::sql_types::Integer, _>(FORMAT)
    .bind::<diesel::sql_types::Text, _>(json)
    .bind::<diesel::sql_types::Text, _>(id)
    .execute(conn)
    .unwrap();
    assert_eq!(n, 1);
}

/// A related article scheduled for later joins the document when it comes due, with no write in
/// between: the document is valid only until then.
async fn a_related_article_joins_when_it_comes_due(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let soon = app
        .new_article_id(
            &editor,
            &json!({"title": "Tide tables", "body": [{"type": "paragraph", "text": "High."}]}),
        )
        .await;
    let at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let res = app
        .post(&format!("/v1/articles/{soon}/publish"))
        .bearer(&editor)
        .json(&json!({"at": at}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let body = json!({"title": "Harbour news", "related": [soon],
                      "body": [{"type": "paragraph", "text": "Boats."}]});
    let id = app.new_article_id(&editor, &body).await;
    app.publish_article(&editor, &id).await;
    let database = Db::open(&app.db.url, 1).unwrap();
    until_stored(&database).await;
    let mut reader = Reader {
        app: &app,
        reads: 0,
    };
    let path = format!("/v1/articles/{id}");
    assert_eq!(reader.article(&path).await["related"], json!([]));
    let polls = std::cell::Cell::new(0u32);
    let shown = eventually("the related article to come due", || {
        polls.set(polls.get() + 1);
        let url = format!("{path}?due={}", polls.get());
        let app = &app;
        async move {
            let article = app.get(&url).send().await.json();
            (article["related"] != json!([])).then_some(article)
        }
    })
    .await;
    assert_eq!(shown["related"], json!([soon]));
    let paths = vec![path];
    stored_is_assembled(&database, &mut reader, &paths).await;
}

/// A change's webhook event compares the article after it with the public view before it, which
/// comes from the stored document when that is current: an edit of the title announces the
/// title alone, as when the view before was assembled (with images, captions, related articles,
/// a section and tags, so that any difference between the two views would show as changed).
async fn a_change_announces_what_changed_from_the_stored_document(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let receiver = Receiver::start().await;
    app.subscribe(&editor, &receiver).await;
    let (article, _, _) = photo_story(&app, &editor, "Harbour reopens").await;
    let id = article["id"].as_str().unwrap().to_owned();
    let body =
        json!({"title": "Ferry timetable", "body": [{"type": "paragraph", "text": "Soon."}]});
    let other = app.new_article_id(&editor, &body).await;
    app.publish_article(&editor, &other).await;
    let res = app
        .update_article(
            &editor,
            &id,
            "*",
            &json!({"related": [other], "tags": ["harbour"], "section": "Local"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let database = Db::open(&app.db.url, 1).unwrap();
    for (round, before) in [("stored", FORMAT), ("assembled", FORMAT + 1)] {
        until_stored(&database).await;
        set_format(&database, before);
        let title = format!("Harbour reopens ({round})");
        let res = app
            .update_article(&editor, &id, "*", &json!({"title": title}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
        let event = receiver
            .wait_for_event("article.updated", |d| d["title"] == title.as_str())
            .await;
        assert_eq!(event.json()["data"]["changed"], json!(["title"]), "{round}");
        set_format(&database, 0);
    }
}

backend_tests!(
    a_change_announces_what_changed_from_the_stored_document,
    stored_documents_are_the_assembled_articles_through_every_change,
    documents_never_decide_who_reads_an_article,
    a_related_article_joins_when_it_comes_due,
);
