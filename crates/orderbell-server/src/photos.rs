//! Menu item photos. What an owner uploads (JPEG, PNG or WebP, from a phone camera as often as
//! not) is decoded within limits, turned upright by its EXIF orientation, made to fit
//! [`MAX_SIDE`] × [`MAX_SIDE`], laid on white where it is transparent and re-encoded as JPEG.
//! What is stored and served is therefore small, one format, and carries no metadata (no
//! camera position). Photos are served at `/media/items/{item id}/{digest}.jpg`: the address
//! changes with the photo, so browsers may keep it for a year.

use std::io::Cursor;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use orderbell_core::MenuItemId;
use orderbell_store::ItemPhoto;

use crate::http::error::ApiError;
use crate::state::AppState;

/// The largest upload, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// The longest side of a stored photo, in pixels.
pub const MAX_SIDE: u32 = 1024;
/// The longest side of an upload, in pixels (a 12,000 × 12,000 image is 432 MB as pixels).
const MAX_UPLOAD_SIDE: u32 = 10_000;
/// What decoding may allocate.
const MAX_DECODE_BYTES: u64 = 320 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;

/// Why an upload is not a photo we keep.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the photo must be a JPEG, PNG or WebP image")]
    Unsupported,
    #[error("the photo could not be read: {0}")]
    Unreadable(String),
    #[error("the photo may be at most 10 MB and {MAX_UPLOAD_SIDE} pixels a side")]
    TooLarge,
}

impl PhotoError {
    /// The field error code (`photo` field).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Unsupported | PhotoError::Unreadable(_) => "invalid",
            PhotoError::TooLarge => "too_large",
        }
    }
}

/// The content types an upload may be sent as.
pub fn accepted_type(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    matches!(
        essence.to_ascii_lowercase().as_str(),
        "image/jpeg" | "image/png" | "image/webp"
    )
}

/// Turns an upload into the photo to store. CPU-bound: call it off the async threads.
pub fn prepare(upload: &[u8]) -> Result<ItemPhoto, PhotoError> {
    if upload.len() > MAX_UPLOAD_BYTES {
        return Err(PhotoError::TooLarge);
    }
    // The format from the bytes themselves, never from a file name or a header.
    let format = image::guess_format(upload).map_err(|_| PhotoError::Unsupported)?;
    if !matches!(
        format,
        ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
    ) {
        return Err(PhotoError::Unsupported);
    }
    let mut reader = ImageReader::with_format(Cursor::new(upload), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_UPLOAD_SIDE);
    limits.max_image_height = Some(MAX_UPLOAD_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(read_error)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(read_error)?;
    picture.apply_orientation(orientation);
    if picture.width() > MAX_SIDE || picture.height() > MAX_SIDE {
        picture = picture.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Lanczos3);
    }
    let rgb = on_white(&picture);
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(ItemPhoto {
        digest: crate::security::token::hash_bytes(&bytes),
        content_type: "image/jpeg".into(),
        width: rgb.width(),
        height: rgb.height(),
        bytes,
    })
}

fn read_error(e: image::ImageError) -> PhotoError {
    match e {
        image::ImageError::Limits(_) => PhotoError::TooLarge,
        other => PhotoError::Unreadable(other.to_string()),
    }
}

