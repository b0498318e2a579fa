//! Upload sniffing and lossless metadata stripping for news photos.
//!
//! [`clean`] accepts only JPEG, PNG, WebP and GIF, recognised by their magic bytes (file
//! names and declared MIME types are never trusted). It walks the container structure with
//! bounds checks, reads the dimensions from the headers without decoding any pixels, rejects
//! images over a pixel budget, and removes metadata by dropping whole segments, chunks or
//! blocks. Pixel data is never re-encoded, so a JPEG keeps its exact quality.
//!
//! Policy: keep only what a decoder needs to render the image faithfully and drop everything
//! else, including *unknown* ancillary data, because vendor-specific blocks (C2PA manifests,
//! maker notes, thumbnails, captions) are exactly where locations hide. Bytes after the
//! format's end marker are dropped too: phones append extra pictures there (MPF depth maps,
//! motion photos), each with its own EXIF block.
//!
//! * JPEG: keeps the JFIF APP0 (minus any embedded thumbnail, which could show a cropped-out
//!   area), ICC APP2, Adobe APP14 and all non-APP segments; drops every other APPn and COM.
//!   An EXIF orientation other than 1 is re-emitted as a minimal APP1 holding only that tag.
//!   The scan data from SOS through the first EOI is copied byte for byte.
//! * PNG: verifies every CRC; keeps critical chunks and rendering-related ancillary chunks.
//!   The orientation from `eXIf` is reported, but the chunk is dropped like all EXIF.
//! * WebP: keeps the image, alpha, animation and ICC chunks; drops `EXIF`, `XMP ` and
//!   unknown chunks, clears the VP8X EXIF/XMP flags and rewrites the RIFF size. The EXIF
//!   orientation is reported but not preserved.
//! * GIF: keeps images, graphic-control and plain-text extensions and the looping/ICC
//!   application extensions; drops comments, XMP and other application extensions.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::borrow::Cow;

/// An image container format accepted for upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG/JFIF/EXIF.
    Jpeg,
    /// Portable Network Graphics (including APNG).
    Png,
    /// WebP, lossy or lossless, still or animated.
    Webp,
    /// GIF87a or GIF89a.
    Gif,
}

impl Format {
    /// The MIME type to serve the cleaned bytes with.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The file extension (without dot) to store the cleaned bytes under.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Gif => "gif",
        }
    }
}

const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Identifies the format from the magic bytes alone; says nothing about validity.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Some(Format::Png)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some(Format::Webp)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Format::Gif)
    } else {
        None
    }
}

/// A validated image with its metadata removed.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The detected container format (the cleaned bytes keep it).
    pub format: Format,
    /// The image without metadata; pixel data untouched.
    pub bytes: Vec<u8>,
    /// Width in pixels, from the header.
    pub width: u32,
    /// Height in pixels, from the header.
    pub height: u32,
    /// EXIF orientation (1–8) found in the upload. For JPEG a value other than 1 is kept in
    /// the output; for PNG and WebP it is only reported, because the EXIF block is dropped.
    pub orientation: Option<u16>,
}

/// Why an upload was rejected.
#[derive(Debug, thiserror::Error)]
pub enum SniffError {
    /// The upload has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The magic bytes are not those of a supported format.
    #[error("the file is not a JPEG, PNG, WebP or GIF image")]
    Unsupported,
    /// The structure ends early. The message is `"<FORMAT>: <where>"`.
    #[error("the {} is truncated: {}", format_of(.0), detail_of(.0))]
    Truncated(&'static str),
    /// The structure is broken. The message is `"<FORMAT>: <what>"`.
    #[error("the {} is invalid: {}", format_of(.0), detail_of(.0))]
    Malformed(String),
    /// The header declares more pixels than allowed (checked before any expensive work).
    #[error("the image is {width} × {height} pixels; at most {max} pixels are allowed")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit that was exceeded.
        max: u64,
    },
}

fn format_of(message: &str) -> &str {
    message
        .split_once(": ")
        .map_or("image", |(format, _)| format)
}

fn detail_of(message: &str) -> &str {
    message
        .split_once(": ")
        .map_or(message, |(_, detail)| detail)
}

fn bad(message: impl Into<String>) -> SniffError {
    SniffError::Malformed(message.into())
}

/// Validates the structure, reads the dimensions (from the headers, without decoding
/// pixels), enforces `width * height <= max_pixels`, and strips metadata losslessly.
pub fn clean(bytes: &[u8], max_pixels: u64) -> Result<Cleaned, SniffError> {
    if bytes.is_empty() {
        return Err(SniffError::Empty);
    }
    match sniff(bytes).ok_or(SniffError::Unsupported)? {
        Format::Jpeg => clean_jpeg(bytes, max_pixels),
        Format::Png => clean_png(bytes, max_pixels),
        Format::Webp => clean_webp(bytes, max_pixels),
        Format::Gif => clean_gif(bytes, max_pixels),
    }
}

// ---------------------------------------------------------------------------------------
// Bounds-checked readers: every access to untrusted bytes goes through these.

fn arr<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    arr(b, at).map(u16::from_be_bytes)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    arr(b, at).map(u32::from_be_bytes)
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    arr(b, at).map(u16::from_le_bytes)
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    arr::<3>(b, at).map(|[x, y, z]| u32::from_le_bytes([x, y, z, 0]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    arr(b, at).map(u32::from_le_bytes)
}

/// Rejects zero-sized images and enforces the pixel budget (u32 × u32 always fits in u64).
fn check_pixels(format: &str, width: u32, height: u32, max: u64) -> Result<(), SniffError> {
    if width == 0 || height == 0 {
        return Err(bad(format!(
            "{format}: the image has a zero width or height"
        )));
    }
    if u64::from(width) * u64::from(height) > max {
        return Err(SniffError::TooManyPixels { width, height, max });
    }
    Ok(())
}

/// Reads the Orientation tag (0x0112) from IFD0 of a TIFF structure ("II" or "MM").
/// Returns `None` for anything missing, out of bounds, mistyped or outside 1–8.
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(..4)? {
        [b'I', b'I', 42, 0] => true,
        [b'M', b'M', 0, 42] => false,
        _ => return None,
    };
    let u16_at = |at| {
        arr(tiff, at).map(if little {
            u16::from_le_bytes
        } else {
            u16::from_be_bytes
        })
    };
    let u32_at = |at| {
        arr(tiff, at).map(if little {
            u32::from_le_bytes
        } else {
            u32::from_be_bytes
        })
    };
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let count = u16_at(ifd0)?;
    for i in 0..usize::from(count) {
        let entry = ifd0.checked_add(2 + i * 12)?;
        // A successful read here bounds `entry` by the slice length, so `entry + 8` is safe.
        if u16_at(entry)? != 0x0112 {
            continue;
        }
        // SHORT × 1: the value sits left-justified in the 4-byte value field.
        if u16_at(entry + 2)? != 3 || u32_at(entry + 4)? != 1 {
            return None;
        }
        let value = u16_at(entry + 8)?;
        return (1..=8).contains(&value).then_some(value);
    }
    None
}

