//! An article's structured data as a front end fetches it, and the independent check it must
//! pass (`tests/structured_data/check.py`: PyLD expansion to RDF, read with rdflib against the
//! schema.org vocabulary).

use std::process::Command;

use serde_json::Value;

use super::{Resp, TestApp};

impl TestApp {
    /// `GET /v1/articles/{key}/jsonld`, anonymous.
    pub async fn jsonld(&self, key: &str) -> Resp {
        self.get(&format!("/v1/articles/{key}/jsonld")).send().await
    }

    /// The article's JSON-LD, asserting a 200 as `application/ld+json` with an ETag that the
    /// checker accepts with the values in `expect` (see the checker's docstring).
    pub async fn accepted_jsonld(&self, key: &str, expect: &Value) -> Resp {
        let res = self.jsonld(key).await;
        assert_eq!(res.status, 200, "{key}: {}", res.text);
        assert_eq!(res.header("content-type"), Some("application/ld+json"));
        assert!(res.header("etag").is_some(), "an ETag");
        jsonld_accepted(&res.text, expect).await;
        res
    }

    /// `POST /v1/articles/{id}/publish` at `at` (a future time schedules it).
    pub async fn schedule_article(
        &self,
        token: &str,
        id: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Resp {
        self.post_json(
            token,
            &format!("/v1/articles/{id}/publish"),
            &serde_json::json!({"at": at.to_rfc3339()}),
        )
        .await
    }

    /// A reader's report on `article` accepted by `editor` with `note` as its public note: the
    /// article's corrections log gains an entry.
    pub async fn publish_correction(&self, editor: &str, article: &str, note: &str) {
        let report = self
            .report_correction(
                article,
                &serde_json::json!({"quote": "Text", "suggestion": "Other text."}),
            )
            .await;
        assert_eq!(report.status, 202, "{}", report.text);
        let id = report.json()["id"].as_str().expect("report id").to_owned();
        for change in [
            serde_json::json!({"status": "triaged"}),
            serde_json::json!({"status": "accepted", "public_note": note}),
        ] {
            let res = self.update_correction(editor, &id, "*", &change).await;
            assert_eq!(res.status, 200, "{}", res.text);
        }
    }
}

/// Runs `tests/structured_data/check.py` on `body` with `MASTHEAD_TEST_PYTHON` (a Python with
/// `pyld` and `rdflib`) and asserts it accepts the document. Without that Python the check is
/// skipped with a note, unless `MASTHEAD_TEST_REQUIRE_PYTHON` is set (CI sets it).
pub async fn jsonld_accepted(body: &str, expect: &Value) {
    let (body, expect) = (body.to_owned(), expect.to_string());
    actix_web::rt::task::spawn_blocking(move || run_checker(&body, &expect))
        .await
        .expect("the checker's thread");
}

fn run_checker(body: &str, expect: &str) {
    let python = match std::env::var("MASTHEAD_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            assert!(
                std::env::var_os("MASTHEAD_TEST_REQUIRE_PYTHON").is_none(),
                "MASTHEAD_TEST_REQUIRE_PYTHON is set but MASTHEAD_TEST_PYTHON is not: set it to \
                 a Python with pyld and rdflib"
            );
            eprintln!(
                "python checker unavailable (MASTHEAD_TEST_PYTHON is not set): JSON-LD not checked"
            );
            return;
        }
    };
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/structured_data/check.py"
    );
    let file = tempfile_with(body);
    let out = Command::new(&python)
        .args([script, file.to_str().expect("path"), expect])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "the JSON-LD was refused: {}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `body` written to a file of its own in the temporary directory.
fn tempfile_with(body: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("masthead-jsonld-{}.json", uuid::Uuid::now_v7()));
    std::fs::write(&path, body).expect("JSON-LD written for the checker");
    path
}
