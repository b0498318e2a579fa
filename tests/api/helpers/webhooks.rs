//! Webhooks as a receiver sees them: a real HTTP server on a free port that records every
//! request and answers as told, signatures checked with the Standard Webhooks reference crate
//! (`standardwebhooks`, independent of the server's code); and the admin's calls.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use super::{Resp, TestApp, eventually};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// The event's type.
    pub fn kind(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    /// Whether the Standard Webhooks reference implementation verifies it with `secret`.
    pub fn verifies_with(&self, secret: &str) -> bool {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in [
            ("webhook-id", &self.id),
            ("webhook-timestamp", &self.timestamp),
            ("webhook-signature", &self.signature),
        ] {
            headers.insert(name, value.parse().expect("a header value"));
        }
        standardwebhooks::Webhook::new(secret)
            .expect("a whsec_ secret")
            .verify(&self.body, &headers)
            .is_ok()
    }
}

struct State {
    log: Mutex<Vec<Received>>,
    /// Requests still to answer with 500.
    failures: AtomicUsize,
    /// Whether it never answers.
    hangs: bool,
}

/// A webhook receiver on a free port of 127.0.0.1.
pub struct Receiver {
    pub url: String,
    state: Arc<State>,
    handle: ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // Stops it when the test ends (its port refuses connections after).
        drop(self.handle.stop(false));
    }
}

impl Receiver {
    /// A receiver answering 204 to everything.
    pub async fn start() -> Self {
        Self::failing_first(0).await
    }

    /// A receiver answering 500 to the first `failures` requests, then 204.
    pub async fn failing_first(failures: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        Self::on(listener, failures, false)
    }

    /// A receiver that takes every request and never answers.
    pub async fn hanging() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        Self::on(listener, 0, true)
    }

    /// A receiver on the port `port` (free again after [`free_port`]).
    pub fn on_port(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("the port is free again");
        Self::on(listener, 0, false)
    }

    fn on(listener: TcpListener, failures: usize, hangs: bool) -> Self {
        let port = listener.local_addr().expect("an address").port();
        let state = Arc::new(State {
            log: Mutex::default(),
            failures: AtomicUsize::new(failures),
            hangs,
        });
        let shared = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::from(shared.clone()))
                .default_service(web::to(record))
        })
        .workers(1)
        .listen(listener)
        .expect("listens")
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            state,
            handle,
        }
    }

    /// Everything received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.log.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came; returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        eventually(&format!("{n} webhook requests"), || async {
            let got = self.received();
            (got.len() >= n).then_some(got)
        })
        .await
    }

    /// Waits for an event of type `kind` (whose data passes `matches`), and returns it.
    pub async fn wait_for_event(&self, kind: &str, matches: impl Fn(&Value) -> bool) -> Received {
        eventually(&format!("a {kind} webhook"), || async {
            self.received()
                .into_iter()
                .find(|r| r.kind() == kind && matches(&r.json()["data"]))
        })
        .await
    }

    /// The types of the events received so far, in order.
    pub fn kinds(&self) -> Vec<String> {
        self.received().iter().map(Received::kind).collect()
    }
}

/// A port nothing listens on (until something binds it again).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port()
}

async fn record(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    state.log.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: body.to_vec(),
    });
    if state.hangs {
        actix_web::rt::time::sleep(std::time::Duration::from_secs(3_600)).await;
    }
    let fail = state
        .failures
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        HttpResponse::InternalServerError().body("not now")
    } else {
        HttpResponse::NoContent().finish()
    }
}

impl TestApp {
    /// `POST /v1/webhooks`, whatever the answer.
    pub async fn post_webhook(&self, token: &str, body: &Value) -> Resp {
        self.post_json(token, "/v1/webhooks", body).await
    }

    /// Registers `url` for `events` (asserting 201); returns the created endpoint with its secret.
    pub async fn create_webhook(&self, token: &str, url: &str, events: &[&str]) -> Value {
        let res = self
            .post_webhook(token, &json!({"url": url, "events": events}))
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
        res.json()
    }

    /// Registers `receiver` for every event type; returns (endpoint id, secret).
    pub async fn subscribe(&self, token: &str, receiver: &Receiver) -> (String, String) {
        let created = self.create_webhook(token, &receiver.url, &ALL_EVENTS).await;
        (
            created["id"].as_str().unwrap().to_owned(),
            created["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// `PATCH /v1/webhooks/{id}` with the current ETag.
    pub async fn update_webhook(&self, token: &str, id: &str, patch: &Value) -> Resp {
        let path = format!("/v1/webhooks/{id}");
        let etag = self.etag(&path, Some(token)).await;
        self.update(token, &path, &etag, patch).await
    }

    /// `POST /v1/webhooks/{id}/rotate-secret` (asserting 200); returns the new secret.
    pub async fn rotate_webhook_secret(&self, token: &str, id: &str) -> String {
        let res = self
            .post(&format!("/v1/webhooks/{id}/rotate-secret"))
            .bearer(token)
            .send()
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
        res.json()["secret"].as_str().unwrap().to_owned()
    }

    /// `POST /v1/webhooks/{id}/test`, whatever the answer.
    pub async fn ping_webhook(&self, token: &str, id: &str) -> Resp {
        self.post(&format!("/v1/webhooks/{id}/test"))
            .bearer(token)
            .send()
            .await
    }

    /// The endpoint's delivery attempts, newest first (one page of `limit`).
    pub async fn webhook_attempts(&self, token: &str, id: &str, limit: u32) -> Value {
        let res = self
            .get_as(
                token,
                &format!("/v1/webhooks/{id}/deliveries?limit={limit}"),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text);
        res.json()
    }
}

/// Every event type an endpoint may receive.
pub const ALL_EVENTS: [&str; 6] = [
    "article.published",
    "article.updated",
    "article.unpublished",
    "article.deleted",
    "correction.published",
    "image.updated",
];
