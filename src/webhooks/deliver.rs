//! The delivery worker: one thread per instance with a small async runtime of its own, woken by
//! this instance's commits and polling for the rest (other instances' events, retries coming
//! due, deliveries a crashed instance held). It claims due deliveries with a lease (on
//! PostgreSQL skipping rows another instance is claiming, so each is sent by one instance),
//! sends them concurrently with a deadline each and a cap per endpoint (so one slow endpoint
//! never holds up another), and records every attempt.
//!
//! Delivery is at least once: a message keeps its `webhook-id` on every attempt, so receivers
//! can drop repeats. Retries back off exponentially with full jitter until three days (by
//! default) after the event was due; then the endpoint is disabled with the reason.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::Semaphore;

use super::model::{self, AttemptRow, Claimed, Next};
use super::{Wake, sign, target};
use crate::config::WebhookSettings;
use crate::db::{self, Db};
use crate::error::ApiResult;
use crate::ids::WebhookId;

/// Messages in flight at once, across all endpoints.
const IN_FLIGHT: usize = 32;
/// Messages in flight at once to one endpoint.
const PER_ENDPOINT: usize = 4;
/// Due deliveries looked at per claim.
const LOOK_AHEAD: i64 = 200;
/// Waits before each retry, in multiples of the base (5 s by default: 5 s, 5 min, 30 min, 2 h,
/// 5 h, 10 h, 10 h, then 14 h), each drawn at random up to that (full jitter).
const WAITS: [u32; 8] = [1, 60, 360, 1_440, 3_600, 7_200, 7_200, 10_080];
/// Delivered events are forgotten after this long.
const KEEP_EVENTS: TimeDelta = TimeDelta::days(30);

/// Starts the worker on a thread of its own; it ends once the database or the wake-up is gone.
pub fn start(db: Weak<Db>, wake: Weak<Wake>, settings: WebhookSettings) {
    let spawned = std::thread::Builder::new()
        .name("masthead-webhooks".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => runtime.block_on(run(db, wake, settings)),
                Err(e) => tracing::error!(error = %e, "cannot start the webhook worker"),
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the webhook worker");
    }
}

/// What the worker's tasks share.
struct Worker {
    db: Weak<Db>,
    wake: Weak<Wake>,
    settings: WebhookSettings,
    client: reqwest::Client,
    /// Names this instance's claims.
    instance: String,
    slots: Arc<Semaphore>,
    busy: Mutex<HashMap<WebhookId, usize>>,
    /// Attempts made and not yet recorded: written together, one transaction for all that
    /// ended while the previous batch was being written.
    outcomes: Mutex<Vec<(Claimed, AttemptRow, Next)>>,
}

async fn run(db: Weak<Db>, wake: Weak<Wake>, settings: WebhookSettings) {
    let client = match client(&settings) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client");
            return;
        }
    };
    let worker = Arc::new(Worker {
        db,
        wake,
        settings,
        client,
        instance: db::new_id(),
        slots: Arc::new(Semaphore::new(IN_FLIGHT)),
        busy: Mutex::default(),
        outcomes: Mutex::default(),
    });
    let mut last_cleanup = Instant::now();
    loop {
        if let Err(e) = pump(&worker).await {
            tracing::warn!(error = %e, "cannot claim webhook deliveries");
        }
        if last_cleanup.elapsed() > Duration::from_secs(3_600) {
            last_cleanup = Instant::now();
            if let Some(db) = worker.db.upgrade() {
                let before = db::now() - KEEP_EVENTS;
                let _ = tokio::task::spawn_blocking(move || {
                    db.write_blocking(|c| Ok(model::forget_old(c, before)?))
                })
                .await;
            }
        }
        let Some(wake) = worker.wake.upgrade() else {
            return;
        };
        let _ = tokio::time::timeout(worker.settings.poll, wake.poked()).await;
        if worker.db.strong_count() == 0 {
            return;
        }
    }
}

/// Claims what is due and free slots allow, and starts sending it.
async fn pump(worker: &Arc<Worker>) -> ApiResult<()> {
    loop {
        let free = worker.slots.available_permits();
        if free == 0 {
            return Ok(());
        }
        let Some(db) = worker.db.upgrade() else {
            return Ok(());
        };
        let now = db::now();
        let reader = db.clone();
        let due =
            blocking(move || reader.read_blocking(|c| Ok(model::due(c, now, LOOK_AHEAD)?))).await?;
        let picked = pick(&due, free, &worker.busy_counts());
        if picked.is_empty() {
            return Ok(());
        }
        let (instance, lease) = (worker.instance.clone(), lease(&worker.settings));
        let asked = picked.len();
        let claimed = blocking(move || {
            db.write_blocking(|c| {
                let ids = model::claim(c, &picked, &instance, now, now + lease)?;
                Ok(model::claimed(c, &ids, now)?)
            })
        })
        .await?;
        for delivery in claimed {
            let Ok(permit) = worker.slots.clone().try_acquire_owned() else {
                break;
            };
            worker.hold(&delivery.endpoint_id, 1);
            let worker = worker.clone();
            tokio::spawn(async move {
                deliver(&worker, &delivery).await;
                worker.hold(&delivery.endpoint_id, -1);
                drop(permit);
                // A slot is free: more may be waiting.
                if let Some(wake) = worker.wake.upgrade() {
                    wake.poke();
                }
            });
        }
        if asked < free || due.len() < usize::try_from(LOOK_AHEAD).unwrap_or(usize::MAX) {
            return Ok(());
        }
    }
}

