//! The renderer: a [`Document`] and a [`Profile`] in, ESC/POS bytes out.

use crate::command::{self, LF};
use crate::document::{Align, Block, Columns, Document, QrCode, Size, Style, Underline};
use crate::error::Error;
use crate::font;
use crate::layout::{self, Line};
use crate::profile::{Profile, TextMode};
use crate::qr;
use crate::raster::{self, Raster};
use crate::text_mode::Charset;

/// ESC R n for Korea.
const KOREA: u8 = 13;

/// Render `doc` for `profile` as ESC/POS bytes.
///
/// The output starts with ESC @ and the text-mode set-up (see ESCPOS.md), then each
/// block in order. Nothing is added at the end: put a [`Block::Cut`] in the document.
///
/// # Errors
/// Only for parameters a program chose: text size outside 1..=8, an image wider than
/// the paper, QR module size outside 1..=16 or data too long for a QR code, buzzer
/// values outside 1..=9, `raster_chunk_rows` outside 1..=2303. Text content never fails.
pub fn render(doc: &Document, profile: &Profile) -> Result<Vec<u8>, Error> {
    if !(1..=2303).contains(&profile.raster_chunk_rows) {
        return Err(Error::RasterChunkRows(profile.raster_chunk_rows));
    }
    let mut renderer = Renderer::new(profile);
    renderer.preamble();
    for block in &doc.blocks {
        renderer.block(block)?;
    }
    renderer.flush_canvas();
    Ok(renderer.out)
}

struct Renderer<'a> {
    profile: &'a Profile,
    charset: Charset,
    out: Vec<u8>,
    /// Current ESC a state (text modes).
    align: Align,
    /// Image mode: everything since the last command is drawn here.
    canvas: Option<Raster>,
}

impl<'a> Renderer<'a> {
    fn new(profile: &'a Profile) -> Self {
        Renderer {
            profile,
            charset: Charset::for_mode(profile.text_mode),
            out: Vec::with_capacity(4096),
            align: Align::Left,
            canvas: None,
        }
    }

    fn image_mode(&self) -> bool {
        matches!(self.profile.text_mode, TextMode::Image)
    }

    fn dots(&self) -> u32 {
        self.profile.paper.dots()
    }

    fn preamble(&mut self) {
        self.out.extend_from_slice(&command::initialize());
        match self.profile.text_mode {
            TextMode::Ascii(cp) => {
                if self.profile.cancel_kanji {
                    self.out.extend_from_slice(&command::kanji_off());
                }
                self.out
                    .extend_from_slice(&command::code_table(cp.escpos_table()));
            }
            TextMode::KsX1001 { korea_charset } => {
                self.out.extend_from_slice(&command::kanji_on());
                if korea_charset {
                    self.out
                        .extend_from_slice(&command::international_charset(KOREA));
                }
            }
            TextMode::Utf8 { select_command } => {
                if self.profile.cancel_kanji {
                    self.out.extend_from_slice(&command::kanji_off());
                }
                if select_command {
                    self.out.extend_from_slice(&command::select_utf8());
                }
            }
            TextMode::Image => {}
        }
    }

    fn block(&mut self, block: &Block) -> Result<(), Error> {
        match block {
            Block::Text { text, style } => {
                check_size(style.size)?;
                let max = self.max_columns(style.size);
                let lines = layout::wrap(text, max, self.charset);
                self.lines(&lines, style)
            }
            Block::Columns(row) => self.columns(row),
            Block::Separator(ch) => {
                let line = layout::separator(*ch, self.profile.paper.columns(), self.charset);
                self.lines(&[line], &Style::PLAIN)
            }
            Block::Feed(n) => {
                self.feed(*n);
                Ok(())
            }
            Block::Qr(code) => self.qr(code),
            Block::Image { raster, align } => self.image(raster, *align),
            Block::Cut(cut) => {
                self.flush_canvas();
                if self.profile.cutter {
                    self.out.extend_from_slice(&command::cut(*cut));
                } else if cut.feed_lines > 0 {
                    self.out
                        .extend_from_slice(&command::feed_lines(cut.feed_lines));
                }
                Ok(())
            }
            Block::DrawerKick(kick) => {
                self.flush_canvas();
                self.out.extend_from_slice(&command::drawer_kick(*kick));
                Ok(())
            }
            Block::Buzzer(buzzer) => {
                let bytes = command::buzzer(*buzzer)?;
                if self.profile.buzzer {
                    self.flush_canvas();
                    self.out.extend_from_slice(&bytes);
                }
                Ok(())
            }
        }
    }

    fn max_columns(&self, size: Size) -> usize {
        self.profile.paper.columns() / usize::from(size.width.max(1))
    }

    fn columns(&mut self, row: &Columns) -> Result<(), Error> {
        check_size(row.style.size)?;
        let max = self.max_columns(row.style.size);
        let lines = layout::columns(row, max, self.charset);
        let style = row.style.align(Align::Left);
        self.lines(&lines, &style)
    }

