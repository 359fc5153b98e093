//! The receipt document model: what is printed, independent of any printer.
//!
//! A [`Document`] is a list of [`Block`]s. Text is plain Unicode; how it becomes bytes
//! (code page, KS X 1001, UTF-8 or raster) is the [`Profile`](crate::Profile)'s business.

use crate::raster::Raster;

/// A receipt (or any ticket) as a list of blocks, printed top to bottom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The blocks in print order.
    pub blocks: Vec<Block>,
}

/// One printable element of a [`Document`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A paragraph of text: wrapped to the paper width, `\n` starts a new line.
    Text {
        /// The text (control characters other than `\n` and `\t` are dropped).
        text: String,
        /// Style and alignment.
        style: Style,
    },
    /// A two- or three-column row, e.g. `2 x Americano ........ ₩9,000`.
    Columns(Columns),
    /// A full-width line of one repeated character (e.g. `-`, `=`, `─`).
    Separator(char),
    /// `n` blank lines.
    Feed(u8),
    /// A QR code.
    Qr(QrCode),
    /// A raster image.
    Image {
        /// The bitmap.
        raster: Raster,
        /// Horizontal placement on the paper.
        align: Align,
    },
    /// Feed and cut the paper.
    Cut(Cut),
    /// Pulse a cash-drawer pin (ESC p m t1 t2).
    DrawerKick(DrawerKick),
    /// Sound the printer's buzzer, on profiles that have one.
    Buzzer(Buzzer),
}

/// Text style. `Style::default()` is plain, normal size, left aligned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Style {
    /// Emphasized (ESC E).
    pub bold: bool,
    /// Underline (ESC - / FS -).
    pub underline: Underline,
    /// White on black (GS B).
    pub invert: bool,
    /// Character size multipliers (GS !).
    pub size: Size,
    /// Horizontal alignment (ESC a).
    pub align: Align,
}

impl Style {
    /// Plain text.
    pub const PLAIN: Style = Style {
        bold: false,
        underline: Underline::None,
        invert: false,
        size: Size::NORMAL,
        align: Align::Left,
    };

    /// This style, bold.
    #[must_use]
    pub const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }

    /// This style, underlined once.
    #[must_use]
    pub const fn underline(mut self) -> Self {
        self.underline = Underline::Single;
        self
    }

    /// This style, white on black.
    #[must_use]
    pub const fn invert(mut self) -> Self {
        self.invert = true;
        self
    }

    /// This style with the given size.
    #[must_use]
    pub const fn size(mut self, size: Size) -> Self {
        self.size = size;
        self
    }

    /// This style with the given alignment.
    #[must_use]
    pub const fn align(mut self, align: Align) -> Self {
        self.align = align;
        self
    }

    /// This style, centered.
    #[must_use]
    pub const fn center(self) -> Self {
        self.align(Align::Center)
    }
}

/// Underline thickness.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Underline {
    /// No underline.
    #[default]
    None,
    /// One dot thick.
    Single,
    /// Two dots thick.
    Double,
}

/// Horizontal alignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Align {
    /// Flush left.
    #[default]
    Left,
    /// Centered.
    Center,
    /// Flush right.
    Right,
}

/// Character size multipliers, each 1..=8 (checked when rendering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size {
    /// Horizontal multiplier.
    pub width: u8,
    /// Vertical multiplier.
    pub height: u8,
}

impl Size {
    /// Normal size.
    pub const NORMAL: Size = Size {
        width: 1,
        height: 1,
    };
    /// Double height only (keeps the column count).
    pub const TALL: Size = Size {
        width: 1,
        height: 2,
    };
    /// Double width and height.
    pub const DOUBLE: Size = Size {
        width: 2,
        height: 2,
    };

    /// A size with the given multipliers.
    #[must_use]
    pub const fn new(width: u8, height: u8) -> Self {
        Size { width, height }
    }
}

impl Default for Size {
    fn default() -> Self {
        Size::NORMAL
    }
}

/// A row of two or three columns on one line.
///
/// `right` (and `middle`, when present) keep their natural width and are flush
/// right; `left` takes what remains and wraps onto further lines. Between the end of
/// `left` and the next column the row is padded with `fill` (e.g. `'.'` for leaders).
/// If `right`/`middle` are too wide to leave `left` a third of the line, they are
/// truncated, their last kept character replaced by `~`; nothing ever goes past the
/// paper edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Left column (wraps).
    pub left: String,
    /// Optional middle column (e.g. unit price), right-aligned before `right`.
    pub middle: Option<String>,
    /// Right column (e.g. line total).
    pub right: String,
    /// Padding character between columns (`' '` or `'.'`, usually).
    pub fill: char,
    /// Style (the alignment is ignored: rows always span the line).
    pub style: Style,
}

impl Columns {
    /// A two-column row padded with spaces.
    #[must_use]
    pub fn new(left: impl Into<String>, right: impl Into<String>) -> Self {
        Columns {
            left: left.into(),
            middle: None,
            right: right.into(),
            fill: ' ',
            style: Style::PLAIN,
        }
    }

    /// Add a middle column.
    #[must_use]
    pub fn with_middle(mut self, middle: impl Into<String>) -> Self {
        self.middle = Some(middle.into());
        self
    }

