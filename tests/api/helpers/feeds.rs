//! Feeds as a subscriber reads them, and the independent parsers that must accept them
//! (`tests/feeds/check.py`: feedparser for RSS and Atom, the JSON Feed 1.1 schema for JSON).

use super::python::python_accepts;
use super::{Resp, TestApp};

impl TestApp {
    /// `GET /v1/feeds/{kind}` followed by `rest` (`""`, `/sections/{slug}`, `/tags/{slug}`,
    /// `/authors/{slug}`).
    pub async fn feed(&self, kind: &str, rest: &str) -> Resp {
        self.get(&format!("/v1/feeds/{kind}{rest}")).send().await
    }

    /// The feed, asserting a 200 with the kind's content type that the parsers accept.
    pub async fn accepted_feed(&self, kind: &str, rest: &str) -> Resp {
        let res = self.feed(kind, rest).await;
        assert_eq!(res.status, 200, "{kind}{rest}: {}", res.text);
        let expected = match kind {
            "rss" => "application/rss+xml; charset=utf-8",
            "atom" => "application/atom+xml; charset=utf-8",
            _ => "application/feed+json; charset=utf-8",
        };
        assert_eq!(res.header("content-type"), Some(expected), "{kind}{rest}");
        parsers_accept(kind, &res.text).await;
        res
    }
}

/// Asserts that the independent parsers accept the `kind` feed `body` (`tests/feeds/check.py`:
/// feedparser for RSS and Atom, the JSON Feed 1.1 schema for JSON).
pub async fn parsers_accept(kind: &str, body: &str) {
    python_accepts(
        "tests/feeds/check.py",
        vec![kind.to_owned(), "-".to_owned()],
        body.to_owned(),
        format!("{kind} feed"),
    )
    .await;
}
