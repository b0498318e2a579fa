//! Several instances on one PostgreSQL share the correction-report rate limit and the login
//! throttle (SQLite has one writer, so one instance, and keeps them in process): a limit spent
//! through one instance is spent through all.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

fn report(n: usize) -> Value {
    json!({"quote": "the budget", "suggestion": format!("Fix number {n}.")})
}

#[track_caller]
fn retry_after(res: &Resp) -> u64 {
    assert_problem(res, 429, "too-many-requests");
    res.header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds")
}

#[actix_web::test]
async fn the_correction_report_limit_holds_across_two_instances() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let first = spawn_app(&backend).await;
    let second = second_instance(&first, &[]).await;
    // Waits are measured on the servers' clock, which moves only when this test moves it.
    first.clock.freeze();
    let editor = first.admin_token().await;
    let article = first
        .create_article(
            &editor,
            &json!({"title": "Budget approved", "body": [{"type": "paragraph", "text": "We approved the budget."}]}),
        )
        .await;
    let id = article["id"].as_str().unwrap();
    first.publish_article(&editor, id).await;

    // Five a minute for one client (the default), through both instances together.
    for n in 0..5 {
        let app = if n % 2 == 0 { &first } else { &second };
        let res = app.report_correction(id, &report(n)).await;
        assert_eq!(res.status, 202, "report {n}: {}", res.text);
    }
    // The sixth waits through either; one report's share of the minute is twelve seconds.
    assert_eq!(
        retry_after(&second.report_correction(id, &report(5)).await),
        12
    );
    assert_eq!(
        retry_after(&first.report_correction(id, &report(6)).await),
        12
    );
    let stored = first.get_as(&editor, "/v1/corrections").await.json();
    assert_eq!(stored["items"].as_array().unwrap().len(), 5);

    // Twelve seconds later, one more, through either, and then a wait again.
    first.clock.advance(Duration::from_secs(12));
    let res = second.report_correction(id, &report(7)).await;
    assert_eq!(res.status, 202, "{}", res.text);
    assert_eq!(
        retry_after(&first.report_correction(id, &report(8)).await),
        12
    );

    // A full minute on, the client's row says nothing a missing one would not, and is pruned.
    first.clock.advance(Duration::from_secs(60));
    assert!(first.db.shared_limit_rows() > 0);
    let now = first.clock.clock().unix_micros();
    assert!(first.db.prune_shared_limits(now) > 0);
    assert_eq!(
        first.db.shared_limit_rows(),
        0,
        "only expired rows were kept"
    );
    for n in 9..14 {
        let res = first.report_correction(id, &report(n)).await;
        assert_eq!(res.status, 202, "a whole allowance again: {}", res.text);
    }
    assert_eq!(
        retry_after(&second.report_correction(id, &report(14)).await),
        12
    );
}

#[actix_web::test]
async fn a_login_backoff_earned_through_one_instance_holds_through_the_other() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let throttled = [
        ("MASTHEAD_TRUSTED_PROXIES", "127.0.0.1"),
        ("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT_CLIENT", "3"),
        ("MASTHEAD_LOGIN_FAILURES_PER_CLIENT", "6"),
        ("MASTHEAD_LOGIN_BACKOFF", "1s"),
    ];
    let first = spawn_app_with(&backend, &throttled).await;
    let second = second_instance(&first, &throttled).await;
    first.clock.freeze();
    let attacker = "203.0.113.9";
    for n in 0..3 {
        let app = if n % 2 == 0 { &first } else { &second };
        let res = app.try_login_from(attacker, ADMIN_EMAIL, "guess").await;
        assert_problem(&res, 401, "unauthorized");
    }
    // The allowance is spent across both: even the right password waits, through either.
    let res = second
        .try_login_from(attacker, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    assert_eq!(retry_after(&res), 1);
    let res = first.try_login_from(attacker, ADMIN_EMAIL, "guess").await;
    assert_eq!(retry_after(&res), 1);
    // The wait passes on the clock both read; the next failure doubles it for both.
    first.clock.advance(Duration::from_secs(1));
    let res = second.try_login_from(attacker, ADMIN_EMAIL, "guess").await;
    assert_problem(&res, 401, "unauthorized");
    let res = first.try_login_from(attacker, ADMIN_EMAIL, "guess").await;
    assert_eq!(retry_after(&res), 2, "the wait doubles");

    // The owner elsewhere logs in through either, and a success clears that client's failures
    // for both instances.
    let owner = "198.51.100.30";
    for app in [&first, &second] {
        let res = app.try_login_from(owner, ADMIN_EMAIL, "typo").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = second
        .try_login_from(owner, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    for _ in 0..3 {
        let res = first.try_login_from(owner, ADMIN_EMAIL, "typo").await;
        assert_problem(&res, 401, "unauthorized");
    }
    let res = second.try_login_from(owner, ADMIN_EMAIL, "typo").await;
    assert_eq!(retry_after(&res), 1);
}

/// Guesses sent at once through both instances take turns: exactly the allowance is checked.
#[actix_web::test]
async fn parallel_guesses_through_two_instances_do_not_slip_under_the_allowance() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let throttled = [
        ("MASTHEAD_TRUSTED_PROXIES", "127.0.0.1"),
        ("MASTHEAD_LOGIN_FAILURES_PER_ACCOUNT_CLIENT", "3"),
        ("MASTHEAD_LOGIN_QUEUE", "100"),
    ];
    let first = spawn_app_with(&backend, &throttled).await;
    let second = second_instance(&first, &throttled).await;
    first.clock.freeze();
    let (first, second) = (&first, &second);
    let guesses = (0..12).map(|n| async move {
        let app = if n % 2 == 0 { first } else { second };
        app.try_login_from("203.0.113.77", ADMIN_EMAIL, "guess")
            .await
    });
    let responses = futures_util::future::join_all(guesses).await;
    let checked = responses.iter().filter(|r| r.status == 401).count();
    for res in responses.iter().filter(|r| r.status != 401) {
        assert_eq!(retry_after(res), 1);
    }
    assert_eq!(checked, 3, "as many checked as allowed");
}

/// When the shared counters cannot be written, logins and reports are refused with 503 (a
/// limit that cannot count lets nobody through), everything else is served, and both work
/// again once the database does.
#[actix_web::test]
async fn limits_that_cannot_count_refuse_with_503_until_they_can() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(&backend).await;
    let editor = app.admin_token().await;
    let article = app
        .create_article(
            &editor,
            &json!({"title": "Ferry timetable", "body": [{"type": "paragraph", "text": "The ferry runs hourly."}]}),
        )
        .await;
    let id = article["id"].as_str().unwrap();
    app.publish_article(&editor, id).await;

    app.db.fail_shared_limits(true);
    let res = app.report_correction(id, &report(0)).await;
    assert_problem(&res, 503, "unavailable");
    assert_eq!(res.header("retry-after"), Some("5"));
    let res = app.try_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_problem(&res, 503, "unavailable");
    let read = app.get(&format!("/v1/articles/{id}")).send().await;
    assert_eq!(read.status, 200, "{}", read.text);
    let stored = app.get_as(&editor, "/v1/corrections").await.json();
    assert_eq!(
        stored["items"].as_array().unwrap().len(),
        0,
        "nothing half-written"
    );

    app.db.fail_shared_limits(false);
    let res = app.report_correction(id, &report(1)).await;
    assert_eq!(res.status, 202, "{}", res.text);
    let res = app.try_login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status, 200, "{}", res.text);
}
