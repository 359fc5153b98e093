//! Texts of escalation messages (reminders, missed orders, pauses, "nobody would hear an
//! order") and of escalation phone calls, in English and Korean. Like [`crate::templates`],
//! everything that came from a shop or a guest is escaped for Telegram's HTML parse mode when
//! the output is for Telegram.

use crate::templates::{Format, Locale, escape_html};

fn esc(s: &str, format: Format) -> String {
    match format {
        Format::Plain => s.to_owned(),
        Format::TelegramHtml => escape_html(s),
    }
}

/// Whole minutes, at least 1.
pub fn minutes(seconds: i64) -> i64 {
    (seconds / 60).max(1)
}

/// The first line of a repeat: `⚠ #1042 unanswered for 2 min`.
pub fn reminder_title(locale: Locale, number: i64, waited_seconds: i64) -> String {
    let m = minutes(waited_seconds);
    match locale {
        Locale::En => format!("⚠ #{number} unanswered for {m} min"),
        Locale::Ko => format!("⚠ #{number} 주문 {m}분째 응답 없음"),
    }
}

/// To the guest whose order went unanswered: (title, body).
pub fn missed_for_guest(
    locale: Locale,
    format: Format,
    number: i64,
    shop: &str,
    phone: Option<&str>,
) -> (String, String) {
    let shop = esc(shop, format);
    let phone = phone.map(|p| esc(p, format));
    match locale {
        Locale::En => (
            format!("Order #{number} was not answered"),
            match phone {
                Some(p) => format!(
                    "Sorry — {shop} could not answer your order in time, so it will not be made. Please call {p}."
                ),
                None => format!(
                    "Sorry — {shop} could not answer your order in time, so it will not be made."
                ),
            },
        ),
        Locale::Ko => (
            format!("주문 #{number}에 응답이 없었습니다"),
            match phone {
                Some(p) => format!(
                    "죄송합니다. {shop}에서 제시간에 주문을 확인하지 못해 주문이 진행되지 않습니다. {p}(으)로 전화해 주세요."
                ),
                None => format!(
                    "죄송합니다. {shop}에서 제시간에 주문을 확인하지 못해 주문이 진행되지 않습니다."
                ),
            },
        ),
    }
}

/// To the shop about an order that went unanswered: (title, body).
pub fn missed_for_shop(locale: Locale, number: i64) -> (String, String) {
    match locale {
        Locale::En => (
            format!("⏰ Order #{number} missed"),
            "Nobody answered it in time; the guest was told.".to_owned(),
        ),
        Locale::Ko => (
            format!("⏰ 주문 #{number} 놓침"),
            "제시간에 아무도 응답하지 않아 손님에게 안내했습니다.".to_owned(),
        ),
    }
}

/// To the owners when ordering paused itself: (title, body). `until` is already in the shop's
/// local time (`HH:MM` or a date).
pub fn paused(locale: Locale, until: &str) -> (String, String) {
    match locale {
        Locale::En => (
            "Online ordering paused".to_owned(),
            format!(
                "Several orders in a row went unanswered, so guests cannot order until {until}. Resume on the dashboard."
            ),
        ),
        Locale::Ko => (
            "온라인 주문 일시 중지".to_owned(),
            format!(
                "연속으로 주문에 응답하지 않아 {until}까지 손님이 주문할 수 없습니다. 대시보드에서 다시 시작하세요."
            ),
        ),
    }
}

/// One readiness problem in a person's words.
pub fn problem(locale: Locale, code: &str) -> &'static str {
    match (code, locale) {
        ("no_dashboard_with_sound", Locale::En) => "no dashboard with its sound on is open",
        ("no_dashboard_with_sound", Locale::Ko) => "소리가 켜진 대시보드가 없습니다",
        ("printer_offline", Locale::En) => "a printer is offline",
        ("printer_offline", Locale::Ko) => "프린터가 연결되어 있지 않습니다",
        ("printer_paper_out", Locale::En) => "a printer is out of paper",
        ("printer_paper_out", Locale::Ko) => "프린터 용지가 없습니다",
        ("channel_dead", Locale::En) => "a linked channel no longer receives messages",
        ("channel_dead", Locale::Ko) => "연결된 알림 채널이 메시지를 받지 못합니다",
        ("no_listener", Locale::En) => "nothing and nobody would hear a new order",
        ("no_listener", Locale::Ko) => "새 주문을 들을 수 있는 곳이 없습니다",
        (_, Locale::En) => "something needs a look",
        (_, Locale::Ko) => "확인이 필요합니다",
    }
}

