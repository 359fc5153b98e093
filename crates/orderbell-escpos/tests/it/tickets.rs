//! Snapshot tests of whole order tickets: ko and en, 58 and 80 mm, every text mode.
//! Each snapshot is a readable listing of the bytes (`dump`): commands, hex, decoded
//! text, and raster images drawn with block characters.
//!
//! Review changes with `cargo insta review` (or set `INSTA_UPDATE=always` to accept).

#![allow(clippy::unwrap_used, reason = "test code")]

use orderbell_escpos::dump::dump;
use orderbell_escpos::receipt::{Amount, Labels, ReceiptData, ReceiptItem};
use orderbell_escpos::{CodePage, Paper, Profile, TextMode, render};

fn korean(reprint: bool) -> ReceiptData {
    ReceiptData {
        shop_name: "카페 오더벨 성수점".into(),
        header: None,
        footer: None,
        order_number: "A-042".into(),
        fulfillment: "매장 · 5번 테이블".into(),
        eta: Some("12:30 (약 15분)".into()),
        items: vec![
            ReceiptItem {
                quantity: 2,
                name: "아이스 아메리카노".into(),
                options: vec!["샷 추가".into(), "얼음 적게".into()],
                line_total: Amount::Minor(10_000),
            },
            ReceiptItem {
                quantity: 1,
                name: "똠양꿍 라떼".into(),
                options: vec![],
                line_total: Amount::Minor(6_500),
            },
            ReceiptItem {
                quantity: 1,
                name: "바닐라 빈 라떼 (오트 밀크 변경, 시럽 1펌프 추가)".into(),
                options: vec!["따뜻하게".into()],
                line_total: Amount::Minor(5_800),
            },
        ],
        note: Some("포크 2개 주세요. 문 앞에 두고 벨 눌러 주세요!".into()),
        subtotal: Some(Amount::Minor(22_300)),
        charges: vec![],
        total: Amount::Minor(22_300),
        currency: "KRW".into(),
        customer: Some("김민수 (1234)".into()),
        ordered_at: "2025-03-01 12:15".into(),
        tracking_url: Some("https://orderbell.example/t/Xk3p9Q".into()),
        reprint,
        labels: Labels::ko(),
    }
}

fn english(reprint: bool) -> ReceiptData {
    ReceiptData {
        shop_name: "Orderbell Coffee — Seongsu".into(),
        header: None,
        footer: None,
        order_number: "42".into(),
        fulfillment: "Dine-in · Table 5".into(),
        eta: Some("12:30 (about 15 min)".into()),
        items: vec![
            ReceiptItem {
                quantity: 2,
                name: "Iced Americano".into(),
                options: vec!["Extra shot".into(), "Less ice".into()],
                line_total: Amount::Minor(1_000),
            },
            ReceiptItem {
                quantity: 1,
                name: "Crème brûlée latte with oat milk and one pump of vanilla".into(),
                options: vec![],
                line_total: Amount::Minor(650),
            },
            ReceiptItem {
                quantity: 12,
                name: "Croissant".into(),
                options: vec![],
                line_total: Amount::Formatted("$54.00".into()),
            },
        ],
        note: Some("No straws please. Leave it at the door.".into()),
        subtotal: Some(Amount::Minor(7_050)),
        charges: vec![],
        total: Amount::Minor(7_050),
        currency: "USD".into(),
        customer: Some("Jane D.".into()),
        ordered_at: "Mar 1, 2025 12:15 PM".into(),
        tracking_url: Some("https://orderbell.example/t/Xk3p9Q".into()),
        reprint,
        labels: Labels::en(),
    }
}

fn snapshot(name: &str, data: &ReceiptData, paper: Paper, mode: TextMode) {
    let profile = Profile::new(paper, mode);
    let bytes = render(&data.to_document(), &profile).unwrap();
    let listing = format!(
        "profile: {paper} {mode}, {} bytes\n\n{}",
        bytes.len(),
        dump(&bytes, mode)
    );
    insta::assert_snapshot!(name, listing);
}

const MODES: [(&str, TextMode); 4] = [
    ("ascii", TextMode::Ascii(CodePage::Cp437)),
    (
        "ks_x_1001",
        TextMode::KsX1001 {
            korea_charset: true,
        },
    ),
    (
        "utf8",
        TextMode::Utf8 {
            select_command: false,
        },
    ),
    ("image", TextMode::Image),
];

#[test]
fn korean_tickets() {
    for paper in [Paper::Mm58, Paper::Mm80] {
        for (mode_name, mode) in MODES {
            snapshot(
                &format!("ko_{paper}_{mode_name}"),
                &korean(false),
                paper,
                mode,
            );
        }
    }
    snapshot(
        "ko_reprint_80mm_ks_x_1001",
        &korean(true),
        Paper::Mm80,
        MODES[1].1,
    );
}

#[test]
fn english_tickets() {
    for paper in [Paper::Mm58, Paper::Mm80] {
        for (mode_name, mode) in MODES {
            snapshot(
                &format!("en_{paper}_{mode_name}"),
                &english(false),
                paper,
                mode,
            );
        }
    }
    snapshot(
        "en_reprint_58mm_cp858",
        &english(true),
        Paper::Mm58,
        TextMode::Ascii(CodePage::Cp858),
    );
}

/// The shop's own lines: under its name, and at the end before the cut.
#[test]
fn the_shops_own_lines_frame_the_ticket() {
    let mode = TextMode::Utf8 {
        select_command: false,
    };
    let profile = Profile::new(Paper::Mm80, mode);
    let mut data = korean(false);
    data.header = Some("서울시 중구 1\n 사업자 123-45-67890 \n\n".into());
    data.footer = Some("감사합니다 · Wi-Fi cafe1234".into());
    let listing = dump(&render(&data.to_document(), &profile).unwrap(), mode);
    let at = |needle: &str| {
        listing
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing:\n{listing}"))
    };
    assert!(at(&data.shop_name) < at("서울시 중구 1"));
    assert!(at("서울시 중구 1") < at("사업자 123-45-67890"));
    assert!(at("사업자 123-45-67890") < at(&data.order_number));
    assert!(at("주문 조회") < at("감사합니다 · Wi-Fi cafe1234"));
    // Blank lines and surrounding spaces are not printed.
    assert!(!listing.contains("\" 사업자"), "{listing}");
    // Without them the ticket is as before (the snapshots above).
    let plain = dump(
        &render(&korean(false).to_document(), &profile).unwrap(),
        mode,
    );
    assert!(!plain.contains("감사합니다 · Wi-Fi"));
}
