//! The database layer below the handlers: how PostgreSQL plans each read, and the search index
//! it keeps of the newest articles.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;
use masthead::articles::search::keep_recent_index;
use masthead::db::{Db, DbConn, Plans};
use masthead::error::ApiResult;

use crate::helpers::*;

fn plan_cache_mode(conn: &mut DbConn) -> ApiResult<String> {
    Ok(diesel::select(sql::<Text>("current_setting('plan_cache_mode')")).get_result(conn)?)
}

/// On PostgreSQL a read says how its statements are planned, and a pooled connection is switched
/// as each use asks: reused generic plans for the public lists, plans for the values for other
/// reads and every write, whatever the connection's last use was (and whether it failed); key
/// lookups take it as it is.
#[actix_web::test]
async fn each_use_of_a_postgres_connection_is_planned_as_it_asks() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let test_db = TestDb::new(&backend);
    // One connection, so that every use below gets the one the use before left.
    let db = Db::open(&test_db.url, 1).expect("opens");
    assert_eq!(db.read(plan_cache_mode).await.unwrap(), "auto");
    for _ in 0..2 {
        assert_eq!(
            db.read_with(Plans::Reused, plan_cache_mode).await.unwrap(),
            "force_generic_plan"
        );
    }
    assert_eq!(db.write(plan_cache_mode).await.unwrap(), "auto");
    assert_eq!(
        db.read_with(Plans::Reused, plan_cache_mode).await.unwrap(),
        "force_generic_plan"
    );
    assert_eq!(db.read(plan_cache_mode).await.unwrap(), "auto");

    // A key lookup takes the connection as it is: no switch back and forth for mixed traffic.
    assert_eq!(
        db.read_with(Plans::Either, plan_cache_mode).await.unwrap(),
        "auto"
    );
    db.read_with(Plans::Reused, plan_cache_mode).await.unwrap();
    assert_eq!(
        db.read_with(Plans::Either, plan_cache_mode).await.unwrap(),
        "force_generic_plan"
    );
    assert_eq!(
        db.read_blocking(plan_cache_mode).unwrap(),
        "force_generic_plan",
        "background key lookups too"
    );
    assert_eq!(db.read(plan_cache_mode).await.unwrap(), "auto");

    // A use that fails leaves the connection as it asked; the next use still gets its own way.
    db.read_with(Plans::Reused, |c| {
        Ok(diesel::select(sql::<Text>("no_such_function()")).get_result::<String>(c)?)
    })
    .await
    .unwrap_err();
    assert_eq!(db.read(plan_cache_mode).await.unwrap(), "auto");
    assert_eq!(
        db.read_with(Plans::Reused, plan_cache_mode).await.unwrap(),
        "force_generic_plan"
    );
}

/// PostgreSQL: no statement of the API is planned with parallel workers or compiled, on read and
/// write connections alike (a generic plan's estimates made a page look worth both).
#[actix_web::test]
async fn postgres_connections_plan_pages_without_workers_or_jit() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let test_db = TestDb::new(&backend);
    let db = Db::open(&test_db.url, 1).expect("opens");
    fn settings(conn: &mut DbConn) -> ApiResult<(String, String)> {
        Ok(diesel::select((
            sql::<Text>("current_setting('max_parallel_workers_per_gather')"),
            sql::<Text>("current_setting('jit')"),
        ))
        .get_result(conn)?)
    }
    let expected = ("0".to_owned(), "off".to_owned());
    assert_eq!(
        db.read_with(Plans::Reused, settings).await.unwrap(),
        expected
    );
    assert_eq!(db.read(settings).await.unwrap(), expected);
    assert_eq!(db.write(settings).await.unwrap(), expected);
}

/// The recent search indexes of `articles`, by name, with whether each is usable.
pub fn recent_search_indexes(pg: &mut PgConnection) -> Vec<(String, bool)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        valid: bool,
    }
    diesel::sql_query(
        "SELECT c.relname::text AS name, i.indisvalid AS valid FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = 'articles'::regclass \
         AND starts_with(c.relname::text, 'articles_search_since_') ORDER BY 1",
    )
    .load::<Row>(pg)
    .expect("catalogue")
    .into_iter()
    .map(|r| (r.name, r.valid))
    .collect()
}

