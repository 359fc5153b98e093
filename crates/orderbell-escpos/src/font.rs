//! Drawing text into rasters with the embedded GNU Unifont (8x16 halfwidth and 16x16
//! fullwidth glyphs, Latin and Hangul included), so no font file is needed.
//!
//! One text column is a Font A cell, 12 x 24 dots: glyphs are scaled by 1.5 (nearest
//! neighbour) so drawn lines match the printer's own text in size and column count.

use crate::document::{Style, Underline};
use crate::raster::Raster;

/// Dots per column at normal width (Font A).
pub(crate) const CELL_WIDTH: u32 = 12;
/// Dots per character row at normal height (Font A).
pub(crate) const CELL_HEIGHT: u32 = 24;
/// Blank dots under each drawn line (Font A default line spacing is 30 dots).
pub(crate) const LINE_GAP: u32 = 6;

/// Columns `c` takes when drawn: 2 for fullwidth glyphs, else 1 (a character the
/// font lacks is drawn as a one-column box).
pub(crate) fn columns(c: char) -> usize {
    match unifont::get_glyph(c) {
        Some(glyph) if glyph.is_fullwidth() => 2,
        _ => 1,
    }
}

/// Draw one laid-out line (`(char, columns)` cells) into a strip `width` dots wide,
/// starting `x0` dots from the left, with `style`'s size, bold, underline and invert.
/// The strip is `24 * height + 6` dots tall.
pub(crate) fn draw_line(cells: &[(char, usize)], style: &Style, width: u32, x0: u32) -> Raster {
    let w = u32::from(style.size.width.clamp(1, 8));
    let h = u32::from(style.size.height.clamp(1, 8));
    let cell_w = CELL_WIDTH * w;
    let text_h = CELL_HEIGHT * h;
    let mut strip = Raster::new(width, text_h + LINE_GAP);
    let mut x = x0;
    for &(c, cols) in cells {
        let cols = u32::try_from(cols).unwrap_or(1);
        let box_w = cell_w * cols;
        draw_char(&mut strip, c, x, box_w, w, h, style.bold);
        x += box_w;
    }
    let used = x.saturating_sub(x0);
    match style.underline {
        Underline::None => {}
        Underline::Single | Underline::Double => {
            let thickness = if style.underline == Underline::Double {
                2
            } else {
                1
            };
            for dy in 0..thickness {
                for dx in 0..used {
                    strip.set(x0 + dx, text_h - 1 - dy, true);
                }
            }
        }
    }
    if style.invert {
        strip.invert_rect(x0, 0, used, text_h);
    }
    strip
}

/// Draw `c` centered in a box `box_w` wide and `24 * h` tall at `x`.
fn draw_char(strip: &mut Raster, c: char, x: u32, box_w: u32, w: u32, h: u32, bold: bool) {
    if c == ' ' {
        return;
    }
    let Some(glyph) = unifont::get_glyph(c) else {
        draw_box(strip, x, box_w, h);
        return;
    };
    let src_w = u32::try_from(glyph.get_width()).unwrap_or(8);
    // 1.5x: src 8 → 12 dots, 16 → 24 dots (times the size multipliers).
    let dst_w = src_w * 3 * w / 2;
    let dst_h = 16 * 3 * h / 2;
    let left = x + box_w.saturating_sub(dst_w) / 2;
    for dy in 0..dst_h {
        let sy = (dy * 2 / (3 * h)) as usize;
        for dx in 0..dst_w {
            let sx = (dx * 2 / (3 * w)) as usize;
            if glyph.get_pixel(sx, sy) {
                strip.set(left + dx, dy, true);
                if bold {
                    strip.set(left + dx + 1, dy, true);
                }
            }
        }
    }
}

/// A hollow box for characters the font lacks.
fn draw_box(strip: &mut Raster, x: u32, box_w: u32, h: u32) {
    let top = 3 * h;
    let bottom = CELL_HEIGHT * h - 3 * h;
    let left = x + 2;
    let right = (x + box_w).saturating_sub(3);
    for xx in left..=right {
        strip.set(xx, top, true);
        strip.set(xx, bottom, true);
    }
    for yy in top..=bottom {
        strip.set(left, yy, true);
        strip.set(right, yy, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_is_two_columns() {
        assert_eq!(columns('가'), 2);
        assert_eq!(columns('똠'), 2);
        assert_eq!(columns('A'), 1);
        assert_eq!(columns('₩'), 1);
    }

    #[test]
    fn draws_inside_the_strip() {
        let cells = [('똠', 2), ('A', 1)];
        let strip = draw_line(&cells, &Style::PLAIN.bold(), 60, 0);
        assert_eq!(strip.height(), 30);
        assert!(strip.data().iter().any(|&b| b != 0));
    }
}
