//! Message texts from an outbox row: the order snapshot written with the row, rendered with
//! `orderbell_notify::templates` in the recipient's language at send time.

use orderbell_core::Currency;
use orderbell_core::i18n::fill;
use orderbell_core::order::OrderItem;
use orderbell_notify::alert_texts;
use orderbell_notify::telegram::{InlineKeyboardButton, InlineKeyboardMarkup};
use orderbell_notify::templates::{self, Format, Lang, MessageKind, OrderText, Rendered};
use orderbell_store::notifications::{NotifyEvent, Recipient};

/// The order snapshot in a notification's payload: one type with the writer
/// (`orderbell_store::notifications::Payload`).
pub use orderbell_store::notifications::Payload;

fn item_line(item: &OrderItem) -> String {
    let mut line = format!("{}× {}", item.quantity, item.name);
    if !item.options.is_empty() {
        let names: Vec<&str> = item.options.iter().map(|o| o.name.as_str()).collect();
        line.push_str(&format!(" ({})", names.join(", ")));
    }
    line
}

fn fulfillment(p: &Payload, lang: Lang) -> String {
    let t = lang.texts();
    let mut text = t.fulfillment_line(&p.fulfillment.kind, p.fulfillment.detail.as_deref());
    if let Some(note) = p.note.as_deref().filter(|n| !n.is_empty()) {
        text.push_str(&format!("\n{}: {note}", t.note_label));
    }
    text
}

/// The shop's local time of `t` for a person: `HH:MM` today, else the date too.
fn local_time(t: orderbell_core::Timestamp, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    t.to_zoned(zone).strftime("%Y-%m-%d %H:%M").to_string()
}

/// The title, body and chat text of a notification to a member.
pub fn render(event: NotifyEvent, locale: &str, format: Format, p: &Payload) -> Rendered {
    render_for(event, Recipient::Member, locale, format, p)
}

/// The title, body and chat text of a notification to `recipient`.
pub fn render_for(
    event: NotifyEvent,
    recipient: Recipient,
    locale: &str,
    format: Format,
    p: &Payload,
) -> Rendered {
    let locale = Lang::from_tag(locale);
    let tz = p.shop_time_zone.as_deref().unwrap_or("UTC");
    let shop_name = p.shop_name.as_deref().unwrap_or(&p.shop);
    match event {
        NotifyEvent::Paused => {
            let until = p
                .paused_until
                .map(|t| local_time(t, tz))
                .unwrap_or_default();
            let (title, body) = alert_texts::paused(locale, &until);
            return templates::finish(title, body, format);
        }
        NotifyEvent::Unheard => {
            let (title, body) = alert_texts::unheard(locale, format, shop_name, &p.problems);
            return templates::finish(title, body, format);
        }
        NotifyEvent::Missed => {
            // The guest hears it kindly, with the shop's phone; members see it was missed.
            let (title, body) = match recipient {
                Recipient::Customer => alert_texts::missed_for_guest(
                    locale,
                    format,
                    p.number,
                    shop_name,
                    p.shop_phone.as_deref(),
                ),
                Recipient::Member | Recipient::Account => {
                    alert_texts::missed_for_shop(locale, p.number)
                }
            };
            return templates::finish(title, body, format);
        }
        _ => {}
    }
    let items: Vec<String> = p.items.iter().map(item_line).collect();
    let total = Currency::from_code(&p.currency).map_or_else(
        || format!("{} {}", p.total, p.currency),
        |c| c.format(p.total),
    );
    let fulfillment = fulfillment(p, locale);
    let reason = match event {
        NotifyEvent::Missed => Some(locale.texts().msg_missed_reason),
        _ => p.reason.as_deref(),
    };
    let text = OrderText {
        number: u64::try_from(p.number).unwrap_or_default(),
        items: &items,
        total: &total,
        fulfillment: &fulfillment,
        eta_minutes: p.eta_minutes.and_then(|m| u32::try_from(m).ok()),
        reason,
    };
    let kind = match event {
        NotifyEvent::Reminder => {
            let mut r = templates::render(MessageKind::NewOrder, locale, format, &text);
            let title =
                alert_texts::reminder_title(locale, p.number, p.waited_seconds.unwrap_or(0));
            return templates::finish(title, std::mem::take(&mut r.body), format);
        }
        NotifyEvent::NewOrder | NotifyEvent::StatusEdit => MessageKind::NewOrder,
        NotifyEvent::Accepted => MessageKind::Accepted,
        NotifyEvent::Ready => MessageKind::Ready,
        NotifyEvent::Rejected | NotifyEvent::Missed => MessageKind::Rejected,
        NotifyEvent::Cancelled => MessageKind::Cancelled,
        NotifyEvent::Completed => MessageKind::Completed,
        NotifyEvent::Call
        | NotifyEvent::Paused
        | NotifyEvent::Unheard
        | NotifyEvent::VerifyEmail
        | NotifyEvent::PasswordReset
        | NotifyEvent::AccountExists
        | NotifyEvent::Invitation
        | NotifyEvent::NewSignIn => MessageKind::NewOrder,
    };
    templates::render(kind, locale, format, &text)
}

