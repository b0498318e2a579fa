//! `masthead media migrate`: copies a media directory into another store (a bucket), key by
//! key, skipping what is already there, so that an interrupted copy can simply be run again.

use std::io::Write;

use super::store::{FsStore, MediaStore, StoreError};

/// How a copy went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Objects copied.
    pub copied: usize,
    /// Objects already in the destination with the same size (keys are content hashes).
    pub skipped: usize,
}

/// How many keys are copied at once.
const AT_ONCE: usize = 16;

/// Copies every original and rendition under `from` into `to`, writing a progress line to
/// `progress` (stderr) as it goes.
pub async fn run(
    from: &FsStore,
    to: &dyn MediaStore,
    progress: &mut dyn Write,
) -> Result<Copied, StoreError> {
    let mut keys = from.list("originals/").await?;
    keys.extend(from.list("renditions/").await?);
    let total = keys.len();
    let mut done = Copied::default();
    for batch in keys.chunks(AT_ONCE) {
        let copies = batch.iter().map(|listed| async move {
            if to.size(&listed.key).await? == Some(listed.size) {
                return Ok::<_, StoreError>(false);
            }
            let bytes = from
                .get(&listed.key)
                .await?
                .ok_or_else(|| {
                    StoreError::Io(std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        format!("{} went away during the copy", listed.key),
                    ))
                })?
                .bytes()
                .await?;
            to.put(&listed.key, bytes).await?;
            Ok(true)
        });
        for copied in futures_util::future::join_all(copies).await {
            if copied? {
                done.copied += 1;
            } else {
                done.skipped += 1;
            }
        }
        let _ = write!(
            progress,
            "\r{}/{total} objects: {} copied, {} already there",
            done.copied + done.skipped,
            done.copied,
            done.skipped
        );
        let _ = progress.flush();
    }
    let _ = writeln!(progress);
    Ok(done)
}
