//! Stored summaries: the public lists are read from each article's summary as rendered after its
//! last change. The server renders them in the background; until then a list renders them from
//! the tables, to the same bytes. A stored summary is never served after a change to what it
//! shows, whatever changed: the article, its tags, its authors, an author's name.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use masthead::db::{Db, DbConn};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

/// How many summaries are stale, read from the database the server uses.
fn stale(database: &Db) -> i64 {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query("SELECT count(*) AS n FROM article_summaries WHERE summary IS NULL")
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Waits until the server has stored every summary (it looks every 200 ms).
async fn until_stored(database: &Db) {
    let started = Instant::now();
    while stale(database) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server did not render the stale summaries"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The public pages a test reads: the newest articles, a deep page (with a cursor), a tag, an
/// author and a search. Each read has a query parameter of its own, so none comes from the
/// response cache: these tests are about what the database path renders.
struct Pages<'a> {
    app: &'a TestApp,
    author: String,
    reads: u32,
}

impl Pages<'_> {
    async fn get(&mut self, path: &str) -> (String, Value) {
        self.reads += 1;
        let sep = if path.contains('?') { '&' } else { '?' };
        let res = self
            .app
            .get(&format!("{path}{sep}read={}", self.reads))
            .send()
            .await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        (res.text.clone(), res.json())
    }

    /// Every page's body.
    async fn all(&mut self) -> Vec<String> {
        let first = self.get("/v1/articles?limit=1").await;
        let cursor = first.1["next_cursor"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", first.1))
            .to_owned();
        let deep = self
            .get(&format!("/v1/articles?limit=1&cursor={cursor}"))
            .await;
        let tag = self.get("/v1/articles?tag=harbour").await;
        let author = format!("/v1/articles?author={}", self.author);
        let author = self.get(&author).await;
        let search = self.get("/v1/articles?q=council").await;
        vec![first.0, deep.0, tag.0, author.0, search.0]
    }
}

/// The titles, tags and bylines of a page.
fn shown(page: &Value) -> Vec<(String, Value, Value)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_owned(),
                a["tags"].clone(),
                a["authors"].clone(),
            )
        })
        .collect()
}

