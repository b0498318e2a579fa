//! An article's structured data as a front end fetches it, and the independent check it must
//! pass (`tests/structured_data/check.py`: PyLD expansion to RDF, read with rdflib against the
//! schema.org vocabulary).

use serde_json::Value;

use super::python::python_accepts;
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

/// Asserts that an independent JSON-LD processor accepts `body` with every property and the
/// values in `expect` (`tests/structured_data/check.py`: PyLD, then rdflib).
pub async fn jsonld_accepted(body: &str, expect: &Value) {
    python_accepts(
        "tests/structured_data/check.py",
        vec!["-".to_owned(), expect.to_string()],
        body.to_owned(),
        "JSON-LD".to_owned(),
    )
    .await;
}
