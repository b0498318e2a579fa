//! An in-process cache of rendered public responses (bytes and ETag), so hot stories are served
//! without touching the database.
//!
//! Correctness rests on a generation counter. A response is stored with the generation that was
//! current *before* its data was read; it is served only while that generation is still current
//! and the time is before the next scheduled publication known then. Every content write bumps
//! the generation after it commits (on this instance at once; on other instances through the
//! `content_state` version they poll), so a stale page is never served once a write's response
//! has gone out, and a scheduled story appears the moment its time comes.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, Weak};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpResponse};

use crate::config::Config;
use crate::db::{Db, DbConn};
use crate::http::etag::{none_match, not_modified};

/// `X-Cache: hit | miss` on every cacheable request's response.
const X_CACHE: header::HeaderName = header::HeaderName::from_static("x-cache");

/// A stored response.
struct Entry {
    generation: u64,
    valid_until: i64,
    etag: String,
    headers: HeaderMap,
    body: Bytes,
}

/// Slots of the admission filter (8 bytes each).
const DOORKEEPER_SLOTS: usize = 1 << 16;

/// The cache: bounded by the bytes it holds, oldest entries evicted first.
///
/// A response is stored the second time its URL is asked for within a while, not the first (an
/// admission filter of URL hashes, as CDNs do): one-off URLs such as deep pages, rare searches
/// and crawlers' cache-busting parameters then neither push hot entries out nor fill memory, and
/// cost no copy of their body.
pub struct ResponseCache {
    generation: AtomicU64,
    /// The newest shared content version this instance has invalidated after (its own writes).
    invalidated_through: AtomicI64,
    /// The newest shared content version the watcher has read (`i64::MIN` before its first).
    seen_version: AtomicI64,
    doorkeeper: Box<[AtomicU64]>,
    hasher: std::hash::RandomState,
    /// (generation, microseconds of the next scheduled publication) once known.
    horizon: Mutex<(u64, Option<i64>)>,
    entries: RwLock<HashMap<String, std::sync::Arc<Entry>>>,
    order: Mutex<(VecDeque<String>, usize)>,
    max_bytes: usize,
    /// URLs being rendered for the cache now, each with a channel its waiters listen on.
    in_flight: Mutex<HashMap<String, tokio::sync::watch::Sender<()>>>,
    next_change: NextChange,
}

/// Reads when stored responses go stale by themselves: the time of the next scheduled change
/// to public content (a story's publication), if any. The features that schedule changes give
/// it; the cache knows nothing of their rows.
pub type NextChange = fn(&mut DbConn) -> diesel::QueryResult<Option<chrono::NaiveDateTime>>;

