//! Feeds as a subscriber reads them, and the independent parsers that must accept them
//! (`tests/feeds/check.py`: feedparser for RSS and Atom, the JSON Feed 1.1 schema for JSON).

use std::io::Write as _;
use std::process::{Command, Stdio};

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

/// Runs `tests/feeds/check.py` on `body` with `MASTHEAD_TEST_PYTHON` (a Python with
/// `feedparser` and `jsonschema`) and asserts it accepts the feed. Without that Python the
/// check is skipped with a note, unless `MASTHEAD_TEST_REQUIRE_PYTHON` is set (CI sets it),
/// and then that is a failure. The parsers run on a blocking thread, so the test's runtime (and
/// an in-process server on it) goes on meanwhile.
pub async fn parsers_accept(kind: &str, body: &str) {
    let (kind, body) = (kind.to_owned(), body.to_owned());
    actix_web::rt::task::spawn_blocking(move || run_parsers(&kind, &body))
        .await
        .expect("the parsers' thread");
}

fn run_parsers(kind: &str, body: &str) {
    let python = match std::env::var("MASTHEAD_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            assert!(
                std::env::var_os("MASTHEAD_TEST_REQUIRE_PYTHON").is_none(),
                "MASTHEAD_TEST_REQUIRE_PYTHON is set but MASTHEAD_TEST_PYTHON is not: set it to \
                 a Python with feedparser and jsonschema[format-nongpl]"
            );
            eprintln!(
                "python checker unavailable (MASTHEAD_TEST_PYTHON is not set): {kind} feed not parsed"
            );
            return;
        }
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/feeds/check.py");
    let mut child = Command::new(&python)
        .args([script, kind, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.as_bytes())
        .expect("feed written to the checker");
    let out = child.wait_with_output().expect("checker finished");
    assert!(
        out.status.success(),
        "the {kind} feed was refused: {}\n{body}",
        String::from_utf8_lossy(&out.stderr)
    );
}
