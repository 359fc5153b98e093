//! The ticket inside a `job`: the same shape as `orderbell_escpos::receipt::ReceiptData`,
//! as plain serde data so this crate needs no ESC/POS code. The printer client converts
//! it; the server fills it in (texts already formatted in the shop's locale and time zone).

use serde::{Deserialize, Serialize};

/// An order ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Shop name (header).
    pub shop_name: String,
    /// The shop's own lines under its name (address, business number…), printed as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// The shop's own lines at the end of the ticket, printed as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// Order number as printed big, e.g. `"1001"`.
    pub order_number: String,
    /// How the order is fulfilled, table included, e.g. `"매장 · 5번 테이블"`, `"Pickup"`.
    pub fulfillment: String,
    /// Expected ready time, already formatted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<String>,
    /// Ordered items.
    pub items: Vec<ReceiptItem>,
    /// Customer's note to the shop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Subtotal, when the shop shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtotal: Option<Amount>,
    /// What the total adds to the items (a delivery fee…), each printed on its own line
    /// between the subtotal and the total, with its label in the shop's language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    /// Total.
    pub total: Amount,
    /// ISO 4217 code for [`Amount::Minor`] values, e.g. `"KRW"`.
    pub currency: String,
    /// Customer name or phone tail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// Order time, formatted in the shop's time zone, e.g. `"2026-11-28 14:00"`.
    pub ordered_at: String,
    /// Tracking page URL, printed as a QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_url: Option<String>,
    /// BCP 47 locale for the fixed words (`"ko"` → Korean, anything else English),
    /// used when `labels` is absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The fixed words, when the server wants to choose them itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// One line item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptItem {
    /// Quantity.
    pub quantity: u32,
    /// Item name.
    pub name: String,
    /// Chosen options, one per line under the item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Line total (quantity × price, options included).
    pub line_total: Amount,
}

/// One amount between the items and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    /// What it is ("배달비" / "Delivery fee").
    pub label: String,
    /// How much.
    pub amount: Amount,
}

/// An amount: a JSON integer is minor units of the receipt's currency (`9000` → `₩9,000`),
/// a JSON string is printed as given (`"₩9,000"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Amount {
    /// Minor units, formatted by the client.
    Minor(i64),
    /// Printed as given.
    Formatted(String),
}

/// The fixed words of a ticket (see `orderbell_escpos::receipt::Labels`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
