//! The database layer below the handlers: how PostgreSQL plans each read.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;
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
