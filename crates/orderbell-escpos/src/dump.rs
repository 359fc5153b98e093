//! A readable listing of ESC/POS bytes: one command per line with its hex, decoded
//! text, and raster images drawn as block characters. Used by the snapshot tests and
//! handy when debugging what reached a printer.

use std::fmt::Write as _;

use crate::profile::{CodePage, TextMode};

/// List `bytes` one command per line. `mode` says how to decode text bytes.
#[must_use]
pub fn dump(bytes: &[u8], mode: TextMode) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let (len, name) = command_at(bytes, i, mode);
        let len = len.max(1).min(bytes.len() - i);
        let chunk = bytes.get(i..i + len).unwrap_or_default();
        if name == "TEXT" {
            let text = decode(chunk, mode);
            let _ = writeln!(out, "{i:05x}  TEXT {text:?}");
            for row in chunk.chunks(16) {
                let _ = writeln!(out, "       {}", hex(row));
            }
        } else if name == "GS v 0" {
            let header = chunk.get(..8).unwrap_or_default();
            let width_bytes = usize::from(le(header, 4));
            let height = usize::from(le(header, 6));
            let _ = writeln!(
                out,
                "{i:05x}  GS v 0 raster {}x{} dots  [{}] (+{} data bytes)",
                width_bytes * 8,
                height,
                hex(header),
                chunk.len().saturating_sub(8)
            );
            art(chunk.get(8..).unwrap_or_default(), width_bytes, &mut out);
        } else if name == "GS ( k" && chunk.len() > 24 {
            let _ = writeln!(
                out,
                "{i:05x}  {name:<16} [{} …] ({} bytes)",
                hex(&chunk[..8]),
                chunk.len()
            );
        } else {
            let _ = writeln!(out, "{i:05x}  {name:<16} [{}]", hex(chunk));
        }
        i += len;
    }
    out
}

fn le(bytes: &[u8], at: usize) -> u16 {
    let lo = bytes.get(at).copied().unwrap_or(0);
    let hi = bytes.get(at + 1).copied().unwrap_or(0);
    u16::from_le_bytes([lo, hi])
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Length and name of the command (or text run) at `i`.
fn command_at(b: &[u8], i: usize, mode: TextMode) -> (usize, &'static str) {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    match (at(0), at(1)) {
        (0x0A, _) => (1, "LF"),
        (0x1B, b'@') => (2, "ESC @ init"),
        (0x1B, b't') => (3, "ESC t codepage"),
        (0x1B, b'R') => (3, "ESC R charset"),
        (0x1B, b'a') => (3, "ESC a align"),
        (0x1B, b'E') => (3, "ESC E bold"),
        (0x1B, b'-') => (3, "ESC - underline"),
        (0x1B, b'd') => (3, "ESC d feed"),
        (0x1B, b'p') => (5, "ESC p drawer"),
        (0x1B, b'B') => (4, "ESC B buzzer"),
        (0x1C, b'&') => (2, "FS & kanji on"),
        (0x1C, b'.') => (2, "FS . kanji off"),
        (0x1C, b'-') => (3, "FS - underline"),
        (0x1C, b'(') => (5 + usize::from(le(b, i + 3)), "FS ( C"),
        (0x1D, b'!') => (3, "GS ! size"),
        (0x1D, b'B') => (3, "GS B invert"),
        (0x1D, b'V') => (3, "GS V cut"),
        (0x1D, b'(') => (5 + usize::from(le(b, i + 3)), "GS ( k"),
        (0x1D, b'v') => {
            let width = usize::from(le(b, i + 4));
            let height = usize::from(le(b, i + 6));
            (8 + width * height, "GS v 0")
        }
        (c, _) if c < 0x20 || c == 0x7F => (1, "?? control"),
        _ => (text_run(b, i, mode), "TEXT"),
    }
}

fn text_run(b: &[u8], start: usize, mode: TextMode) -> usize {
    let mut i = start;
    while let Some(&c) = b.get(i) {
        if c < 0x20 || c == 0x7F {
            break;
        }
        if matches!(mode, TextMode::KsX1001 { .. }) && c >= 0x80 {
            i += 2;
        } else {
            i += 1;
        }
    }
    (i - start).min(b.len() - start)
}

fn decode(bytes: &[u8], mode: TextMode) -> String {
    match mode {
        TextMode::Ascii(cp) => bytes.iter().map(|&b| decode_code_page(cp, b)).collect(),
        TextMode::KsX1001 { .. } => encoding_rs::EUC_KR
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
        TextMode::Utf8 { .. } | TextMode::Image => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn decode_code_page(cp: CodePage, b: u8) -> char {
    if b < 0x80 {
        return char::from(b);
    }
    let index = usize::from(b - 0x80);
    match cp {
        CodePage::Cp437 => oem_cp::code_table::DECODING_TABLE_CP437.get(index).copied(),
        CodePage::Cp858 => oem_cp::code_table::DECODING_TABLE_CP858.get(index).copied(),
        CodePage::Cp1252 => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(&[b])
            .0
            .chars()
            .next(),
    }
    .unwrap_or('\u{FFFD}')
}

/// Draw raster rows two by two dots per character with quadrant blocks; runs of blank
/// rows are collapsed.
fn art(data: &[u8], width_bytes: usize, out: &mut String) {
    if width_bytes == 0 {
        return;
    }
    let rows: Vec<&[u8]> = data.chunks(width_bytes).collect();
    let dot = |x: usize, y: usize| -> bool {
        rows.get(y)
            .and_then(|row| row.get(x / 8))
            .is_some_and(|byte| byte & (0x80 >> (x % 8)) != 0)
    };
    const QUADRANTS: [char; 16] = [
        ' ', '▘', '▝', '▀', '▖', '▌', '▞', '▛', '▗', '▚', '▐', '▜', '▄', '▙', '▟', '█',
    ];
    let mut blank = 0;
    let flush_blank = |blank: &mut usize, out: &mut String| {
        if *blank > 0 {
            let _ = writeln!(out, "       | ({} blank dot rows)", *blank * 2);
            *blank = 0;
        }
    };
    for y in (0..rows.len()).step_by(2) {
        let mut line = String::new();
        for x in (0..width_bytes * 8).step_by(2) {
            let q = usize::from(dot(x, y))
                | usize::from(dot(x + 1, y)) << 1
                | usize::from(dot(x, y + 1)) << 2
                | usize::from(dot(x + 1, y + 1)) << 3;
            line.push(QUADRANTS.get(q).copied().unwrap_or(' '));
        }
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
        } else {
            flush_blank(&mut blank, out);
            let _ = writeln!(out, "       |{line}");
        }
    }
    flush_blank(&mut blank, out);
}
