//! Tag and author pages are read from the link tables alone: each tag and author row carries its
//! article's publication time while the article is published, and the database keeps that copy
//! right whatever writes (an API call, a script, a restore), in the same statement or transaction
//! as the change.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use masthead::db::schema::{article_authors, article_tags, articles};
use masthead::db::{Db, DbConn};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

/// The pages a test reads, each with a query parameter of its own, so none comes from the
/// response cache (the writes here go around the API, which is what these tests are about).
struct Reader<'a> {
    app: &'a TestApp,
    reads: u32,
}

impl Reader<'_> {
    /// The titles on a public page.
    async fn titles(&mut self, path: &str) -> Vec<String> {
        self.reads += 1;
        let res = self
            .app
            .get(&format!("{path}&read={}", self.reads))
            .send()
            .await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        res.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Runs one statement on the database, around the API, with an article id for `$1`.
fn run(database: &Db, sql: &str, id: &str) {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(id)
        .execute(conn)
        .unwrap();
}

/// Runs one statement with a time for `$1` and an article id for `$2` (SQLite numbers its
/// parameters in the order they appear, so they are written in that order).
fn run_at(database: &Db, sql: &str, at: NaiveDateTime, id: &str) {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Timestamp, _>(at)
        .bind::<diesel::sql_types::Text, _>(id)
        .execute(conn)
        .unwrap();
}

/// Every tag and author row whose public time is not its article's (the publication time while
/// published, none otherwise).
fn wrong_links(database: &Db) -> Vec<String> {
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut DbConn = &mut conn;
    type Row = (String, Option<NaiveDateTime>, String, Option<NaiveDateTime>);
    let tags: Vec<Row> = article_tags::table
        .inner_join(articles::table)
        .select((
            article_tags::tag,
            article_tags::public_at,
            articles::status,
            articles::published_at,
        ))
        .load(conn)
        .unwrap();
    let authors: Vec<Row> = article_authors::table
        .inner_join(articles::table)
        .select((
            article_authors::user_id,
            article_authors::public_at,
            articles::status,
            articles::published_at,
        ))
        .load(conn)
        .unwrap();
    tags.into_iter()
        .chain(authors)
        .filter(|(_, public_at, status, published_at)| {
            *public_at != published_at.filter(|_| status == "published")
        })
        .map(|(key, ..)| key)
        .collect()
}

async fn tag_and_author_pages_follow_their_articles_whatever_writes(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let (writer, tokens) = app.user_with_role("editor").await;
    let mut ids = Vec::new();
    for title in ["Ferry A", "Ferry B", "Ferry C"] {
        let body = json!({
            "title": title,
            "body": [{"type": "paragraph", "text": "The ferry sails at noon."}],
            "tags": ["harbour"],
        });
        let id = app.new_article_id(&tokens.access, &body).await;
        app.publish_article(&admin, &id).await;
        ids.push(id);
    }
    let [a, b, c] = [&ids[0], &ids[1], &ids[2]];
    let database = Db::open(&app.db.url, 1).unwrap();
    let mut read = Reader {
        app: &app,
        reads: 0,
    };
    let tag = "/v1/articles?tag=harbour";
    let author = format!("/v1/articles?author={writer}");
    let both = async |read: &mut Reader<'_>, expected: &[&str]| {
        assert_eq!(read.titles(tag).await, expected, "the tag page");
        assert_eq!(read.titles(&author).await, expected, "the author page");
    };
    both(&mut read, &["Ferry C", "Ferry B", "Ferry A"]).await;

    // Unpublished and published again, around the API.
    run(
        &database,
        "UPDATE articles SET status = 'archived' WHERE id = $1",
        b,
    );
    both(&mut read, &["Ferry C", "Ferry A"]).await;
    run(
        &database,
        "UPDATE articles SET status = 'published' WHERE id = $1",
        b,
    );
    both(&mut read, &["Ferry C", "Ferry B", "Ferry A"]).await;

    // Moved to tomorrow (scheduled: not public yet), then to before the others.
    let now = chrono::Utc::now().naive_utc();
    run_at(
        &database,
        "UPDATE articles SET published_at = $1 WHERE id = $2",
        now + chrono::TimeDelta::days(1),
        c,
    );
    both(&mut read, &["Ferry B", "Ferry A"]).await;
    run_at(
        &database,
        "UPDATE articles SET published_at = $1 WHERE id = $2",
        now - chrono::TimeDelta::days(1),
        c,
    );
    both(&mut read, &["Ferry B", "Ferry A", "Ferry C"]).await;

    // Links written with a wrong time take their article's.
    run(
        &database,
        "INSERT INTO article_tags (article_id, tag, position, public_at) VALUES ($1, 'pier', 1, NULL)",
        a,
    );
    assert_eq!(read.titles("/v1/articles?tag=pier").await, ["Ferry A"]);
    run_at(
        &database,
        "UPDATE article_tags SET public_at = $1 WHERE article_id <> $2",
        now - chrono::TimeDelta::days(9_000),
        a,
    );
    run(
        &database,
        "UPDATE article_authors SET public_at = NULL WHERE article_id <> $1",
        a,
    );
    both(&mut read, &["Ferry B", "Ferry A", "Ferry C"]).await;
    assert_eq!(wrong_links(&database), Vec::<String>::new());
}

