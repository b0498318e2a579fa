//! Migrations: the same folders for both backends, up/down/up, and the same schema on both.

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::Text;
use masthead::db::{self, Db, DbConn};

use crate::backend_tests;
use crate::helpers::*;

fn folders(backend: &str) -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/").to_owned() + backend;
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            for file in ["up.sql", "down.sql"] {
                assert!(
                    e.path().join(file).exists(),
                    "{} lacks {file}",
                    e.path().display()
                );
            }
            e.file_name().to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_folders() {
    let sqlite = folders("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, folders("postgres"));
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Every table's columns, less full-text search, the one structure that differs by design
/// (SQLite's FTS5 tables, PostgreSQL's generated `search` column).
fn columns(conn: &mut DbConn) -> BTreeSet<(String, String)> {
    let rows: Vec<ColumnRow> = match conn {
        DbConn::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '%diesel%' \
             AND m.name NOT LIKE 'articles_fts%'",
        )
        .load(c)
        .unwrap(),
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '%diesel%' \
             AND NOT (table_name = 'articles' AND column_name = 'search')",
        )
        .load(c)
        .unwrap(),
    };
    rows.into_iter()
        .map(|r| (r.table_name, r.column_name))
        .collect()
}

fn migrated_columns(backend: &Backend) -> (TestDb, BTreeSet<(String, String)>) {
    let test_db = TestDb::new(backend);
    let database = Db::open(&test_db.url, 1).expect("opens and migrates");
    let mut conn = database.writer_conn().unwrap();
    let cols = columns(&mut conn);
    (test_db, cols)
}

async fn migrations_go_up_down_and_up_again(backend: Backend) {
    let test_db = TestDb::new(&backend);
    let database = Db::open(&test_db.url, 1).expect("opens and migrates");
    let mut conn = database.writer_conn().unwrap();
    let before = columns(&mut conn);
    assert!(before.contains(&("users".to_owned(), "email_normalized".to_owned())));
    db::revert_all_migrations(&mut conn).expect("reverts");
    assert!(
        columns(&mut conn).is_empty(),
        "down.sql removes everything up.sql made"
    );
    let applied = db::run_migrations(&mut conn).expect("re-applies");
    assert!(!applied.is_empty());
    assert_eq!(columns(&mut conn), before);
    assert!(
        db::run_migrations(&mut conn)
            .expect("idempotent")
            .is_empty()
    );
}

async fn both_backends_have_the_same_columns(backend: Backend) {
    let (_db, here) = migrated_columns(&backend);
    let (_sqlite_db, sqlite) = migrated_columns(&Backend::Sqlite);
    assert_eq!(here, sqlite);
}

/// Every article and everything that hangs off it (tags, authors, corrections, the search
/// index) survives the newest migration going down and up again on a database in use.
async fn data_survives_the_newest_migration_down_and_up(backend: Backend) {
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let created = app
        .create_article(
            &editor,
            &serde_json::json!({
                "title": "Lock keepers vote to strike",
                "standfirst": "The canal could close for a week.",
                "body": [{"type": "paragraph", "text": "Keepers met on Tuesday night."}],
                "tags": ["canal", "labour"],
            }),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    app.publish_article(&editor, &id).await;
    let slug = created["slug"].as_str().unwrap().to_owned();
    let before = app.get(&format!("/v1/articles/{slug}")).send().await;
    assert_eq!(before.status, 200, "{}", before.text);

    let database = Db::open(&app.db.url, 1).expect("opens");
    let mut conn = database.writer_conn().unwrap();
    db::revert_last_migration(&mut conn).expect("goes down");
    assert_eq!(db::run_migrations(&mut conn).expect("goes up").len(), 1);
    drop(conn);

    let after = app.get(&format!("/v1/articles/{slug}")).send().await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.json(), before.json());
    let tagged = app.get("/v1/articles?tag=canal").send().await.json();
    assert_eq!(tagged["items"][0]["id"], id.as_str());
    let found = app.get("/v1/articles?q=keepers+strike").send().await.json();
    assert_eq!(found["items"][0]["id"], id.as_str());
    // Writes after the migration keep the search index in step.
    let renamed = app
        .update_article(
            &editor,
            &id,
            "*",
            &serde_json::json!({"title": "Lock keepers call off strike"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let found = app.get("/v1/articles?q=call+off").send().await.json();
    assert_eq!(found["items"][0]["id"], id.as_str());
    let gone = app.get("/v1/articles?q=vote").send().await.json();
    assert_eq!(gone["items"].as_array().unwrap().len(), 0);
}

/// PostgreSQL: every indexed text column and every foreign key compares byte by byte (`"C"`), as
/// SQLite compares all text. A key column added with the database's collation would compare
/// through the locale again (a seventh of PostgreSQL's time for a list page), and a foreign key
/// whose collation differed from its key's could not use an index on itself in a join.
#[actix_web::test]
async fn every_postgres_key_compares_byte_by_byte() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let test_db = TestDb::new(&backend);
    let database = Db::open(&test_db.url, 1).expect("opens and migrates");
    let mut conn = database.writer_conn().unwrap();
    let DbConn::Pg(c) = &mut **conn else {
        unreachable!("a postgres:// URL opens PostgreSQL")
    };
    #[derive(QueryableByName, Debug)]
    struct Key {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
        #[diesel(sql_type = Text)]
        collation: String,
    }
    let keys: Vec<Key> = diesel::sql_query(
        "SELECT DISTINCT t.relname::text AS table_name, a.attname::text AS column_name, \
         coalesce(c.collname::text, '') AS collation \
         FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         LEFT JOIN pg_collation c ON c.oid = a.attcollation \
         WHERE n.nspname = 'public' AND t.relname NOT LIKE '%diesel%' \
         AND a.atttypid = 'text'::regtype AND a.attnum > 0 \
         AND (EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = t.oid AND a.attnum = ANY (i.indkey)) \
              OR EXISTS (SELECT 1 FROM pg_constraint f WHERE f.conrelid = t.oid AND f.contype = 'f' \
                         AND a.attnum = ANY (f.conkey)))",
    )
    .load(c)
    .unwrap();
    assert!(
        keys.iter()
            .any(|k| k.table_name == "articles" && k.column_name == "id"),
        "{keys:?}"
    );
    let not_c: Vec<&Key> = keys.iter().filter(|k| k.collation != "C").collect();
    assert!(
        not_c.is_empty(),
        "keys with the database's collation: {not_c:?}"
    );
}

backend_tests!(
    data_survives_the_newest_migration_down_and_up,
    migrations_go_up_down_and_up_again,
    both_backends_have_the_same_columns
);
