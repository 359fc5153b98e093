//! The order ticket: a plain [`ReceiptData`] struct in, a [`Document`] out.
//!
//! Everything time- or locale-dependent arrives already formatted (order time in the
//! shop's time zone, fulfillment text, ETA); amounts may be formatted strings or minor
//! units formatted with [`format_money`].

use crate::document::{Align, Columns, Cut, Document, QrCode, QrErrorCorrection, Size, Style};
use crate::money::format_money;

/// What goes on an order ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptData {
    /// Shop name (header).
    pub shop_name: String,
    /// The shop's own lines under its name (address, business number…), as given.
    pub header: Option<String>,
    /// The shop's own lines at the very end (thanks, Wi-Fi password…), as given.
    pub footer: Option<String>,
    /// Order number, printed big (e.g. `"42"`, `"A-042"`).
    pub order_number: String,
    /// How the order is fulfilled, table included (e.g. `"매장 · 5번 테이블"`,
    /// `"Dine-in · Table 5"`, `"Pickup"`).
    pub fulfillment: String,
    /// Expected ready time, already formatted (e.g. `"12:30"`, `"15분"`).
    pub eta: Option<String>,
    /// Ordered items.
    pub items: Vec<ReceiptItem>,
    /// Customer's note to the shop.
    pub note: Option<String>,
    /// Subtotal, if it differs from the total or the shop wants it shown.
    pub subtotal: Option<Amount>,
    /// What the total adds to the items (a delivery fee…): a label and an amount each,
    /// printed between the subtotal and the total.
    pub charges: Vec<(String, Amount)>,
    /// Total.
    pub total: Amount,
    /// ISO 4217 code used for [`Amount::Minor`] values (e.g. `"KRW"`).
    pub currency: String,
    /// Customer name or phone tail.
    pub customer: Option<String>,
    /// Order time, formatted in the shop's time zone.
    pub ordered_at: String,
    /// Tracking page URL, printed as a QR code.
    pub tracking_url: Option<String>,
    /// This ticket is a reprint: a REPRINT banner is printed at the top.
    pub reprint: bool,
    /// Fixed words, in the shop's language.
    pub labels: Labels,
}

/// One line item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptItem {
    /// Quantity.
    pub quantity: u32,
    /// Item name.
    pub name: String,
    /// Chosen options (e.g. `"Oat milk"`, `"샷 추가"`), one per line under the item.
    pub options: Vec<String>,
    /// Line total (quantity × price, options included).
    pub line_total: Amount,
}

/// An amount of money: already formatted, or minor units of [`ReceiptData::currency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amount {
    /// Printed as given.
    Formatted(String),
    /// Formatted with [`format_money`] in the receipt's currency.
    Minor(i64),
}

impl Amount {
    /// The printed text.
    #[must_use]
    pub fn to_text(&self, currency: &str) -> String {
        match self {
            Amount::Formatted(text) => text.clone(),
            Amount::Minor(units) => format_money(*units, currency),
        }
    }
}

/// The fixed words of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Above the order number ("주문번호" / "ORDER").
    pub order: String,
    /// The reprint banner ("재출력" / "REPRINT").
    pub reprint: String,
    /// Before the ETA ("준비 예정" / "Ready by").
    pub eta: String,
    /// Note heading ("요청사항" / "Note").
    pub note: String,
    /// "소계" / "Subtotal".
    pub subtotal: String,
    /// "합계" / "Total".
    pub total: String,
    /// "고객" / "Customer".
    pub customer: String,
    /// "주문시각" / "Ordered".
    pub ordered_at: String,
    /// Under the QR code ("주문 조회" / "Track your order").
    pub track: String,
}

impl Labels {
    /// Korean labels.
    #[must_use]
    pub fn ko() -> Self {
        Labels {
            order: "주문번호".into(),
            reprint: "재출력".into(),
            eta: "준비 예정".into(),
            note: "요청사항".into(),
            subtotal: "소계".into(),
            total: "합계".into(),
            customer: "고객".into(),
            ordered_at: "주문시각".into(),
            track: "주문 조회".into(),
        }
    }

