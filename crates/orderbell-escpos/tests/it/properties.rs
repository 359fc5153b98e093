//! Property tests: any text, in any text mode and on either paper, renders without
//! panicking and never exceeds the paper width.

#![allow(clippy::unwrap_used, reason = "test code")]

use orderbell_escpos::{
    Block, CodePage, Columns, Document, Paper, Profile, Size, Style, TextMode, render,
};
use proptest::prelude::*;

fn modes() -> Vec<TextMode> {
    vec![
        TextMode::Ascii(CodePage::Cp437),
        TextMode::Ascii(CodePage::Cp858),
        TextMode::Ascii(CodePage::Cp1252),
        TextMode::KsX1001 {
            korea_charset: true,
        },
        TextMode::Utf8 {
            select_command: false,
        },
        TextMode::Image,
    ]
}

/// Text mixing ASCII, Latin-1, Hangul in and out of KS X 1001, CJK, emoji, combining
/// marks, control characters and anything else.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,120}",
        "[a-zA-Z0-9 ₩€.,\\-]{0,120}",
        "[가-힣 ]{0,80}",
        "[똠똡똣똥뙤뙈뙉 가a]{0,60}",
        "[\u{0}-\u{1f}\u{7f}-\u{9f}\u{300}-\u{36f}\u{200b}-\u{200f}\u{1f600}-\u{1f64f}\u{3000}-\u{30ff}\u{ff01}-\u{ffe6}a ]{0,80}",
    ]
}

/// Printed columns of each text line in the output (text modes), or dots of each
/// raster (all modes); panics on a line that is too wide.
fn check_width(bytes: &[u8], profile: &Profile, sizes: &[u8]) {
    let dots = profile.paper.dots() as usize;
    let columns = profile.paper.columns();
    let mut i = 0;
    let mut line_cols = 0usize;
    let mut width_mult = 1usize;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            0x1B | 0x1C => {
                // ESC/FS commands the renderer emits (all fixed length here).
                let len = match (b, bytes[i + 1]) {
                    (0x1B, b'@') | (0x1C, b'&') | (0x1C, b'.') => 2,
                    (0x1B, b'p') => 5,
                    (0x1B, b'B') => 4,
                    (0x1C, b'(') => 5 + usize::from(bytes[i + 3]),
                    _ => 3,
                };
                i += len;
            }
            0x1D => match bytes[i + 1] {
                b'v' => {
                    let w = usize::from(bytes[i + 4]) + 256 * usize::from(bytes[i + 5]);
                    let h = usize::from(bytes[i + 6]) + 256 * usize::from(bytes[i + 7]);
                    assert!(w * 8 <= dots, "raster {w} bytes wide on {dots} dots");
                    i += 8 + w * h;
                }
                b'!' => {
                    width_mult = usize::from(bytes[i + 2] >> 4) + 1;
                    assert!(sizes.contains(&(width_mult as u8)));
                    i += 3;
                }
                b'(' => i += 5 + usize::from(bytes[i + 3]) + 256 * usize::from(bytes[i + 4]),
                _ => i += 3,
            },
            0x0A => {
                line_cols = 0;
                i += 1;
            }
            _ => {
                assert!(b >= 0x20, "control byte {b:#04x} in text at {i}");
                let (cols, len) = match profile.text_mode {
                    TextMode::KsX1001 { .. } if b >= 0x80 => (2, 2),
                    TextMode::Utf8 { .. } => {
                        let len = match b {
                            0xF0.. => 4,
                            0xE0.. => 3,
                            0xC0.. => 2,
                            _ => 1,
                        };
                        let c = std::str::from_utf8(&bytes[i..i + len])
                            .unwrap()
                            .chars()
                            .next()
                            .unwrap();
                        (
                            unicode_width::UnicodeWidthChar::width(c)
                                .unwrap_or(1)
                                .clamp(1, 2),
                            len,
                        )
                    }
                    _ => (1, 1),
                };
                line_cols += cols * width_mult;
                assert!(
                    line_cols <= columns,
                    "line of {line_cols} columns on {columns}"
                );
                i += len;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_text_fits(
        a in text(),
        b in text(),
        c in text(),
        width in 1u8..=4,
        height in 1u8..=3,
        fill in prop::sample::select(vec![' ', '.', '-', '가', '\u{1b}']),
        sep in any::<char>(),
    ) {
        let size = Size::new(width, height);
        let mut doc = Document::new();
        doc.text(a.clone(), Style::PLAIN.size(size).center());
        doc.text(b.clone(), Style::PLAIN.bold().underline().invert());
        doc.columns(Columns::new(a.clone(), b.clone()).with_fill(fill));
        doc.columns(Columns::new(c.clone(), a.clone()).with_middle(b.clone()).with_style(Style::PLAIN.size(size)));
        doc.push(Block::Separator(sep));
        for paper in [Paper::Mm58, Paper::Mm80] {
            for mode in modes() {
                let profile = Profile::new(paper, mode);
                let bytes = render(&doc, &profile).unwrap();
                check_width(&bytes, &profile, &[1, width]);
            }
        }
    }
}