    /// Print laid-out lines: as text where the mode can, else drawn.
    fn lines(&mut self, lines: &[Line], style: &Style) -> Result<(), Error> {
        // The layout's promise, checked wherever debug assertions are on (tests, fuzzing).
        debug_assert!(
            lines
                .iter()
                .all(|l| layout::width(l) <= self.max_columns(style.size)),
            "a line wider than the paper"
        );
        if self.image_mode() {
            for line in lines {
                let strip = self.draw(line, style);
                self.canvas_append(&strip);
            }
            return Ok(());
        }
        self.set_align(style.align);
        let reset = self.set_style(style)?;
        for line in lines {
            let chars: Vec<char> = line.iter().map(|&(c, _)| c).collect();
            match self.charset.encode_line(&chars) {
                Some(bytes) => {
                    self.out.extend_from_slice(&bytes);
                    self.out.push(LF);
                }
                None => {
                    let strip = self.draw(line, style);
                    self.raster(&strip);
                }
            }
        }
        self.out.extend_from_slice(&reset);
        Ok(())
    }

    /// A full-width strip with `line` drawn where the printer would have put it.
    fn draw(&self, line: &Line, style: &Style) -> Raster {
        let w = u32::from(style.size.width.max(1));
        let used = u32::try_from(layout::width(line)).unwrap_or(0) * font::CELL_WIDTH * w;
        let free = self.dots().saturating_sub(used);
        let x0 = match style.align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
        font::draw_line(line, style, self.dots(), x0)
    }

    /// Emit the style commands for `style`; returns the bytes that undo them.
    fn set_style(&mut self, style: &Style) -> Result<Vec<u8>, Error> {
        let size = command::size(style.size)?;
        let kanji = matches!(self.profile.text_mode, TextMode::KsX1001 { .. });
        let mut reset = Vec::new();
        if style.bold {
            self.out.extend_from_slice(&command::bold(true));
            reset.extend_from_slice(&command::bold(false));
        }
        if style.underline != Underline::None {
            self.out
                .extend_from_slice(&command::underline(style.underline));
            reset.extend_from_slice(&command::underline(Underline::None));
            if kanji {
                self.out
                    .extend_from_slice(&command::kanji_underline(style.underline));
                reset.extend_from_slice(&command::kanji_underline(Underline::None));
            }
        }
        if style.invert {
            self.out.extend_from_slice(&command::invert(true));
            reset.extend_from_slice(&command::invert(false));
        }
        if style.size != Size::NORMAL {
            self.out.extend_from_slice(&size);
            reset.extend_from_slice(&command::size(Size::NORMAL)?);
        }
        Ok(reset)
    }

    fn set_align(&mut self, align: Align) {
        if self.align != align {
            self.out.extend_from_slice(&command::align(align));
            self.align = align;
        }
    }

    fn feed(&mut self, lines: u8) {
        if lines == 0 {
            return;
        }
        if self.image_mode() {
            let rows = u32::from(lines) * (font::CELL_HEIGHT + font::LINE_GAP);
            let dots = self.dots();
            self.canvas
                .get_or_insert_with(|| Raster::new(dots, 0))
                .extend_blank(rows);
        } else {
            self.out.extend_from_slice(&command::feed_lines(lines));
        }
    }

    fn qr(&mut self, code: &QrCode) -> Result<(), Error> {
        let Some(prepared) = qr::prepare(code, self.dots())? else {
            return Ok(());
        };
        if self.profile.native_qr && !self.image_mode() {
            self.set_align(code.align);
            let bytes = qr::gs_k(
                code.data.as_bytes(),
                prepared.module_size,
                code.error_correction,
            )?;
            self.out.extend_from_slice(&bytes);
            return Ok(());
        }
        let symbol = prepared.to_raster();
        let strip = self.place(&symbol, code.align);
        if self.image_mode() {
            self.canvas_append(&strip);
        } else {
            self.raster(&strip);
        }
        Ok(())
    }

    fn image(&mut self, image: &Raster, align: Align) -> Result<(), Error> {
        if image.width() > self.dots() {
            return Err(Error::ImageTooWide {
                width: image.width(),
                max: self.dots(),
            });
        }
        if self.image_mode() {
            let strip = self.place(image, align);
            self.canvas_append(&strip);
        } else if align == Align::Left {
            // Sent as is, like python-escpos `image()`: ESC a 0 keeps it flush left.
            self.set_align(Align::Left);
            self.raster(image);
        } else {
            let strip = self.place(image, align);
            self.raster(&strip);
        }
        Ok(())
    }

    /// `image` on a full-width strip (centering as python-escpos does: left offset
    /// `(paper - width) / 2`, rounded down).
    fn place(&self, image: &Raster, align: Align) -> Raster {
        let free = self.dots().saturating_sub(image.width());
        let x = match align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        };
        image.placed(self.dots(), x)
    }

    fn raster(&mut self, image: &Raster) {
        self.out
            .extend_from_slice(&raster::gs_v_0(image, self.profile.raster_chunk_rows));
    }

    fn canvas_append(&mut self, strip: &Raster) {
        let dots = self.dots();
        self.canvas
            .get_or_insert_with(|| Raster::new(dots, 0))
            .append_rows(strip);
    }

    fn flush_canvas(&mut self) {
        if let Some(canvas) = self.canvas.take() {
            self.raster(&canvas);
        }
    }
}

fn check_size(size: Size) -> Result<(), Error> {
    command::size(size).map(|_| ())
}
