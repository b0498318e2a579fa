//! The independent checkers written in Python (`tests/feeds/check.py`, `tests/sitemaps/check.py`,
//! `tests/structured_data/check.py`), run with `MASTHEAD_TEST_PYTHON`: a Python with feedparser,
//! jsonschema, lxml, PyLD and rdflib. Without it a check is skipped with a note, unless
//! `MASTHEAD_TEST_REQUIRE_PYTHON` is set (CI sets it), and then that is a failure.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Runs `script` (a path under the crate) with `args` and `input` on stdin, on a blocking thread
/// so that the test's runtime (and an in-process server on it) goes on meanwhile, and asserts
/// that it accepts the input; `what` names the input in messages.
pub async fn python_accepts(script: &'static str, args: Vec<String>, input: String, what: String) {
    actix_web::rt::task::spawn_blocking(move || run(script, &args, &input, &what))
        .await
        .expect("the checker's thread");
}

fn run(script: &str, args: &[String], input: &str, what: &str) {
    let python = match std::env::var("MASTHEAD_TEST_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            assert!(
                std::env::var_os("MASTHEAD_TEST_REQUIRE_PYTHON").is_none(),
                "MASTHEAD_TEST_REQUIRE_PYTHON is set but MASTHEAD_TEST_PYTHON is not: set it to \
                 a Python with feedparser, jsonschema[format-nongpl], lxml, PyLD and rdflib"
            );
            eprintln!(
                "python checker unavailable (MASTHEAD_TEST_PYTHON is not set): {what} not checked"
            );
            return;
        }
    };
    let script = format!("{}/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(&python)
        .arg(&script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written to the checker");
    let out = child.wait_with_output().expect("checker finished");
    assert!(
        out.status.success(),
        "the {what} was refused: {}{}\n{input}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
