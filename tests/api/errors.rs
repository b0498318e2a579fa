//! Every kind of bad input gets a problem document; health, docs and request ids.

use serde_json::json;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::backend_tests;
use crate::helpers::*;

async fn bad_bodies_get_problem_documents(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_MAX_BODY_BYTES", "2048")]).await;

    let malformed = app
        .post("/v1/auth/login")
        .raw("application/json", "{\"email\": ")
        .send()
        .await;
    assert_problem(&malformed, 400, "bad-request");

    let empty = app
        .post("/v1/auth/login")
        .raw("application/json", "")
        .send()
        .await;
    assert_problem(&empty, 400, "bad-request");

    let form = app
        .post("/v1/auth/login")
        .raw("application/x-www-form-urlencoded", "email=a&password=b")
        .send()
        .await;
    assert_problem(&form, 415, "unsupported-media-type");

    let no_type = app.post("/v1/auth/login").raw("", "{}").send().await;
    assert_problem(&no_type, 415, "unsupported-media-type");

    let huge = format!(
        r#"{{"email":"a@b.example","password":"{}"}}"#,
        "x".repeat(4096)
    );
    let too_large = app
        .post("/v1/auth/login")
        .raw("application/json", huge)
        .send()
        .await;
    assert_problem(&too_large, 413, "payload-too-large");

    let wrong_type = app
        .post("/v1/auth/login")
        .json(&json!({"email": ["a"], "password": "b"}))
        .send()
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&wrong_type, 422, "validation")),
        vec!["email"]
    );

    let missing = app
        .post("/v1/auth/login")
        .json(&json!({"email": "a@b.example"}))
        .send()
        .await;
    assert_eq!(
        problem_fields(&assert_problem(&missing, 422, "validation")),
        vec!["password"]
    );

    let not_object = app.post("/v1/auth/login").json(&json!([1, 2])).send().await;
    assert_problem(&not_object, 422, "validation");
}

async fn unknown_routes_and_methods_get_404_and_405(backend: Backend) {
    let app = spawn_app(&backend).await;
    let unknown = app.get("/v1/nothing-here").send().await;
    assert_problem(&unknown, 404, "not-found");

    let wrong_method = app
        .request(actix_web::http::Method::PUT, "/v1/auth/login")
        .send()
        .await;
    assert_problem(&wrong_method, 405, "method-not-allowed");
    assert_eq!(wrong_method.header("allow"), Some("POST"));

    let on_item = app.post("/v1/users/some-id").json(&json!({})).send().await;
    assert_problem(&on_item, 405, "method-not-allowed");
    let allow = on_item.header("allow").unwrap();
    for method in ["GET", "HEAD", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
}

async fn health_readiness_docs_and_request_ids(backend: Backend) {
    let app = spawn_app(&backend).await;
    let health = app.get("/healthz").send().await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let ready = app.get("/readyz").send().await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["status"], "ready");

    let generated = health.header("x-request-id").unwrap();
    assert!(generated.len() >= 16, "{generated}");
    let echoed = app
        .get("/healthz")
        .header("x-request-id", "edge-42.abc")
        .send()
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("edge-42.abc"));
    let replaced = app
        .get("/healthz")
        .header("x-request-id", "bad id with spaces")
        .send()
        .await;
    assert_ne!(replaced.header("x-request-id"), Some("bad id with spaces"));

    let docs = app.get("/docs").send().await;
    assert_eq!(docs.status, 308);
    assert_eq!(docs.header("location"), Some("/docs/"));
    let page = app.get("/docs/").send().await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger"), "the docs page is Swagger UI");
    let config = app.get("/docs/swagger-initializer.js").send().await;
    assert_eq!(config.status, 200);
    assert!(config.text.contains("/openapi.json"), "{}", config.text);
}

/// For the tests of PostgreSQL going away under a running server (SQLite is a file the process
/// holds open): a server on a database of its own, a connection to the PostgreSQL server beside
/// it, and the database's name. `None` when PostgreSQL is not configured.
async fn on_postgres() -> Option<(TestApp, PgConnection, String)> {
    let backend = Backend::postgres()?;
    let Backend::Postgres(server) = &backend else {
        unreachable!()
    };
    let conn = PgConnection::establish(server).unwrap();
    let app = spawn_app(&backend).await;
    let name = app.db.url.rsplit('/').next()?.split('?').next()?.to_owned();
    Some((app, conn, name))
}

