//! Stored summaries: the public lists are read from each article's summary as rendered after its
//! last change. The server renders them in the background; until then a list renders them from
//! the tables, to the same bytes. A stored summary is never served after a change to what it
//! shows, whatever changed: the article, its tags, its authors, an author's name.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use masthead::articles::summaries::{FORMAT, refresh_stale};
use masthead::db::{Db, DbConn};
use masthead::ids::ArticleId;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::*;

/// How many summaries are stale to the server (of an older format), read from its database.
fn stale(database: &Db) -> i64 {
    stale_on(&mut database.writer_conn().unwrap())
}

/// How many summaries are stale, on this connection.
fn stale_on(conn: &mut DbConn) -> i64 {
    diesel::sql_query("SELECT count(*) AS n FROM article_summaries WHERE format < $1")
        .bind::<diesel::sql_types::Integer, _>(FORMAT)
        .get_result::<Count>(conn)
        .unwrap()
        .n
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Sets every stored summary's format (and, unless current, its JSON to something no list may
/// show).
fn set_format(database: &Db, format: i32) {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(
        "UPDATE article_summaries SET format = $1, \
         summary = CASE WHEN $1 = 0 THEN NULL ELSE '{\"not\":\"this\"}' END",
    )
    .bind::<diesel::sql_types::Integer, _>(format)
    .execute(conn)
    .unwrap();
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

/// Waits for two looks of the server's refresher, both begun after this call: before each, one
/// summary is made stale (without JSON, so that its lists render it from the tables), and the
/// look is seen storing it again. A look stores what it finds in one batch, so these are two.
async fn two_looks(database: &Db) {
    for _ in 0..2 {
        make_one_stale(database);
        until_stored(database).await;
    }
}

/// Makes one stored summary stale, without JSON.
fn make_one_stale(database: &Db) {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    let n = diesel::sql_query(
        "UPDATE article_summaries SET format = 0, summary = NULL \
         WHERE article_id = (SELECT min(article_id) FROM article_summaries)",
    )
    .execute(conn)
    .unwrap();
    assert_eq!(n, 1);
}

/// Every page read from stored summaries is the page rendered from the tables, byte for byte:
/// with the summaries of a newer release's format, which this server neither shows nor
/// replaces, its lists are rendered from the tables; made stale, they are stored again.
async fn stored_pages_are_rendered_pages(database: &Db, pages: &mut Pages<'_>) {
    until_stored(database).await;
    let stored = pages.all().await;
    set_format(database, FORMAT + 1);
    assert_eq!(pages.all().await, stored);
    two_looks(database).await;
    assert_eq!(
        pages.all().await,
        stored,
        "a newer release's summaries are left be"
    );
    assert!(!pages.all().await.concat().contains("\"not\""));
    set_format(database, 0);
    until_stored(database).await;
    assert_eq!(pages.all().await, stored);
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
        let id = app.new_article_id(&tokens.access, &body).await;
        app.publish_article(&admin, &id).await;
        ids.push(id);
    }
    let database = Db::open(&app.db.url, 1).unwrap();
    let mut pages = Pages {
        app: &app,
        author: writer.clone(),
        reads: 0,
    };

    stored_pages_are_rendered_pages(&database, &mut pages).await;

    // Each change shows in the very next read of every list, with every other summary stored.
    let edit = app
        .update_article(
            &admin,
            &ids[0],
            "*",
            &json!({"title": "Council sells its ferry"}),
        )
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
        .update_article(&admin, &ids[1], "*", &json!({"tags": ["pier"]}))
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
        .update_user(
            &admin,
            &writer,
            &user_tag,
            &json!({"display_name": "Ana Renamed"}),
        )
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

    stored_pages_are_rendered_pages(&database, &mut pages).await;
}

/// Articles without a summary row (none of the triggers' doing: a restore of the articles
/// alone) are listed all the same, rendered from the tables.
async fn articles_without_a_summary_row_are_listed(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    for title in ["Ferry timetable changes", "Pier reopens"] {
        let body = json!({
            "title": title,
            "body": [{"type": "paragraph", "text": "Councillors met at noon."}],
            "tags": ["harbour"],
        });
        let id = app.new_article_id(&admin, &body).await;
        app.publish_article(&admin, &id).await;
    }
    let database = Db::open(&app.db.url, 1).unwrap();
    until_stored(&database).await;
    let mut pages = Pages {
        app: &app,
        author: String::new(),
        reads: 0,
    };
    let stored = pages.get("/v1/articles").await.0;
    let tagged = pages.get("/v1/articles?tag=harbour").await.0;
    {
        let mut conn = database.writer_conn().unwrap();
        let conn: &mut DbConn = &mut conn;
        let n = diesel::sql_query("DELETE FROM article_summaries")
            .execute(conn)
            .unwrap();
        assert_eq!(n, 2);
    }
    assert_eq!(pages.get("/v1/articles").await.0, stored);
    assert_eq!(pages.get("/v1/articles?tag=harbour").await.0, tagged);
}

/// PostgreSQL: a change committed while a server renders a summary leaves the summary stale, not
/// the render. A render (`refresh_stale`, whose steps this takes one at a time) locks the stale
/// row before it reads the article and stores what it read; the change's trigger locks that row
/// although it is already stale, so it waits for the render to commit and then makes it stale
/// again.
#[actix_web::test]
async fn a_change_while_a_summary_renders_leaves_it_stale() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let body = json!({"title": "Old headline", "body": [{"type": "paragraph", "text": "Text."}]});
    let id = app.new_article_id(&admin, &body).await;
    let test_db = app.stop().await;
    let connect = || diesel::PgConnection::establish(&test_db.url).unwrap();
    let change = |id: String| {
        let mut writer = connect();
        std::thread::spawn(move || {
            diesel::sql_query("UPDATE articles SET title = title || '!' WHERE id = $1")
                .bind::<diesel::sql_types::Text, _>(id)
                .execute(&mut writer)
                .unwrap();
        })
    };
    let stored = |c: &mut diesel::PgConnection| -> (i32, Option<String>) {
        use masthead::db::schema::article_summaries as s;
        s::table
            .find(&id)
            .select((s::format, s::summary))
            .get_result(c)
            .unwrap()
    };
    let mut render = connect();
    set_stale(&mut render);

    // Step by step: lock, read, (the change), store, commit.
    render
        .transaction::<_, diesel::result::Error, _>(|render| {
            let locked: Vec<String> = {
                use masthead::db::schema::article_summaries as s;
                s::table
                    .filter(s::format.lt(FORMAT))
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
            let change = change(id.clone());
            until_a_statement_waits_for_a_lock(&test_db.url);
            assert!(!change.is_finished(), "the change waits for the render");
            diesel::sql_query(
                "UPDATE article_summaries SET format = $1, summary = $2 WHERE article_id = $3",
            )
            .bind::<diesel::sql_types::Integer, _>(FORMAT)
            .bind::<diesel::sql_types::Text, _>(format!("{{\"title\":\"{title}\"}}"))
            .bind::<diesel::sql_types::Text, _>(&id)
            .execute(render)?;
            Ok(change)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        stored(&mut render),
        (0, None),
        "the old headline's render is stale"
    );

    // The server's own render: its rows stay locked until its transaction ends.
    let mut conn = DbConn::Pg(connect());
    conn.transaction::<_, masthead::error::ApiError, _>(|c| {
        let done = refresh_stale(c, 10, &Default::default())?;
        assert_eq!(done.found, 1);
        let change = change(id.clone());
        until_a_statement_waits_for_a_lock(&test_db.url);
        assert!(!change.is_finished(), "the change waits for the render");
        Ok(change)
    })
    .unwrap()
    .join()
    .unwrap();
    assert_eq!(stored(&mut render), (0, None), "the render is stale");
    let mut conn = DbConn::Pg(connect());
    let done = conn
        .transaction(|c| refresh_stale(c, 10, &Default::default()))
        .unwrap();
    assert_eq!(done.found, 1);
    let (format, summary) = stored(&mut render);
    assert_eq!(format, FORMAT);
    assert!(summary.unwrap().contains("Old headline!!"));
}

/// A summary that cannot be rendered (a corrupt row) does not stop the others: it is reported,
/// left stale, and skipped by the next batches.
async fn a_summary_that_cannot_be_rendered_does_not_stop_the_others(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for title in ["Ferry timetable changes", "Pier reopens"] {
        let body = json!({"title": title, "body": [{"type": "paragraph", "text": "Text."}]});
        let id = app.new_article_id(&admin, &body).await;
        ids.push(id);
    }
    let test_db = app.stop().await;
    let database = Db::open(&test_db.url, 1).unwrap();
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    // The update's trigger makes both summaries stale.
    diesel::sql_query(
        "UPDATE articles SET featured_image = CASE WHEN id = $1 THEN '{not json' ELSE NULL END",
    )
    .bind::<diesel::sql_types::Text, _>(&ids[0])
    .execute(conn)
    .unwrap();
    assert_eq!(stale_on(conn), 2);

    let skip = std::collections::HashSet::new();
    let done = conn.transaction(|c| refresh_stale(c, 10, &skip)).unwrap();
    assert_eq!(
        (done.found, done.failed.clone()),
        (2, vec![ArticleId::from(ids[0].as_str())])
    );
    assert_eq!(stale_on(conn), 1, "the other one is stored");
    let skip: std::collections::HashSet<ArticleId> = done.failed.into_iter().collect();
    let again = conn.transaction(|c| refresh_stale(c, 10, &skip)).unwrap();
    assert_eq!((again.found, again.failed.len()), (0, 0));
}

fn set_stale(c: &mut diesel::PgConnection) {
    diesel::sql_query("UPDATE article_summaries SET format = 0, summary = NULL")
        .execute(c)
        .unwrap();
}

backend_tests!(
    lists_read_stored_summaries_that_no_change_leaves_stale,
    articles_without_a_summary_row_are_listed,
    a_summary_that_cannot_be_rendered_does_not_stop_the_others,
);