    /// Pad with this character instead of spaces.
    #[must_use]
    pub fn with_fill(mut self, fill: char) -> Self {
        self.fill = fill;
        self
    }

    /// Use this style.
    #[must_use]
    pub fn with_style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
}

/// A QR code (always Model 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    /// Payload, sent as UTF-8 bytes.
    pub data: String,
    /// Module (dot) size, 1..=16.
    pub module_size: u8,
    /// Error-correction level.
    pub error_correction: QrErrorCorrection,
    /// Horizontal placement.
    pub align: Align,
}

impl QrCode {
    /// A centered QR code, module size 6, error correction M.
    #[must_use]
    pub fn new(data: impl Into<String>) -> Self {
        QrCode {
            data: data.into(),
            module_size: 6,
            error_correction: QrErrorCorrection::M,
            align: Align::Center,
        }
    }
}

/// QR error-correction level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum QrErrorCorrection {
    /// ~7 %.
    L,
    /// ~15 %.
    #[default]
    M,
    /// ~25 %.
    Q,
    /// ~30 %.
    H,
}

/// Paper cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cut {
    /// Full or partial.
    pub kind: CutKind,
    /// Lines fed before cutting (ESC d n) so the last line clears the cutter.
    pub feed_lines: u8,
}

impl Cut {
    /// Feed 6 lines, then cut fully (what python-escpos `cut()` sends).
    pub const FULL: Cut = Cut {
        kind: CutKind::Full,
        feed_lines: 6,
    };
    /// Feed 6 lines, then cut partially (python-escpos `cut(mode="PART")`).
    pub const PARTIAL: Cut = Cut {
        kind: CutKind::Partial,
        feed_lines: 6,
    };
}

/// Full or partial cut (GS V 0 / GS V 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CutKind {
    /// Cut through.
    Full,
    /// Leave a tab.
    Partial,
}

/// Cash-drawer kick: ESC p m t1 t2 (five bytes).
///
/// The pulse is `on_time * 2` ms on and `off_time * 2` ms off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DrawerKick {
    /// Connector pin.
    pub pin: DrawerPin,
    /// On time, in units of 2 ms.
    pub on_time: u8,
    /// Off time, in units of 2 ms.
    pub off_time: u8,
}

impl DrawerKick {
    /// Pin 2, 100 ms on, 100 ms off (python-escpos `CD_KICK_2`).
    pub const PIN2: DrawerKick = DrawerKick {
        pin: DrawerPin::Pin2,
        on_time: 50,
        off_time: 50,
    };
    /// Pin 5, 100 ms on, 100 ms off (python-escpos `CD_KICK_5`).
    pub const PIN5: DrawerKick = DrawerKick {
        pin: DrawerPin::Pin5,
        on_time: 50,
        off_time: 50,
    };
}

/// Drawer kick-out connector pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DrawerPin {
    /// Pin 2 (m = 0).
    Pin2,
    /// Pin 5 (m = 1).
    Pin5,
}

/// Buzzer: ESC B n t (beeps `times`, each `duration`; both 1..=9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Buzzer {
    /// Number of beeps, 1..=9.
    pub times: u8,
    /// Duration factor, 1..=9 (model specific, about 100 ms each).
    pub duration: u8,
}

impl Document {
    /// An empty document.
    #[must_use]
    pub fn new() -> Self {
        Document::default()
    }

    /// Append a block.
    pub fn push(&mut self, block: Block) -> &mut Self {
        self.blocks.push(block);
        self
    }

    /// Append a plain left-aligned paragraph.
    pub fn line(&mut self, text: impl Into<String>) -> &mut Self {
        self.text(text, Style::PLAIN)
    }

    /// Append a styled paragraph.
    pub fn text(&mut self, text: impl Into<String>, style: Style) -> &mut Self {
        self.push(Block::Text {
            text: text.into(),
            style,
        })
    }

    /// Append a column row.
    pub fn columns(&mut self, columns: Columns) -> &mut Self {
        self.push(Block::Columns(columns))
    }

    /// Append a separator line of `ch`.
    pub fn separator(&mut self, ch: char) -> &mut Self {
        self.push(Block::Separator(ch))
    }

    /// Append `lines` blank lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.push(Block::Feed(lines))
    }

    /// Append a QR code.
    pub fn qr(&mut self, qr: QrCode) -> &mut Self {
        self.push(Block::Qr(qr))
    }

    /// Append an image.
    pub fn image(&mut self, raster: Raster, align: Align) -> &mut Self {
        self.push(Block::Image { raster, align })
    }

    /// Append a cut.
    pub fn cut(&mut self, cut: Cut) -> &mut Self {
        self.push(Block::Cut(cut))
    }

    /// Append a drawer kick.
    pub fn drawer_kick(&mut self, kick: DrawerKick) -> &mut Self {
        self.push(Block::DrawerKick(kick))
    }

    /// Append a buzzer (ignored on profiles without one).
    pub fn buzzer(&mut self, buzzer: Buzzer) -> &mut Self {
        self.push(Block::Buzzer(buzzer))
    }
}
