//! Message texts in English and Korean, picked by the recipient's locale.
//!
//! Plain functions, no template engine: each event has a title (push notification title,
//! first line in chats) and a body. Everything that came from a shop or a guest (item names,
//! reasons, printer names) is escaped when the output is for Telegram's HTML parse mode.

use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    En,
    Ko,
}

impl Locale {
    /// From a BCP 47 tag or Telegram `language_code` (`ko`, `ko-KR` → Korean); English otherwise.
    pub fn from_tag(tag: &str) -> Self {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("ko") {
            Locale::Ko
        } else {
            Locale::En
        }
    }
}

/// Where the text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// WhatsApp, push notifications.
    Plain,
    /// Telegram with `parse_mode: HTML`.
    TelegramHtml,
}

/// What the texts say about an order; money and fulfillment already formatted by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrderText<'a> {
    pub number: u64,
    /// One per line: `2× Americano (Extra shot)`.
    pub items: &'a [String],
    /// `₩10,000`.
    pub total: &'a str,
    /// `Pickup`, `Table 4`, `포장`…
    pub fulfillment: &'a str,
    pub eta_minutes: Option<u32>,
    pub reason: Option<&'a str>,
}

/// The order events that produce a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
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

/// The text for an order event.
pub fn render(event: OrderEvent, locale: Locale, format: Format, o: &OrderText<'_>) -> Rendered {
    let esc = |s: &str| match format {
        Format::Plain => s.to_owned(),
        Format::TelegramHtml => escape_html(s),
    };
    let n = o.number;
    let reason = o.reason.map(esc);
    let (title, body) = match (event, locale) {
        (OrderEvent::NewOrder, _) => {
            let mut body = String::new();
            for line in o.items {
                let _ = writeln!(body, "• {}", esc(line));
            }
            let (total, title) = match locale {
                Locale::En => ("Total", format!("New order #{n}")),
                Locale::Ko => ("합계", format!("새 주문 #{n}")),
            };
            let _ = writeln!(body, "{total}: {}", esc(o.total));
            if !o.fulfillment.is_empty() {
                body.push_str(&esc(o.fulfillment));
            }
            (title, body)
        }
        (OrderEvent::Accepted, Locale::En) => (
            format!("Order #{n} accepted"),
            o.eta_minutes.map_or_else(
                || "We're on it.".to_owned(),
                |m| format!("Ready in about {m} min."),
            ),
        ),
        (OrderEvent::Accepted, Locale::Ko) => (
            format!("주문 #{n} 접수 완료"),
            o.eta_minutes.map_or_else(
                || "준비를 시작했습니다.".to_owned(),
                |m| format!("약 {m}분 후 준비됩니다."),
            ),
        ),
        (OrderEvent::Ready, Locale::En) => (format!("Order #{n} is ready"), esc(o.fulfillment)),
        (OrderEvent::Ready, Locale::Ko) => (format!("주문 #{n} 준비 완료"), esc(o.fulfillment)),
        (OrderEvent::Rejected, Locale::En) => (
            format!("Order #{n} was declined"),
            reason.map_or_else(
                || "Sorry, the shop cannot take this order.".to_owned(),
                |r| format!("Reason: {r}"),
            ),
        ),
        (OrderEvent::Rejected, Locale::Ko) => (
            format!("주문 #{n} 거절됨"),
            reason.map_or_else(
                || "죄송합니다. 주문을 받을 수 없습니다.".to_owned(),
                |r| format!("사유: {r}"),
            ),
        ),
        (OrderEvent::Cancelled, Locale::En) => (
            format!("Order #{n} was cancelled"),
            reason.map(|r| format!("Reason: {r}")).unwrap_or_default(),
        ),
        (OrderEvent::Cancelled, Locale::Ko) => (
            format!("주문 #{n} 취소됨"),
            reason.map(|r| format!("사유: {r}")).unwrap_or_default(),
        ),
        (OrderEvent::Completed, Locale::En) => {
            (format!("Order #{n} completed"), "Thank you!".to_owned())
        }
        (OrderEvent::Completed, Locale::Ko) => (
            format!("주문 #{n} 완료"),
            "이용해 주셔서 감사합니다!".to_owned(),
        ),
    };
    finish(title, body, format)
}

/// "Printer problem" for shop members: which printer, and what is wrong.
pub fn printer_problem(locale: Locale, format: Format, printer: &str, problem: &str) -> Rendered {
    let esc = |s: &str| match format {
        Format::Plain => s.to_owned(),
        Format::TelegramHtml => escape_html(s),
    };
    let title = match locale {
        Locale::En => format!("Printer problem: {}", esc(printer)),
        Locale::Ko => format!("프린터 문제: {}", esc(printer)),
    };
    finish(title, esc(problem), format)
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
            OrderEvent::NewOrder,
            Locale::En,
            Format::Plain,
            &order(&items),
        );
        assert_eq!(
            en.text,
            "New order #1042\n• 2× Americano (Extra shot)\nTotal: ₩10,000\nPickup"
        );
        let ko = render(
            OrderEvent::NewOrder,
            Locale::from_tag("ko-KR"),
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
            OrderEvent::NewOrder,
            OrderEvent::Accepted,
            OrderEvent::Ready,
            OrderEvent::Rejected,
            OrderEvent::Cancelled,
            OrderEvent::Completed,
        ] {
            let en = render(ev, Locale::En, Format::Plain, &order(&items));
            let ko = render(ev, Locale::Ko, Format::Plain, &order(&items));
            assert!(
                en.title.contains("1042") && ko.title.contains("1042"),
                "{ev:?}"
            );
            assert_ne!(en.title, ko.title, "{ev:?}");
        }
        assert_eq!(
            render(
                OrderEvent::Accepted,
                Locale::Ko,
                Format::Plain,
                &order(&items)
            )
            .body,
            "약 15분 후 준비됩니다."
        );
        assert_eq!(
            render(
                OrderEvent::Accepted,
                Locale::En,
                Format::Plain,
                &order(&items)
            )
            .body,
            "Ready in about 15 min."
        );
        assert_eq!(
            printer_problem(Locale::Ko, Format::Plain, "Counter", "Paper out").title,
            "프린터 문제: Counter"
        );
    }

    #[test]
    fn html_escapes_user_text() {
        let items = vec!["1× <b>Tea</b> & \"cake\"".to_owned()];
        let r = render(
            OrderEvent::NewOrder,
            Locale::En,
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
            OrderEvent::Rejected,
            Locale::En,
            Format::TelegramHtml,
            &order(&items),
        );
        assert_eq!(r.body, "Reason: Out of &lt;milk&gt; &amp; beans");
        let p = printer_problem(Locale::En, Format::TelegramHtml, "<Bar>", "a & b");
        assert_eq!(p.text, "<b>Printer problem: &lt;Bar&gt;</b>\na &amp; b");
        // Plain text is left alone.
        let r = render(
            OrderEvent::Rejected,
            Locale::En,
            Format::Plain,
            &order(&items),
        );
        assert_eq!(r.body, "Reason: Out of <milk> & beans");
    }

    #[test]
    fn locale_tags() {
        assert_eq!(Locale::from_tag("ko"), Locale::Ko);
        assert_eq!(Locale::from_tag("KO_kr"), Locale::Ko);
        assert_eq!(Locale::from_tag("en-US"), Locale::En);
        assert_eq!(Locale::from_tag(""), Locale::En);
    }
}
