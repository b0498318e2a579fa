//! Renditions: made on first request, kept, and never made twice at once.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex, OnceLock};

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageBuffer, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::sniff::Format;
use super::store::{MediaStore, StoreError, rendition_key};

/// JPEG quality of renditions: visually clean for news photos at a fraction of the size.
const JPEG_QUALITY: u8 = 82;

/// The format a rendition of `format` is written in (GIF renditions are still PNGs).
pub fn rendition_format(format: Format) -> Format {
    match format {
        Format::Gif => Format::Png,
        other => other,
    }
}

/// The in-process locks of renditions being made: one per key, held across the decode, so that
/// concurrent requests on one instance wait for the first rather than each making it.
type KeyLock = Arc<tokio::sync::Mutex<()>>;

fn locks() -> &'static Mutex<HashMap<String, KeyLock>> {
    static LOCKS: OnceLock<Mutex<HashMap<String, KeyLock>>> = OnceLock::new();
    LOCKS.get_or_init(Default::default)
}

/// One caller's hold on the lock of the rendition under `key`. Dropping it, however `ensure`
/// ends (a panic in a decoder included), removes the map's entry when no other caller holds
/// that lock, so the map holds only renditions being made.
struct LockUse {
    key: String,
    lock: KeyLock,
}

impl LockUse {
    fn take(key: &str) -> Result<Self, String> {
        let mut map = locks()
            .lock()
            .map_err(|_| "rendition lock poisoned".to_owned())?;
        let lock = map.entry(key.to_owned()).or_default().clone();
        Ok(Self {
            key: key.to_owned(),
            lock,
        })
    }
}

impl Drop for LockUse {
    fn drop(&mut self) {
        // The map holds one reference and this use another: nobody else waits on it.
        if let Ok(mut map) = locks().lock()
            && map
                .get(&self.key)
                .is_some_and(|l| Arc::ptr_eq(l, &self.lock) && Arc::strong_count(l) <= 2)
        {
            map.remove(&self.key);
        }
    }
}

/// Why a rendition could not be had.
#[derive(Debug)]
pub enum EnsureError {
    /// The store failed (503 when it is unreachable).
    Store(StoreError),
    /// The original is missing, or cannot be decoded or scaled.
    Render(String),
}

impl From<StoreError> for EnsureError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// Makes sure the rendition of the original under `original_key` at `width` is stored; returns
/// its key and whether this call made it. Concurrent calls on this instance wait for the first;
/// across instances the store's create-if-absent write lets exactly one of them store it (and
/// say so), whichever finishes first.
pub async fn ensure(
    store: &dyn MediaStore,
    original_key: &str,
    hash: &str,
    format: Format,
    width: u32,
) -> Result<(String, bool), EnsureError> {
    let out_format = rendition_format(format);
    let key = rendition_key(hash, width, out_format.extension());
    if store.size(&key).await?.is_some() {
        return Ok((key, false));
    }
    let lock = LockUse::take(&key).map_err(EnsureError::Render)?;
    let _making = lock.lock.lock().await;
    if store.size(&key).await?.is_some() {
        return Ok((key, false));
    }
    let original = store
        .get(original_key)
        .await?
        .ok_or_else(|| EnsureError::Render(format!("the original {original_key} is missing")))?
        .bytes()
        .await?;
    let bytes = crate::work::heavy(move || make(&original, out_format, width))
        .await
        .map_err(|e| EnsureError::Render(e.to_string()))?
        .map_err(EnsureError::Render)?;
    let made = store.put_new(&key, bytes.into()).await?;
    Ok((key, made))
}

/// The most memory one decoded picture may take.
const MAX_DECODED_BYTES: usize = 1024 * 1024 * 1024;

/// Decodes with limits (the upload was checked, but the file is read again here) and turns the
/// picture upright as its EXIF orientation says.
pub fn decode(bytes: &[u8]) -> Result<DynamicImage, String> {
    if super::sniff::sniff(bytes) == Some(Format::Png) {
        return decode_png(bytes, MAX_DECODED_BYTES);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut decoder = reader.into_decoder().map_err(|e| e.to_string())?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES as u64);
    decoder.set_limits(limits).map_err(|e| e.to_string())?;
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| e.to_string())?;
    if let Some(orientation) = orientation {
        img.apply_orientation(orientation);
    }
    Ok(img)
}

