//! KS X 1001 mode: Hangul outside KS X 1001 never goes out as Windows-949 extension
//! bytes; such lines are drawn instead.

#![allow(clippy::unwrap_used, reason = "test code")]

use orderbell_escpos::text_mode::encode_ks_x_1001;
use orderbell_escpos::{Columns, Document, Paper, Profile, Style, TextMode, render};

fn ks() -> Profile {
    Profile::new(
        Paper::Mm80,
        TextMode::KsX1001 {
            korea_charset: true,
        },
    )
}

/// Split output into (text bytes outside GS v 0 images, number of GS v 0 commands).
fn text_bytes(bytes: &[u8]) -> (Vec<u8>, usize) {
    let mut text = Vec::new();
    let mut images = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(&[0x1D, b'v', b'0']) {
            let w = usize::from(bytes[i + 4]) + 256 * usize::from(bytes[i + 5]);
            let h = usize::from(bytes[i + 6]) + 256 * usize::from(bytes[i + 7]);
            i += 8 + w * h;
            images += 1;
        } else {
            text.push(bytes[i]);
            i += 1;
        }
    }
    (text, images)
}

#[test]
fn ga_is_b0_a1() {
    assert_eq!(encode_ks_x_1001('가'), Some([0xB0, 0xA1]));
    let mut doc = Document::new();
    doc.line("가");
    let bytes = render(&doc, &ks()).unwrap();
    assert!(bytes.windows(3).any(|w| w == [0xB0, 0xA1, 0x0A]));
}

#[test]
fn ttom_falls_back_to_raster() {
    // encoding_rs (Windows-949) would send 똠 as 8C 63.
    let (uhc, _, _) = encoding_rs::EUC_KR.encode("똠");
    assert_eq!(&uhc[..], &[0x8C, 0x63]);
    assert_eq!(encode_ks_x_1001('똠'), None);

    let mut doc = Document::new();
    doc.line("아메리카노");
    doc.line("똠양꿍 라떼");
    doc.columns(Columns::new("1 x 똠얌 스무디", "￦6,500"));
    doc.text("똠", Style::PLAIN.bold().center());
    let bytes = render(&doc, &ks()).unwrap();
    let (text, images) = text_bytes(&bytes);
    assert!(images >= 3, "each 똠 line is drawn: {images} images");
    // The KS X 1001 line is text: 아메리카노 = BE C6 B8 DE B8 AE C4 AB B3 EB.
    assert!(
        text.windows(10)
            .any(|w| w == [0xBE, 0xC6, 0xB8, 0xDE, 0xB8, 0xAE, 0xC4, 0xAB, 0xB3, 0xEB])
    );
    // Outside images, every byte ≥ 0x80 belongs to a KS X 1001 pair (A1..FE A1..FE).
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        if b >= 0x80 {
            assert!((0xA1..=0xFE).contains(&b), "lead {b:#04x} at {i}");
            let t = text[i + 1];
            assert!((0xA1..=0xFE).contains(&t), "trail {t:#04x} at {i}");
            i += 2;
        } else {
            i += 1;
        }
    }
    assert!(!text.contains(&0x8C));
}

#[test]
fn won_sign_uses_fullwidth_won_in_ks_x_1001() {
    let mut doc = Document::new();
    doc.line("₩9,000");
    let bytes = render(&doc, &ks()).unwrap();
    assert!(bytes.windows(3).any(|w| w == [0xA3, 0xDC, b'9']));
}
