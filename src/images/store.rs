//! Where image files live: content-addressed keys behind one async trait, with two places to
//! keep them: a directory (the default) and an S3-compatible bucket (`object_store`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer, or answered with an error of its own (a network failure, a
    /// timeout, a 5xx, refused credentials): media operations answer 503 until it is back.
    #[error("the media store is unavailable: {0}")]
    Unavailable(String),
    /// The local file system failed.
    #[error("media store: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored object's bytes, as a stream.
pub struct Object {
    /// Its length in bytes.
    pub size: u64,
    /// Its bytes, in chunks.
    pub body: BoxStream<'static, Result<Bytes, StoreError>>,
}

impl Object {
    /// Collects the whole object.
    pub async fn bytes(mut self) -> Result<Bytes, StoreError> {
        let mut out = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        while let Some(chunk) = self.body.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out.into())
    }
}

/// One listed object.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Its key.
    pub key: String,
    /// Its length in bytes.
    pub size: u64,
    /// When it was last written.
    pub modified: SystemTime,
}

/// A place to keep files by key. A key always holds the same bytes (keys name content hashes),
/// and a write is whole or absent: no reader, and no crash, ever sees half an object.
#[async_trait::async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores `bytes` under `key`. Storing a key again is harmless, and marks it as written now
    /// (so the orphan sweep's grace period starts again).
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError>;
    /// Stores `bytes` under `key` only if nothing is there yet: `true` if this call stored them,
    /// `false` if the key was already taken (by this instance or another one).
    async fn put_new(&self, key: &str, bytes: Bytes) -> Result<bool, StoreError>;
    /// The size of what `key` holds, or `None`.
    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError>;
    /// What `key` holds, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError>;
    /// Removes `key` (no error if it is not there).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Every key under `prefix` (`originals/`, `renditions/`).
    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError>;
    /// What this store is, for logs and messages (`file:///srv/media`, `s3://bucket/prefix`).
    fn describe(&self) -> String;
}

/// Files under a directory.
pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    /// A store rooted at `root` (created on first write). Temporary files that a crash left
    /// mid-write (`.tmp-*`, never renamed into place) are removed.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let store = Self { root: root.into() };
        store.remove_leftovers(&store.root, 0);
        store
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    /// Removes `.tmp-*` files under `dir` (keys are at most a few directories deep).
    fn remove_leftovers(&self, dir: &Path, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && depth < 4 {
                self.remove_leftovers(&path, depth + 1);
            } else if !is_dir && entry.file_name().to_string_lossy().starts_with(".tmp-") {
                match std::fs::remove_file(&path) {
                    Ok(()) => tracing::info!(file = %path.display(), "removed a file a crash left"),
                    Err(e) => tracing::warn!(file = %path.display(), error = %e, "cannot remove"),
                }
            }
        }
    }

    /// Writes `bytes` beside `path`, flushed, then links it into place: atomic on one file
    /// system. With `replace`, an existing file is kept (same key, same bytes) and its time
    /// renewed; without, an existing file means `false`.
    fn write(path: &Path, bytes: &[u8], replace: bool) -> std::io::Result<bool> {
        if path.exists() {
            if replace {
                std::fs::File::options()
                    .write(true)
                    .open(path)?
                    .set_modified(SystemTime::now())?;
            }
            return Ok(false);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let temp = dir.join(format!(".tmp-{}", uuid::Uuid::now_v7().simple()));
        let result = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            // A hard link fails when the name is taken, so two writers never both "create" it.
            let created = match std::fs::hard_link(&temp, path) {
                Ok(()) => true,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
                Err(e) => return Err(e),
            };
            std::fs::remove_file(&temp)?;
            std::fs::File::open(dir)?.sync_all()?;
            Ok(created)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    fn walk(dir: &Path, root: &Path, out: &mut Vec<Listed>) -> std::io::Result<()> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            let meta = entry.metadata()?;
            if meta.is_dir() {
                Self::walk(&path, root, out)?;
            } else if !entry.file_name().to_string_lossy().starts_with(".tmp-")
                && let Ok(relative) = path.strip_prefix(root)
            {
                out.push(Listed {
                    key: relative.to_string_lossy().replace('\\', "/"),
                    size: meta.len(),
                    modified: meta.modified()?,
                });
            }
        }
        Ok(())
    }
}

/// Runs blocking file work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, StoreError> {
    actix_web::web::block(work)
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e.to_string())))?
        .map_err(StoreError::Io)
}