/// Decodes a PNG to 8 bits a sample as it reads it, into no more than `max_bytes`.
///
/// The image crate decodes a 16-bit PNG to 16-bit pixels: twice the memory of the same picture in
/// 8 bits, for depth that no rendition, encoder or screen here keeps (figures in
/// bench/README.md). The png crate strips it row by row, so the only full-size buffer is the
/// 8-bit one. PNGs have at most four channels, so this bounds them all.
fn decode_png(bytes: &[u8], max_bytes: usize) -> Result<DynamicImage, String> {
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: max_bytes });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader
        .output_buffer_size()
        .filter(|n| *n <= max_bytes)
        .ok_or_else(|| format!("the decoded picture would take more than {max_bytes} bytes"))?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(|e| e.to_string())?;
    buffer.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    let picture = match frame.color_type {
        png::ColorType::Grayscale => {
            ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageLuma8)
        }
        png::ColorType::GrayscaleAlpha => {
            ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageLumaA8)
        }
        png::ColorType::Rgb => {
            ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageRgb8)
        }
        png::ColorType::Rgba => {
            ImageBuffer::from_raw(width, height, buffer).map(DynamicImage::ImageRgba8)
        }
        // EXPAND turns palettes into RGB(A).
        png::ColorType::Indexed => None,
    };
    let mut picture = picture.ok_or("the decoded pixels do not fill the picture")?;
    let orientation = reader
        .info()
        .exif_metadata
        .as_deref()
        .and_then(Orientation::from_exif_chunk);
    if let Some(orientation) = orientation {
        picture.apply_orientation(orientation);
    }
    Ok(picture)
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba};

    #[actix_web::test]
    async fn a_failed_rendition_leaves_no_lock_behind() {
        let root = std::env::temp_dir().join(format!("masthead-render-{}", uuid::Uuid::now_v7()));
        let store = crate::images::store::FsStore::new(root.clone());
        let hash = "deadbeef-no-such-original";
        let result = ensure(&store, "originals/de/none.jpg", hash, Format::Jpeg, 320).await;
        assert!(result.is_err());
        let key = rendition_key(hash, 320, Format::Jpeg.extension());
        assert!(!locks().lock().unwrap().contains_key(&key));
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn a_lock_goes_with_its_last_user_even_after_a_panic() {
        let key = format!("renditions/test/{}", uuid::Uuid::now_v7());
        let first = LockUse::take(&key).unwrap();
        let second = LockUse::take(&key).unwrap();
        assert!(Arc::ptr_eq(&first.lock, &second.lock));
        drop(first);
        assert!(
            locks().lock().unwrap().contains_key(&key),
            "the second still holds it"
        );
        let panicked = std::thread::spawn(move || {
            let _held = second;
            panic!("a decoder panicked");
        })
        .join();
        assert!(panicked.is_err());
        assert!(!locks().lock().unwrap().contains_key(&key));
    }

    fn png_16bit(width: u32, height: u32) -> Vec<u8> {
        let picture = ImageBuffer::from_fn(width, height, |x, y| {
            Rgba([
                u16::try_from(x * 1000 % 65_536).unwrap(),
                u16::try_from(y * 1000 % 65_536).unwrap(),
                0x1234,
                0xffff,
            ])
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                bytemuck_bytes(picture.as_raw()).as_slice(),
                width,
                height,
                image::ExtendedColorType::Rgba16,
            )
            .unwrap();
        out
    }

    /// The bytes the PNG encoder takes for 16-bit samples (native byte order).
    fn bytemuck_bytes(samples: &[u16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_ne_bytes()).collect()
    }

    #[test]
    fn a_16_bit_png_decodes_into_an_8_bit_sized_buffer() {
        let (width, height) = (60, 40);
        let bytes = png_16bit(width, height);
        let eight_bit = (width * height * 4) as usize;
        // Room for the 8-bit picture and not for the 16-bit one (twice as large).
        let picture = decode_png(&bytes, eight_bit).expect("fits in 8 bits a sample");
        assert!(matches!(picture, DynamicImage::ImageRgba8(_)));
        assert_eq!((picture.width(), picture.height()), (width, height));
        let rgba = picture.to_rgba8();
        // Each sample keeps its high byte.
        assert_eq!(
            rgba.get_pixel(59, 39).0,
            [(59_000u32 >> 8) as u8, (39_000u32 >> 8) as u8, 0x12, 0xff]
        );
        assert!(decode_png(&bytes, eight_bit - 1).is_err());
        // And the general entry point takes the same path.
        assert!(matches!(
            decode(&bytes).unwrap(),
            DynamicImage::ImageRgba8(_)
        ));
    }

    #[test]
    fn renditions_of_a_16_bit_png_are_8_bit() {
        let bytes = png_16bit(700, 100);
        let out = make(&bytes, Format::Png, 320).unwrap();
        let picture = image::load_from_memory(&out).unwrap();
        assert_eq!(picture.color(), image::ColorType::Rgba8);
        assert_eq!((picture.width(), picture.height()), (320, 46));
    }
}
