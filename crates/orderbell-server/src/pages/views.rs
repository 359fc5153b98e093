//! View models: orders, lines and times as pages show them (prices in the shop's currency,
//! times in the shop's time zone, words in the visitor's language).

use jiff::tz::TimeZone;
use orderbell_core::Timestamp;
use orderbell_core::escalation::Step;
use orderbell_core::order::{Order, OrderItem, OrderStatus};
use orderbell_core::shop::Shop;
use orderbell_store::alerts::OrderAlert;

use super::i18n::Texts;

/// The shop's time zone (UTC when the stored name is unknown to this build).
pub fn shop_tz(shop: &Shop) -> TimeZone {
    TimeZone::get(&shop.time_zone).unwrap_or(TimeZone::UTC)
}

/// `12:40` in the given zone.
pub fn clock(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%H:%M").to_string()
}

/// `2026-11-28 12:40` in the given zone.
pub fn date_time(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// A time to come, as short as it can be said: `12:40` today, `tomorrow 09:00`, else
/// `2026-12-26 09:00` (all in the given zone). `static/js/escalation.js` says it the same way.
pub fn when(ts: Timestamp, now: Timestamp, tz: &TimeZone, t: &Texts) -> String {
    let at = ts.to_zoned(tz.clone()).date();
    let today = now.to_zoned(tz.clone()).date();
    if at == today {
        clock(ts, tz)
    } else if today.tomorrow().is_ok_and(|d| d == at) {
        format!("{} {}", t.tomorrow, clock(ts, tz))
    } else {
        date_time(ts, tz)
    }
}

/// An unanswered order's next escalation step, for its card.
#[derive(Debug, Clone)]
pub struct EscalationView {
    /// `repeat`, `call` or `miss`.
    pub step: &'static str,
    /// The step and its time in words (`Reminder at 12:41`).
    pub next: String,
    /// When the step is due (ms since the epoch).
    pub due_ms: i64,
    /// `Missed at 12:50`, when the next step is not already the miss.
    pub deadline: Option<String>,
}

impl EscalationView {
    /// `calls`: whether calls can be placed (otherwise a call step passes silently, and the
    /// card shows the miss deadline alone).
    pub fn new(
        alert: &OrderAlert,
        order: &Order,
        shop: &Shop,
        calls: bool,
        t: &Texts,
    ) -> Option<EscalationView> {
        let tz = shop_tz(shop);
        let miss_at = shop.alerts.miss_at(order.created_at);
        let deadline = miss_at.map(|m| t.next_miss.replace("{time}", &clock(m, &tz)));
        let (step, at) = match alert.next_step {
            Step::Call if !calls => (Step::Miss, miss_at?),
            step => (step, alert.due_at),
        };
        let words = match step {
            Step::Repeat => t.next_repeat,
            Step::Call => t.next_call,
            Step::Miss => t.next_miss,
        };
        Some(EscalationView {
            step: step.as_str(),
            next: words.replace("{time}", &clock(at, &tz)),
            due_ms: at.as_millisecond(),
            deadline: deadline.filter(|_| step != Step::Miss),
        })
    }
}

/// One line of an order.
#[derive(Debug, Clone)]
pub struct LineView {
    pub quantity: i64,
    pub name: String,
    /// The chosen options, e.g. `Large (+₩700), Extra shot (+₩500)`.
    pub options: String,
    pub total: String,
}

impl LineView {
    pub fn new(item: &OrderItem, shop: &Shop) -> LineView {
        LineView {
            quantity: item.quantity,
            name: item.name.clone(),
            options: item
                .options
                .iter()
                .map(|o| {
                    if o.price == 0 {
                        o.name.clone()
                    } else {
                        format!("{} (+{})", o.name, shop.currency.format(o.price))
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            total: shop.currency.format(item.line_total),
        }
    }
}

/// An order as the dashboard and the tracking page show it.
#[derive(Debug, Clone)]
pub struct OrderCard {
    pub id: String,
    pub number: i64,
    /// `pending`, `accepted`…
    pub status: &'static str,
    pub status_label: &'static str,
    pub acknowledged: bool,
    pub created: String,
    pub created_full: String,
    /// When it was placed (ms since the epoch): the page's script counts its age from it.
    pub created_ms: i64,
    /// How long it has waited (`3 min`), for unanswered orders; set by [`OrderCard::waiting`].
    pub age: Option<String>,
    /// The next escalation step of an unanswered order; set by [`OrderCard::waiting`].
    pub escalation: Option<EscalationView>,
    pub fulfillment: &'static str,
    pub fulfillment_label: &'static str,
    pub fulfillment_detail: Option<String>,
    pub customer_name: Option<String>,
    pub customer_phone: Option<ShownPhone>,
    pub note: Option<String>,
    pub lines: Vec<LineView>,
    pub total: String,
    /// The delivery fee in the total, when there is one.
    pub delivery_fee: Option<String>,
    /// `12:40`: when it is expected to be (or became) ready.
    pub ready_at: Option<String>,
    pub reason: Option<String>,
    /// The card's second half (customer, money, other actions) open, as on the order's page.
    pub expanded: bool,
}

impl OrderCard {
    pub fn new(order: &Order, shop: &Shop, t: &Texts) -> OrderCard {
        let tz = shop_tz(shop);
        OrderCard {
            id: order.id.to_string(),
            number: order.number,
            status: order.status.as_str(),
            status_label: t.status(order.status),
            acknowledged: order.acknowledged_at.is_some(),
            created: clock(order.created_at, &tz),
            created_full: date_time(order.created_at, &tz),
            created_ms: order.created_at.as_millisecond(),
            age: None,
            escalation: None,
            fulfillment: order.fulfillment.kind(),
            fulfillment_label: t.fulfillment(order.fulfillment.kind()),
            fulfillment_detail: order.fulfillment.detail().map(str::to_owned),
            customer_name: order.customer.name.clone(),
            customer_phone: order
                .customer
                .phone
                .as_deref()
                .map(|p| ShownPhone::new(p, shop)),
            note: order.note.clone(),
            lines: order.items.iter().map(|i| LineView::new(i, shop)).collect(),
            total: shop.currency.format(order.total),
            delivery_fee: (order.delivery_fee() > 0)
                .then(|| shop.currency.format(order.delivery_fee())),
            ready_at: order.expected_ready_at().map(|ts| clock(ts, &tz)),
            reason: order.reason.clone(),
            expanded: false,
        }
    }

    /// Adds, for an order nobody has answered yet, how long it has waited and its next
    /// escalation step (`alert`: its active timer, if any).
    pub fn waiting(
        mut self,
        order: &Order,
        shop: &Shop,
        alert: Option<&OrderAlert>,
        calls: bool,
        now: Timestamp,
        t: &Texts,
    ) -> OrderCard {
        if self.alarming() {
            self.age = Some(t.age(now.as_millisecond() - order.created_at.as_millisecond()));
            self.escalation = alert.and_then(|a| EscalationView::new(a, order, shop, calls, t));
        }
        self
    }

    /// The card with its second half open (the order's own page).
    pub fn expanded(mut self) -> OrderCard {
        self.expanded = true;
        self
    }

    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }

    /// Whether the alarm should ring for it.
    pub fn alarming(&self) -> bool {
        self.status == OrderStatus::Pending.as_str() && !self.acknowledged
    }

    pub fn can_cancel(&self) -> bool {
        matches!(self.status, "pending" | "accepted" | "ready")
    }
}

/// A phone number on a page: the `tel:` link in E.164, the text as people in the shop's country
/// write it (`010-1234-5678` in a Korean shop).
#[derive(Debug, Clone)]
pub struct ShownPhone {
    pub tel: String,
    pub shown: String,
}

impl ShownPhone {
    pub fn new(e164: &str, shop: &Shop) -> ShownPhone {
        ShownPhone {
            tel: format!("tel:{e164}"),
            shown: orderbell_core::text::local_phone(e164, shop.currency),
        }
    }
}

/// ETA presets in 5-minute steps.
pub const ETA_PRESETS: [i64; 8] = [5, 10, 15, 20, 25, 30, 45, 60];
