//! Single-byte code pages (CP437, CP858, CP1252) and the transliterations used when a
//! character is not in the selected page.

use crate::profile::CodePage;

/// The byte for `c` in `cp`, if the page has it. ASCII printable characters map to
/// themselves; control characters never map.
#[must_use]
pub fn encode(cp: CodePage, c: char) -> Option<u8> {
    if (' '..='~').contains(&c) {
        return Some(c as u8);
    }
    let byte = match cp {
        CodePage::Cp437 => high_half(&oem_cp::code_table::DECODING_TABLE_CP437, c),
        CodePage::Cp858 => high_half(&oem_cp::code_table::DECODING_TABLE_CP858, c),
        CodePage::Cp1252 => windows_1252(c),
    }?;
    // Never emit a byte a printer could read as a control code.
    (byte >= 0x80 && !(c.is_control())).then_some(byte)
}

fn high_half(table: &[char; 128], c: char) -> Option<u8> {
    let index = table.iter().position(|&t| t == c)?;
    u8::try_from(index + 0x80).ok()
}

fn windows_1252(c: char) -> Option<u8> {
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
    match (had_errors, bytes.as_ref()) {
        (false, [b]) => Some(*b),
        _ => None,
    }
}

/// Push `c` if `cp` has it, else an ASCII stand-in, else `?`.
pub(crate) fn push_transliterated(cp: CodePage, c: char, out: &mut String) {
    if encode(cp, c).is_some() {
        out.push(c);
        return;
    }
    // Fullwidth ASCII variants (Ｆ, １, ￦ …) → their ASCII forms.
    if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        if let Some(ascii) = char::from_u32(c as u32 - 0xFEE0) {
            out.push(ascii);
            return;
        }
    }
    let stand_in = match c {
        '₩' | '￦' => "W",
        '€' => "EUR",
        '¥' | '￥' => "Y",
        '£' | '￡' => "GBP",
        '–' | '—' | '―' | '‐' | '‑' | '−' | '─' | '━' => "-",
        '‘' | '’' | '‚' | '′' | '´' => "'",
        '“' | '”' | '„' | '″' => "\"",
        '…' => "...",
        '×' => "x",
        '·' | '•' | '∙' | '・' => "*",
        '→' => "->",
        '←' => "<-",
        '　' => "  ",
        'é' | 'è' | 'ê' | 'ë' => "e",
        _ => "?",
    };
    for s in stand_in.chars() {
        // A stand-in may itself be missing (e.g. `*` is ASCII, always fine).
        out.push(if encode(cp, s).is_some() { s } else { '?' });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euro_per_page() {
        assert_eq!(encode(CodePage::Cp858, '€'), Some(0xD5));
        assert_eq!(encode(CodePage::Cp1252, '€'), Some(0x80));
        assert_eq!(encode(CodePage::Cp437, '€'), None);
        let mut s = String::new();
        push_transliterated(CodePage::Cp437, '€', &mut s);
        push_transliterated(CodePage::Cp437, '₩', &mut s);
        push_transliterated(CodePage::Cp437, '가', &mut s);
        assert_eq!(s, "EURW?");
    }

    #[test]
    fn no_control_bytes() {
        for cp in [CodePage::Cp437, CodePage::Cp858, CodePage::Cp1252] {
            for c in ['\u{1B}', '\u{81}', '\u{8D}', '\u{9D}', '\n'] {
                assert_eq!(encode(cp, c), None, "{cp:?} {c:?}");
            }
        }
    }
}