#[async_trait::async_trait]
impl MediaStore for FsStore {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        let path = self.path(key);
        blocking(move || Self::write(&path, &bytes, true).map(|_| ())).await
    }

    async fn put_new(&self, key: &str, bytes: Bytes) -> Result<bool, StoreError> {
        let path = self.path(key);
        blocking(move || Self::write(&path, &bytes, false)).await
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let path = self.path(key);
        blocking(move || match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(meta.len())),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        let path = self.path(key);
        // Files here are at most an upload's size: read whole, off the workers, as before.
        let bytes = blocking(move || match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await?;
        Ok(bytes.map(|bytes| Object {
            size: bytes.len() as u64,
            body: futures_util::stream::once(async move { Ok(Bytes::from(bytes)) }).boxed(),
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key);
        blocking(move || match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let root = self.root.clone();
        let dir = self.path(prefix.trim_end_matches('/'));
        blocking(move || {
            let mut out = Vec::new();
            Self::walk(&dir, &root, &mut out)?;
            Ok(out)
        })
        .await
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}

/// Objects in an S3-compatible bucket, under a prefix.
///
/// Its requests run on a runtime of its own (one thread), so that connections outlive no
/// server worker and the command line and background jobs use it the same way.
pub struct S3Store {
    inner: Arc<dyn object_store::ObjectStore>,
    prefix: String,
    url: String,
    runtime: tokio::runtime::Handle,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// How long one request to the store may take before the media operation answers 503.
const S3_TIMEOUT: Duration = Duration::from_secs(30);
const S3_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl S3Store {
    /// A store on `bucket` under `prefix`, with the `AWS_*` options (lowercased names) given.
    /// Nothing is sent until the first request.
    pub fn new(bucket: &str, prefix: &str, options: &[(String, String)]) -> Result<Self, String> {
        // Client options first: setting them replaces any given before (AWS_ALLOW_HTTP is one).
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_timeout(S3_TIMEOUT)
                    .with_connect_timeout(S3_CONNECT_TIMEOUT),
            )
            // A store that is down answers 503 within seconds rather than minutes of retries.
            .with_retry(object_store::RetryConfig {
                backoff: object_store::BackoffConfig::default(),
                max_retries: 2,
                retry_timeout: Duration::from_secs(5),
            });
        for (key, value) in options {
            let key = key
                .parse::<object_store::aws::AmazonS3ConfigKey>()
                .map_err(|e| format!("{}: {e}", key.to_uppercase()))?;
            builder = builder.with_config(key, value);
        }
        let inner = builder.build().map_err(|e| e.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the media store's runtime: {e}"))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("media-store".to_owned())
            .spawn(move || {
                // Drives every request until the store is dropped.
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| format!("cannot start the media store's thread: {e}"))?;
        let prefix = prefix.trim_matches('/').to_owned();
        Ok(Self {
            inner: Arc::new(inner),
            url: format!("s3://{bucket}/{prefix}"),
            prefix,
            runtime: handle,
            _stop: stop,
        })
    }

    fn path(&self, key: &str) -> object_store::path::Path {
        if self.prefix.is_empty() {
            object_store::path::Path::from(key)
        } else {
            object_store::path::Path::from(format!("{}/{key}", self.prefix))
        }
    }

    /// Runs `work` on the store's runtime.
    async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, StoreError>> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.runtime
            .spawn(work)
            .await
            .map_err(|e| StoreError::Unavailable(format!("the request was lost: {e}")))?
    }
}

fn unavailable(e: object_store::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait::async_trait]
impl MediaStore for S3Store {
    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), StoreError> {
        let (inner, path) = (self.inner.clone(), self.path(key));
        self.run(async move {
            inner
                .put(&path, bytes.into())
                .await
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
    }

    async fn put_new(&self, key: &str, bytes: Bytes) -> Result<bool, StoreError> {
        let (inner, path) = (self.inner.clone(), self.path(key));
        self.run(async move {
            let options = object_store::PutOptions::from(object_store::PutMode::Create);
            match inner.put_opts(&path, bytes.into(), options).await {
                Ok(_) => Ok(true),
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => Ok(false),
                Err(e) => Err(unavailable(e)),
            }
        })
        .await
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        let (inner, path) = (self.inner.clone(), self.path(key));
        self.run(async move {
            match inner.head(&path).await {
                Ok(meta) => Ok(Some(meta.size)),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(unavailable(e)),
            }
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<Option<Object>, StoreError> {
        let (inner, path) = (self.inner.clone(), self.path(key));
        // The body is read on the store's runtime and handed over through a short channel, so
        // a slow client holds back the download rather than buffering it.
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, StoreError>>(4);
        let size = self
            .run(async move {
                let result = match inner.get(&path).await {
                    Ok(result) => result,
                    Err(object_store::Error::NotFound { .. }) => return Ok(None),
                    Err(e) => return Err(unavailable(e)),
                };
                let size = result.meta.size;
                let mut stream = result.into_stream();
                tokio::spawn(async move {
                    while let Some(chunk) = stream.next().await {
                        let chunk = chunk.map_err(unavailable);
                        let failed = chunk.is_err();
                        if tx.send(chunk).await.is_err() || failed {
                            break;
                        }
                    }
                });
                Ok(Some(size))
            })
            .await?;
        Ok(size.map(|size| Object {
            size,
            body: futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|chunk| (chunk, rx))
            })
            .boxed(),
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let (inner, path) = (self.inner.clone(), self.path(key));
        self.run(async move {
            match inner.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(unavailable(e)),
            }
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StoreError> {
        let inner = self.inner.clone();
        let path = self.path(prefix.trim_end_matches('/'));
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        self.run(async move {
            let mut stream = inner.list(Some(&path));
            let mut out = Vec::new();
            while let Some(meta) = stream.next().await {
                let meta = meta.map_err(unavailable)?;
                let key = meta.location.as_ref();
                out.push(Listed {
                    key: key.strip_prefix(&strip).unwrap_or(key).to_owned(),
                    size: meta.size,
                    modified: meta.last_modified.into(),
                });
            }
            Ok(out)
        })
        .await
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}

/// Opens the store the settings name.
pub fn open(setting: &crate::config::MediaStoreSetting) -> Result<Arc<dyn MediaStore>, String> {
    Ok(match setting {
        crate::config::MediaStoreSetting::Dir(dir) => Arc::new(FsStore::new(dir.clone())),
        crate::config::MediaStoreSetting::S3(s3) => {
            Arc::new(S3Store::new(&s3.bucket, &s3.prefix, &s3.options)?)
        }
    })
}

/// The key of an original: `originals/ab/abcdef….jpg`.
pub fn original_key(hash: &str, extension: &str) -> String {
    format!(
        "originals/{}/{hash}.{extension}",
        &hash[..2.min(hash.len())]
    )
}

/// The key of a rendition: `renditions/ab/abcdef…-w640.jpg`.
pub fn rendition_key(hash: &str, width: u32, extension: &str) -> String {
    format!(
        "renditions/{}/{hash}-w{width}.{extension}",
        &hash[..2.min(hash.len())]
    )
}

/// The content hash a key names (`originals/ab/abc.jpg` and `renditions/ab/abc-w640.jpg` both
/// name `abc`), or `None` for a key that is not one of ours.
pub fn hash_of_key(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next()?;
    let stem = name.split('.').next()?;
    let hash = match stem.rsplit_once("-w") {
        Some((hash, width)) if width.chars().all(|c| c.is_ascii_digit()) => hash,
        _ => stem,
    };
    (!hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit())).then_some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn puts_are_atomic_and_idempotent() {
        let root = std::env::temp_dir().join(format!("masthead-store-{}", uuid::Uuid::now_v7()));
        let store = FsStore::new(&root);
        let key = original_key("abcdef", "jpg");
        assert_eq!(key, "originals/ab/abcdef.jpg");
        store.put(&key, Bytes::from_static(b"one")).await.unwrap();
        store.put(&key, Bytes::from_static(b"one")).await.unwrap();
        let read = store
            .get(&key)
            .await
            .unwrap()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(&read[..], b"one");
        let leftovers = std::fs::read_dir(root.join("originals/ab"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
        // A crash mid-write leaves a temporary file; the next start removes it.
        let crashed = root.join("originals/ab/.tmp-0193");
        std::fs::write(&crashed, b"half").unwrap();
        let store = FsStore::new(root.clone());
        assert!(!crashed.exists());
        assert_eq!(store.size(&key).await.unwrap(), Some(3));
        let listed = store.list("originals/").await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, key);
        store.delete(&key).await.unwrap();
        store.delete(&key).await.unwrap();
        assert_eq!(store.size(&key).await.unwrap(), None);
        assert!(store.get(&key).await.unwrap().is_none());
        let _ = std::fs::remove_dir_all(root);
    }

    #[actix_web::test]
    async fn only_the_first_put_new_creates_a_key() {
        let root = std::env::temp_dir().join(format!("masthead-store-{}", uuid::Uuid::now_v7()));
        let store = FsStore::new(&root);
        let key = rendition_key("abcdef", 320, "jpg");
        assert!(store.put_new(&key, Bytes::from_static(b"a")).await.unwrap());
        assert!(!store.put_new(&key, Bytes::from_static(b"a")).await.unwrap());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn keys_name_their_hash() {
        assert_eq!(hash_of_key("originals/ab/abcdef.jpg"), Some("abcdef"));
        assert_eq!(hash_of_key("renditions/ab/abcdef-w640.png"), Some("abcdef"));
        assert_eq!(hash_of_key("renditions/ab/notes.txt"), None);
    }
}
