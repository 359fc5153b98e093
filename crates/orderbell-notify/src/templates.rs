//! Message texts for an order, in the recipient's language, from `orderbell_core::i18n`.
//!
//! Plain functions, no template engine: each kind of message has a title (push notification
//! title, first line in chats) and a body. Everything that came from a shop or a guest (item
//! names, reasons, printer names) is escaped when the output is for Telegram's HTML parse mode.

use std::fmt::Write as _;

pub use orderbell_core::i18n::Lang;
use orderbell_core::i18n::fill;

/// Where the text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// WhatsApp, push notifications.
    Plain,
    /// Telegram with `parse_mode: HTML`.
    TelegramHtml,
}

impl Format {
    /// Text from a shop or a guest, escaped for this format.
    pub fn escape(self, s: &str) -> String {
        match self {
            Format::Plain => s.to_owned(),
            Format::TelegramHtml => escape_html(s),
        }
    }
}

/// What the texts say about an order; money and fulfillment already formatted by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderText<'a> {
    pub number: u64,
    /// One per line: `2× Americano (Extra shot)`.
    pub items: &'a [String],
    /// `₩10,000`.
    pub total: &'a str,
    /// `Pickup`, `Dine in, table 4`, `포장 (픽업)`…
    pub fulfillment: &'a str,
    pub eta_minutes: Option<u32>,
    pub reason: Option<&'a str>,
}

/// The kinds of message about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    NewOrder,
    Accepted,
    Ready,
    Rejected,
    Cancelled,
    Completed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub title: String,
    pub body: String,
    /// Title and body as one chat message (title in bold for HTML).
    pub text: String,
}

/// Escapes `<`, `>`, `&` and `"` for Telegram's HTML parse mode.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Title and body as one chat message (the title in bold for HTML).
pub fn finish(title: String, body: String, format: Format) -> Rendered {
    // `title` and `body` are already escaped for HTML when needed.
    let text = match format {
        Format::Plain => format!("{title}\n{body}"),
        Format::TelegramHtml => format!("<b>{title}</b>\n{body}"),
    };
    Rendered {
        title,
        body,
        text: text.trim_end().to_owned(),
    }
}

/// The text of a message about an order.
pub fn render(kind: MessageKind, lang: Lang, format: Format, o: &OrderText<'_>) -> Rendered {
    let t = lang.texts();
    let n = o.number;
    let reason = o
        .reason
        .map(|r| fill(t.msg_reason, &[("reason", &format.escape(r))]));
    let (title, body) = match kind {
        MessageKind::NewOrder => {
            let mut body = String::new();
            for line in o.items {
                let _ = writeln!(body, "• {}", format.escape(line));
            }
            let _ = writeln!(body, "{}: {}", t.total, format.escape(o.total));
            if !o.fulfillment.is_empty() {
                body.push_str(&format.escape(o.fulfillment));
            }
            (fill(t.msg_new_order, &[("n", &n)]), body)
        }
        MessageKind::Accepted => (
            fill(t.msg_accepted, &[("n", &n)]),
            o.eta_minutes.map_or_else(
                || t.msg_accepted_no_eta.to_owned(),
                |m| fill(t.msg_accepted_eta, &[("m", &m)]),
            ),
        ),
        MessageKind::Ready => (
            fill(t.msg_ready, &[("n", &n)]),
            format.escape(o.fulfillment),
        ),
        MessageKind::Rejected => (
            fill(t.msg_rejected, &[("n", &n)]),
            reason.unwrap_or_else(|| t.msg_rejected_no_reason.to_owned()),
        ),
        MessageKind::Cancelled => (
            fill(t.msg_cancelled, &[("n", &n)]),
            reason.unwrap_or_default(),
        ),
        MessageKind::Completed => (fill(t.msg_completed, &[("n", &n)]), t.msg_thanks.to_owned()),
    };
    finish(title, body, format)
}

/// "Printer problem" for shop members: which printer, and what is wrong.
pub fn printer_problem(lang: Lang, format: Format, printer: &str, problem: &str) -> Rendered {
    let title = fill(
        lang.texts().msg_printer_problem,
        &[("printer", &format.escape(printer))],
    );
    finish(title, format.escape(problem), format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(items: &[String]) -> OrderText<'_> {
        OrderText {
            number: 1042,
            items,
            total: "₩10,000",
            fulfillment: "Pickup",
            eta_minutes: Some(15),
            reason: Some("Out of <milk> & beans"),
        }
    }

    #[test]
    fn new_order_in_both_languages() {
        let items = vec!["2× Americano (Extra shot)".to_owned()];
        let en = render(
            MessageKind::NewOrder,
            Lang::En,
            Format::Plain,
            &order(&items),
        );
        assert_eq!(
            en.text,
            "New order #1042\n• 2× Americano (Extra shot)\nTotal: ₩10,000\nPickup"
        );
        let ko = render(
            MessageKind::NewOrder,
            Lang::from_tag("ko-KR"),
            Format::Plain,
            &order(&items),
        );
        assert_eq!(ko.title, "새 주문 #1042");
        assert!(ko.body.contains("합계: ₩10,000"));
    }

    #[test]
    fn every_event_has_text_in_both_languages() {
        let items = vec!["1× Latte".to_owned()];
        for ev in [
            MessageKind::NewOrder,
            MessageKind::Accepted,
            MessageKind::Ready,
            MessageKind::Rejected,
            MessageKind::Cancelled,
            MessageKind::Completed,
        ] {
            let en = render(ev, Lang::En, Format::Plain, &order(&items));
            let ko = render(ev, Lang::Ko, Format::Plain, &order(&items));
            assert!(
                en.title.contains("1042") && ko.title.contains("1042"),
                "{ev:?}"
            );
            assert_ne!(en.title, ko.title, "{ev:?}");
        }
        assert_eq!(
            render(
                MessageKind::Accepted,
                Lang::Ko,
                Format::Plain,
                &order(&items)
            )
            .body,
            "약 15분 후 준비됩니다."
        );
        assert_eq!(
            render(
                MessageKind::Accepted,
                Lang::En,
                Format::Plain,
                &order(&items)
            )
            .body,
            "Ready in about 15 min."
        );
        assert_eq!(
            printer_problem(Lang::Ko, Format::Plain, "Counter", "Paper out").title,
            "프린터 문제: Counter"
        );
    }

    #[test]
    fn html_escapes_user_text() {
        let items = vec!["1× <b>Tea</b> & \"cake\"".to_owned()];
        let r = render(
            MessageKind::NewOrder,
            Lang::En,
            Format::TelegramHtml,
            &order(&items),
        );
        assert!(r.text.starts_with("<b>New order #1042</b>\n"));
        assert!(
            r.text
                .contains("1× &lt;b&gt;Tea&lt;/b&gt; &amp; &quot;cake&quot;"),
            "{}",
            r.text
        );
        let r = render(
            MessageKind::Rejected,
            Lang::En,
            Format::TelegramHtml,
            &order(&items),
        );
        assert_eq!(r.body, "Reason: Out of &lt;milk&gt; &amp; beans");
        let p = printer_problem(Lang::En, Format::TelegramHtml, "<Bar>", "a & b");
        assert_eq!(p.text, "<b>Printer problem: &lt;Bar&gt;</b>\na &amp; b");
        // Plain text is left alone.
        let r = render(
            MessageKind::Rejected,
            Lang::En,
            Format::Plain,
            &order(&items),
        );
        assert_eq!(r.body, "Reason: Out of <milk> & beans");
    }
}
