//! Printer profiles: paper width, text mode and the optional features a model has.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Paper width. Columns are for Font A (12 x 24 dots); Hangul takes two columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Paper {
    /// 58 mm roll: 32 columns, 384 dots.
    Mm58,
    /// 80 mm roll: 48 columns, 576 dots.
    #[default]
    Mm80,
}

impl Paper {
    /// Characters per line in Font A at normal size.
    #[must_use]
    pub const fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }

    /// Printable dots per line (203 dpi).
    #[must_use]
    pub const fn dots(self) -> u32 {
        match self {
            Paper::Mm58 => 384,
            Paper::Mm80 => 576,
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Paper::Mm58 => "58mm",
            Paper::Mm80 => "80mm",
        })
    }
}

impl FromStr for Paper {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "58" | "58mm" => Ok(Paper::Mm58),
            "80" | "80mm" => Ok(Paper::Mm80),
            _ => Err(Error::UnknownName {
                what: "paper width",
                value: s.to_owned(),
            }),
        }
    }
}

/// A single-byte code page selected with ESC t n.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CodePage {
    /// PC437 (USA, standard Europe), ESC t 0.
    #[default]
    Cp437,
    /// PC858 (multilingual Latin-1 with €), ESC t 19.
    Cp858,
    /// WPC1252 (Windows Latin-1), ESC t 16.
    Cp1252,
}

impl CodePage {
    /// The `n` of ESC t n (Epson numbering, as in python-escpos' capabilities database).
    #[must_use]
    pub const fn escpos_table(self) -> u8 {
        match self {
            CodePage::Cp437 => 0,
            CodePage::Cp858 => 19,
            CodePage::Cp1252 => 16,
        }
    }

    /// Lower-case name (`cp437`, `cp858`, `cp1252`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            CodePage::Cp437 => "cp437",
            CodePage::Cp858 => "cp858",
            CodePage::Cp1252 => "cp1252",
        }
    }
}

/// How text reaches the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextMode {
    /// Single-byte text in a code page (ESC t n). Characters outside it are
    /// transliterated (`₩` → `W`, `€` → `EUR`, `–` → `-`, …) or become `?`.
    Ascii(CodePage),
    /// Korean printers: FS & (multi-byte on), optionally ESC R 13, text in EUC-KR
    /// restricted to KS X 1001. A line holding anything outside KS X 1001 (e.g. 똠)
    /// is drawn as a raster image instead.
    KsX1001 {
        /// Also send ESC R 13 (Korea international character set).
        korea_charset: bool,
    },
    /// Printers that take UTF-8.
    Utf8 {
        /// Send Epson's FS ( C fn 48 m=2 ("select UTF-8") after ESC @. Leave off for
        /// printers that take UTF-8 by default / by a setting.
        select_command: bool,
    },
    /// Everything drawn as raster images (GS v 0) with an embedded Unifont.
    Image,
}

impl TextMode {
    /// Short name, as accepted by [`FromStr`]: `ascii:cp437`, `ks_x_1001`, `utf8`, `image`.
    #[must_use]
    pub fn name(self) -> String {
        match self {
            TextMode::Ascii(cp) => format!("ascii:{}", cp.name()),
            TextMode::KsX1001 {
                korea_charset: true,
            } => "ks_x_1001".to_owned(),
            TextMode::KsX1001 {
                korea_charset: false,
            } => "ks_x_1001:plain".to_owned(),
            TextMode::Utf8 {
                select_command: true,
            } => "utf8:epson".to_owned(),
            TextMode::Utf8 {
                select_command: false,
            } => "utf8".to_owned(),
            TextMode::Image => "image".to_owned(),
        }
    }
}

impl fmt::Display for TextMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for TextMode {
    type Err = Error;

    /// Accepts `ascii` (= `ascii:cp437`), `ascii:cp858`, `ascii:cp1252`, `ks_x_1001`
    /// (with ESC R 13), `ks_x_1001:plain` (without), `utf8`, `utf8:epson`, `image`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mode = match s.trim().to_ascii_lowercase().as_str() {
            "ascii" | "ascii:cp437" => TextMode::Ascii(CodePage::Cp437),
            "ascii:cp858" => TextMode::Ascii(CodePage::Cp858),
            "ascii:cp1252" => TextMode::Ascii(CodePage::Cp1252),
            "ks_x_1001" | "ksx1001" => TextMode::KsX1001 {
                korea_charset: true,
            },
            "ks_x_1001:plain" => TextMode::KsX1001 {
                korea_charset: false,
            },
            "utf8" | "utf-8" => TextMode::Utf8 {
                select_command: false,
            },
            "utf8:epson" => TextMode::Utf8 {
                select_command: true,
            },
            "image" | "raster" => TextMode::Image,
            _ => {
                return Err(Error::UnknownName {
                    what: "text mode",
                    value: s.to_owned(),
                });
            }
        };
        Ok(mode)
    }
}

/// What a printer model can do, and how to talk to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Profile {
    /// Paper width.
    pub paper: Paper,
    /// How text is sent.
    pub text_mode: TextMode,
    /// The printer draws QR codes itself (GS ( k). Otherwise they are sent as raster.
    pub native_qr: bool,
    /// The printer has a buzzer that ESC B drives. Otherwise buzzer blocks are skipped.
    pub buzzer: bool,
    /// The printer has a cutter. Otherwise cut blocks only feed.
    pub cutter: bool,
    /// Send FS . (cancel Kanji mode) in `ascii`/`utf8` modes, for Asian models whose
    /// default is multi-byte and would pair up bytes above 0x7F.
    pub cancel_kanji: bool,
    /// At most this many rows per GS v 0 command (1..=2303), so a printer with a small
    /// receive buffer can take each command.
    pub raster_chunk_rows: u16,
}

impl Profile {
    /// Default rows per GS v 0 command: 128 rows are 9 KiB on 80 mm paper.
    pub const DEFAULT_RASTER_CHUNK_ROWS: u16 = 128;

    /// A profile with native QR, a cutter, no buzzer and 128-row raster chunks.
    #[must_use]
    pub const fn new(paper: Paper, text_mode: TextMode) -> Self {
        Profile {
            paper,
            text_mode,
            native_qr: true,
            buzzer: false,
            cutter: true,
            cancel_kanji: false,
            raster_chunk_rows: Self::DEFAULT_RASTER_CHUNK_ROWS,
        }
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::new(Paper::Mm80, TextMode::Ascii(CodePage::Cp437))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_mode_names_round_trip() {
        for mode in [
            TextMode::Ascii(CodePage::Cp437),
            TextMode::Ascii(CodePage::Cp858),
            TextMode::Ascii(CodePage::Cp1252),
            TextMode::KsX1001 {
                korea_charset: true,
            },
            TextMode::KsX1001 {
                korea_charset: false,
            },
            TextMode::Utf8 {
                select_command: true,
            },
            TextMode::Utf8 {
                select_command: false,
            },
            TextMode::Image,
        ] {
            assert_eq!(mode.name().parse::<TextMode>(), Ok(mode));
        }
        assert!("klingon".parse::<TextMode>().is_err());
        assert_eq!("58mm".parse::<Paper>(), Ok(Paper::Mm58));
    }
}
