//! Renditions: made on first request, kept, and never made twice at once.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::sniff::Format;
use super::store::{MediaStore, rendition_key};

/// JPEG quality of renditions: visually clean for news photos at a fraction of the size.
const JPEG_QUALITY: u8 = 82;

/// The format a rendition of `format` is written in (GIF renditions are still PNGs).
pub fn rendition_format(format: Format) -> Format {
    match format {
        Format::Gif => Format::Png,
        other => other,
    }
}

fn locks() -> &'static Mutex<HashMap<String, Arc<Mutex<()>>>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    LOCKS.get_or_init(Default::default)
}

/// Makes sure the rendition of the original under `original_key` at `width` is stored; returns
/// its key and whether this call made it. Concurrent calls for the same rendition wait for the
/// first one instead of making it again. Blocking: run it off the async workers.
pub fn ensure(
    store: &dyn MediaStore,
    original_key: &str,
    hash: &str,
    format: Format,
    width: u32,
) -> Result<(String, bool), String> {
    let out_format = rendition_format(format);
    let key = rendition_key(hash, width, out_format.extension());
    if store.exists(&key) {
        return Ok((key, false));
    }
    let lock = {
        let mut map = locks()
            .lock()
            .map_err(|_| "rendition lock poisoned".to_owned())?;
        map.entry(key.clone()).or_default().clone()
    };
    let made = {
        let _guard = lock
            .lock()
            .map_err(|_| "rendition lock poisoned".to_owned())?;
        if store.exists(&key) {
            false
        } else {
            let original = store
                .read(original_key)
                .map_err(|e| format!("cannot read the original: {e}"))?;
            let bytes = make(&original, out_format, width)?;
            store
                .put(&key, &bytes)
                .map_err(|e| format!("cannot store the rendition: {e}"))?;
            true
        }
    };
    if let Ok(mut map) = locks().lock() {
        // The map holds one reference and `lock` another: nobody else is waiting on it.
        if map.get(&key).is_some_and(|l| Arc::strong_count(l) <= 2) {
            map.remove(&key);
        }
    }
    Ok((key, made))
}

/// Decodes with limits (the upload was checked, but the file is read again here) and turns the
/// picture upright as its EXIF orientation says.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(1024 * 1024 * 1024);
    decoder.set_limits(limits).map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(orientation) = orientation {
        img.apply_orientation(orientation);
    }
    Ok(img)
}

/// Scales `original` to `width` and encodes it.
fn make(original: &[u8], format: Format, width: u32) -> Result<Vec<u8>, String> {
    let mut img = decode(original)?;
    // The height the API states for this width (`scaled_height`), exactly: letting each step
    // keep the aspect ratio rounds twice, and a 3:2 photo's 320 rendition came out 214 high
    // where the API said 213.
    let (full_width, full_height) = (img.width(), img.height());
    let height = super::scaled_height(full_width, full_height, width);
    // Much wider than the rendition: first average it down to twice the rendition's width (an
    // integer box filter, no intermediate buffer) and drop the full-size picture, so that
    // Catmull-Rom's f32 intermediate is sized by that rather than by the original.
    if full_width > width.saturating_mul(2) {
        let double = width.saturating_mul(2);
        img = img.thumbnail_exact(
            double,
            super::scaled_height(full_width, full_height, double),
        );
    }
    let img = img.resize_exact(width, height, FilterType::CatmullRom);
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            let rgb = img.to_rgb8();
            JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
        }
        Format::Png | Format::Gif => img
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| e.to_string())?,
        Format::Webp => DynamicImage::ImageRgba8(img.to_rgba8())
            .write_to(&mut Cursor::new(&mut out), ImageFormat::WebP)
            .map_err(|e| e.to_string())?,
    }
    Ok(out)
}
