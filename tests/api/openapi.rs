//! The served OpenAPI document equals the committed `openapi/openapi.json`, and is complete.

use serde_json::Value;

use crate::backend_tests;
use crate::helpers::*;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");

async fn the_served_document_is_the_committed_one(backend: Backend) {
    let app = spawn_app(&backend).await;
    let res = app.get("/openapi.json").send().await;
    assert_eq!(res.status, 200);
    let served = res.json();

    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        // Written exactly as `masthead openapi` prints it, so both ways give the same file.
        let pretty = masthead::openapi::document().to_pretty_json().unwrap() + "\n";
        std::fs::write(COMMITTED, pretty).unwrap();
    }
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(COMMITTED).expect("openapi/openapi.json is committed"),
    )
    .expect("the committed document is JSON");
    assert!(
        served == committed,
        "the served OpenAPI document differs from openapi/openapi.json; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test openapi` (or `cargo run -- openapi > openapi/openapi.json`) \
         and review the diff"
    );
}

async fn every_operation_declares_its_errors_and_security(backend: Backend) {
    let app = spawn_app(&backend).await;
    let doc = app.get("/openapi.json").send().await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    assert_eq!(scheme["bearerFormat"], "JWT");

    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            if method == "patch" || method == "delete" {
                for status in ["412", "428"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{method} {path} has no summary"
            );
        }
    }
    assert!(operations >= 11, "only {operations} operations documented");
    // The public health endpoints need no token; account management does.
    assert_eq!(
        doc["paths"]["/healthz"]["get"]["security"],
        serde_json::json!([])
    );
    assert!(doc["paths"]["/v1/users"]["get"]["security"].is_array());
}

backend_tests!(
    the_served_document_is_the_committed_one,
    every_operation_declares_its_errors_and_security,
);
