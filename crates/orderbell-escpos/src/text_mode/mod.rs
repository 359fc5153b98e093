//! Text modes: how characters become printer bytes, and how many columns each takes.
//!
//! Every mode answers three questions for the layout and the renderer:
//! what the text looks like after mode-specific clean-up ([`Charset::prepare`]),
//! how many columns a character takes on paper ([`Charset::columns`]), and which
//! bytes print a laid-out line, or `None` when the line must be drawn as a raster.

pub mod code_page;
pub mod ks_x_1001;

use unicode_width::UnicodeWidthChar;

pub use code_page::encode as encode_code_page;
pub use ks_x_1001::encode as encode_ks_x_1001;

use crate::font;
use crate::profile::{CodePage, TextMode};

/// The per-mode character rules used by layout and rendering.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Charset {
    Ascii(CodePage),
    KsX1001,
    Utf8,
    Image,
}

impl Charset {
    pub(crate) fn for_mode(mode: TextMode) -> Self {
        match mode {
            TextMode::Ascii(cp) => Charset::Ascii(cp),
            TextMode::KsX1001 { .. } => Charset::KsX1001,
            TextMode::Utf8 { .. } => Charset::Utf8,
            TextMode::Image => Charset::Image,
        }
    }

    /// Drop what must never reach a printer (control characters would be commands:
    /// user text could otherwise open the cash drawer), drop zero-width characters,
    /// and apply the mode's substitutions. `\n` is not expected here (the caller splits
    /// paragraphs); `\t` becomes a space.
    pub(crate) fn prepare(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            let c = match c {
                '\t' | '\u{00A0}' | '\u{2007}' | '\u{202F}' => ' ',
                c if c.is_control() => continue,
                c => c,
            };
            if c != ' ' && c.width().unwrap_or(0) == 0 {
                continue;
            }
            match self {
                Charset::Ascii(cp) => code_page::push_transliterated(cp, c, &mut out),
                Charset::KsX1001 => out.push(ks_x_1001::substitute(c)),
                Charset::Utf8 | Charset::Image => out.push(c),
            }
        }
        out
    }

    /// Columns (Font A cells, 12 dots each) that `c` takes on paper: 1 or 2.
    pub(crate) fn columns(self, c: char) -> usize {
        match self {
            Charset::Ascii(_) => 1,
            Charset::KsX1001 => {
                if c.is_ascii() {
                    1
                } else if ks_x_1001::encode(c).is_some() {
                    // Printed from the printer's 24x24 multi-byte font.
                    2
                } else {
                    font::columns(c)
                }
            }
            Charset::Utf8 => c.width().unwrap_or(1).clamp(1, 2),
            Charset::Image => font::columns(c),
        }
    }

    /// The bytes that print `line`, or `None` if it has to be drawn (image mode, or a
    /// character outside KS X 1001).
    pub(crate) fn encode_line(self, line: &[char]) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(line.len() * 2);
        match self {
            Charset::Ascii(cp) => {
                for &c in line {
                    out.push(code_page::encode(cp, c).unwrap_or(b'?'));
                }
            }
            Charset::KsX1001 => {
                for &c in line {
                    if c.is_ascii() {
                        out.push(c as u8);
                    } else {
                        out.extend_from_slice(&ks_x_1001::encode(c)?);
                    }
                }
            }
            Charset::Utf8 => {
                let mut buf = [0u8; 4];
                for &c in line {
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
            Charset::Image => return None,
        }
        Some(out)
    }
}
