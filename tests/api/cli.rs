//! The `masthead` command: user creation, migrate, openapi, and clear start-up errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::backend_tests;
use crate::helpers::*;

pub fn masthead(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_masthead"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MASTHEAD_DATA_DIR", dir)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn user_create_makes_an_account_that_can_log_in(backend: Backend) {
    let db = TestDb::new(&backend);
    let url = db.url.clone();
    let out = masthead(
        db.dir(),
        &[
            ("DATABASE_URL", &url),
            ("MASTHEAD_PASSWORD", "from the environment"),
        ],
        &[
            "user",
            "create",
            "--email",
            "Night.Desk@newsroom.example",
            "--role",
            "editor",
            "--name",
            "Night Desk",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("created editor Night.Desk@newsroom.example"),
        "{}",
        text(&out.stdout)
    );

    let piped = masthead(
        db.dir(),
        &[("DATABASE_URL", &url)],
        &[
            "user",
            "create",
            "--email",
            "writer@newsroom.example",
            "--role",
            "writer",
        ],
        Some("from standard input\n"),
    );
    assert!(piped.status.success(), "{}", text(&piped.stderr));

    let duplicate = masthead(
        db.dir(),
        &[
            ("DATABASE_URL", &url),
            ("MASTHEAD_PASSWORD", "from the environment"),
        ],
        &[
            "user",
            "create",
            "--email",
            "night.desk@newsroom.example",
            "--role",
            "writer",
        ],
        None,
    );
    assert!(!duplicate.status.success());
    assert!(
        text(&duplicate.stderr).contains("already exists"),
        "{}",
        text(&duplicate.stderr)
    );

    let weak = masthead(
        db.dir(),
        &[("DATABASE_URL", &url), ("MASTHEAD_PASSWORD", "short")],
        &[
            "user",
            "create",
            "--email",
            "weak@newsroom.example",
            "--role",
            "writer",
        ],
        None,
    );
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("password"),
        "{}",
        text(&weak.stderr)
    );

    let bad_role = masthead(
        db.dir(),
        &[("DATABASE_URL", &url)],
        &[
            "user",
            "create",
            "--email",
            "a@b.example",
            "--role",
            "owner",
        ],
        None,
    );
    assert!(!bad_role.status.success());
    assert!(
        text(&bad_role.stderr).contains("admin, editor or writer"),
        "{}",
        text(&bad_role.stderr)
    );

    let map = settings(&db, &[]);
    let app = start(db, map).await;
    let tokens = app
        .login("night.desk@newsroom.example", "from the environment")
        .await;
    let me = app.me(&tokens.access).await.json();
    assert_eq!(me["role"], "editor");
    assert_eq!(me["display_name"], "Night Desk");
    app.login("writer@newsroom.example", "from standard input")
        .await;
}

async fn migrate_applies_and_reports(backend: Backend) {
    let db = TestDb::new(&backend);
    let out = masthead(db.dir(), &[("DATABASE_URL", &db.url)], &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("migrations are up to date"));
}

/// `masthead seed`: the bulk path fills an archive that lists, filters and searches like one
/// written through the API (publication order, tags, full-text index merged after the load).
async fn seed_fills_an_archive_that_lists_filters_and_searches(backend: Backend) {
    let db = TestDb::new(&backend);
    let out = masthead(
        db.dir(),
        &[
            ("DATABASE_URL", &db.url),
            ("MASTHEAD_ADMIN_EMAIL", ADMIN_EMAIL),
            ("MASTHEAD_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ],
        &["seed", "--articles", "750"],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("seeded 750/750 articles"));
    let map = settings(&db, &[]);
    let app = start(db, map).await;

    // Every article once, newest first, across pages.
    let (mut seen, mut times) = (std::collections::HashSet::new(), Vec::new());
    let mut path = "/v1/articles?limit=100".to_owned();
    loop {
        let page = app.get(&path).send().await;
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["status"], "published");
            assert!(seen.insert(item["id"].as_str().unwrap().to_owned()));
            times.push(item["published_at"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/articles?limit=100&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 750);
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");

    // A tag filter returns only articles with that tag.
    let tagged = app.get("/v1/articles?tag=council&limit=100").send().await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    let tagged = tagged.json()["items"].as_array().unwrap().clone();
    assert!(!tagged.is_empty());
    for item in &tagged {
        let tags = item["tags"].as_array().unwrap();
        assert!(tags.iter().any(|t| t == "council"), "{item}");
    }

    // Search finds the word, in the headline, standfirst or body of each result.
    let found = app.get("/v1/articles?q=Council&limit=5").send().await;
    assert_eq!(found.status, 200, "{}", found.text);
    let found = found.json()["items"].as_array().unwrap().clone();
    assert_eq!(found.len(), 5);
    for item in &found {
        let article = app
            .get(&format!("/v1/articles/{}", item["slug"].as_str().unwrap()))
            .send()
            .await
            .json();
        assert!(
            article.to_string().to_lowercase().contains("council"),
            "{article}"
        );
    }
    let nothing = app.get("/v1/articles?q=zzyzx").send().await.json();
    assert_eq!(nothing["items"].as_array().unwrap().len(), 0);

    // The admin the seed made from the environment can sign in.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

backend_tests!(
    user_create_makes_an_account_that_can_log_in,
    migrate_applies_and_reports,
    seed_fills_an_archive_that_lists_filters_and_searches
);

#[test]
fn bad_settings_are_all_reported_before_anything_starts() {
    let dir = std::env::temp_dir().join(format!("masthead-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = masthead(
        &dir,
        &[
            ("MASTHEAD_JWT_SECRET", "too-short"),
            ("MASTHEAD_BIND", "everywhere"),
            ("MASTHEAD_ACCESS_TOKEN_TTL", "a while"),
        ],
        &["serve"],
        None,
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    for key in [
        "MASTHEAD_JWT_SECRET",
        "MASTHEAD_BIND",
        "MASTHEAD_ACCESS_TOKEN_TTL",
    ] {
        assert!(err.contains(key), "{key} not reported: {err}");
    }
    assert!(!dir.join("masthead.db").exists());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unreachable_postgres_is_reported_with_the_drivers_own_words() {
    let dir = std::env::temp_dir().join(format!("masthead-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = masthead(
        &dir,
        &[("DATABASE_URL", "postgres://masthead@127.0.0.1:1/masthead")],
        &["migrate"],
        None,
    );
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot connect to the postgres database"),
        "{err}"
    );
    assert!(err.to_lowercase().contains("connection refused"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn openapi_prints_the_committed_document_and_help_reads_well() {
    let dir = std::env::temp_dir();
    let out = masthead(&dir, &[], &["openapi"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    assert_eq!(printed, committed);

    let help = masthead(&dir, &[], &["--help"], None);
    let help = text(&help.stdout);
    for word in [
        "serve",
        "migrate",
        "user",
        "openapi",
        "headless content API",
    ] {
        assert!(help.contains(word), "{word} missing from --help: {help}");
    }
}
