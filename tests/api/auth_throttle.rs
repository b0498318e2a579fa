//! Login throttling: failed logins slow their client down, never the account's owner elsewhere.
//!
//! Every test trusts the loopback proxy, so that `X-Forwarded-For` plays many clients.

use serde_json::json;

use crate::backend_tests;
use crate::helpers::*;

/// Small allowances and a one-second first backoff, so that nothing waits long (and a test that
/// must see a backoff pass moves the server's clock forward).
async fn spawn_throttled(backend: &Backend, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("MASTHEAD_TRUSTED_PROXIES", "127.0.0.1"),
        ("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT_CLIENT", "3"),
        ("MASTHEAD_LOGIN_FAILURES_PER_CLIENT", "6"),
        ("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT", "100"),
        ("MASTHEAD_LOGIN_BACKOFF", "1s"),
    ];
    settings.extend_from_slice(extra);
    let app = spawn_app_with(backend, &settings).await;
    // Backoffs pass only when a test moves the clock, not because a slow password check did.
    app.clock.freeze();
    app
}

async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> Resp {
    app.post("/v1/auth/login")
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
}

#[track_caller]
fn assert_throttled(res: &Resp) -> u64 {
    assert_problem(res, 429, "too-many-requests");
    res.header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds")
}

async fn wrong_passwords_end_in_429_with_retry_after(backend: Backend) {
    let app = spawn_throttled(&backend, &[]).await;
    for _ in 0..3 {
        let res = login_from(&app, "203.0.113.9", ADMIN_EMAIL, "guess").await;
        assert_problem(&res, 401, "unauthorized");
    }
    // Even the right password waits: a throttled attempt is not checked at all.
    let res = login_from(&app, "203.0.113.9", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(assert_throttled(&res), 1);
    // An email with no account is throttled alike, so 429 tells nothing about who exists.
    for _ in 0..3 {
        let res = login_from(&app, "203.0.113.10", "nobody@newsroom.example", "guess").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = login_from(&app, "203.0.113.10", "nobody@newsroom.example", "guess").await;
    assert_eq!(assert_throttled(&res), 1);
    // The operator sees it (the counters are the process's, shared by every test server).
    let metrics = app.get("/metrics").send().await;
    let counted = metrics
        .text
        .lines()
        .find(|l| l.contains(r#"login_throttled_total{key="account_client"}"#))
        .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
    assert!(counted >= Some(2.0), "{}", metrics.text);
}

async fn the_owner_still_logs_in_while_an_attacker_is_throttled(backend: Backend) {
    let app = spawn_throttled(&backend, &[("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT", "6")]).await;
    // The owner's usual network, known to the account from an earlier login.
    let usual = "198.51.100.8";
    let res = login_from(&app, usual, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Three attackers, two guesses each: the account's allowance of six is spent.
    for attacker in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..2 {
            let res = login_from(&app, attacker, ADMIN_EMAIL, "guess").await;
            assert_problem(&res, 401, "unauthorized");
        }
    }
    // Each attacker is now held back by the account's backoff (its own allowance is not spent).
    let res = login_from(&app, "203.0.113.1", ADMIN_EMAIL, "guess").await;
    assert!(assert_throttled(&res) >= 1);

    // The owner from a network with no failures gets in with the right password...
    let res = login_from(&app, "192.0.2.77", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        res.status, 200,
        "a fresh client is not locked out: {}",
        res.text
    );
    // ... and from the usual network, even after a typo.
    let res = login_from(&app, usual, ADMIN_EMAIL, "typo").await;
    assert_problem(&res, 401, "unauthorized");
    let res = login_from(&app, usual, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(
        res.status, 200,
        "a known client is not locked out: {}",
        res.text
    );
}

async fn one_client_guessing_across_many_accounts_is_slowed(backend: Backend) {
    let app = spawn_throttled(&backend, &[]).await;
    let sprayer = "203.0.113.50";
    for i in 0..6 {
        let email = format!("desk{i}@newsroom.example");
        let res = login_from(&app, sprayer, &email, "Spring2026!").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = login_from(&app, sprayer, ADMIN_EMAIL, "Spring2026!").await;
    assert_eq!(assert_throttled(&res), 1);
    // Anyone else is unaffected.
    let res = login_from(&app, "192.0.2.1", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text);
}

async fn the_backoff_doubles_with_each_further_failure(backend: Backend) {
    let app = spawn_throttled(
        &backend,
        &[("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT_CLIENT", "2")],
    )
    .await;
    let attacker = "203.0.113.20";
    for _ in 0..2 {
        let res = login_from(&app, attacker, ADMIN_EMAIL, "guess").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = login_from(&app, attacker, ADMIN_EMAIL, "guess").await;
    let first = assert_throttled(&res);
    assert_eq!(first, 1);
    // The wait, skipped on the server's clock rather than waited out.
    app.clock.advance(std::time::Duration::from_secs(first));
    let res = login_from(&app, attacker, ADMIN_EMAIL, "guess").await;
    assert_problem(&res, 401, "unauthorized");
    let res = login_from(&app, attacker, ADMIN_EMAIL, "guess").await;
    let second = assert_throttled(&res);
    assert_eq!(second, 2, "the wait doubles");
}

async fn a_successful_login_clears_the_clients_failures(backend: Backend) {
    let app = spawn_throttled(&backend, &[]).await;
    let client = "198.51.100.30";
    for _ in 0..2 {
        let res = login_from(&app, client, ADMIN_EMAIL, "typo").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = login_from(&app, client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text);
    // The whole allowance again: without the reset, the second typo would have been the last.
    for _ in 0..3 {
        let res = login_from(&app, client, ADMIN_EMAIL, "typo").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = login_from(&app, client, ADMIN_EMAIL, "typo").await;
    assert_throttled(&res);
}

async fn a_flood_of_logins_is_turned_away_and_health_answers(backend: Backend) {
    let app = spawn_throttled(
        &backend,
        &[
            ("MASTHEAD_LOGIN_QUEUE", "1"),
            ("MASTHEAD_LOGIN_FAILURES_PER_CLIENT", "1000"),
        ],
    )
    .await;
    // Forty clients at once, each with one guess: more than one core and one place in line.
    let app = &app;
    let flood = (0..40).map(|i| {
        let client = format!("203.0.113.{i}");
        async move { login_from(app, &client, ADMIN_EMAIL, "guess").await }
    });
    let (responses, health) = futures_util::future::join(
        futures_util::future::join_all(flood),
        app.get("/healthz").send(),
    )
    .await;
    assert_eq!(health.status, 200);
    let mut turned_away = 0;
    for res in &responses {
        if res.status == 429 {
            assert_eq!(assert_throttled(res), 1);
            turned_away += 1;
        } else {
            assert_problem(res, 401, "unauthorized");
        }
    }
    assert!(turned_away > 0, "a full line turns logins away");
    // Turned away is not a failure: a client turned away keeps its whole allowance.
    let shed = responses.iter().position(|r| r.status == 429).unwrap();
    let client = format!("203.0.113.{shed}");
    for _ in 0..2 {
        let res = login_from(app, &client, ADMIN_EMAIL, "guess").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = login_from(app, &client, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text);
}

backend_tests!(
    wrong_passwords_end_in_429_with_retry_after,
    the_owner_still_logs_in_while_an_attacker_is_throttled,
    one_client_guessing_across_many_accounts_is_slowed,
    the_backoff_doubles_with_each_further_failure,
    a_successful_login_clears_the_clients_failures,
    a_flood_of_logins_is_turned_away_and_health_answers,
);
