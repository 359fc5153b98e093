//! Any Unicode text on a ticket, in every text mode, on both papers, plain and double width:
//! rendered or refused with an error, never a panic, and never a line wider than the paper
//! (the renderer checks that itself with a debug assertion, on in fuzz builds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderbell_escpos::{
    CodePage, Columns, Document, Paper, Profile, Size, Style, TextMode, render,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (left, right) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(text.len(), |(i, _)| i));
    let mut doc = Document::new();
    doc.text(text, Style::PLAIN)
        .text(text, Style::PLAIN.bold().size(Size::new(2, 2)))
        .columns(Columns::new(left, right).with_fill('.'))
        .separator('-');
    let modes = [
        TextMode::Ascii(CodePage::Cp437),
        TextMode::Ascii(CodePage::Cp858),
        TextMode::Ascii(CodePage::Cp1252),
        TextMode::KsX1001 { korea_charset: true },
        TextMode::Utf8 { select_command: true },
        TextMode::Image,
    ];
    for paper in [Paper::Mm58, Paper::Mm80] {
        for mode in modes {
            let _ = render(&doc, &Profile::new(paper, mode));
        }
    }
});
