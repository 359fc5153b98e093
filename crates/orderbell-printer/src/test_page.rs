//! The test page: the same sample printed in every text mode, each labelled with the
//! `--text-mode` value to use, so an owner keeps the first mode whose lines print right.

use orderbell_escpos::{CodePage, Columns, Cut, Document, Paper, Profile, Size, Style, TextMode};

/// Text modes on the test page, in print order. Modes that switch the printer into a
/// multi-byte or UTF-8 state come after the single-byte ones, and the single-byte ones
/// after them send FS . first (`cancel_kanji`), so one section does not garble the next.
#[must_use]
pub fn modes() -> Vec<TextMode> {
    vec![
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
            select_command: false,
        },
        TextMode::Utf8 {
            select_command: true,
        },
        TextMode::Image,
    ]
}

fn section(index: usize, mode: TextMode) -> Document {
    let mut doc = Document::new();
    doc.separator('=');
    doc.text(
        format!("[{index}] --text-mode {}", mode.name()),
        Style::PLAIN.bold().size(Size::TALL),
    );
    doc.line("ABC abc 0123 #@$%&*()");
    doc.line("Cafe: 4.50 EUR / 12,000 KRW");
    doc.line("Accents: café crème naïve €5 £3");
    doc.line("한글: 아메리카노 카페라떼 5,000원");
    doc.line("KS X 1001 밖: 똠 쌰 (raster in ks_x_1001)");
    doc.columns(Columns::new("2 x 아이스 아메리카노", "₩9,000").with_fill('.'));
    doc.line("If a line above is ? or garbled,");
    doc.line("this mode does not suit the printer.");
    doc.feed(1);
    doc
}

/// The whole test page for this paper width, ending with a cut when `cutter`.
///
/// # Errors
/// Rendering failed (not expected for this fixed content).
pub fn bytes(paper: Paper, cutter: bool) -> Result<Vec<u8>, orderbell_escpos::Error> {
    let mut out = Vec::new();
    for (index, mode) in modes().into_iter().enumerate() {
        let mut profile = Profile::new(paper, mode);
        profile.cancel_kanji = true;
        profile.cutter = cutter;
        out.extend(orderbell_escpos::render(
            &section(index + 1, mode),
            &profile,
        )?);
    }
    let mut end = Document::new();
    end.separator('=');
    end.line("orderbell-printer test page");
    end.line("Use the first mode that printed all lines right.");
    end.cut(Cut::PARTIAL);
    let mut profile = Profile::new(paper, TextMode::Ascii(CodePage::Cp437));
    profile.cancel_kanji = true;
    profile.cutter = cutter;
    out.extend(orderbell_escpos::render(&end, &profile)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_is_labelled_and_the_page_is_cut_once() {
        let page = bytes(Paper::Mm58, true).unwrap();
        for mode in modes() {
            if mode == TextMode::Image {
                continue; // drawn, not text
            }
            let label = format!("--text-mode {}", mode.name());
            assert!(
                page.windows(label.len()).any(|w| w == label.as_bytes()),
                "{label}"
            );
        }
        // Each section starts with ESC @.
        let inits = page.windows(2).filter(|w| *w == [0x1B, b'@']).count();
        assert_eq!(inits, modes().len() + 1);
        assert!(page.ends_with(&[0x1D, b'V', 1]));
        // 아 in KS X 1001 (EUC-KR B0 A1.. = 아 is BE C6) appears (ks_x_1001 sections).
        assert!(page.windows(2).any(|w| w == [0xBE, 0xC6]));
    }
}
