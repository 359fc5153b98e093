//! Texts of escalation messages (reminders, missed orders, pauses, "nobody would hear an
//! order") and of escalation phone calls, from `orderbell_core::i18n`. Like [`crate::templates`],
//! everything that came from a shop or a guest is escaped for Telegram's HTML parse mode when
//! the output is for Telegram.

use orderbell_core::i18n::fill;

use crate::templates::{Format, Lang};

/// Whole minutes, at least 1.
pub fn minutes(seconds: i64) -> i64 {
    (seconds / 60).max(1)
}

/// The first line of a repeat: `⚠ #1042 unanswered for 2 min`.
pub fn reminder_title(lang: Lang, number: i64, waited_seconds: i64) -> String {
    let m = minutes(waited_seconds);
    fill(lang.texts().alert_reminder, &[("n", &number), ("m", &m)])
}

/// To the guest when nobody answered their order: (title, body), with the shop's phone to call
/// when the shop has one.
pub fn missed_for_guest(
    lang: Lang,
    format: Format,
    number: i64,
    shop: &str,
    phone: Option<&str>,
) -> (String, String) {
    let t = lang.texts();
    let mut body = fill(t.alert_missed_guest, &[("shop", &format.escape(shop))]);
    if let Some(phone) = phone {
        body.push(' ');
        body.push_str(&fill(
            t.alert_missed_guest_call,
            &[("phone", &format.escape(phone))],
        ));
    }
    (fill(t.alert_missed_guest_title, &[("n", &number)]), body)
}

/// To the shop's members when an order was missed: (title, body).
pub fn missed_for_shop(lang: Lang, number: i64) -> (String, String) {
    let t = lang.texts();
    (
        fill(t.alert_missed_shop_title, &[("n", &number)]),
        t.alert_missed_shop.to_owned(),
    )
}

/// To the owners when ordering paused itself: (title, body). `until` is already in the shop's
/// time zone.
pub fn paused(lang: Lang, until: &str) -> (String, String) {
    let t = lang.texts();
    (
        t.alert_paused_title.to_owned(),
        fill(t.alert_paused, &[("until", &until)]),
    )
}

/// To the owners when nothing and nobody would hear a new order: (title, body listing the
/// problems).
pub fn unheard(lang: Lang, format: Format, shop: &str, problems: &[String]) -> (String, String) {
    let t = lang.texts();
    let mut body = t.alert_unheard.to_owned();
    for p in problems {
        body.push_str("\n• ");
        body.push_str(t.problem(p));
    }
    (
        fill(t.alert_unheard_title, &[("shop", &format.escape(shop))]),
        body,
    )
}

/// What an escalation call says, then asks: (said, question).
pub fn call(lang: Lang, shop: &str, number: i64, waited_seconds: i64) -> (String, String) {
    let t = lang.texts();
    let m = minutes(waited_seconds);
    (
        fill(t.call_say, &[("shop", &shop), ("n", &number), ("m", &m)]),
        t.call_prompt.to_owned(),
    )
}

/// What the call says after a key was pressed.
pub fn call_answer(lang: Lang, number: i64, outcome: CallOutcome) -> String {
    let t = lang.texts();
    match outcome {
        CallOutcome::Accepted { eta_minutes } => {
            fill(t.call_accepted, &[("n", &number), ("m", &eta_minutes)])
        }
        CallOutcome::Rejected => fill(t.call_rejected, &[("n", &number)]),
        CallOutcome::AlreadyAnswered => fill(t.call_already_answered, &[("n", &number)]),
        CallOutcome::NotAllowed => t.call_not_allowed.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Korean texts hold Hangul and English texts none; both name the order.
    #[test]
    fn every_text_in_both_languages() {
        let hangul = |s: &str| s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c));
        for locale in Lang::ALL {
            let ko = locale == Lang::Ko;
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
                locale.texts().problem("printer_offline").to_owned(),
            ];
            for t in texts {
                assert_eq!(hangul(&t), ko, "{t}");
            }
        }
        assert_eq!(
            reminder_title(Lang::En, 1042, 125),
            "⚠ #1042 unanswered for 2 min"
        );
    }

    #[test]
    fn shop_words_are_escaped_for_telegram() {
        let (_, body) =
            missed_for_guest(Lang::En, Format::TelegramHtml, 7, "<b>Kim & Co</b>", None);
        assert!(body.contains("&lt;b&gt;Kim &amp; Co&lt;/b&gt;"), "{body}");
    }
}