/// To the owners when nobody would hear a new order: (title, body).
pub fn unheard(
    locale: Locale,
    format: Format,
    shop: &str,
    problems: &[String],
) -> (String, String) {
    let shop = esc(shop, format);
    let list: Vec<String> = problems
        .iter()
        .map(|p| format!("• {}", problem(locale, p)))
        .collect();
    match locale {
        Locale::En => (
            format!("Nobody would hear a new order at {shop}"),
            format!(
                "Open the dashboard and turn its sound on, or check the printer.\n{}",
                list.join("\n")
            ),
        ),
        Locale::Ko => (
            format!("{shop}: 새 주문을 들을 수 없는 상태입니다"),
            format!(
                "대시보드를 열고 소리를 켜거나 프린터를 확인하세요.\n{}",
                list.join("\n")
            ),
        ),
    }
}

/// What an escalation call says: (announcement, keypad prompt).
pub fn call(locale: Locale, shop: &str, number: i64, waited_seconds: i64) -> (String, String) {
    let m = minutes(waited_seconds);
    match locale {
        Locale::En => (
            format!(
                "This is Orderbell for {shop}. Order {number} has waited {m} minutes without an answer."
            ),
            "Press 1 to accept it, or 2 to reject it.".to_owned(),
        ),
        Locale::Ko => (
            format!("{shop} 오더벨입니다. 주문 {number}번이 {m}분째 응답을 기다리고 있습니다."),
            "수락하려면 1번, 거절하려면 2번을 누르세요.".to_owned(),
        ),
    }
}

/// What the call says after a key was pressed.
pub fn call_answer(locale: Locale, number: i64, outcome: CallOutcome) -> String {
    match (outcome, locale) {
        (CallOutcome::Accepted { eta_minutes }, Locale::En) => {
            format!("Order {number} accepted, ready in {eta_minutes} minutes. Goodbye.")
        }
        (CallOutcome::Accepted { eta_minutes }, Locale::Ko) => {
            format!("주문 {number}번을 수락했습니다. {eta_minutes}분 후 준비됩니다. 감사합니다.")
        }
        (CallOutcome::Rejected, Locale::En) => format!("Order {number} rejected. Goodbye."),
        (CallOutcome::Rejected, Locale::Ko) => {
            format!("주문 {number}번을 거절했습니다. 감사합니다.")
        }
        (CallOutcome::AlreadyAnswered, Locale::En) => {
            format!("Order {number} has already been answered. Goodbye.")
        }
        (CallOutcome::AlreadyAnswered, Locale::Ko) => {
            format!("주문 {number}번은 이미 처리되었습니다. 감사합니다.")
        }
        (CallOutcome::NotAllowed, Locale::En) => {
            "This phone may no longer answer orders of this shop. Goodbye.".to_owned()
        }
        (CallOutcome::NotAllowed, Locale::Ko) => {
            "이 전화로는 더 이상 이 가게의 주문을 처리할 수 없습니다. 감사합니다.".to_owned()
        }
    }
}

/// What came of a keypad answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    Accepted { eta_minutes: i64 },
    Rejected,
    AlreadyAnswered,
    NotAllowed,
}

/// The `<Say language>` of a locale.
pub fn say_language(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "en-US",
        Locale::Ko => "ko-KR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Korean texts hold Hangul and English texts none; both name the order.
    #[test]
    fn every_text_in_both_languages() {
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        for locale in [Locale::En, Locale::Ko] {
            let ko = locale == Locale::Ko;
            let (a, b) = missed_for_guest(locale, Format::Plain, 1042, "Cafe", Some("+8221234567"));
            let (c, d) = missed_for_shop(locale, 1042);
            let (e, f) = paused(locale, "00:00");
            let (g, h) = unheard(
                locale,
                Format::Plain,
                "Cafe",
                &["no_dashboard_with_sound".into()],
            );
            let (i, j) = call(locale, "Cafe", 1042, 125);
            let texts = [
                reminder_title(locale, 1042, 125),
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                h,
                i,
                j,
                call_answer(locale, 1042, CallOutcome::Accepted { eta_minutes: 15 }),
                call_answer(locale, 1042, CallOutcome::Rejected),
                call_answer(locale, 1042, CallOutcome::AlreadyAnswered),
                call_answer(locale, 1042, CallOutcome::NotAllowed),
                problem(locale, "printer_offline").to_owned(),
            ];
            for t in texts {
                assert_eq!(hangul(&t), ko, "{t}");
            }
        }
        assert_eq!(
            reminder_title(Locale::En, 1042, 125),
            "⚠ #1042 unanswered for 2 min"
        );
    }

    #[test]
    fn shop_words_are_escaped_for_telegram() {
        let (_, body) =
            missed_for_guest(Locale::En, Format::TelegramHtml, 7, "<b>Kim & Co</b>", None);
        assert!(body.contains("&lt;b&gt;Kim &amp; Co&lt;/b&gt;"), "{body}");
    }
}
