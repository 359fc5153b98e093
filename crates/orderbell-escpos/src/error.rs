//! The error type of this crate: what can make a document unprintable.

/// Why a [`Document`](crate::Document) could not be turned into bytes.
///
/// Everything that comes from shop data (text of any kind) is never an error: it is
/// wrapped, truncated, transliterated or drawn. Errors are about parameters a program
/// chose (sizes, images, QR payloads) that no printer could honour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Character size multipliers must be 1..=8 (GS ! n).
    #[error("text size {width}x{height} is out of range (each must be 1..=8)")]
    TextSize {
        /// Requested width multiplier.
        width: u8,
        /// Requested height multiplier.
        height: u8,
    },
    /// An image is wider than the paper's printable dots.
    #[error("image is {width} dots wide but the paper takes at most {max}")]
    ImageTooWide {
        /// Image width in dots.
        width: u32,
        /// Printable width of the profile in dots.
        max: u32,
    },
    /// Packed raster data does not match the stated width and height.
    #[error("raster data is {actual} bytes, {width}x{height} dots needs {expected}")]
    RasterSize {
        /// Width in dots.
        width: u32,
        /// Height in dots.
        height: u32,
        /// Bytes needed: `ceil(width / 8) * height`.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// QR module size must be 1..=16 (GS ( k fn 167).
    #[error("QR module size {0} is out of range (1..=16)")]
    QrModuleSize(u8),
    /// The QR payload does not fit in a QR code (Model 2, version 40) at this error-correction level.
    #[error("QR data of {len} bytes does not fit in a QR code")]
    QrTooLong {
        /// Payload length in bytes.
        len: usize,
    },
    /// Buzzer parameters must be 1..=9 each (ESC B n t).
    #[error("buzzer times {times} / duration {duration} out of range (1..=9)")]
    Buzzer {
        /// Number of beeps.
        times: u8,
        /// Duration factor.
        duration: u8,
    },
    /// `raster_chunk_rows` in the profile must be at least 1 and at most 2303 (GS v 0 limit).
    #[error("raster chunk of {0} rows is out of range (1..=2303)")]
    RasterChunkRows(u16),
    /// A profile or text-mode name could not be parsed.
    #[error("unknown {what} {value:?}")]
    UnknownName {
        /// What was being parsed (e.g. "text mode").
        what: &'static str,
        /// The text given.
        value: String,
    },
}
