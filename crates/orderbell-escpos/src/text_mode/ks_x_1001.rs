//! EUC-KR restricted to KS X 1001: both bytes in 0xA1..=0xFE.
//!
//! `encoding_rs`' EUC-KR is the WHATWG one, i.e. Windows-949 (UHC): for the 8,822
//! Hangul syllables that KS X 1001 lacks (똠 U+B620 → 0x8C 0x63) it returns extension
//! pairs whose lead byte is 0x81..=0xC6 and/or trail byte is below 0xA1. A Korean
//! printer's KS X 1001 font would print garbage for those, so they are refused here
//! and the caller draws the line instead.

/// The KS X 1001 (EUC-KR) byte pair for `c`, or `None` if KS X 1001 does not have it.
/// ASCII is not handled here (it is single-byte in EUC-KR).
#[must_use]
pub fn encode(c: char) -> Option<[u8; 2]> {
    if c.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = encoding_rs::EUC_KR.encode(c.encode_utf8(&mut buf));
    match (had_errors, bytes.as_ref()) {
        (false, &[lead, trail])
            if (0xA1..=0xFE).contains(&lead) && (0xA1..=0xFE).contains(&trail) =>
        {
            Some([lead, trail])
        }
        _ => None,
    }
}

/// Substitutions that keep a line printable as text: `₩` (U+20A9) is not in KS X 1001
/// but FULLWIDTH WON SIGN `￦` (U+FFE6) is, at 0xA3DC; dashes KS X 1001 lacks become
/// `-`.
pub(crate) fn substitute(c: char) -> char {
    match c {
        '₩' => '￦',
        '–' | '—' | '‐' | '‑' | '−' => '-',
        '•' => '·',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict() {
        assert_eq!(encode('가'), Some([0xB0, 0xA1]));
        assert_eq!(encode('￦'), Some([0xA3, 0xDC]));
        assert_eq!(encode('똠'), None);
        assert_eq!(encode('₩'), None);
        assert_eq!(encode('A'), None);
        assert_eq!(encode('😀'), None);
    }
}