/// PostgreSQL: a link row written while another transaction changes its article's status ends
/// with the article's status as committed last, in either order: the link's trigger reads the
/// article `FOR SHARE`, so it waits for a status change under way, and a status change waits
/// for a link being written.
#[actix_web::test]
async fn a_link_written_while_its_article_changes_takes_the_last_status() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for title in ["Dock A", "Dock B"] {
        let body = json!({"title": title, "body": [{"type": "paragraph", "text": "Text."}]});
        let id = app.new_article_id(&admin, &body).await;
        app.publish_article(&admin, &id).await;
        ids.push(id);
    }
    let test_db = app.stop().await;
    let connect = || diesel::PgConnection::establish(&test_db.url).unwrap();
    let in_thread = |sql: &'static str, id: &str| {
        let mut conn = connect();
        let id = id.to_owned();
        std::thread::spawn(move || {
            diesel::sql_query(sql)
                .bind::<diesel::sql_types::Text, _>(id)
                .execute(&mut conn)
                .unwrap();
        })
    };
    let archive = "UPDATE articles SET status = 'archived' WHERE id = $1";
    let link = "INSERT INTO article_tags (article_id, tag, position) VALUES ($1, 'late', 1)";

    // Runs `held` in a transaction, then `waiting` on another connection, which must wait for
    // that transaction; commits, and lets `waiting` finish.
    let mut first = connect();
    let mut race = |held: &str, waiting: &'static str, id: &str, what: &str| {
        first
            .transaction::<_, diesel::result::Error, _>(|c| {
                diesel::sql_query(held)
                    .bind::<diesel::sql_types::Text, _>(id)
                    .execute(c)?;
                let other = in_thread(waiting, id);
                until_a_statement_waits_for_a_lock(&test_db.url);
                assert!(!other.is_finished(), "{what}");
                Ok(other)
            })
            .unwrap()
            .join()
            .unwrap();
    };
    // The link first: the status change waits for it, then updates it.
    race(
        link,
        archive,
        &ids[0],
        "the status change waits for the link",
    );
    // The status change first: the link waits for it, then reads the new status.
    race(
        archive,
        link,
        &ids[1],
        "the link waits for the status change",
    );

    let mut first = connect();
    let late: Vec<(String, Option<NaiveDateTime>)> = article_tags::table
        .filter(article_tags::tag.eq("late"))
        .select((article_tags::article_id, article_tags::public_at))
        .order(article_tags::article_id)
        .load(&mut first)
        .unwrap();
    let mut expected = vec![(ids[0].clone(), None), (ids[1].clone(), None)];
    expected.sort();
    assert_eq!(
        late, expected,
        "both articles are archived: neither link is public"
    );
}

backend_tests!(tag_and_author_pages_follow_their_articles_whatever_writes);