/// The status line under an edited Telegram new-order message: what happened and who did it.
pub fn status_line(p: &Payload, locale: &str) -> String {
    let t = Lang::from_tag(locale).texts();
    let by = p
        .actor
        .as_deref()
        .map(|a| format!(" — {}", templates::escape_html(a)))
        .unwrap_or_default();
    let eta = p.eta_minutes.unwrap_or_default();
    let what = match p.status.as_str() {
        "accepted" => format!("✅ {}", fill(t.line_accepted, &[("m", &eta)])),
        "ready" => format!("🔔 {}", t.action_ready),
        "completed" => format!("✔️ {}", t.action_complete),
        "rejected" => format!("❌ {}", t.action_reject),
        "cancelled" => format!("🚫 {}", t.action_cancel),
        "missed" => format!("⏰ {}", t.action_miss),
        other => other.to_owned(),
    };
    format!("<b>{what}</b>{by}")
}

/// Callback data: `a:<order id>:<eta>` accept, `r:` reject, `p:` print, `d:` ready, `c:` complete.
/// An order id is 32 characters, so every button stays under Telegram's 64 bytes.
pub fn keyboard(p: &Payload, locale: &str) -> Option<InlineKeyboardMarkup> {
    let t = Lang::from_tag(locale).texts();
    let id = &p.order_id;
    let b = |label: &str, data: String| InlineKeyboardButton::callback(label, data);
    let rows = match p.status.as_str() {
        "pending" => vec![
            [10, 20, 30]
                .iter()
                .map(|m| {
                    b(
                        &fill(t.button_accept_eta, &[("m", m)]),
                        format!("a:{id}:{m}"),
                    )
                })
                .collect(),
            vec![
                b(t.reject, format!("r:{id}")),
                b(t.print, format!("p:{id}")),
            ],
        ],
        "accepted" => vec![vec![
            b(t.mark_ready, format!("d:{id}")),
            b(t.print, format!("p:{id}")),
        ]],
        "ready" => vec![vec![b(t.complete, format!("c:{id}"))]],
        _ => return None,
    };
    Some(InlineKeyboardMarkup {
        inline_keyboard: rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(status: &str) -> Payload {
        Payload::parse(&format!(
            r#"{{"shop":"cafe","order_id":"0123456789abcdef0123456789abcdef","number":1042,"status":"{status}",
               "currency":"KRW","total":10000,"items":[{{"name":"Americano","quantity":2,"unit_price":4500,
               "options":[{{"name":"Extra shot","price":500}}],"line_total":10000}}],
               "fulfillment":{{"type":"dine_in","detail":"7"}},"note":"less ice","eta_minutes":20,"actor":"Kim <3"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn texts_in_both_languages() {
        let p = payload("pending");
        let en = render(NotifyEvent::NewOrder, "en", Format::Plain, &p);
        assert_eq!(
            en.text,
            "New order #1042\n• 2× Americano (Extra shot)\nTotal: ₩10,000\nDine in, table 7\nNote: less ice"
        );
        let ko = render(NotifyEvent::NewOrder, "ko-KR", Format::Plain, &p);
        assert!(ko.text.contains("매장 7번 테이블"), "{}", ko.text);
        let accepted = render(
            NotifyEvent::Accepted,
            "ko",
            Format::Plain,
            &payload("accepted"),
        );
        assert_eq!(accepted.body, "약 20분 후 준비됩니다.");
        assert_eq!(
            status_line(&payload("accepted"), "en"),
            "<b>✅ Accepted, ready in 20 min</b> — Kim &lt;3"
        );
    }

    #[test]
    fn buttons_fit_telegram() {
        let kb = keyboard(&payload("pending"), "en").unwrap();
        let all: Vec<&InlineKeyboardButton> = kb.inline_keyboard.iter().flatten().collect();
        assert_eq!(all.len(), 5);
        assert_eq!(all[1].text, "Accept 20");
        for button in all {
            let data = button.callback_data.as_deref().unwrap();
            assert!((1..=64).contains(&data.len()), "{data}");
        }
        assert!(keyboard(&payload("completed"), "en").is_none());
    }
}
