//! Every word Orderbell shows to a person, in English and Korean: pages, form errors, messages
//! to chats and phones, alerts, spoken calls and the fixed words of a ticket.
//!
//! One table ([`table`]), one struct field a key, so a key missing in one language does not
//! compile; the tests below check the rest (no empty text, Korean texts in Hangul, English
//! texts without it, the same `{placeholders}` in both). Which language a person gets is decided
//! by the caller: the server negotiates it for pages, a recipient's stored locale picks it for
//! messages, the shop's locale for tickets.

mod table;
mod words;

pub use table::{EN, KEYS, KO, Texts};

use std::fmt::{Display, Write as _};

/// A language Orderbell speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The BCP 47 primary tag: `en`, `ko`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// From a BCP 47 tag or a Telegram `language_code` (`ko`, `ko-KR`, `KO_kr`); `None` for a
    /// language Orderbell does not speak.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// Like [`Lang::parse`], English for anything else.
    pub fn from_tag(tag: &str) -> Lang {
        Lang::parse(tag).unwrap_or_default()
    }

    /// Every text in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        }
    }

    /// The language of spoken text (Twilio's `<Say language>`).
    pub fn speech_tag(self) -> &'static str {
        match self {
            Lang::En => "en-US",
            Lang::Ko => "ko-KR",
        }
    }
}

/// Fills the `{name}` placeholders of a text. Values are written as they are and never scanned
/// again, so a guest's `{n}` in a note stays `{n}`; an unknown placeholder is kept verbatim.
pub fn fill(text: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        match args.iter().find(|(k, _)| *k == name) {
            Some((_, value)) => {
                let _ = write!(out, "{value}");
            }
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether a text holds a Hangul syllable.
pub fn has_hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Keys whose Korean text is the same word in both languages (names, codes, examples).
    const SAME_IN_BOTH: &[&str] = &["app_name"];

    fn placeholders(text: &str) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            out.insert(&after[..close]);
            rest = &after[close + 1..];
        }
        out
    }

    #[test]
    fn every_key_is_written_in_both_languages() {
        let mut problems = Vec::new();
        for (key, en, ko) in KEYS {
            if en.trim().is_empty() || ko.trim().is_empty() {
                problems.push(format!("{key}: empty"));
            }
            if has_hangul(en) {
                problems.push(format!("{key}: Korean in the English text {en:?}"));
            }
            if !has_hangul(ko) && !SAME_IN_BOTH.contains(key) {
                problems.push(format!("{key}: the Korean text {ko:?} has no Korean"));
            }
            if placeholders(en) != placeholders(ko) {
                problems.push(format!("{key}: placeholders differ: {en:?} / {ko:?}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn keys_are_unique() {
        let mut seen = BTreeSet::new();
        for (key, _, _) in KEYS {
            assert!(seen.insert(key), "{key} twice");
        }
    }

    #[test]
    fn fill_writes_values_once() {
        assert_eq!(
            fill("Order #{n} in {m} min", &[("n", &1042), ("m", &15)]),
            "Order #1042 in 15 min"
        );
        assert_eq!(fill("{a}{b}", &[("a", &"{b}"), ("b", &"x")]), "{b}x");
        assert_eq!(fill("{unknown} and {", &[]), "{unknown} and {");
        assert_eq!(fill("약 {m}분", &[("m", &"20")]), "약 20분");
    }

    #[test]
    fn field_errors_say_what_the_field_needs() {
        let ko = Lang::Ko.texts();
        assert_eq!(ko.field_message("slug", "invalid"), ko.err_slug);
        assert_eq!(
            ko.field_message("items[2].unit_price", "invalid"),
            ko.err_price
        );
        assert_eq!(ko.field_message("customer.email", "invalid"), ko.err_email);
        assert_eq!(ko.field_message("customer.phone", "invalid"), ko.err_phone);
        assert_eq!(ko.field_message("name", "required"), ko.err_required);
        // An unknown field and code still get words, never an empty string.
        assert_eq!(ko.field_message("whatever", "odd"), ko.err_invalid);
        assert_eq!(ko.printer_state("paper_out"), "용지 없음");
        assert_eq!(Lang::En.texts().printer_state("cover_open"), "cover open");
    }

    #[test]
    fn language_tags() {
        assert_eq!(Lang::parse("ko-KR"), Some(Lang::Ko));
        assert_eq!(Lang::parse("KO_kr"), Some(Lang::Ko));
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::from_tag(""), Lang::En);
        assert_eq!(Lang::from_tag("ko"), Lang::Ko);
        for lang in Lang::ALL {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
        }
    }
}