/// The picture as RGB, transparent parts laid on white (a menu page's background).
fn on_white(picture: &DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.to_rgb8();
    }
    let rgba = picture.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| {
            let (c, a) = (u32::from(c), u32::from(a));
            u8::try_from((c * a + 255 * (255 - a) + 127) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// `GET /media/items/{id}/{digest}.jpg`: the photo, cached for a year (its address changes
/// with it); an old digest or an unknown item is 404.
pub async fn serve(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let digest = file.strip_suffix(".jpg").ok_or_else(ApiError::not_found)?;
    let id = MenuItemId::parse(&id).ok_or_else(ApiError::not_found)?;
    let photo = state
        .store
        .item_photo(&id)
        .await?
        .filter(|p| p.digest == digest)
        .ok_or_else(ApiError::not_found)?;
    let etag = format!("\"{}\"", photo.digest);
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag = HeaderValue::from_str(&etag).map_err(|_| ApiError::not_found())?;
    if unchanged {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let content_type =
        HeaderValue::from_str(&photo.content_type).map_err(|_| ApiError::not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        Body::from(photo.bytes),
    )
        .into_response())
}

/// Prepares an upload off the async threads and stores it as the item's photo.
pub async fn store(
    state: &AppState,
    shop: &orderbell_core::ShopId,
    id: &MenuItemId,
    upload: axum::body::Bytes,
) -> Result<orderbell_core::menu::MenuItem, PhotoStoreError> {
    let photo = tokio::task::spawn_blocking(move || prepare(&upload))
        .await
        .map_err(|e| PhotoStoreError::Store(orderbell_store::StoreError::Backend(e.to_string())))?
        .map_err(PhotoStoreError::Photo)?;
    state
        .store
        .set_item_photo(shop, id, Some(photo), state.now())
        .await
        .map_err(PhotoStoreError::Store)
}

/// Storing a photo fails on the photo or on the store.
#[derive(Debug, thiserror::Error)]
pub enum PhotoStoreError {
    #[error(transparent)]
    Photo(PhotoError),
    #[error(transparent)]
    Store(orderbell_store::StoreError),
}

impl From<PhotoStoreError> for ApiError {
    fn from(e: PhotoStoreError) -> ApiError {
        match e {
            PhotoStoreError::Photo(p) => ApiError::field("photo", p.code(), p.to_string()),
            PhotoStoreError::Store(s) => s.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbaImage::from_fn(width, height, |x, _| {
            if x < width / 2 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 0, 255, 0])
            }
        });
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&picture, width, height, image::ExtendedColorType::Rgba8)
            .unwrap();
        out
    }

    #[test]
    fn a_large_png_becomes_a_jpeg_that_fits_on_white() {
        let photo = prepare(&png(2000, 1000)).unwrap();
        assert_eq!((photo.width, photo.height), (1024, 512));
        assert_eq!(photo.content_type, "image/jpeg");
        let back = image::load_from_memory_with_format(&photo.bytes, ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8();
        assert_eq!(back.dimensions(), (1024, 512));
        let [r, g, b] = back.get_pixel(100, 100).0;
        assert!(r > 200 && g < 60 && b < 60, "red stays red: {r},{g},{b}");
        let [r, g, b] = back.get_pixel(900, 100).0;
        assert!(
            r > 230 && g > 230 && b > 230,
            "transparent is white: {r},{g},{b}"
        );
        assert_eq!(
            photo.digest,
            crate::security::token::hash_bytes(&photo.bytes)
        );
    }

    /// A phone's portrait photo: pixels stored sideways with EXIF orientation 6 (rotate 90°
    /// clockwise). The kept photo is upright, and its metadata is gone.
    #[test]
    fn sideways_camera_photos_are_turned_upright() {
        // Left half red, right half blue, stored 40 wide × 20 high.
        let stored = image::RgbImage::from_fn(40, 20, |x, _| {
            if x < 20 {
                image::Rgb([255, 0, 0])
            } else {
                image::Rgb([0, 0, 255])
            }
        });
        let mut jpeg = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
        // A little-endian TIFF header and one IFD entry: tag 0x0112 (Orientation), SHORT, 6.
        let exif = b"II\x2a\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x06\0\0\0\0\0\0\0".to_vec();
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(stored.as_raw(), 40, 20, image::ExtendedColorType::Rgb8)
            .unwrap();
        let photo = prepare(&jpeg).unwrap();
        assert_eq!((photo.width, photo.height), (20, 40));
        let back = image::load_from_memory(&photo.bytes).unwrap().to_rgb8();
        // Turned clockwise: what was on the left is now on top.
        let [r, _, b] = back.get_pixel(10, 5).0;
        assert!(r > 200 && b < 60, "red on top: {r},{b}");
        let [r, _, b] = back.get_pixel(10, 35).0;
        assert!(b > 200 && r < 60, "blue below: {r},{b}");
        let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&photo.bytes)).unwrap();
        assert_eq!(decoder.exif_metadata().unwrap(), None, "no metadata kept");
    }

    #[test]
    fn small_photos_keep_their_size() {
        let photo = prepare(&png(300, 200)).unwrap();
        assert_eq!((photo.width, photo.height), (300, 200));
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        assert_eq!(prepare(b"hello"), Err(PhotoError::Unsupported));
        assert_eq!(
            prepare(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
            Err(PhotoError::Unsupported)
        );
        let mut broken = png(50, 50);
        broken.truncate(60);
        assert!(matches!(prepare(&broken), Err(PhotoError::Unreadable(_))));
        // A PNG header that claims 60,000 × 60,000 pixels is refused before any allocation.
        let mut huge = png(1, 1);
        huge[16..20].copy_from_slice(&60_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&60_000u32.to_be_bytes());
        assert!(matches!(
            prepare(&huge),
            Err(PhotoError::TooLarge | PhotoError::Unreadable(_))
        ));
    }

    #[test]
    fn upload_types() {
        assert!(accepted_type("image/jpeg"));
        assert!(accepted_type("IMAGE/PNG; charset=binary"));
        assert!(accepted_type("image/webp"));
        assert!(!accepted_type("image/gif"));
        assert!(!accepted_type("application/octet-stream"));
    }
}
