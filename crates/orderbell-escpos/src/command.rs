//! ESC/POS command bytes, one function per command. [`render`](crate::render) is built
//! from these; they are public so other programs (a test page, a status probe) can
//! reuse them. ESCPOS.md lists them with references.

use crate::document::{Align, Buzzer, Cut, CutKind, DrawerKick, DrawerPin, Size, Underline};
use crate::error::Error;

/// ESC
pub const ESC: u8 = 0x1B;
/// GS
pub const GS: u8 = 0x1D;
/// FS
pub const FS: u8 = 0x1C;
/// LF: print the line buffer and feed one line.
pub const LF: u8 = 0x0A;

/// ESC @: initialize (clear buffer, reset modes).
#[must_use]
pub const fn initialize() -> [u8; 2] {
    [ESC, b'@']
}

/// ESC t n: select character code table.
#[must_use]
pub const fn code_table(n: u8) -> [u8; 3] {
    [ESC, b't', n]
}

/// FS &: select Kanji (multi-byte) character mode.
#[must_use]
pub const fn kanji_on() -> [u8; 2] {
    [FS, b'&']
}

/// FS .: cancel Kanji (multi-byte) character mode.
#[must_use]
pub const fn kanji_off() -> [u8; 2] {
    [FS, b'.']
}

/// ESC R n: select an international character set (13 = Korea).
#[must_use]
pub const fn international_charset(n: u8) -> [u8; 3] {
    [ESC, b'R', n]
}

/// FS ( C pL pH fn=48 m=2: select UTF-8 as the character encoding (Epson).
#[must_use]
pub const fn select_utf8() -> [u8; 7] {
    [FS, b'(', b'C', 2, 0, 48, 2]
}

/// ESC a n: justification.
#[must_use]
pub const fn align(align: Align) -> [u8; 3] {
    let n = match align {
        Align::Left => 0,
        Align::Center => 1,
        Align::Right => 2,
    };
    [ESC, b'a', n]
}

/// ESC E n: emphasized on/off.
#[must_use]
pub const fn bold(on: bool) -> [u8; 3] {
    [ESC, b'E', on as u8]
}

/// ESC - n: underline (alphanumeric characters).
#[must_use]
pub const fn underline(mode: Underline) -> [u8; 3] {
    [ESC, b'-', underline_n(mode)]
}

/// FS - n: underline for Kanji (multi-byte) characters.
#[must_use]
pub const fn kanji_underline(mode: Underline) -> [u8; 3] {
    [FS, b'-', underline_n(mode)]
}

const fn underline_n(mode: Underline) -> u8 {
    match mode {
        Underline::None => 0,
        Underline::Single => 1,
        Underline::Double => 2,
    }
}

/// GS B n: white/black reverse on/off.
#[must_use]
pub const fn invert(on: bool) -> [u8; 3] {
    [GS, b'B', on as u8]
}

/// GS ! n: character size, width and height multipliers 1..=8.
///
/// # Errors
/// [`Error::TextSize`] outside 1..=8.
pub fn size(size: Size) -> Result<[u8; 3], Error> {
    if !(1..=8).contains(&size.width) || !(1..=8).contains(&size.height) {
        return Err(Error::TextSize {
            width: size.width,
            height: size.height,
        });
    }
    Ok([GS, b'!', ((size.width - 1) << 4) | (size.height - 1)])
}

/// ESC d n: print and feed n lines.
#[must_use]
pub const fn feed_lines(n: u8) -> [u8; 3] {
    [ESC, b'd', n]
}

/// ESC d n (when n > 0), then GS V m (m = 0 full, 1 partial).
///
/// With `feed_lines: 6` this is what python-escpos' `cut()` / `cut(mode="PART")` send.
#[must_use]
pub fn cut(cut: Cut) -> Vec<u8> {
    let mut out = Vec::with_capacity(6);
    if cut.feed_lines > 0 {
        out.extend_from_slice(&feed_lines(cut.feed_lines));
    }
    let m = match cut.kind {
        CutKind::Full => 0,
        CutKind::Partial => 1,
    };
    out.extend_from_slice(&[GS, b'V', m]);
    out
}

/// ESC p m t1 t2: generate a pulse on the drawer pin (m = 0 pin 2, 1 pin 5).
///
/// Five bytes. (The `escpos` crate sends only ESC p m, which printers read as the
/// start of a command and then swallow the next two bytes of whatever follows.)
#[must_use]
pub const fn drawer_kick(kick: DrawerKick) -> [u8; 5] {
    let m = match kick.pin {
        DrawerPin::Pin2 => 0,
        DrawerPin::Pin5 => 1,
    };
    [ESC, b'p', m, kick.on_time, kick.off_time]
}

/// ESC B n t: buzzer, n beeps of duration t (both 1..=9).
///
/// # Errors
/// [`Error::Buzzer`] outside 1..=9.
pub fn buzzer(buzzer: Buzzer) -> Result<[u8; 4], Error> {
    if !(1..=9).contains(&buzzer.times) || !(1..=9).contains(&buzzer.duration) {
        return Err(Error::Buzzer {
            times: buzzer.times,
            duration: buzzer.duration,
        });
    }
    Ok([ESC, b'B', buzzer.times, buzzer.duration])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawer_kick_is_five_bytes() {
        assert_eq!(drawer_kick(DrawerKick::PIN2), [0x1B, 0x70, 0, 50, 50]);
        assert_eq!(drawer_kick(DrawerKick::PIN5), [0x1B, 0x70, 1, 50, 50]);
    }

    #[test]
    fn size_is_checked() {
        assert_eq!(size(Size::new(2, 3)), Ok([0x1D, 0x21, 0x12]));
        assert!(size(Size::new(0, 1)).is_err());
        assert!(size(Size::new(1, 9)).is_err());
    }
}