// ---------------------------------------------------------------------------------------
// JPEG

const JPEG_NO_EOI: &str = "JPEG: the image data ends without an end-of-image marker";

/// A minimal APP1 with a big-endian TIFF whose IFD0 holds only the Orientation tag.
fn orientation_app1(orientation: u16) -> Vec<u8> {
    let mut app1 = vec![0xFF, 0xE1, 0x00, 34];
    app1.extend_from_slice(b"Exif\0\0MM\0\x2A\0\0\0\x08"); // TIFF header, IFD0 at offset 8
    app1.extend_from_slice(&[0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1]); // 1 entry: 0x0112 SHORT ×1
    app1.extend_from_slice(&orientation.to_be_bytes());
    app1.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    app1
}

/// The marker segment starting with the 0xFF at `at` (length-prefixed), bounds-checked.
fn jpeg_segment(b: &[u8], at: usize) -> Result<&[u8], SniffError> {
    let len = be16(b, at + 2).ok_or(SniffError::Truncated("JPEG: a segment header is cut off"))?;
    if len < 2 {
        return Err(bad(format!(
            "JPEG: a segment at byte {at} has an impossible length"
        )));
    }
    b.get(at..at + 2 + usize::from(len))
        .ok_or(SniffError::Truncated(
            "JPEG: a segment runs past the end of the file",
        ))
}

/// Finds the end (exclusive) of the first EOI after the SOS header ending at `pos`.
/// Entropy-coded bytes never contain 0xFF except as 0xFF00 stuffing or RSTn, so any other
/// marker is a real segment (progressive JPEGs put DHT/SOS between scans) and is skipped.
fn jpeg_scan_end(b: &[u8], mut pos: usize) -> Result<usize, SniffError> {
    loop {
        let rest = b.get(pos..).unwrap_or_default();
        let ff = rest
            .iter()
            .position(|&x| x == 0xFF)
            .ok_or(SniffError::Truncated(JPEG_NO_EOI))?;
        pos += ff;
        match b.get(pos + 1) {
            None => return Err(SniffError::Truncated(JPEG_NO_EOI)),
            Some(0x00 | 0xD0..=0xD7) => pos += 2,
            Some(0xFF) => pos += 1,
            Some(0xD9) => return Ok(pos + 2),
            Some(0xD8) => {
                return Err(bad(
                    "JPEG: a start-of-image marker appears inside the image",
                ));
            }
            Some(_) => pos += jpeg_segment(b, pos)?.len(),
        }
    }
}

fn clean_jpeg(b: &[u8], max: u64) -> Result<Cleaned, SniffError> {
    let mut pieces: Vec<Cow<'_, [u8]>> = vec![Cow::Borrowed(&[0xFF, 0xD8])];
    let mut insert_app1_at = 1; // right after SOI, or after a leading JFIF APP0
    let mut dims = None;
    let mut orientation = None;
    let mut pos = 2;
    let sos = loop {
        match b.get(pos) {
            None => {
                return Err(SniffError::Truncated(
                    "JPEG: the file ends before the image data",
                ));
            }
            Some(0xFF) => {}
            Some(_) => return Err(bad(format!("JPEG: expected a marker at byte {pos}"))),
        }
        let marker = match b.get(pos + 1) {
            None => return Err(SniffError::Truncated("JPEG: the file ends inside a marker")),
            Some(0xFF) => {
                pos += 1; // fill byte before a marker
                continue;
            }
            Some(&m) => m,
        };
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            pos += 2; // standalone markers carry no data; harmless, but not needed
            continue;
        }
        if matches!(marker, 0x00 | 0xD8 | 0xD9) {
            return Err(bad(format!(
                "JPEG: unexpected marker 0x{marker:02X} before the image data"
            )));
        }
        let segment = jpeg_segment(b, pos)?;
        let data = segment.get(4..).unwrap_or_default();
        match marker {
            0xDA => break segment,
            // JFIF APP0: keep, but cut any embedded thumbnail (it may show a cropped-out area).
            0xE0 if data.starts_with(b"JFIF\0") && data.len() >= 14 => {
                if pieces.len() == 1 {
                    insert_app1_at = 2;
                }
                match data.get(..12) {
                    Some(head) if data.len() > 14 => {
                        let mut app0 = vec![0xFF, 0xE0, 0x00, 16];
                        app0.extend_from_slice(head);
                        app0.extend_from_slice(&[0, 0]); // no thumbnail
                        pieces.push(Cow::Owned(app0));
                    }
                    _ => pieces.push(Cow::Borrowed(segment)),
                }
            }
            // EXIF (and XMP) APP1: dropped; only the orientation survives.
            0xE1 => {
                if orientation.is_none() {
                    orientation = data.strip_prefix(b"Exif\0\0").and_then(exif_orientation);
                }
            }
            0xE2 if data.starts_with(b"ICC_PROFILE\0") => pieces.push(Cow::Borrowed(segment)),
            0xEE => pieces.push(Cow::Borrowed(segment)), // Adobe: colour transform flag
            // Other APPn (MPF, IPTC, C2PA, vendor blocks) and COM are metadata.
            0xE0..=0xEF | 0xFE => {}
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if dims.is_some() {
                    return Err(bad("JPEG: more than one frame header"));
                }
                let (Some(height), Some(width), Some(_)) =
                    (be16(data, 1), be16(data, 3), data.get(5))
                else {
                    return Err(bad("JPEG: the frame header is too short"));
                };
                let (width, height) = (u32::from(width), u32::from(height));
                check_pixels("JPEG", width, height, max)?;
                dims = Some((width, height));
                pieces.push(Cow::Borrowed(segment));
            }
            _ => pieces.push(Cow::Borrowed(segment)), // DQT, DHT, DRI, …
        }
        pos += segment.len();
    };
    let (width, height) = dims.ok_or_else(|| bad("JPEG: no frame header before the image data"))?;
    let sos_start = pos;
    let end = jpeg_scan_end(b, sos_start + sos.len())?;
    pieces.push(Cow::Borrowed(b.get(sos_start..end).unwrap_or_default()));
    if let Some(o) = orientation.filter(|&o| o != 1) {
        pieces.insert(insert_app1_at, Cow::Owned(orientation_app1(o)));
    }
    Ok(Cleaned {
        format: Format::Jpeg,
        bytes: pieces.concat(),
        width,
        height,
        orientation,
    })
}