/// Readiness reports a PostgreSQL that refuses connections, with no internal detail.
#[actix_web::test]
async fn readiness_fails_while_postgres_refuses_connections() {
    let Some((app, mut conn, name)) = on_postgres().await else {
        return;
    };
    assert_eq!(app.get("/readyz").send().await.status, 200);
    conn.batch_execute(&format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
    ))
    .unwrap();
    conn.batch_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .unwrap();
    let ready = app.get("/readyz").send().await;
    let problem = assert_problem(&ready, 503, "unavailable");
    assert_eq!(ready.header("retry-after"), Some("5"));
    assert!(
        !problem.to_string().contains("postgres"),
        "no internal detail: {problem}"
    );
    assert!(
        !problem.to_string().contains(&name),
        "no internal detail: {problem}"
    );
    conn.batch_execute(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .unwrap();
    // It recovers by itself once the database is back.
    let mut status = 0;
    for _ in 0..50 {
        status = app.get("/readyz").send().await.status;
        if status == 200 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

/// A PostgreSQL connection that answered in the last second leaves the pool unchecked (a round
/// trip saved on every request under load). When the server drops every connection, the first
/// request to meet a dead one gets a 503, and that puts every pooled connection under check: the
/// ones after it succeed.
#[actix_web::test]
async fn when_postgres_drops_its_connections_only_the_request_that_finds_out_fails() {
    let Some((app, mut conn, name)) = on_postgres().await else {
        return;
    };
    let token = app.admin_token().await;
    let article = app
        .create_article(
            &token,
            &json!({
                "title": "Ferry timetable changes",
                "body": [{"type": "paragraph", "text": "Winter sailings start on Monday."}],
            }),
        )
        .await;
    app.publish_article(&token, article["id"].as_str().unwrap())
        .await;
    // Uncached reads, so each goes to the database; several, so the pool holds live connections.
    let read = |n: u32| app.get(&format!("/v1/articles?q=ferry&n={n}")).send();
    for n in 0..4 {
        let page = read(n).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.json()["items"].as_array().unwrap().len(), 1);
    }
    conn.batch_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .unwrap();
    let mut statuses = Vec::new();
    for n in 10..20 {
        let page = read(n).await;
        if page.status == 503 {
            let problem = assert_problem(&page, 503, "unavailable");
            assert!(
                !problem.to_string().contains("terminat"),
                "no driver detail: {problem}"
            );
        } else {
            assert_eq!(page.status, 200, "{}", page.text);
            assert_eq!(page.json()["items"].as_array().unwrap().len(), 1);
        }
        statuses.push(page.status);
    }
    assert!(statuses[1..].iter().all(|s| *s == 200), "{statuses:?}");
}

/// An article whose stored body is not JSON (written behind the server's back) fails only the
/// reads that decode it: the article answers a 500 problem document that tells nothing of the
/// cause, while its corrections log and the list, which never decode the body, still answer.
async fn a_corrupt_stored_body_fails_only_the_reads_that_decode_it(backend: Backend) {
    let app = spawn_app(&backend).await;
    let admin = app.admin_token().await;
    let story = json!({
        "title": "Lighthouse keeper retires",
        "body": [{"type": "paragraph", "text": "After forty years on the rock."}],
    });
    let id = app.new_article_id(&admin, &story).await;
    app.publish_article(&admin, &id).await;
    corrupt_stored_body(&app, &id);

    let read = app.get(&format!("/v1/articles/{id}")).send().await;
    let problem = assert_problem(&read, 500, "internal");
    assert!(
        !problem.to_string().to_lowercase().contains("json"),
        "no decoding detail: {problem}"
    );
    let log = app
        .get(&format!("/v1/articles/{id}/corrections"))
        .send()
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    let list = app.get("/v1/articles").send().await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json()["items"][0]["id"], id.as_str());
}

/// Overwrites the article's stored body with text that is not JSON.
fn corrupt_stored_body(app: &TestApp, id: &str) {
    let database = masthead::db::Db::open(&app.db.url, 1).unwrap();
    let mut conn = database.writer_conn().unwrap();
    let conn: &mut masthead::db::DbConn = &mut conn;
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE articles SET body = '[{not json' WHERE id = $1")
            .bind::<diesel::sql_types::Text, _>(id),
        conn,
    )
    .unwrap();
}

backend_tests!(
    bad_bodies_get_problem_documents,
    unknown_routes_and_methods_get_404_and_405,
    health_readiness_docs_and_request_ids,
    a_corrupt_stored_body_fails_only_the_reads_that_decode_it,
);