/// PostgreSQL keeps a search index of the newest articles (a partial GIN index from a date):
/// built covering the last 30 days, kept until it covers more than 45, then replaced; the one it
/// replaces is dropped only once the new one is the one the instance has known long enough; an
/// instance that does not get the advisory lock builds and drops nothing.
#[actix_web::test]
async fn the_newest_articles_keep_a_search_index_of_their_own() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let test_db = TestDb::new(&backend);
    let db = Db::open(&test_db.url, 2).expect("opens");
    let mut pg = PgConnection::establish(&test_db.url).expect("connects");
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let keep = |today: &str, replaced_by: Option<&str>| {
        db.with_own_connection(|c| keep_recent_index(c, day(today), replaced_by.map(day)))
            .unwrap()
    };
    let named = |names: &[&str]| -> Vec<(String, bool)> {
        names
            .iter()
            .map(|n| (format!("articles_search_since_{n}"), true))
            .collect()
    };
    assert!(recent_search_indexes(&mut pg).is_empty());
    assert_eq!(keep("2026-11-27", None), Some(day("2026-10-28")));
    assert_eq!(recent_search_indexes(&mut pg), named(&["20261028"]));
    let definition: String = diesel::select(sql::<Text>(
        "pg_get_indexdef('articles_search_since_20261028'::regclass)",
    ))
    .get_result(&mut pg)
    .unwrap();
    assert!(
        definition.contains(
            "USING gin (search) WITH (fastupdate=off) WHERE ((status = 'published'::text) AND \
             (published_at >= '2026-10-28 00:00:00'::timestamp without time zone))"
        ),
        "{definition}"
    );

    // Forty-five days on it is kept; a day later a new one is built, and the old one stays until
    // the new one is the one this instance has known long enough.
    assert_eq!(
        keep("2026-12-12", Some("2026-10-28")),
        Some(day("2026-10-28"))
    );
    assert_eq!(recent_search_indexes(&mut pg), named(&["20261028"]));
    assert_eq!(
        keep("2026-12-13", Some("2026-10-28")),
        Some(day("2026-11-13"))
    );
    assert_eq!(
        recent_search_indexes(&mut pg),
        named(&["20261028", "20261113"])
    );
    assert_eq!(
        keep("2026-12-13", Some("2026-10-28")),
        Some(day("2026-11-13"))
    );
    assert_eq!(recent_search_indexes(&mut pg).len(), 2);

    // Another instance holds the lock: this one only reports the newest.
    let lock = "hashtextextended('masthead:recent-search-index', 0)";
    let locked: bool = diesel::select(sql::<diesel::sql_types::Bool>(&format!(
        "pg_try_advisory_lock({lock})"
    )))
    .get_result(&mut pg)
    .unwrap();
    assert!(locked);
    assert_eq!(
        keep("2026-12-13", Some("2026-11-13")),
        Some(day("2026-11-13"))
    );
    assert_eq!(
        keep("2027-06-01", Some("2026-11-13")),
        Some(day("2026-11-13"))
    );
    assert_eq!(recent_search_indexes(&mut pg).len(), 2);
    diesel::select(sql::<diesel::sql_types::Bool>(&format!(
        "pg_advisory_unlock({lock})"
    )))
    .get_result::<bool>(&mut pg)
    .unwrap();

    assert_eq!(
        keep("2026-12-13", Some("2026-11-13")),
        Some(day("2026-11-13"))
    );
    assert_eq!(recent_search_indexes(&mut pg), named(&["20261113"]));
    // The lock went with each upkeep's own connection.
    let free: bool = diesel::select(sql::<diesel::sql_types::Bool>(&format!(
        "pg_try_advisory_lock({lock})"
    )))
    .get_result(&mut pg)
    .unwrap();
    assert!(free);
}
