//! Removing image files: an image's objects when it is deleted, and, in the background, objects
//! whose row never committed (an upload that failed or crashed between its two writes) or whose
//! delete could not reach the store.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use super::store::{MediaStore, StoreError, hash_of_key, original_key, rendition_key};
use super::{RENDITION_WIDTHS, format_of_mime, model, render};
use crate::db::Db;

/// Removes an image's original and every rendition it may have. A failure is logged: what is
/// left has no row, so the sweep removes it later.
pub async fn remove_files(store: &dyn MediaStore, hash: &str, content_type: &str) {
    let Some(format) = format_of_mime(content_type) else {
        return;
    };
    let out = render::rendition_format(format);
    let keys = std::iter::once(original_key(hash, format.extension())).chain(
        RENDITION_WIDTHS
            .iter()
            .map(|w| rendition_key(hash, *w, out.extension())),
    );
    for key in keys {
        if let Err(e) = store.delete(&key).await {
            tracing::warn!(key, error = %e, "could not delete an image file; the sweep will");
            return;
        }
    }
}

/// Removes every object older than `grace` whose content hash no image row holds; returns how
/// many. The grace period covers uploads between their object and their row (an upload writes
/// the object again, renewing its time, even when the bytes were stored before).
pub async fn sweep_once(
    db: &Db,
    store: &dyn MediaStore,
    grace: Duration,
    now: SystemTime,
) -> Result<usize, String> {
    let mut by_hash: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for prefix in ["originals/", "renditions/"] {
        for listed in store.list(prefix).await.map_err(|e| e.to_string())? {
            let old = now
                .duration_since(listed.modified)
                .is_ok_and(|age| age >= grace);
            if let Some(hash) = hash_of_key(&listed.key).filter(|_| old) {
                by_hash
                    .entry(hash.to_owned())
                    .or_default()
                    .push(listed.key.clone());
            }
        }
    }
    let mut removed = 0;
    let hashes: Vec<String> = by_hash.keys().cloned().collect();
    for chunk in hashes.chunks(500) {
        let asked = chunk.to_vec();
        let known: HashSet<String> = db
            .read_blocking(move |conn| Ok(model::known_hashes(conn, &asked)?))
            .map_err(|e| e.to_string())?
            .into_iter()
            .collect();
        for hash in chunk.iter().filter(|h| !known.contains(*h)) {
            for key in by_hash.get(hash).into_iter().flatten() {
                store.delete(key).await.map_err(|e| e.to_string())?;
                tracing::info!(key, "removed a media object no image holds");
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// Sweeps the store every `interval` for objects older than `grace` that no image holds.
pub fn start(db: Weak<Db>, store: Weak<dyn MediaStore>, interval: Duration, grace: Duration) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the media sweep");
            return;
        }
    };
    crate::background::every(
        "media-sweep",
        (db, store),
        interval,
        move |(db, store): &(Arc<Db>, Arc<dyn MediaStore>)| {
            let swept = runtime.block_on(sweep_once(db, store.as_ref(), grace, SystemTime::now()));
            if let Err(e) = swept {
                tracing::warn!(error = %e, "the media sweep could not finish; it will try again");
            }
        },
    );
}

impl From<StoreError> for crate::error::ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(cause) => Self::MediaUnavailable(cause),
            StoreError::Io(e) => Self::internal(e),
        }
    }
}
