//! # orderbell-escpos
//!
//! Receipt documents to ESC/POS bytes, for thermal receipt printers — with Korean that
//! actually prints. No I/O, no async: a [`Document`] and a [`Profile`] go in, a
//! `Vec<u8>` comes out, ready for a TCP port 9100 socket, a USB device file or a raw
//! CUPS queue.
//!
//! - **Documents**: styled paragraphs (bold, underline, inverted, up to 8x size,
//!   alignment), two/three-column rows with leaders, separators, feeds, QR codes
//!   (Model 2), raster images, full/partial cut, cash-drawer kick (the full five-byte
//!   ESC p m t1 t2), buzzer.
//! - **Paper**: 58 mm (32 columns, 384 dots) or 80 mm (48 columns, 576 dots). Layout
//!   counts East Asian wide characters as two columns and never overflows the line:
//!   text wraps, column rows wrap their left column and truncate the others.
//! - **Text modes** ([`TextMode`]):
//!   - `ascii` with a code page (CP437, CP858, CP1252; ESC t n): other characters are
//!     transliterated (`₩` → `W`, `€` → `EUR`) or printed as `?`;
//!   - `ks_x_1001` for Korean printers: FS &, optional ESC R 13, EUC-KR checked strictly
//!     against KS X 1001. A line with a syllable outside it (e.g. 똠, which Windows-949
//!     would send as `8C 63`) is drawn as a raster image instead, so it prints right;
//!   - `utf8` for printers that take UTF-8;
//!   - `image`: the whole ticket drawn as raster (GS v 0 in chunks) with the embedded
//!     GNU Unifont (Latin and Hangul), for printers with no usable font.
//! - **Receipts**: [`receipt::ReceiptData`] → [`Document`] (big order number, REPRINT
//!   banner, items, totals, QR to the tracking page), and [`format_money`].
//! - **Debugging**: [`dump::dump`] lists bytes as readable commands.
//!
//! ESCPOS.md next to this crate lists the exact bytes each mode sends, with references.
//!
//! ## Example
//!
//! ```
//! use orderbell_escpos::{render, Columns, Cut, Document, Paper, Profile, Size, Style, TextMode};
//!
//! let mut doc = Document::new();
//! doc.text("카페 오더벨", Style::PLAIN.bold().center().size(Size::TALL))
//!     .text("42", Style::PLAIN.bold().center().size(Size::new(3, 3)))
//!     .columns(Columns::new("2 x 아메리카노", "₩9,000").with_fill('.'))
//!     .columns(Columns::new("1 x 똠양꿍 라떼", "₩6,500"))
//!     .cut(Cut::PARTIAL);
//!
//! let profile = Profile::new(Paper::Mm58, TextMode::KsX1001 { korea_charset: true });
//! let bytes = render(&doc, &profile)?;
//! assert!(bytes.starts_with(&[0x1B, b'@', 0x1C, b'&', 0x1B, b'R', 13]));
//! // 가-힣 text went out as KS X 1001 pairs; the 똠 line went out as a GS v 0 image.
//! assert!(bytes.windows(2).any(|w| w == [0xBE, 0xC6])); // 아
//! assert!(bytes.windows(3).any(|w| w == [0x1D, b'v', b'0']));
//! # Ok::<(), orderbell_escpos::Error>(())
//! ```
//!
//! A receipt from plain data:
//!
//! ```
//! use orderbell_escpos::receipt::{Amount, Labels, ReceiptData, ReceiptItem};
//! use orderbell_escpos::{render, Paper, Profile, TextMode, CodePage};
//!
//! let data = ReceiptData {
//!     shop_name: "Cafe Orderbell".into(),
//!     header: Some("1 Main St".into()),
//!     footer: None,
//!     order_number: "42".into(),
//!     fulfillment: "Dine-in · Table 5".into(),
//!     eta: Some("12:30".into()),
//!     items: vec![ReceiptItem {
//!         quantity: 2,
//!         name: "Americano".into(),
//!         options: vec!["Iced".into()],
//!         line_total: Amount::Minor(9_000),
//!     }],
//!     note: None,
//!     subtotal: None,
//!     charges: vec![],
//!     total: Amount::Minor(9_000),
//!     currency: "KRW".into(),
//!     customer: None,
//!     ordered_at: "2025-03-01 12:10".into(),
//!     tracking_url: Some("https://orderbell.example/t/abc".into()),
//!     reprint: false,
//!     labels: Labels::en(),
//! };
//! let profile = Profile::new(Paper::Mm80, TextMode::Ascii(CodePage::Cp437));
//! let bytes = render(&data.to_document(), &profile)?;
//! assert!(!bytes.is_empty());
//! # Ok::<(), orderbell_escpos::Error>(())
//! ```

pub mod command;
mod document;
pub mod dump;
mod error;
mod font;
mod layout;
mod money;
mod profile;
pub mod qr;
pub mod raster;
pub mod receipt;
mod render;
pub mod text_mode;

pub use document::{
    Align, Block, Buzzer, Columns, Cut, CutKind, Document, DrawerKick, DrawerPin, QrCode,
    QrErrorCorrection, Size, Style, Underline,
};
pub use error::Error;
pub use money::{currency_exponent, format_money};
pub use profile::{CodePage, Paper, Profile, TextMode};
pub use raster::Raster;
pub use render::render;