impl ResponseCache {
    /// A cache holding at most `max_bytes` of bodies, whose responses expire at the times
    /// `next_change` reads.
    pub fn new(max_bytes: usize, next_change: NextChange) -> Self {
        Self {
            generation: AtomicU64::new(1),
            invalidated_through: AtomicI64::new(i64::MIN),
            seen_version: AtomicI64::new(i64::MIN),
            doorkeeper: (0..DOORKEEPER_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: std::hash::RandomState::new(),
            horizon: Mutex::new((0, None)),
            entries: RwLock::new(HashMap::new()),
            order: Mutex::new((VecDeque::new(), 0)),
            max_bytes,
            in_flight: Mutex::new(HashMap::new()),
            next_change,
        }
    }

    /// Joins the render of `key` under way, or starts one: `Err` with a receiver that wakes when
    /// that render ends (stored or not), or `Ok` with the flight this request now leads.
    fn join_or_lead<'a>(
        &'a self,
        key: &str,
    ) -> Result<Flight<'a>, tokio::sync::watch::Receiver<()>> {
        let Ok(mut flights) = self.in_flight.lock() else {
            return Ok(Flight {
                cache: self,
                key: None,
            });
        };
        if let Some(sender) = flights.get(key) {
            return Err(sender.subscribe());
        }
        flights.insert(key.to_owned(), tokio::sync::watch::channel(()).0);
        Ok(Flight {
            cache: self,
            key: Some(key.to_owned()),
        })
    }

    /// Forgets everything rendered so far (content changed).
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Invalidates after this instance's write committed the shared content `version`; the
    /// watcher then knows that every version up to it is already reflected and does not
    /// invalidate again when it polls (which cost a second burst of misses after every write).
    pub fn invalidate_after(&self, version: i64) {
        self.invalidate();
        self.invalidated_through
            .fetch_max(version, Ordering::SeqCst);
    }

    /// The newest shared content version this instance has caught up with (what `/metrics`
    /// shows, so that an operator or a test can see instances agree), once the watcher has run.
    pub fn seen_version(&self) -> Option<i64> {
        Some(self.seen_version.load(Ordering::SeqCst)).filter(|v| *v != i64::MIN)
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn horizon_of(&self, generation: u64) -> Option<i64> {
        let h = self.horizon.lock().ok()?;
        (h.0 == generation).then_some(h.1).flatten()
    }

    fn set_horizon(&self, generation: u64, until: i64) {
        if let Ok(mut h) = self.horizon.lock() {
            *h = (generation, Some(until));
        }
    }

    /// Whether `key` was seen recently (then its response may be stored); remembers it if not.
    /// A slot holds one hash, so a collision at worst delays storing by a request.
    fn admit(&self, key: &str) -> bool {
        let hash = self.hasher.hash_one(key) | 1;
        let slot = usize::try_from(hash % DOORKEEPER_SLOTS as u64)
            .ok()
            .and_then(|i| self.doorkeeper.get(i));
        match slot {
            Some(slot) if slot.load(Ordering::Relaxed) == hash => true,
            Some(slot) => {
                slot.store(hash, Ordering::Relaxed);
                false
            }
            None => false,
        }
    }

    fn get(&self, key: &str, generation: u64, now: i64) -> Option<std::sync::Arc<Entry>> {
        let entries = self.entries.read().ok()?;
        entries
            .get(key)
            .filter(|e| e.generation == generation && now < e.valid_until)
            .cloned()
    }

    fn put(&self, key: String, entry: Entry) {
        let size = footprint(&key, &entry);
        if size > self.max_bytes / 8 {
            return;
        }
        let (Ok(mut entries), Ok(mut order)) = (self.entries.write(), self.order.lock()) else {
            return;
        };
        if let Some(old) = entries.insert(key.clone(), std::sync::Arc::new(entry)) {
            order.1 = order.1.saturating_sub(footprint(&key, &old));
        } else {
            order.0.push_back(key);
        }
        order.1 += size;
        while order.1 > self.max_bytes {
            let Some(oldest) = order.0.pop_front() else {
                break;
            };
            if let Some(gone) = entries.remove(&oldest) {
                order.1 = order.1.saturating_sub(footprint(&oldest, &gone));
            }
        }
    }
}

/// What an entry costs the cache's bound: its body, its key (twice: the map and the order),
/// its headers, and the bookkeeping around them. Counting only the body would let many small
/// responses (a flood of narrow `fields=` selections, each a few dozen bytes) hold several times
/// the bound in keys, headers and map slots.
fn footprint(key: &str, entry: &Entry) -> usize {
    let headers: usize = entry
        .headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + ENTRY_OVERHEAD / 4)
        .sum();
    entry.body.len() + 2 * key.len() + entry.etag.len() + headers + ENTRY_OVERHEAD
}

/// The bytes an entry holds besides its body, key and headers: the `Arc`d entry, its map slot
/// and order slot, and the allocators' rounding.
const ENTRY_OVERHEAD: usize = 256;

/// A render of a URL for the cache that other requests for it wait on. Ending it (dropped when
/// stored, on an error or when the client went away) wakes them.
struct Flight<'a> {
    cache: &'a ResponseCache,
    key: Option<String>,
}

impl Flight<'_> {
    /// Whether other requests are waiting for this render (then the URL was asked for twice).
    fn awaited(&self) -> bool {
        let Some(key) = &self.key else {
            return false;
        };
        self.cache
            .in_flight
            .lock()
            .ok()
            .and_then(|flights| flights.get(key).map(|s| s.receiver_count() > 0))
            .unwrap_or(false)
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if let (Some(key), Ok(mut flights)) = (self.key.take(), self.cache.in_flight.lock()) {
            // Dropping the sender wakes every receiver.
            flights.remove(&key);
        }
    }
}