    /// English labels.
    #[must_use]
    pub fn en() -> Self {
        Labels {
            order: "ORDER".into(),
            reprint: "REPRINT".into(),
            eta: "Ready by".into(),
            note: "Note".into(),
            subtotal: "Subtotal".into(),
            total: "Total".into(),
            customer: "Customer".into(),
            ordered_at: "Ordered".into(),
            track: "Track your order".into(),
        }
    }

    /// Labels for a BCP 47 locale: Korean for `ko…`, English otherwise.
    #[must_use]
    pub fn for_locale(locale: &str) -> Self {
        if locale.trim().to_ascii_lowercase().starts_with("ko") {
            Labels::ko()
        } else {
            Labels::en()
        }
    }
}

impl ReceiptData {
    /// The ticket as a document, ending with a partial cut.
    #[must_use]
    pub fn to_document(&self) -> Document {
        build(self)
    }
}

/// Build the ticket document for `data`.
#[must_use]
/// The non-empty lines of a shop's own text.
fn lines(text: Option<&str>) -> Vec<&str> {
    text.map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default()
}

pub fn build(data: &ReceiptData) -> Document {
    let labels = &data.labels;
    let center = Style::PLAIN.center();
    let mut doc = Document::new();

    if data.reprint {
        let banner = format!(" {} ", labels.reprint);
        doc.text(banner, center.bold().invert().size(Size::DOUBLE));
        doc.feed(1);
    }
    doc.text(&data.shop_name, center.bold().size(Size::TALL));
    for line in lines(data.header.as_deref()) {
        doc.text(line, center);
    }
    doc.text(format!("{} {}", labels.ordered_at, data.ordered_at), center);
    doc.separator('=');
    doc.text(&labels.order, center);
    doc.text(&data.order_number, center.bold().size(Size::new(3, 3)));
    doc.text(&data.fulfillment, center.bold().size(Size::TALL));
    if let Some(eta) = &data.eta {
        doc.text(format!("{} {}", labels.eta, eta), center.bold());
    }
    doc.separator('-');

    for item in &data.items {
        doc.columns(
            Columns::new(
                format!("{} x {}", item.quantity, item.name),
                item.line_total.to_text(&data.currency),
            )
            .with_style(Style::PLAIN.bold()),
        );
        for option in &item.options {
            doc.line(format!("  + {option}"));
        }
    }
    doc.separator('-');

    if let Some(subtotal) = &data.subtotal {
        doc.columns(Columns::new(
            labels.subtotal.clone(),
            subtotal.to_text(&data.currency),
        ));
    }
    for (label, amount) in &data.charges {
        doc.columns(Columns::new(label.clone(), amount.to_text(&data.currency)));
    }
    doc.columns(
        Columns::new(labels.total.clone(), data.total.to_text(&data.currency))
            .with_style(Style::PLAIN.bold().size(Size::TALL)),
    );

    if let Some(note) = data.note.as_deref().filter(|n| !n.trim().is_empty()) {
        doc.separator('-');
        doc.text(format!("[{}]", labels.note), Style::PLAIN.bold());
        doc.text(note, Style::PLAIN.bold().size(Size::TALL));
    }
    if let Some(customer) = data.customer.as_deref().filter(|c| !c.trim().is_empty()) {
        doc.separator('-');
        doc.columns(Columns::new(labels.customer.clone(), customer));
    }
    if let Some(url) = data.tracking_url.as_deref().filter(|u| !u.is_empty()) {
        doc.separator('-');
        doc.qr(QrCode {
            data: url.to_owned(),
            module_size: 5,
            error_correction: QrErrorCorrection::M,
            align: Align::Center,
        });
        doc.text(&labels.track, center);
    }
    let footer = lines(data.footer.as_deref());
    if !footer.is_empty() {
        doc.separator('-');
        for line in footer {
            doc.text(line, center);
        }
    }
    if data.reprint {
        doc.text(format!("*** {} ***", labels.reprint), center.bold());
    }
    doc.cut(Cut::PARTIAL);
    doc
}