// ---------------------------------------------------------------------------------------
// PNG

/// Ancillary chunks that affect rendering (colour, transparency, animation). Every other
/// ancillary chunk (tEXt, zTXt, iTXt, tIME, eXIf, C2PA `caBX`, vendor chunks) is dropped.
const PNG_KEEP: [&[u8; 4]; 18] = [
    b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"bKGD", b"pHYs", b"hIST", b"sPLT",
    b"cICP", b"mDCV", b"mDCv", b"cLLI", b"cLLi", b"acTL", b"fcTL", b"fdAT",
];

fn clean_png(b: &[u8], max: u64) -> Result<Cleaned, SniffError> {
    let mut pieces: Vec<&[u8]> = vec![PNG_SIGNATURE];
    let mut dims = None;
    let mut orientation = None;
    let mut has_idat = false;
    let mut pos = PNG_SIGNATURE.len();
    loop {
        if pos == b.len() {
            return Err(SniffError::Truncated(
                "PNG: the file ends before the IEND chunk",
            ));
        }
        let len = be32(b, pos).ok_or(SniffError::Truncated("PNG: a chunk header is cut off"))?;
        // The spec caps lengths at 2^31-1, which also keeps `12 + len` from overflowing.
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len <= 0x7FFF_FFFF)
            .ok_or_else(|| bad("PNG: a chunk length is out of range"))?;
        let cut = || SniffError::Truncated("PNG: a chunk runs past the end of the file");
        let chunk = pos
            .checked_add(12 + len)
            .and_then(|end| b.get(pos..end))
            .ok_or_else(cut)?;
        let (Some(typed), Some(stored_crc)) = (chunk.get(4..8 + len), be32(chunk, 8 + len)) else {
            return Err(cut());
        };
        let kind: [u8; 4] = arr(typed, 0).unwrap_or_default();
        let data = typed.get(4..).unwrap_or_default();
        let name = String::from_utf8_lossy(&kind);
        if crc32fast::hash(typed) != stored_crc {
            return Err(bad(format!(
                "PNG: the checksum of the {name} chunk is wrong"
            )));
        }
        if dims.is_none() != (&kind == b"IHDR") {
            return Err(bad("PNG: IHDR must be the first chunk and appear once"));
        }
        match &kind {
            b"IHDR" => {
                let (Some(width), Some(height), 13) = (be32(data, 0), be32(data, 4), len) else {
                    return Err(bad("PNG: the IHDR chunk has the wrong size"));
                };
                check_pixels("PNG", width, height, max)?;
                dims = Some((width, height));
                pieces.push(chunk);
            }
            b"IEND" => {
                pieces.push(chunk);
                break; // anything after IEND is not part of the image and is dropped
            }
            b"eXIf" if orientation.is_none() => orientation = exif_orientation(data),
            _ if kind[0].is_ascii_uppercase() || PNG_KEEP.contains(&&kind) => {
                has_idat |= &kind == b"IDAT";
                pieces.push(chunk);
            }
            _ => {}
        }
        pos += chunk.len();
    }
    let (width, height) = dims.ok_or_else(|| bad("PNG: the IHDR chunk is missing"))?;
    if !has_idat {
        return Err(bad("PNG: there is no image data"));
    }
    Ok(Cleaned {
        format: Format::Png,
        bytes: pieces.concat(),
        width,
        height,
        orientation,
    })
}

// ---------------------------------------------------------------------------------------
// WebP

fn clean_webp(b: &[u8], max: u64) -> Result<Cleaned, SniffError> {
    let body = le32(b, 4)
        .and_then(|size| usize::try_from(size).ok()?.checked_add(8))
        .and_then(|total| b.get(..total))
        .ok_or(SniffError::Truncated(
            "WebP: the file is shorter than its RIFF header says",
        ))?;
    let mut pieces: Vec<&[u8]> = Vec::new();
    let mut dims = None;
    let mut orientation = None;
    let mut has_image = false;
    let mut pos = 12;
    while pos < body.len() {
        let (Some(kind), Some(size)) = (arr::<4>(body, pos), le32(body, pos + 4)) else {
            return Err(SniffError::Truncated("WebP: a chunk header is cut off"));
        };
        let size = usize::try_from(size).map_err(|_| bad("WebP: a chunk is too large"))?;
        // Chunks are padded to an even length; the pad byte belongs to the chunk.
        let end = size.checked_add(pos + 8 + (size & 1));
        let chunk = end
            .and_then(|end| body.get(pos..end))
            .ok_or(SniffError::Truncated(
                "WebP: a chunk runs past the end of the file",
            ))?;
        let data = chunk.get(8..8 + size).unwrap_or_default();
        let frame_dims = match &kind {
            b"VP8X" if pos != 12 => return Err(bad("WebP: VP8X must be the first chunk")),
            b"VP8X" => Some(
                le24(data, 4)
                    .zip(le24(data, 7))
                    .map(|(w, h)| (w + 1, h + 1)),
            ),
            // Lossy key frame: 3-byte frame tag, start code, then 14-bit sizes (2 bits scale).
            b"VP8 " if data.get(3..6) == Some(&[0x9D, 0x01, 0x2A]) => Some(
                le16(data, 6)
                    .zip(le16(data, 8))
                    .map(|(w, h)| (u32::from(w & 0x3FFF), u32::from(h & 0x3FFF))),
            ),
            b"VP8 " => return Err(bad("WebP: the VP8 frame has no start code")),
            // Lossless: signature 0x2F, then width-1 and height-1 as 14-bit fields.
            b"VP8L" if data.first() == Some(&0x2F) => {
                Some(le32(data, 1).map(|bits| ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)))
            }
            b"VP8L" => return Err(bad("WebP: the VP8L stream has a bad signature")),
            _ => None,
        };
        if let Some(found) = frame_dims {
            let (width, height) = found.ok_or_else(|| bad("WebP: an image header is too short"))?;
            // Also check the bitstream size when VP8X is present: a decoder may trust either.
            check_pixels("WebP", width, height, max)?;
            dims.get_or_insert((width, height));
        }
        match &kind {
            b"VP8 " | b"VP8L" | b"ANMF" => {
                has_image = true;
                pieces.push(chunk);
            }
            b"VP8X" | b"ALPH" | b"ANIM" | b"ICCP" => pieces.push(chunk),
            b"EXIF" if orientation.is_none() => {
                orientation = exif_orientation(data.strip_prefix(b"Exif\0\0").unwrap_or(data));
            }
            _ => {} // "XMP " and unknown chunks
        }
        pos += chunk.len();
    }
    let (width, height) = dims.ok_or_else(|| bad("WebP: there is no image header"))?;
    if !has_image {
        return Err(bad("WebP: there is no image data"));
    }
    let kept = pieces.iter().map(|p| p.len()).sum::<usize>() + 4;
    let riff_size = u32::try_from(kept).map_err(|_| bad("WebP: the file is too large"))?;
    let mut out = Vec::with_capacity(kept + 8);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    for piece in pieces {
        out.extend_from_slice(piece);
    }
    if out.get(12..16) == Some(b"VP8X")
        && let Some(flags) = out.get_mut(20)
    {
        *flags &= !(0x08 | 0x04); // the EXIF and XMP chunks are gone
    }
    Ok(Cleaned {
        format: Format::Webp,
        bytes: out,
        width,
        height,
        orientation,
    })
}