impl Worker {
    fn busy_counts(&self) -> HashMap<WebhookId, usize> {
        self.busy.lock().map(|b| b.clone()).unwrap_or_default()
    }

    fn hold(&self, endpoint: &WebhookId, change: isize) {
        if let Ok(mut busy) = self.busy.lock() {
            let count = busy.entry(endpoint.clone()).or_default();
            *count = count.saturating_add_signed(change);
            if *count == 0 {
                busy.remove(endpoint);
            }
        }
    }
}

/// Up to `free` of the `due` deliveries, at most [`PER_ENDPOINT`] in flight per endpoint.
fn pick(due: &[(String, WebhookId)], free: usize, busy: &HashMap<WebhookId, usize>) -> Vec<String> {
    let mut counts = busy.clone();
    let mut picked = Vec::new();
    for (delivery, endpoint) in due {
        if picked.len() == free {
            break;
        }
        let count = counts.entry(endpoint.clone()).or_default();
        if *count < PER_ENDPOINT {
            *count += 1;
            picked.push(delivery.clone());
        }
    }
    picked
}

/// How long a claim holds: longer than any attempt takes.
fn lease(settings: &WebhookSettings) -> TimeDelta {
    TimeDelta::from_std(settings.timeout * 2).unwrap_or(TimeDelta::minutes(1))
        + TimeDelta::seconds(10)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(crate::error::ApiError::internal)?
}

/// One attempt, recorded with what follows from it.
async fn deliver(worker: &Worker, claimed: &Claimed) {
    let started = Instant::now();
    let attempted_at = db::now();
    let (status_code, error) = send(worker, claimed).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let next = match &error {
        None => Next::Delivered,
        Some(error) => next_after(
            &worker.settings,
            claimed.attempts + 1,
            claimed.due_since,
            db::now(),
            error,
        ),
    };
    let attempt = AttemptRow {
        id: db::new_id(),
        delivery_id: claimed.delivery_id.clone(),
        endpoint_id: claimed.endpoint_id.clone(),
        event_id: claimed.event_id.clone(),
        event_type: claimed.event_type,
        attempted_at,
        status_code,
        duration_ms,
        error,
    };
    let first = match worker.outcomes.lock() {
        Ok(mut outcomes) => {
            outcomes.push((claimed.clone(), attempt, next));
            outcomes.len() == 1
        }
        Err(_) => false,
    };
    // The first outcome of a batch writes it, with whatever ended meanwhile.
    if first {
        tokio::task::yield_now().await;
        record(worker).await;
    }
}

/// Writes the outcomes waiting, in one transaction.
async fn record(worker: &Worker) {
    let batch = match worker.outcomes.lock() {
        Ok(mut outcomes) => std::mem::take(&mut *outcomes),
        Err(_) => return,
    };
    let Some(db) = worker.db.upgrade() else {
        return;
    };
    let instance = worker.instance.clone();
    let recorded = blocking(move || {
        db.write_blocking(|c| {
            for (claimed, attempt, next) in batch {
                model::record(c, &claimed, &instance, attempt, &next)?;
            }
            Ok(())
        })
    })
    .await;
    if let Err(e) = recorded {
        // Their leases run out and the messages are sent again: at least once.
        tracing::warn!(error = %e, "cannot record webhook attempts");
    }
}

/// Sends the message; the endpoint's status code, and what went wrong (`None` for a 2xx).
async fn send(worker: &Worker, claimed: &Claimed) -> (Option<i32>, Option<String>) {
    let url = match reqwest::Url::parse(&claimed.url) {
        Ok(url) => url,
        Err(e) => return (None, Some(format!("the URL is not valid: {e}"))),
    };
    // Names are checked as they resolve (see `Guarded`); addresses here.
    if !worker.settings.allow_private {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal.filter(|ip| target::is_private(*ip)) {
            return (None, Some(format!("refused: {ip} is a private address")));
        }
    }
    let timestamp = chrono::Utc::now().timestamp();
    let keys: Vec<Vec<u8>> = claimed
        .secrets
        .iter()
        .filter_map(|s| sign::key_of(s))
        .collect();
    let signature = sign::header(
        &keys,
        &claimed.event_id,
        timestamp,
        claimed.payload.as_bytes(),
    );
    let sent = worker
        .client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &claimed.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(claimed.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) => {
            let status = response.status();
            let code = Some(i32::from(status.as_u16()));
            if status.is_success() {
                (code, None)
            } else {
                (code, Some(format!("the endpoint answered {status}")))
            }
        }
        Err(e) => (
            e.status().map(|s| i32::from(s.as_u16())),
            Some(describe(&e, &worker.settings)),
        ),
    }
}

