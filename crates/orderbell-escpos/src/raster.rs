//! 1-bit bitmaps and their GS v 0 encoding (raster bit image), sent in chunks.

use crate::error::Error;

/// A 1-bit image: `true`/set bits are black dots. Rows are packed MSB first,
/// `ceil(width / 8)` bytes per row, padding bits clear: exactly the GS v 0 data layout.
#[derive(Clone, PartialEq, Eq)]
pub struct Raster {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl std::fmt::Debug for Raster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Raster")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl Raster {
    /// A white image.
    #[must_use]
    pub fn new(width: u32, height: u32) -> Self {
        let row = row_bytes(width);
        Raster {
            width,
            height,
            data: vec![0; row * height as usize],
        }
    }

    /// An image whose dot `(x, y)` is black when `black(x, y)` is true.
    #[must_use]
    pub fn from_fn(width: u32, height: u32, mut black: impl FnMut(u32, u32) -> bool) -> Self {
        let mut raster = Raster::new(width, height);
        for y in 0..height {
            for x in 0..width {
                if black(x, y) {
                    raster.set(x, y, true);
                }
            }
        }
        raster
    }

    /// An image from packed rows (MSB first, `ceil(width / 8)` bytes per row).
    ///
    /// # Errors
    /// [`Error::RasterSize`] when `data` has the wrong length.
    pub fn from_packed(width: u32, height: u32, mut data: Vec<u8>) -> Result<Self, Error> {
        let row = row_bytes(width);
        let expected = row * height as usize;
        if data.len() != expected {
            return Err(Error::RasterSize {
                width,
                height,
                expected,
                actual: data.len(),
            });
        }
        // Clear padding bits so equal pictures are equal values.
        let pad = (row * 8) as u32 - width;
        if pad > 0 && row > 0 {
            let mask = 0xFFu8 << pad;
            for chunk in data.chunks_mut(row) {
                if let Some(last) = chunk.last_mut() {
                    *last &= mask;
                }
            }
        }
        Ok(Raster {
            width,
            height,
            data,
        })
    }

    /// Width in dots.
    #[must_use]
    pub const fn width(&self) -> u32 {
        self.width
    }

    /// Height in dots.
    #[must_use]
    pub const fn height(&self) -> u32 {
        self.height
    }

    /// Bytes per row.
    #[must_use]
    pub fn row_bytes(&self) -> usize {
        row_bytes(self.width)
    }

    /// The packed rows.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether dot `(x, y)` is black (false outside the image).
    #[must_use]
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let index = y as usize * self.row_bytes() + (x / 8) as usize;
        self.data
            .get(index)
            .is_some_and(|byte| byte & (0x80 >> (x % 8)) != 0)
    }

    /// Set dot `(x, y)`; outside the image does nothing.
    pub fn set(&mut self, x: u32, y: u32, black: bool) {
        if x >= self.width || y >= self.height {
            return;
        }
        let index = y as usize * self.row_bytes() + (x / 8) as usize;
        if let Some(byte) = self.data.get_mut(index) {
            let bit = 0x80 >> (x % 8);
            if black {
                *byte |= bit;
            } else {
                *byte &= !bit;
            }
        }
    }

    /// Invert every dot in the rectangle (clipped to the image).
    pub fn invert_rect(&mut self, x0: u32, y0: u32, width: u32, height: u32) {
        for y in y0..y0.saturating_add(height).min(self.height) {
            for x in x0..x0.saturating_add(width).min(self.width) {
                let black = self.get(x, y);
                self.set(x, y, !black);
            }
        }
    }

    /// Append `other`'s rows below this image. `other` must not be wider; it is placed
    /// at x = 0.
    pub(crate) fn append_rows(&mut self, other: &Raster) {
        if other.width == self.width {
            self.data.extend_from_slice(&other.data);
            self.height += other.height;
            return;
        }
        let start = self.height;
        self.data.resize(
            self.data.len() + self.row_bytes() * other.height as usize,
            0,
        );
        self.height += other.height;
        self.blit(other, 0, start);
    }

    /// Add `rows` white rows at the bottom.
    pub(crate) fn extend_blank(&mut self, rows: u32) {
        self.data
            .resize(self.data.len() + self.row_bytes() * rows as usize, 0);
        self.height += rows;
    }

    /// OR `src` into this image with its top-left corner at `(x, y)` (clipped).
    pub fn blit(&mut self, src: &Raster, x: u32, y: u32) {
        for sy in 0..src.height {
            for sx in 0..src.width {
                if src.get(sx, sy) {
                    self.set(x + sx, y + sy, true);
                }
            }
        }
    }

    /// This image placed on a white strip `width` dots wide, at `x` (clipped).
    #[must_use]
    pub fn placed(&self, width: u32, x: u32) -> Raster {
        let mut out = Raster::new(width, self.height);
        out.blit(self, x, 0);
        out
    }
}

fn row_bytes(width: u32) -> usize {
    width.div_ceil(8) as usize
}

/// GS v 0 m xL xH yL yH d1…dk for `raster`, split into commands of at most
/// `chunk_rows` rows each (m = 0: normal density). An image with no dots sends nothing.
///
/// This matches python-escpos `image(…, impl="bitImageRaster", fragment_height=chunk_rows)`
/// byte for byte.
#[must_use]
pub fn gs_v_0(raster: &Raster, chunk_rows: u16) -> Vec<u8> {
    let row = raster.row_bytes();
    let chunk_rows = usize::from(chunk_rows.max(1));
    let mut out = Vec::with_capacity(
        raster.data.len() + 8 * raster.data.len().div_ceil(row.max(1) * chunk_rows),
    );
    if row == 0 || raster.height == 0 {
        return out;
    }
    for chunk in raster.data.chunks(row * chunk_rows) {
        let rows = chunk.len() / row;
        out.extend_from_slice(&[0x1D, b'v', b'0', 0]);
        out.extend_from_slice(&u16_le(row));
        out.extend_from_slice(&u16_le(rows));
        out.extend_from_slice(chunk);
    }
    out
}

fn u16_le(n: usize) -> [u8; 2] {
    let n = u16::try_from(n).unwrap_or(u16::MAX);
    n.to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_msb_first_and_pads() {
        let r = Raster::from_fn(10, 2, |x, y| x == 0 || (y == 1 && x == 9));
        assert_eq!(r.data(), &[0x80, 0x00, 0x80, 0x40]);
        assert!(r.get(9, 1));
        assert!(!r.get(10, 1));
    }

    #[test]
    fn chunks_rows() {
        let r = Raster::from_fn(16, 5, |_, _| true);
        let bytes = gs_v_0(&r, 2);
        // 3 commands: 2 + 2 + 1 rows.
        assert_eq!(bytes.len(), 3 * 8 + 5 * 2);
        assert_eq!(&bytes[..8], &[0x1D, 0x76, 0x30, 0, 2, 0, 2, 0]);
        assert_eq!(
            &bytes[bytes.len() - 10..bytes.len() - 2],
            &[0x1D, 0x76, 0x30, 0, 2, 0, 1, 0]
        );
    }

    #[test]
    fn from_packed_checks_length() {
        assert!(Raster::from_packed(9, 2, vec![0; 3]).is_err());
        let r = Raster::from_packed(9, 1, vec![0xFF, 0xFF]);
        assert_eq!(r.map(|r| r.data().to_vec()), Ok(vec![0xFF, 0x80]));
    }
}