// ---------------------------------------------------------------------------------------
// GIF

/// Application extensions that affect playback or colour; everything else (XMP, vendor
/// data) is dropped.
const GIF_APPS: [&[u8]; 3] = [b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012"];

fn gif_color_table_len(flags: u8) -> usize {
    if flags & 0x80 != 0 {
        3 << ((flags & 7) + 1)
    } else {
        0
    }
}

/// Skips a chain of data sub-blocks starting at `pos`; returns the position after the
/// zero-length terminator.
fn gif_skip_sub_blocks(b: &[u8], mut pos: usize) -> Result<usize, SniffError> {
    loop {
        let size = *b
            .get(pos)
            .ok_or(SniffError::Truncated("GIF: a data block is cut off"))?;
        pos += 1 + usize::from(size);
        if size == 0 {
            return Ok(pos);
        }
    }
}

fn clean_gif(b: &[u8], max: u64) -> Result<Cleaned, SniffError> {
    let (Some(width), Some(height), Some(&flags)) = (le16(b, 6), le16(b, 8), b.get(10)) else {
        return Err(SniffError::Truncated("GIF: the header is cut off"));
    };
    let (width, height) = (u32::from(width), u32::from(height));
    check_pixels("GIF", width, height, max)?;
    let mut pos = 13 + gif_color_table_len(flags);
    let head = b
        .get(..pos)
        .ok_or(SniffError::Truncated("GIF: the colour table is cut off"))?;
    let mut pieces = vec![head];
    let mut has_image = false;
    loop {
        let start = pos;
        let keep = match b.get(pos) {
            None => {
                return Err(SniffError::Truncated(
                    "GIF: the file ends before the trailer",
                ));
            }
            Some(0x3B) => {
                pieces.push(b.get(pos..pos + 1).unwrap_or_default());
                break; // anything after the trailer is dropped
            }
            Some(0x21) => {
                let label = *b
                    .get(pos + 1)
                    .ok_or(SniffError::Truncated("GIF: an extension is cut off"))?;
                // Application id: first sub-block of 11 bytes (8-byte name + 3-byte code).
                let app_id = b
                    .get(pos + 3..pos + 14)
                    .filter(|_| b.get(pos + 2) == Some(&11));
                pos = gif_skip_sub_blocks(b, pos + 2)?;
                match label {
                    0xF9 | 0x01 => true, // graphic control, plain text
                    0xFF => app_id.is_some_and(|id| GIF_APPS.contains(&id)),
                    _ => false, // 0xFE comment, unknown extensions
                }
            }
            Some(0x2C) => {
                let cut = SniffError::Truncated("GIF: an image descriptor is cut off");
                let (Some(w), Some(h), Some(&local)) =
                    (le16(b, pos + 5), le16(b, pos + 7), b.get(pos + 9))
                else {
                    return Err(cut);
                };
                // A frame may be larger than the logical screen; decoders allocate for it.
                check_pixels("GIF", u32::from(w), u32::from(h), max)?;
                // Descriptor (10 bytes), local colour table, LZW minimum code size, data.
                pos = gif_skip_sub_blocks(b, pos + 11 + gif_color_table_len(local))?;
                has_image = true;
                true
            }
            Some(other) => return Err(bad(format!("GIF: unexpected block type 0x{other:02X}"))),
        };
        if keep {
            pieces.push(
                b.get(start..pos)
                    .ok_or(SniffError::Truncated("GIF: a block is cut off"))?,
            );
        }
    }
    if !has_image {
        return Err(bad("GIF: there is no image"));
    }
    Ok(Cleaned {
        format: Format::Gif,
        bytes: pieces.concat(),
        width,
        height,
        orientation: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
    use std::io::Cursor;

    const MAX: u64 = 50_000_000;

    /// A noisy picture so the JPEG scan is long enough to cut in the middle.
    fn picture(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let n = x
                .wrapping_mul(2_654_435_761)
                .wrapping_add(y.wrapping_mul(40_503))
                >> 7;
            Rgb([(x * 4) as u8, (y * 5) as u8, n as u8])
        })
    }

    fn encode(format: ImageFormat, w: u32, h: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let img = DynamicImage::ImageRgb8(picture(w, h));
        let img = if format == ImageFormat::Gif {
            DynamicImage::ImageRgba8(img.to_rgba8())
        } else {
            img
        };
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// Parses a JPEG's header segments (test-side, independent of the code under test):
    /// returns (marker, whole segment) pairs and the offset of SOS.
    fn jpeg_segments(b: &[u8]) -> (Vec<(u8, Vec<u8>)>, usize) {
        let mut pos = 2;
        let mut segs = Vec::new();
        loop {
            assert_eq!(b[pos], 0xFF);
            let marker = b[pos + 1];
            if marker == 0xDA {
                return (segs, pos);
            }
            let len = u16::from_be_bytes([b[pos + 2], b[pos + 3]]) as usize;
            segs.push((marker, b[pos..pos + 2 + len].to_vec()));
            pos += 2 + len;
        }
    }

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// Inserts segments after SOI and the encoder's JFIF APP0, where cameras put EXIF.
    fn inject_jpeg(jpeg: &[u8], extra: &[Vec<u8>]) -> Vec<u8> {
        let (segs, _) = jpeg_segments(jpeg);
        let at = if segs.first().is_some_and(|(m, _)| *m == 0xE0) {
            2 + segs[0].1.len()
        } else {
            2
        };
        let mut out = jpeg[..at].to_vec();
        for s in extra {
            out.extend_from_slice(s);
        }
        out.extend_from_slice(&jpeg[at..]);
        out
    }

    /// A little-endian TIFF with IFD0 = {Orientation, GPS pointer} and a GPS IFD holding
    /// GPSLatitudeRef, GPSLatitude and a GPSProcessingMethod with a secret.
    fn hostile_exif_tiff(orientation: u16) -> Vec<u8> {
        let secret = b"SECRET-LOCATION-DATA";
        let gps_ifd = 8 + 2 + 2 * 12 + 4; // 38
        let lat = gps_ifd + 2 + 3 * 12 + 4; // 80
        let method = lat + 24; // 104
        let entry = |t: &mut Vec<u8>, tag: u16, ty: u16, count: u32, value: [u8; 4]| {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&ty.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value);
        };
        let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&2u16.to_le_bytes());
        let o = orientation.to_le_bytes();
        entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
        entry(&mut t, 0x8825, 4, 1, (gps_ifd as u32).to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len(), gps_ifd);
        t.extend_from_slice(&3u16.to_le_bytes());
        entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
        entry(&mut t, 0x0002, 5, 3, (lat as u32).to_le_bytes());
        entry(
            &mut t,
            0x001B,
            7,
            secret.len() as u32,
            (method as u32).to_le_bytes(),
        );
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(t.len(), lat);
        for (num, den) in [(51u32, 1u32), (30, 1), (1234, 100)] {
            t.extend_from_slice(&num.to_le_bytes());
            t.extend_from_slice(&den.to_le_bytes());
        }
        t.extend_from_slice(secret);
        t
    }

    fn exif_app1(tiff: &[u8]) -> Vec<u8> {
        segment(0xE1, &[b"Exif\0\0".as_slice(), tiff].concat())
    }

    fn hostile_jpeg() -> (Vec<u8>, Vec<u8>) {
        let plain = encode(ImageFormat::Jpeg, 96, 64);
        let dirty = inject_jpeg(
            &plain,
            &[
                exif_app1(&hostile_exif_tiff(6)),
                segment(
                    0xE1,
                    b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-XMP-GPS</x:xmpmeta>",
                ),
                segment(
                    0xED,
                    b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x0bSECRET-IPTC",
                ),
                segment(0xFE, b"SECRET-COMMENT"),
                segment(0xE2, b"MPF\0SECRET-MPF"),
            ],
        );
        (plain, dirty)
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&crc32fast::hash(&c[4..]).to_be_bytes());
        c
    }

    /// Splits a PNG into whole chunks (length, type, data, CRC).
    fn png_chunks(b: &[u8]) -> Vec<Vec<u8>> {
        let mut pos = 8;
        let mut out = Vec::new();
        while pos < b.len() {
            let len = u32::from_be_bytes(b[pos..pos + 4].try_into().unwrap()) as usize;
            out.push(b[pos..pos + 12 + len].to_vec());
            pos += 12 + len;
        }
        out
    }

    fn hostile_png() -> (Vec<u8>, Vec<u8>) {
        let plain = encode(ImageFormat::Png, 40, 30);
        let exif = orientation_tiff_be(3);
        let mut dirty = plain[..33].to_vec(); // signature + IHDR
        dirty.extend(png_chunk(b"tEXt", b"Comment\0SECRET-TEXT"));
        dirty.extend(png_chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\0\0\0\0\0SECRET-XMP-GPS",
        ));
        dirty.extend(png_chunk(b"eXIf", &exif));
        dirty.extend(png_chunk(b"tIME", &[7, 0xE8, 1, 2, 3, 4, 5]));
        dirty.extend(png_chunk(b"zTXt", b"Author\0\0SECRET-Z"));
        dirty.extend(png_chunk(b"caBX", b"SECRET-C2PA"));
        dirty.extend_from_slice(&plain[33..]);
        (plain, dirty)
    }

    /// A big-endian TIFF with IFD0 = {ImageWidth, Orientation} to exercise "MM" parsing.
    fn orientation_tiff_be(orientation: u16) -> Vec<u8> {
        let mut t = b"MM\0\x2A\0\0\0\x08\0\x02".to_vec();
        t.extend_from_slice(&[0x01, 0x00, 0, 3, 0, 0, 0, 1, 0, 40, 0, 0]);
        t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
        t.extend_from_slice(&orientation.to_be_bytes());
        t.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        t
    }

    fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = kind.to_vec();
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(data);
        if data.len() % 2 == 1 {
            c.push(0);
        }
        c
    }

    fn riff(chunks: &[Vec<u8>]) -> Vec<u8> {
        let body = chunks.concat();
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&(body.len() as u32 + 4).to_le_bytes());
        out.extend_from_slice(b"WEBP");
        out.extend(body);
        out
    }

    fn webp_chunks(b: &[u8]) -> Vec<Vec<u8>> {
        let mut pos = 12;
        let mut out = Vec::new();
        while pos < b.len() {
            let size = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
            let end = pos + 8 + size + (size & 1);
            out.push(b[pos..end].to_vec());
            pos = end;
        }
        out
    }

    fn vp8x(flags: u8, w: u32, h: u32) -> Vec<u8> {
        let mut d = vec![flags, 0, 0, 0];
        d.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
        d.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
        riff_chunk(b"VP8X", &d)
    }

    fn hostile_webp() -> (Vec<u8>, Vec<u8>) {
        let plain = encode(ImageFormat::WebP, 40, 30);
        let image = webp_chunks(&plain);
        assert_eq!(&image[0][..4], b"VP8L");
        let dirty = riff(&[
            vp8x(0x08 | 0x04, 40, 30),
            image[0].clone(),
            riff_chunk(b"EXIF", &[hostile_exif_tiff(8)].concat()),
            riff_chunk(b"XMP ", b"<x:xmpmeta>SECRET-XMP-GPS</x:xmpmeta>"), // odd size: padded
            riff_chunk(b"ZZZZ", b"SECRET-VENDOR"),
        ]);
        (plain, dirty)
    }

    fn gif_block(label: u8, first: &[u8], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0x21, label];
        for sub in [first, data] {
            if !sub.is_empty() {
                b.push(sub.len() as u8);
                b.extend_from_slice(sub);
            }
        }
        b.push(0);
        b
    }

    /// Inserts blocks right after the header, logical screen descriptor and global table.
    fn hostile_gif() -> (Vec<u8>, Vec<u8>) {
        let plain = encode(ImageFormat::Gif, 40, 30);
        let at = 13 + gif_color_table_len(plain[10]);
        let mut dirty = plain[..at].to_vec();
        dirty.extend(gif_block(0xFE, b"SECRET-GIF-COMMENT", b""));
        dirty.extend(gif_block(0xFF, b"XMP DataXMP", b"SECRET-XMP-GPS"));
        dirty.extend(gif_block(0xFF, b"VENDOR01abc", b"SECRET-VENDOR"));
        dirty.extend_from_slice(&plain[at..]);
        (plain, dirty)
    }

    fn assert_decodes(c: &Cleaned, format: ImageFormat) {
        let img = image::load_from_memory_with_format(&c.bytes, format).unwrap();
        assert_eq!((img.width(), img.height()), (c.width, c.height));
    }

    #[test]
    fn sniff_by_magic_bytes_only() {
        assert_eq!(sniff(&encode(ImageFormat::Jpeg, 8, 8)), Some(Format::Jpeg));
        assert_eq!(sniff(&encode(ImageFormat::Png, 8, 8)), Some(Format::Png));
        assert_eq!(sniff(&encode(ImageFormat::WebP, 8, 8)), Some(Format::Webp));
        assert_eq!(sniff(&encode(ImageFormat::Gif, 8, 8)), Some(Format::Gif));
        assert_eq!(sniff(b"just some text\n"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        let html = b"<!DOCTYPE html><html><body>photo.jpg</body></html>";
        assert_eq!(sniff(html), None);
        assert!(matches!(clean(html, MAX), Err(SniffError::Unsupported)));
        assert!(matches!(
            clean(b"plain text", MAX),
            Err(SniffError::Unsupported)
        ));
        assert!(matches!(clean(b"", MAX), Err(SniffError::Empty)));
        for (f, mime, ext) in [
            (Format::Jpeg, "image/jpeg", "jpg"),
            (Format::Png, "image/png", "png"),
            (Format::Webp, "image/webp", "webp"),
            (Format::Gif, "image/gif", "gif"),
        ] {
            assert_eq!((f.mime(), f.extension()), (mime, ext));
        }
    }

    #[test]
    fn error_messages_are_user_facing() {
        assert_eq!(SniffError::Empty.to_string(), "the file is empty");
        assert_eq!(
            SniffError::Unsupported.to_string(),
            "the file is not a JPEG, PNG, WebP or GIF image"
        );
        assert_eq!(
            SniffError::Truncated(JPEG_NO_EOI).to_string(),
            "the JPEG is truncated: the image data ends without an end-of-image marker"
        );
        assert_eq!(
            bad("PNG: IHDR is odd").to_string(),
            "the PNG is invalid: IHDR is odd"
        );
        let e = SniffError::TooManyPixels {
            width: 100_000,
            height: 100_000,
            max: MAX,
        };
        assert_eq!(
            e.to_string(),
            "the image is 100000 × 100000 pixels; at most 50000000 pixels are allowed"
        );
    }

    #[test]
    fn exif_orientation_parses_both_byte_orders_and_survives_hostile_offsets() {
        assert_eq!(exif_orientation(&hostile_exif_tiff(6)), Some(6));
        assert_eq!(exif_orientation(&orientation_tiff_be(8)), Some(8));
        assert_eq!(exif_orientation(&orientation_tiff_be(9)), None); // out of range
        assert_eq!(exif_orientation(&orientation_app1(5)[10..]), Some(5));
        let mut far = orientation_tiff_be(3);
        far[4..8].copy_from_slice(&u32::MAX.to_be_bytes()); // IFD0 offset beyond the end
        assert_eq!(exif_orientation(&far), None);
        let mut many = orientation_tiff_be(3);
        many[8..10].copy_from_slice(&u16::MAX.to_be_bytes()); // entry count beyond the end
        assert_eq!(exif_orientation(&many), Some(3));
        many.truncate(20);
        assert_eq!(exif_orientation(&many), None);
        assert_eq!(exif_orientation(b"XX\0\x2A"), None);
        assert_eq!(exif_orientation(b""), None);
    }

    #[test]
    fn jpeg_metadata_is_stripped_and_orientation_kept() {
        let (plain, dirty) = hostile_jpeg();
        assert!(contains(&dirty, b"SECRET-LOCATION-DATA"));
        let c = clean(&dirty, MAX).unwrap();
        assert_eq!(
            (c.format, c.width, c.height, c.orientation),
            (Format::Jpeg, 96, 64, Some(6))
        );
        assert!(!contains(&c.bytes, b"SECRET"), "a secret survived");

        let (segs, sos) = jpeg_segments(&c.bytes);
        let app1: Vec<_> = segs.iter().filter(|(m, _)| *m == 0xE1).collect();
        assert_eq!(app1.len(), 1);
        assert_eq!(app1[0].1, orientation_app1(6));
        let tiff = &app1[0].1[10..];
        assert_eq!(&tiff[8..10], &[0, 1], "IFD0 must hold exactly one entry");
        assert_eq!(&tiff[10..12], &[0x01, 0x12]);
        for (m, s) in &segs {
            assert!(
                !matches!(m, 0xE3..=0xED | 0xEF | 0xFE),
                "metadata segment 0x{m:02X} kept"
            );
            if (0xE0..=0xEF).contains(m) {
                assert!(
                    !contains(s, &[0x88, 0x25]) && !contains(s, &[0x25, 0x88]),
                    "GPS pointer kept"
                );
            }
        }
        // APP0 first, then the new APP1, then the encoder's tables, all unchanged.
        let (plain_segs, plain_sos) = jpeg_segments(&plain);
        assert_eq!(segs[0], plain_segs[0]);
        assert_eq!(segs[0].0, 0xE0);
        assert_eq!(segs[2..], plain_segs[1..]);
        let (_, dirty_sos) = jpeg_segments(&dirty);
        assert_eq!(&c.bytes[sos..], &dirty[dirty_sos..]);
        assert_eq!(&c.bytes[sos..], &plain[plain_sos..]);
        assert_decodes(&c, ImageFormat::Jpeg);
    }

    #[test]
    fn jpeg_without_exif_is_unchanged_and_orientation_one_adds_nothing() {
        let plain = encode(ImageFormat::Jpeg, 32, 24);
        let c = clean(&plain, MAX).unwrap();
        assert_eq!(
            (c.bytes.as_slice(), c.orientation),
            (plain.as_slice(), None)
        );
        let upright = inject_jpeg(&plain, &[exif_app1(&orientation_tiff_be(1))]);
        let c = clean(&upright, MAX).unwrap();
        assert_eq!(
            (c.bytes.as_slice(), c.orientation),
            (plain.as_slice(), Some(1))
        );
    }

    #[test]
    fn jpeg_without_app0_gets_app1_right_after_soi_and_trailers_are_dropped() {
        let plain = encode(ImageFormat::Jpeg, 32, 24);
        let (segs, _) = jpeg_segments(&plain);
        let mut bare = vec![0xFF, 0xD8];
        bare.extend(exif_app1(&hostile_exif_tiff(3)));
        bare.extend_from_slice(&plain[2 + segs[0].1.len()..]); // without JFIF APP0
        let mut with_trailer = bare.clone();
        with_trailer.extend_from_slice(&plain); // e.g. an MPF second image with its own EXIF
        with_trailer.extend(exif_app1(&hostile_exif_tiff(3)));
        let c = clean(&with_trailer, MAX).unwrap();
        assert_eq!(&c.bytes[2..4], &[0xFF, 0xE1]);
        assert_eq!(
            c.bytes.len(),
            plain.len() - segs[0].1.len() + orientation_app1(3).len()
        );
        assert!(!contains(&c.bytes, b"SECRET"));
        assert_decodes(&c, ImageFormat::Jpeg);
    }

    #[test]
    fn jpeg_jfif_thumbnail_is_cut() {
        let plain = encode(ImageFormat::Jpeg, 32, 24);
        let (segs, _) = jpeg_segments(&plain);
        let mut jfif = segs[0].1[4..18].to_vec();
        jfif[12..14].copy_from_slice(&[2, 1]); // 2×1 RGB thumbnail
        jfif.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        let mut thumb = vec![0xFF, 0xD8];
        thumb.extend(segment(0xE0, &jfif));
        thumb.extend_from_slice(&plain[2 + segs[0].1.len()..]);
        let c = clean(&thumb, MAX).unwrap();
        assert_eq!(c.bytes, plain);
    }

    #[test]
    fn jpeg_truncation_and_overruns_are_rejected() {
        let plain = encode(ImageFormat::Jpeg, 96, 64);
        let (_, sos) = jpeg_segments(&plain);
        let cut = &plain[..(sos + plain.len()) / 2];
        assert!(matches!(clean(cut, MAX), Err(SniffError::Truncated(_))));
        assert!(matches!(
            clean(&plain[..plain.len() - 1], MAX),
            Err(SniffError::Truncated(_))
        ));
        let mut overrun = vec![0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF];
        overrun.extend_from_slice(b"JFIF\0 a few bytes only");
        assert!(matches!(
            clean(&overrun, MAX),
            Err(SniffError::Truncated(_) | SniffError::Malformed(_))
        ));
        let no_sof: Vec<u8> = [&[0xFF, 0xD8][..], &plain[sos..]].concat();
        assert!(matches!(clean(&no_sof, MAX), Err(SniffError::Malformed(_))));
        assert!(matches!(
            clean(&[0xFF, 0xD8, 0xFF], MAX),
            Err(SniffError::Truncated(_))
        ));
    }

    #[test]
    fn jpeg_zero_or_huge_dimensions_are_rejected() {
        let plain = encode(ImageFormat::Jpeg, 32, 24);
        assert!(matches!(
            clean(&plain, 32 * 24 - 1),
            Err(SniffError::TooManyPixels {
                width: 32,
                height: 24,
                ..
            })
        ));
        let (segs, _) = jpeg_segments(&plain);
        let mut offset = 2;
        for (m, s) in &segs {
            if *m == 0xC0 {
                break;
            }
            offset += s.len();
        }
        let mut zero = plain.clone();
        zero[offset + 5..offset + 7].copy_from_slice(&[0, 0]);
        assert!(matches!(clean(&zero, MAX), Err(SniffError::Malformed(_))));
    }

    #[test]
    fn png_metadata_chunks_are_removed() {
        let (plain, dirty) = hostile_png();
        let c = clean(&dirty, MAX).unwrap();
        assert_eq!(
            (c.format, c.width, c.height, c.orientation),
            (Format::Png, 40, 30, Some(3))
        );
        assert_eq!(c.bytes, plain, "IHDR/IDAT/IEND must be byte-identical");
        assert!(!contains(&c.bytes, b"SECRET"));
        let kinds: Vec<_> = png_chunks(&c.bytes)
            .iter()
            .map(|ch| ch[4..8].to_vec())
            .collect();
        assert!(kinds.iter().all(|k| {
            [b"IHDR", b"IDAT", b"IEND"]
                .iter()
                .any(|x| x.as_slice() == k)
        }));
        assert_decodes(&c, ImageFormat::Png);
    }

    #[test]
    fn png_keeps_rendering_chunks() {
        let plain = encode(ImageFormat::Png, 8, 8);
        let mut with = plain[..33].to_vec();
        with.extend(png_chunk(b"gAMA", &45455u32.to_be_bytes()));
        with.extend(png_chunk(b"sRGB", &[0]));
        with.extend_from_slice(&plain[33..]);
        assert_eq!(clean(&with, MAX).unwrap().bytes, with);
    }

    #[test]
    fn png_structure_errors() {
        let plain = encode(ImageFormat::Png, 40, 30);
        let no_iend = &plain[..plain.len() - 12];
        assert!(matches!(clean(no_iend, MAX), Err(SniffError::Truncated(_))));
        assert!(matches!(
            clean(&plain[..plain.len() - 3], MAX),
            Err(SniffError::Truncated(_))
        ));

        // CRCs are verified, so the test fixes up IHDR's CRC after patching the size.
        let mut huge = plain.clone();
        huge[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
        let crc = crc32fast::hash(&huge[12..29]);
        huge[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = clean(&huge, MAX).unwrap_err();
        assert!(matches!(
            e,
            SniffError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                max: MAX
            }
        ));

        let mut bad_crc = plain.clone();
        bad_crc[30] ^= 1;
        assert!(matches!(
            clean(&bad_crc, MAX),
            Err(SniffError::Malformed(_))
        ));

        let not_first: Vec<u8> =
            [&plain[..8], &png_chunk(b"gAMA", &[0, 0, 0, 1]), &plain[8..]].concat();
        assert!(matches!(
            clean(&not_first, MAX),
            Err(SniffError::Malformed(_))
        ));
    }

    #[test]
    fn webp_metadata_chunks_are_removed_and_flags_cleared() {
        let (plain, dirty) = hostile_webp();
        let c = clean(&dirty, MAX).unwrap();
        assert_eq!(
            (c.format, c.width, c.height, c.orientation),
            (Format::Webp, 40, 30, Some(8))
        );
        assert!(
            !contains(&c.bytes, b"SECRET")
                && !contains(&c.bytes, b"EXIF")
                && !contains(&c.bytes, b"XMP ")
        );
        let size = u32::from_le_bytes(c.bytes[4..8].try_into().unwrap()) as usize;
        assert_eq!(size, c.bytes.len() - 8);
        let chunks = webp_chunks(&c.bytes);
        assert_eq!(chunks.len(), 2);
        assert_eq!(
            chunks[0],
            vp8x(0, 40, 30),
            "EXIF and XMP flags must be cleared"
        );
        assert_eq!(chunks[1], webp_chunks(&plain)[0]);
        assert_decodes(&c, ImageFormat::WebP);
        assert_eq!(clean(&plain, MAX).unwrap().bytes, plain);
    }

    #[test]
    fn webp_dimensions_from_each_header_kind() {
        // A lossy key frame header (not decodable, but the header is what clean() reads).
        let mut vp8 = vec![0x50, 0x01, 0x00, 0x9D, 0x01, 0x2A];
        vp8.extend_from_slice(&(320u16 | 0x4000).to_le_bytes()); // scale bits are ignored
        vp8.extend_from_slice(&240u16.to_le_bytes());
        let lossy = riff(&[riff_chunk(b"VP8 ", &vp8)]);
        let c = clean(&lossy, MAX).unwrap();
        assert_eq!((c.width, c.height), (320, 240));
        assert_eq!(c.bytes, lossy);
        let plain = encode(ImageFormat::WebP, 17, 9);
        let c = clean(&plain, MAX).unwrap();
        assert_eq!((c.width, c.height), (17, 9));
        let big = riff(&[vp8x(0, 16_000, 16_000), webp_chunks(&plain)[0].clone()]);
        assert!(matches!(
            clean(&big, MAX),
            Err(SniffError::TooManyPixels { width: 16_000, .. })
        ));
        // A small VP8X canvas does not hide a huge bitstream.
        let mut lie = vp8.clone();
        lie[6..10].copy_from_slice(&[0xFF, 0x3F, 0xFF, 0x3F]);
        let lie = riff(&[vp8x(0, 1, 1), riff_chunk(b"VP8 ", &lie)]);
        assert!(matches!(
            clean(&lie, MAX),
            Err(SniffError::TooManyPixels { .. })
        ));
    }

    #[test]
    fn webp_structure_errors() {
        let (_, dirty) = hostile_webp();
        assert!(matches!(
            clean(&dirty[..dirty.len() - 1], MAX),
            Err(SniffError::Truncated(_))
        ));
        let mut overrun = dirty.clone();
        overrun[16..20].copy_from_slice(&u32::MAX.to_le_bytes()); // VP8X size
        assert!(matches!(
            clean(&overrun, MAX),
            Err(SniffError::Truncated(_))
        ));
        let only_meta = riff(&[riff_chunk(b"EXIF", b"x")]);
        assert!(matches!(
            clean(&only_meta, MAX),
            Err(SniffError::Malformed(_))
        ));
    }

    #[test]
    fn gif_comment_and_xmp_are_removed() {
        let (plain, dirty) = hostile_gif();
        let c = clean(&dirty, MAX).unwrap();
        assert_eq!(
            (c.format, c.width, c.height, c.orientation),
            (Format::Gif, 40, 30, None)
        );
        assert_eq!(c.bytes, plain);
        assert!(!contains(&c.bytes, b"SECRET"));
        assert_decodes(&c, ImageFormat::Gif);
        // The looping extension of an animation is kept.
        let at = 13 + gif_color_table_len(plain[10]);
        let looping = gif_block(0xFF, b"NETSCAPE2.0", &[1, 0, 0]);
        let anim: Vec<u8> = [&plain[..at], &looping, &plain[at..]].concat();
        assert_eq!(clean(&anim, MAX).unwrap().bytes, anim);
    }

    #[test]
    fn gif_structure_errors() {
        let plain = encode(ImageFormat::Gif, 40, 30);
        assert!(matches!(
            clean(&plain[..plain.len() - 1], MAX),
            Err(SniffError::Truncated(_))
        ));
        assert!(matches!(
            clean(&plain[..plain.len() / 2], MAX),
            Err(SniffError::Truncated(_))
        ));
        assert!(matches!(
            clean(b"GIF89a\x01\0", MAX),
            Err(SniffError::Truncated(_))
        ));
        assert!(matches!(
            clean(&plain, 100),
            Err(SniffError::TooManyPixels {
                width: 40,
                height: 30,
                ..
            })
        ));
        let mut junk = plain.clone();
        let at = 13 + gif_color_table_len(plain[10]);
        junk[at] = 0x99;
        assert!(matches!(clean(&junk, MAX), Err(SniffError::Malformed(_))));
    }

    /// Every prefix and thousands of random corruptions must return, never panic.
    #[test]
    fn never_panics_on_prefixes_or_bit_flips() {
        let samples = [
            encode(ImageFormat::Jpeg, 24, 16),
            hostile_jpeg().1,
            hostile_png().1,
            hostile_webp().1,
            hostile_gif().1,
        ];
        for sample in &samples {
            assert!(clean(sample, MAX).is_ok());
            for end in 0..sample.len() {
                let _ = clean(&sample[..end], MAX);
            }
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..4000 {
            let mut bytes = samples[(next() % samples.len() as u64) as usize].clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                // Mostly flip into 0x00/0xFF: those hit lengths and markers hardest.
                bytes[at] = match next() % 3 {
                    0 => 0xFF,
                    1 => 0x00,
                    _ => next() as u8,
                };
            }
            let _ = clean(&bytes, MAX);
            let _ = clean(&bytes[..(next() % bytes.len() as u64) as usize], MAX);
        }
    }
}
