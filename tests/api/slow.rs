//! Slow and stalled clients: a body that does not arrive is answered 408 within its deadline, a
//! head that does not arrive closes the connection, and neither holds up anyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::rt::task::JoinHandle;

use crate::backend_tests;
use crate::helpers::{Backend, TestApp, spawn_app_with};

/// What a raw connection saw: the server's answer and when it came.
struct Seen {
    text: String,
    /// From the end of the sending to the answer's first byte (`None`: no answer).
    answered_after: Option<Duration>,
    /// Whether the server closed the connection within the wait.
    closed: bool,
}

/// Sends `request` on a connection of its own, then `trickle` bytes one at a time every
/// `interval` (as long as the server reads them), and reads whatever comes back for at most
/// `wait`. Blocking: run it off the test's runtime.
fn stall(addr: &str, request: &[u8], trickle: usize, interval: Duration, wait: Duration) -> Seen {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.write_all(request).expect("send the head");
    let sent = Instant::now();
    if trickle > 0 {
        let mut writer = stream.try_clone().expect("clone");
        std::thread::spawn(move || {
            for _ in 0..trickle {
                std::thread::sleep(interval);
                if writer.write_all(b" ").is_err() {
                    return;
                }
            }
        });
    }
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("read timeout");
    let mut answer = Vec::new();
    let mut answered_after = None;
    let mut closed = false;
    let mut buf = [0u8; 4096];
    while sent.elapsed() < wait {
        match stream.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => {
                answered_after.get_or_insert_with(|| sent.elapsed());
                answer.extend_from_slice(&buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    Seen {
        text: String::from_utf8_lossy(&answer).into_owned(),
        answered_after,
        closed,
    }
}

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Runs `stall` in the background.
fn stall_in_background(
    app: &TestApp,
    request: Vec<u8>,
    trickle: usize,
    interval: Duration,
) -> JoinHandle<Seen> {
    let addr = addr(app);
    actix_web::rt::task::spawn_blocking(move || {
        stall(&addr, &request, trickle, interval, Duration::from_secs(8))
    })
}

/// The answer is a 408 problem document and the connection was closed.
fn assert_timed_out(seen: &Seen) {
    assert!(
        seen.text.starts_with("HTTP/1.1 408"),
        "not a 408: {:?}",
        seen.text
    );
    assert!(
        seen.text.contains("application/problem+json")
            && seen.text.contains("urn:masthead:problem:request-timeout"),
        "not a problem document: {}",
        seen.text
    );
    assert!(seen.closed, "the connection stayed open: {}", seen.text);
}

/// For as long as any of the `stalled` connections lasts (so, whenever the server holds them),
/// liveness and a public read answer at once.
async fn others_are_served_while(app: &TestApp, stalled: &[&JoinHandle<Seen>]) {
    loop {
        others_are_served(app).await;
        if stalled.iter().all(|s| s.is_finished()) {
            return;
        }
    }
}

/// Meanwhile, liveness and a public read answer at once.
async fn others_are_served(app: &TestApp) {
    for path in ["/healthz", "/v1/articles", "/healthz"] {
        let started = Instant::now();
        let res = app.get(path).send().await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{path} took {:?}",
            started.elapsed()
        );
    }
}

async fn a_stalled_json_body_gets_408_within_the_deadline(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_BODY_TIMEOUT", "1s")]).await;
    let token = app.admin_token().await;

    // A complete head that promises a megabyte, then one byte of it.
    let request = format!(
        "POST /v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{{"
    );
    let stalled = stall_in_background(&app, request.into_bytes(), 0, Duration::ZERO);
    // While it waits, the server answers everyone else.
    others_are_served_while(&app, &[&stalled]).await;

    let seen = stalled.await.expect("joined");
    assert_timed_out(&seen);
    let after = seen.answered_after.expect("answered");
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_millis(2500),
        "answered after {after:?}, not about the 1 s deadline"
    );
    // Nothing was written.
    let drafts = app.get_as(&token, "/v1/articles?status=any").await;
    assert_eq!(
        drafts.json()["items"].as_array().map(Vec::len),
        Some(0),
        "{}",
        drafts.text
    );
}

async fn a_body_that_trickles_past_the_deadline_gets_408(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_BODY_TIMEOUT", "2s")]).await;
    let token = app.admin_token().await;

    // A byte every 300 ms passes any pause-between-pieces check; the deadline is for the body.
    let request = format!(
        "POST /v1/articles HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
    );
    let seen = stall_in_background(&app, request.into_bytes(), 30, Duration::from_millis(300))
        .await
        .expect("joined");
    assert_timed_out(&seen);
    let after = seen.answered_after.expect("answered");
    assert!(
        after >= Duration::from_millis(1900) && after < Duration::from_millis(3500),
        "answered after {after:?}, not about the 2 s deadline"
    );
}

async fn a_stalled_upload_gets_408_after_a_pause(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_BODY_TIMEOUT", "1s")]).await;
    let token = app.admin_token().await;

    let part = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\
                Content-Type: image/jpeg\r\n\r\n\u{1}\u{2}";
    let request = format!(
        "POST /v1/images HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n{part}"
    );
    let stalled = stall_in_background(&app, request.into_bytes(), 0, Duration::ZERO);
    others_are_served_while(&app, &[&stalled]).await;

    let seen = stalled.await.expect("joined");
    assert_timed_out(&seen);
    let after = seen.answered_after.expect("answered");
    assert!(
        after >= Duration::from_millis(900) && after < Duration::from_millis(2500),
        "answered after {after:?}, not about the 1 s pause allowed"
    );
    let library = app.get_as(&token, "/v1/images").await;
    assert_eq!(
        library.json()["items"].as_array().map(Vec::len),
        Some(0),
        "{}",
        library.text
    );
}

async fn an_upload_is_bounded_in_total_too(backend: Backend) {
    let app = spawn_app_with(
        &backend,
        &[
            ("MASTHEAD_BODY_TIMEOUT", "1s"),
            ("MASTHEAD_UPLOAD_TIMEOUT", "2s"),
        ],
    )
    .await;
    let token = app.admin_token().await;

    let part = "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx";
    let request = format!(
        "POST /v1/images HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n{part}"
    );
    // Never a pause of a second, yet never done.
    let seen = stall_in_background(&app, request.into_bytes(), 30, Duration::from_millis(300))
        .await
        .expect("joined");
    assert_timed_out(&seen);
    let after = seen.answered_after.expect("answered");
    assert!(
        after >= Duration::from_millis(1900) && after < Duration::from_millis(3500),
        "answered after {after:?}, not about the 2 s upload deadline"
    );
}

async fn a_head_that_never_ends_and_an_idle_connection_are_closed(backend: Backend) {
    let app = spawn_app_with(&backend, &[("MASTHEAD_HEAD_TIMEOUT", "1s")]).await;

    let partial = stall_in_background(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n".to_vec(),
        0,
        Duration::ZERO,
    );
    let idle = stall_in_background(&app, Vec::new(), 0, Duration::ZERO);
    others_are_served_while(&app, &[&partial, &idle]).await;

    let partial = partial.await.expect("joined");
    // actix answers this one itself, before any of our code runs: a bare 408.
    assert!(
        partial.text.starts_with("HTTP/1.1 408"),
        "{:?}",
        partial.text
    );
    assert!(partial.closed);
    let after = partial.answered_after.expect("answered");
    assert!(
        after < Duration::from_millis(2500),
        "answered after {after:?}"
    );
    let idle = idle.await.expect("joined");
    assert!(
        idle.closed,
        "an idle connection stayed open: {:?}",
        idle.text
    );
}

backend_tests!(
    a_stalled_json_body_gets_408_within_the_deadline,
    a_body_that_trickles_past_the_deadline_gets_408,
    a_stalled_upload_gets_408_after_a_pause,
    an_upload_is_bounded_in_total_too,
    a_head_that_never_ends_and_an_idle_connection_are_closed,
);