async fn lists_read_stored_summaries_that_no_change_leaves_stale(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (writer, tokens) = app.user_with_role("editor").await;
    let mut ids = Vec::new();
    for (i, title) in [
        "Council buys a ferry",
        "Council sells the pier",
        "Council votes on the harbour",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({
            "title": title,
            "standfirst": format!("Story {i}: \"quoted\" words, é and a tab\t."),
            "body": [{"type": "paragraph", "text": "Councillors met at noon."}],
            "tags": ["harbour", format!("tag-{i}")],
        });
        let id = create_article(&app, &tokens.access, &body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        publish_article(&app, &admin, &id).await;
        ids.push(id);
    }
    let database = Db::open(&app.db.url, 1).unwrap();
    let mut pages = Pages {
        app: &app,
        author: writer.clone(),
        reads: 0,
    };

    // Rendered from the tables (stale) and read stored: the same bytes, so the same ETags.
    // (The server may store some between the two writes and these reads: the check is then
    // between partly and wholly stored pages, which must agree as well.)
    let rendered = pages.all().await;
    until_stored(&database).await;
    assert_eq!(pages.all().await, rendered);

    // Each change shows in the very next read of every list, with every other summary stored.
    let edit = app
        .patch(&format!("/v1/articles/{}", ids[0]))
        .bearer(&admin)
        .header("if-match", "*")
        .json(&json!({"title": "Council sells its ferry"}))
        .send()
        .await;
    assert_eq!(edit.status, 200, "{}", edit.text);
    let newest = pages.get("/v1/articles?tag=harbour").await.1;
    assert!(
        shown(&newest)
            .iter()
            .any(|s| s.0 == "Council sells its ferry")
    );
    let page = pages.get("/v1/articles").await.1;
    assert!(shown(&page).iter().all(|s| s.0 != "Council buys a ferry"));

    until_stored(&database).await;
    let retag = app
        .patch(&format!("/v1/articles/{}", ids[1]))
        .bearer(&admin)
        .header("if-match", "*")
        .json(&json!({"tags": ["pier"]}))
        .send()
        .await;
    assert_eq!(retag.status, 200, "{}", retag.text);
    let page = pages.get("/v1/articles").await.1;
    let pier = shown(&page)
        .into_iter()
        .find(|s| s.0 == "Council sells the pier")
        .unwrap();
    assert_eq!(pier.1, json!(["pier"]));
    let harbour = pages.get("/v1/articles?tag=harbour").await.1;
    assert_eq!(shown(&harbour).len(), 2);

    until_stored(&database).await;
    let user_path = format!("/v1/users/{writer}");
    let user_tag = app.etag(&user_path, Some(&admin)).await;
    let renamed = app
        .patch(&user_path)
        .bearer(&admin)
        .header("if-match", &user_tag)
        .json(&json!({"display_name": "Ana Renamed"}))
        .send()
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    for path in [
        "/v1/articles".to_owned(),
        format!("/v1/articles?author={writer}"),
        "/v1/articles?q=council".to_owned(),
    ] {
        let page = pages.get(&path).await.1;
        let bylines: Vec<Value> = shown(&page).into_iter().map(|s| s.2).collect();
        assert_eq!(bylines.len(), 3, "{path}");
        for byline in bylines {
            assert_eq!(byline[0]["display_name"], "Ana Renamed", "{path}");
        }
    }

    until_stored(&database).await;
    let unpublished = app
        .post(&format!("/v1/articles/{}/unpublish", ids[2]))
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(unpublished.status, 200, "{}", unpublished.text);
    for path in [
        "/v1/articles",
        "/v1/articles?tag=harbour",
        "/v1/articles?q=harbour",
    ] {
        let page = pages.get(path).await.1;
        assert!(
            shown(&page)
                .iter()
                .all(|s| s.0 != "Council votes on the harbour"),
            "{path}"
        );
    }

    // Once stored again, the pages are what they were rendered as just after the changes.
    let rendered = pages.all().await;
    until_stored(&database).await;
    assert_eq!(pages.all().await, rendered);
}

/// Articles whose summaries are stale (as after the migration that added them, on an existing
/// database) are listed all the same, and the server stores them.
async fn stale_summaries_are_listed_and_rendered_again(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    for title in ["Ferry timetable changes", "Pier reopens"] {
        let body = json!({
            "title": title,
            "body": [{"type": "paragraph", "text": "Councillors met at noon."}],
            "tags": ["harbour"],
        });
        let id = create_article(&app, &admin, &body).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        publish_article(&app, &admin, &id).await;
    }
    let database = Db::open(&app.db.url, 1).unwrap();
    until_stored(&database).await;
    let mut pages = Pages {
        app: &app,
        author: String::new(),
        reads: 0,
    };
    let stored = pages.get("/v1/articles").await.0;
    {
        let mut conn = database.writer_conn().unwrap();
        let conn: &mut DbConn = &mut conn;
        let n = diesel::sql_query("UPDATE article_summaries SET summary = NULL")
            .execute(conn)
            .unwrap();
        assert_eq!(n, 2);
    }
    assert_eq!(pages.get("/v1/articles").await.0, stored);
    until_stored(&database).await;
    assert_eq!(pages.get("/v1/articles").await.0, stored);
}

/// PostgreSQL: a change committed while a server renders a summary leaves the summary stale, not
/// the render. The render (`refresh_stale`) locks the stale row before it reads the article and
/// stores what it read; the change's trigger touches that row although it is already stale, so
/// it waits for the render to commit and then sets it stale again.
#[actix_web::test]
async fn a_change_while_a_summary_renders_leaves_it_stale() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let body = json!({"title": "Old headline", "body": [{"type": "paragraph", "text": "Text."}]});
    let id = create_article(&app, &admin, &body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let test_db = app.stop().await;
    let connect = || diesel::PgConnection::establish(&test_db.url).unwrap();
    let summary = |c: &mut diesel::PgConnection| -> Option<String> {
        use masthead::db::schema::article_summaries as s;
        s::table.find(&id).select(s::summary).get_result(c).unwrap()
    };

    let mut render = connect();
    diesel::sql_query("UPDATE article_summaries SET summary = NULL")
        .execute(&mut render)
        .unwrap();
    render
        .transaction::<_, diesel::result::Error, _>(|render| {
            let locked: Vec<String> = {
                use masthead::db::schema::article_summaries as s;
                s::table
                    .filter(s::summary.is_null())
                    .select(s::article_id)
                    .for_update()
                    .skip_locked()
                    .load(render)?
            };
            assert_eq!(locked, vec![id.clone()]);
            let title: String = {
                use masthead::db::schema::articles as a;
                a::table
                    .filter(a::id.eq(&id))
                    .select(a::title)
                    .get_result(render)?
            };
            let change = {
                let id = id.clone();
                let mut writer = connect();
                std::thread::spawn(move || {
                    diesel::sql_query("UPDATE articles SET title = 'New headline' WHERE id = $1")
                        .bind::<diesel::sql_types::Text, _>(id)
                        .execute(&mut writer)
                        .unwrap();
                })
            };
            std::thread::sleep(Duration::from_millis(300));
            assert!(!change.is_finished(), "the change waits for the render");
            diesel::sql_query("UPDATE article_summaries SET summary = $1 WHERE article_id = $2")
                .bind::<diesel::sql_types::Text, _>(format!("{{\"title\":\"{title}\"}}"))
                .bind::<diesel::sql_types::Text, _>(&id)
                .execute(render)?;
            Ok(change)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        summary(&mut render),
        None,
        "the render of the old headline is stale"
    );
}

backend_tests!(
    lists_read_stored_summaries_that_no_change_leaves_stale,
    stale_summaries_are_listed_and_rendered_again,
);