/// How long a request waits for another's render of the same URL before rendering it itself.
const FLIGHT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether a request may be answered from the cache: an anonymous GET (or HEAD) of a public
/// read, with no preview token (a preview is neither served from the cache nor stored in it).
/// Image bytes are not cached here (they are files, with their own ETags).
fn cacheable(req: &ServiceRequest) -> bool {
    let method = req.method();
    if (method != Method::GET && method != Method::HEAD)
        || req.headers().contains_key(header::AUTHORIZATION)
        || crate::http::preview::carried(req.headers(), req.query_string())
    {
        return false;
    }
    let path = req.path();
    path.starts_with("/v1/articles")
        || path.starts_with("/v1/captions")
        || path.starts_with("/v1/sections")
        || path.starts_with("/v1/tags")
        || path.starts_with("/v1/authors")
        || path.starts_with("/v1/feeds")
        // The news sitemap's window moves with the clock, not with writes: rendered each time.
        || (path.starts_with("/v1/sitemaps") && path != "/v1/sitemaps/news.xml")
        || (path.starts_with("/v1/images/") && !path.ends_with("/file"))
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// The middleware's work: answers a cacheable request from `cache`, or renders it and stores
/// the response; any other request passes through.
pub async fn serve(
    cache: &ResponseCache,
    db: &Db,
    config: &Config,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !cacheable(&req) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let now = now_micros();
    // Responses carry absolute URLs: without a configured public URL they start with the host
    // the client asked for, which is then part of what the response is.
    let base = match &config.public_url {
        Some(_) => String::new(),
        None => crate::http::base::public_base(req.request(), config),
    };
    let key = match crate::http::fields::canonical_query(req.query_string()) {
        q if q.is_empty() => format!("{base}{}", req.path()),
        q => format!("{base}{}?{q}", req.path()),
    };

    // The generation and horizon are taken before anything is read.
    let generation = cache.generation();
    let horizon = match cache.horizon_of(generation) {
        Some(h) if now < h => h,
        Some(_) => {
            // A scheduled publication has come due: everything rendered before it is stale.
            cache.invalidate();
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body);
        }
        None => match db
            .read({
                let next_change = cache.next_change;
                move |conn| Ok(next_change(conn)?)
            })
            .await
        {
            Ok(next_at) => {
                let until = next_at.map_or(i64::MAX, |t| t.and_utc().timestamp_micros());
                cache.set_horizon(generation, until);
                until
            }
            Err(_) => {
                return next
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body);
            }
        },
    };

    if let Some(entry) = cache.get(&key, generation, now) {
        return Ok(hit(req, &entry));
    }
    // A burst for one URL (a story breaking) renders it once: the first request renders, the
    // others wait for it and are served what it stored. If it stored nothing (not a 200, or a
    // write came between), each renders for itself, as without the wait.
    let flight = match cache.join_or_lead(&key) {
        Ok(flight) => Some(flight),
        Err(mut done) => {
            let _ = actix_web::rt::time::timeout(FLIGHT_WAIT, done.changed()).await;
            // Checked against the generation and time as they are now: a write may have
            // committed, or a scheduled story come due, while this request waited.
            if let Some(entry) = cache.get(&key, cache.generation(), now_micros()) {
                return Ok(hit(req, &entry));
            }
            None
        }
    };

    // A revalidation is answered here too: the handler renders the whole response, which can
    // then be stored, and the 304 is made from it. Otherwise a client that only ever revalidates
    // (a CDN, a front end with the page in its cache) would reach the database every time.
    let validators: Vec<header::HeaderValue> = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .cloned()
        .collect();
    req.headers_mut().remove(header::IF_NONE_MATCH);
    let mut res = next.call(req).await?.map_into_boxed_body();
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let etag = res
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let fresh = etag
        .as_deref()
        .is_some_and(|tag| none_match(validators.iter(), tag));
    // Stored when asked for before, or by others while this render was under way.
    let awaited = flight.as_ref().is_some_and(Flight::awaited);
    let Some(etag) = etag.filter(|_| cache.admit(&key) | awaited) else {
        res.headers_mut()
            .insert(X_CACHE, header::HeaderValue::from_static("miss"));
        crate::metrics::cache(false);
        return Ok(if fresh { not_modified_from(res) } else { res });
    };
    let (http_req, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let body = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => return Err(actix_web::error::ErrorInternalServerError("body")),
    };
    let mut headers = HeaderMap::new();
    for (name, value) in head.headers() {
        if name != header::CONTENT_LENGTH && name != header::DATE {
            headers.append(name.clone(), value.clone());
        }
    }
    cache.put(
        key,
        Entry {
            generation,
            valid_until: horizon,
            etag,
            headers,
            body: body.clone(),
        },
    );
    let mut response = head.set_body(BoxBody::new(body));
    response
        .headers_mut()
        .insert(X_CACHE, header::HeaderValue::from_static("miss"));
    crate::metrics::cache(false);
    let res = ServiceResponse::new(http_req, response);
    Ok(if fresh { not_modified_from(res) } else { res })
}

