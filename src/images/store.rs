//! Where image files live: content-addressed keys behind a small trait, so that an object
//! store can follow the file system.

use std::io::Write;
use std::path::{Path, PathBuf};

/// A place to keep files by key. Writes are atomic: a reader (or a crash) never sees half a file.
pub trait MediaStore: Send + Sync {
    /// Stores `bytes` under `key` (replacing nothing: the same key always holds the same bytes).
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// Whether `key` is stored.
    fn exists(&self, key: &str) -> bool;
    /// The bytes under `key`.
    fn read(&self, key: &str) -> std::io::Result<Vec<u8>>;
    /// A local path to stream `key` from.
    fn local_path(&self, key: &str) -> PathBuf;
    /// Removes `key` (no error if it is not there).
    fn delete(&self, key: &str) -> std::io::Result<()>;
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
}

impl MediaStore for FsStore {
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.local_path(key);
        if path.exists() {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        // Written beside its final name, flushed, then renamed: atomic on one file system.
        let temp = dir.join(format!(".tmp-{}", uuid::Uuid::now_v7().simple()));
        let result = (|| {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &path)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    fn exists(&self, key: &str) -> bool {
        self.local_path(key).is_file()
    }

    fn read(&self, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.local_path(key))
    }

    fn local_path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn delete(&self, key: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.local_path(key)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puts_are_atomic_and_idempotent() {
        let root = std::env::temp_dir().join(format!("masthead-store-{}", uuid::Uuid::now_v7()));
        let store = FsStore::new(&root);
        let key = original_key("abcdef", "jpg");
        assert_eq!(key, "originals/ab/abcdef.jpg");
        store.put(&key, b"one").unwrap();
        store.put(&key, b"one").unwrap();
        assert_eq!(store.read(&key).unwrap(), b"one");
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
        assert_eq!(store.read(&key).unwrap(), b"one");
        store.delete(&key).unwrap();
        store.delete(&key).unwrap();
        assert!(!store.exists(&key));
        let _ = std::fs::remove_dir_all(root);
    }
}