/// A failed send in a sentence, with its causes.
fn describe(error: &reqwest::Error, settings: &WebhookSettings) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", settings.timeout.as_secs_f64());
    }
    let mut text = if error.is_connect() {
        "cannot connect".to_owned()
    } else if error.is_redirect() {
        "redirects are not followed".to_owned()
    } else {
        "cannot send".to_owned()
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(500).collect()
}

/// After failed attempt number `attempts`: a retry after a random wait up to the schedule's
/// (full jitter), or giving up once the event has been due for `give_up_after` (three days).
fn next_after(
    settings: &WebhookSettings,
    attempts: i32,
    due_since: NaiveDateTime,
    now: NaiveDateTime,
    error: &str,
) -> Next {
    let horizon = TimeDelta::from_std(settings.give_up_after).unwrap_or(TimeDelta::days(3));
    if now - due_since >= horizon {
        return Next::GiveUp(format!(
            "disabled after {attempts} failed attempts over {} min; the last: {error}",
            (now - due_since).num_minutes()
        ));
    }
    let step = usize::try_from(attempts - 1)
        .unwrap_or(0)
        .min(WAITS.len() - 1);
    let cap = settings.retry_base.saturating_mul(WAITS[step]);
    let cap_us = u64::try_from(cap.as_micros()).unwrap_or(u64::MAX);
    let wait_us = random_u64() % cap_us.saturating_add(1);
    let wait = TimeDelta::microseconds(i64::try_from(wait_us).unwrap_or(i64::MAX));
    Next::RetryAt(now + wait)
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// The HTTP client: rustls, no redirects, no proxy, a deadline per attempt, and names resolved
/// through [`Guarded`].
fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(settings.timeout)
        .timeout(settings.timeout)
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("Masthead-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(Guarded {
            allow_private: settings.allow_private,
        }))
        .build()
}

/// Resolves a webhook's host and refuses it when any of its addresses is private: the client
/// connects only to the addresses returned here, so the check and the connection see the same
/// answer (a name re-pointed between them cannot slip through).
struct Guarded {
    allow_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            if !allow_private && let Some(bad) = addrs.iter().find(|a| target::is_private(a.ip())) {
                return Err(format!(
                    "refused: {host} resolves to {}, a private address",
                    bad.ip()
                )
                .into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_at_most_the_schedule_then_give_up_after_three_days() {
        let settings = WebhookSettings::default();
        let due = db::now();
        for (attempt, cap) in [(1, 5), (2, 300), (3, 1_800), (9, 50_400)] {
            let Next::RetryAt(at) = next_after(&settings, attempt, due, due, "x") else {
                panic!("attempt {attempt} should be retried");
            };
            assert!(
                at >= due && at <= due + TimeDelta::seconds(cap),
                "attempt {attempt}"
            );
        }
        let later = due + TimeDelta::days(3);
        assert!(matches!(
            next_after(&settings, 14, due, later, "HTTP 500"),
            Next::GiveUp(reason) if reason.contains("HTTP 500")
        ));
    }

    #[actix_web::test]
    async fn names_resolving_to_private_addresses_are_refused_unless_allowed() {
        use std::str::FromStr;
        let name = || Name::from_str("localhost").unwrap_or_else(|_| unreachable!());
        let refused = Guarded {
            allow_private: false,
        }
        .resolve(name())
        .await;
        let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("private address"), "{error}");
        let allowed = Guarded {
            allow_private: true,
        }
        .resolve(name())
        .await;
        assert!(allowed.is_ok_and(|mut addrs| addrs.all(|a| a.ip().is_loopback())));
    }

    #[test]
    fn picks_at_most_a_few_per_endpoint() {
        let (a, b) = (WebhookId::from("a"), WebhookId::from("b"));
        let due: Vec<_> = (0..10)
            .map(|i| (format!("a{i}"), a.clone()))
            .chain([("b0".to_owned(), b.clone())])
            .collect();
        let picked = pick(&due, 32, &HashMap::from([(a.clone(), 1)]));
        assert_eq!(picked, ["a0", "a1", "a2", "b0"]);
        assert_eq!(pick(&due, 2, &HashMap::new()).len(), 2);
    }
}