/// A stored response: the 200, or a 304 when the request names its ETag.
fn hit(req: ServiceRequest, entry: &Entry) -> ServiceResponse<BoxBody> {
    let (http_req, _) = req.into_parts();
    let mut response = if not_modified(&http_req, &entry.etag) {
        not_modified_with(&entry.headers)
    } else {
        let mut response = HttpResponse::Ok().body(entry.body.clone());
        for (name, value) in &entry.headers {
            response.headers_mut().append(name.clone(), value.clone());
        }
        response
    };
    response
        .headers_mut()
        .insert(X_CACHE, header::HeaderValue::from_static("hit"));
    crate::metrics::cache(true);
    ServiceResponse::new(http_req, response)
}

/// The 304 for a rendered 200 whose ETag the request named: its headers, no body.
fn not_modified_from(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let (http_req, full) = res.into_parts();
    ServiceResponse::new(http_req, not_modified_with(full.headers()))
}

/// A 304 carrying a 200's headers, less those that describe its body.
fn not_modified_with(headers: &HeaderMap) -> HttpResponse {
    let mut response = HttpResponse::NotModified().finish();
    for (name, value) in headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

/// Polls the shared content version, so that writes through other instances (or the CLI)
/// invalidate this one's cache within `interval`. Stops when the database or the cache is gone.
pub fn watch_content_version(
    db: Weak<Db>,
    cache: Weak<ResponseCache>,
    interval: std::time::Duration,
) {
    // The version as of now, read before anything is cached: a change made between start-up
    // and the first poll must not go unnoticed.
    let initial = db
        .upgrade()
        .and_then(|db| db.read_blocking(crate::db::content_version).ok());
    let mut seen: Option<i64> = initial;
    let held = (db, cache);
    crate::background::every(
        "masthead-content-watch",
        held,
        interval,
        move |(db, cache)| {
            let version = db.read_blocking(crate::db::content_version);
            match (version, seen) {
                (Ok(v), Some(old)) if v != old => {
                    // Versions only grow, and every change up to one this instance wrote committed
                    // before its own invalidation: nothing newer to drop.
                    if v > cache.invalidated_through.load(Ordering::SeqCst) {
                        cache.invalidate();
                    }
                    seen = Some(v);
                }
                (Ok(v), None) => seen = Some(v),
                _ => {}
            }
            if let Some(v) = seen {
                cache.seen_version.fetch_max(v, Ordering::SeqCst);
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: &str) -> Entry {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static(crate::http::fields::SPARSE_JSON),
        );
        headers.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("public, max-age=60, stale-while-revalidate=30"),
        );
        Entry {
            generation: 1,
            valid_until: i64::MAX,
            etag: "\"v1-0123456789abcdef\"".to_owned(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn a_flood_of_distinct_small_variants_stays_within_the_bound() {
        let max_bytes = 256 * 1024;
        let cache = ResponseCache::new(max_bytes, |_| Ok(None));
        // Every subset of a dozen field names, each a tiny response: far more entries than fit.
        let names = [
            "id",
            "slug",
            "title",
            "standfirst",
            "excerpt",
            "status",
            "published_at",
            "authors",
            "section",
            "tags",
            "language",
            "version",
        ];
        for subset in 1u32..(1 << names.len()) {
            let fields: Vec<&str> = (0..names.len())
                .filter(|i| subset & (1 << i) != 0)
                .map(|i| names[i])
                .collect();
            let key = format!("/v1/articles/a-slug?fields={}", fields.join(","));
            cache.put(key, entry(r#"{"id":"0192"}"#));
        }
        let entries = cache.entries.read().unwrap();
        let order = cache.order.lock().unwrap();
        let held: usize = entries.iter().map(|(k, e)| footprint(k, e)).sum();
        assert_eq!(held, order.1, "the count matches what is held");
        assert!(held <= max_bytes, "{held} > {max_bytes}");
        assert!(
            entries.len() <= max_bytes / ENTRY_OVERHEAD,
            "{}",
            entries.len()
        );
        assert_eq!(entries.len(), order.0.len());
        // The newest are the ones kept.
        assert!(entries.contains_key(&format!("/v1/articles/a-slug?fields={}", names.join(","))));
    }

    #[test]
    fn permutations_of_a_selection_share_one_entry() {
        let cache = ResponseCache::new(1 << 20, |_| Ok(None));
        for q in [
            "fields=title,slug",
            "fields=slug,title",
            "fields=slug,title,slug",
        ] {
            let key = format!("/v1/articles?{}", crate::http::fields::canonical_query(q));
            cache.put(key, entry(r#"{"items":[],"next_cursor":null}"#));
        }
        assert_eq!(cache.entries.read().unwrap().len(), 1);
    }
}
