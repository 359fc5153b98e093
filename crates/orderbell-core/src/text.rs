//! Checks for small text values: slugs, e-mail addresses, E.164 phone numbers, time zones.

use crate::validation::{FORBIDDEN_IN_TEXT, WHITESPACE, char_class, is_forbidden_in_text};

/// [`is_valid_slug`] as a regular expression.
pub const SLUG_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$";

/// A shop slug: 2 to 40 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
pub fn is_valid_slug(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Longest e-mail address, in characters as sent.
pub const EMAIL_MAX_CHARS: usize = 254;
/// Longest part before the last `@`, in characters.
pub const EMAIL_LOCAL_MAX_CHARS: usize = 64;

/// Normalises an e-mail address (trimmed, lower case) and checks its basic shape: at most
/// [`EMAIL_MAX_CHARS`] as sent; no whitespace, control or bidi character inside; 1 to
/// [`EMAIL_LOCAL_MAX_CHARS`] characters before the last `@`; a domain with a dot, not at
/// either end. [`email_pattern`] says the same.
pub fn normalize_email(s: &str) -> Option<String> {
    if s.chars().count() > EMAIL_MAX_CHARS {
        return None;
    }
    let email = s.trim();
    if email
        .chars()
        .any(|c| c.is_whitespace() || is_forbidden_in_text(c))
    {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    let domain_ok = !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    let local_ok = !local.is_empty() && local.chars().count() <= EMAIL_LOCAL_MAX_CHARS;
    (local_ok && domain_ok).then(|| email.to_lowercase())
}

/// The JSON Schema `pattern` of [`normalize_email`] (with `maxLength` [`EMAIL_MAX_CHARS`]);
/// `optional`: a blank value (no address) matches too.
pub fn email_pattern(optional: bool) -> String {
    let space = char_class(WHITESPACE);
    let not_in = format!("{space}{}", char_class(FORBIDDEN_IN_TEXT));
    let local = format!("[^{not_in}]{{1,{EMAIL_LOCAL_MAX_CHARS}}}");
    let domain = format!("[^{not_in}@.][^{not_in}@]*\\.[^{not_in}@]*[^{not_in}@.]");
    // A domain with a dot, neither first nor last.
    let address = format!("{local}@{domain}");
    if optional {
        format!("^[{space}]*(?:{address})?[{space}]*$")
    } else {
        format!("^[{space}]*{address}[{space}]*$")
    }
}

/// The JSON Schema `pattern` of a phone field ([`normalize_phone`] after trimming; a blank
/// value is no number).
pub fn phone_pattern() -> String {
    let space = char_class(WHITESPACE);
    format!("^[{space}]*(?:\\+[ ().-]*[1-9](?:[ ().-]*[0-9]){{7,14}}[ ().-]*)?[{space}]*$")
}

/// Normalises a phone number to E.164 (`+` and 8 to 15 digits). Spaces, dashes, dots and
/// parentheses are dropped.
pub fn normalize_phone(s: &str) -> Option<String> {
    let trimmed = s.trim();
    let rest = trimmed.strip_prefix('+')?;
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    ((8..=15).contains(&digits.len()) && !digits.starts_with('0')).then(|| format!("+{digits}"))
}

/// A number as people in the shop's country write it, made international: in a KRW shop a
/// leading `0` is the trunk prefix of `+82` (`010-1234-5678` → `+8210-1234-5678`, `02-123-4567`
/// → `+822-123-4567`); anything else is returned trimmed, for [`normalize_phone`] to judge.
pub fn international_phone(phone: &str, currency: crate::Currency) -> String {
    let phone = phone.trim();
    match phone.strip_prefix('0') {
        Some(rest) if currency.code() == "KRW" && !rest.starts_with('0') => format!("+82{rest}"),
        _ => phone.to_owned(),
    }
}

/// An E.164 number as people in the shop's country read it: Korean numbers of a KRW shop in
/// their local form with dashes (`+821012345678` → `010-1234-5678`, `+8221234567` →
/// `02-123-4567`); every other number as stored.
pub fn local_phone(e164: &str, currency: crate::Currency) -> String {
    let Some(rest) = e164
        .strip_prefix("+82")
        .filter(|_| currency.code() == "KRW")
    else {
        return e164.to_owned();
    };
    if !rest.bytes().all(|b| b.is_ascii_digit()) || !(8..=10).contains(&rest.len()) {
        return e164.to_owned();
    }
    let national = format!("0{rest}");
    // Seoul's area code is two digits (02); mobile and other areas three (010, 031…).
    let area = if national.starts_with("02") { 2 } else { 3 };
    let (code, number) = national.split_at(area);
    let (middle, last) = number.split_at(number.len() - 4);
    format!("{code}-{middle}-{last}")
}

/// A slug made from a shop's name: its letters and digits, lower case, words joined by `-`;
/// Hangul is romanised (Revised Romanization, syllable by syllable: `김밥천국` →
/// `gimbapcheonguk`). `None` when too little is left (a name in another script).
pub fn slug_from_name(name: &str) -> Option<String> {
    let mut words: Vec<String> = vec![];
    let mut word = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        } else if let Some(latin) = romanise(c) {
            word.push_str(&latin);
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut slug = words.join("-");
    slug.truncate(40);
    let slug = slug.trim_end_matches('-').to_owned();
    is_valid_slug(&slug).then_some(slug)
}

/// One Hangul syllable in the Revised Romanization of Korean, without the rules that look at
/// the next syllable (enough for an address); `None` for anything else.
fn romanise(c: char) -> Option<String> {
    const INITIALS: [&str; 19] = [
        "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t",
        "p", "h",
    ];
    const MEDIALS: [&str; 21] = [
        "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo",
        "we", "wi", "yu", "eu", "ui", "i",
    ];
    const FINALS: [&str; 28] = [
        "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p",
        "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t",
    ];
    let index = u32::from(c).checked_sub(0xAC00).filter(|i| *i < 11_172)?;
    let index = usize::try_from(index).ok()?;
    let initial = INITIALS.get(index / 588)?;
    let medial = MEDIALS.get(index % 588 / 28)?;
    let last = FINALS.get(index % 28)?;
    Some(format!("{initial}{medial}{last}"))
}

/// The IANA time zones Orderbell knows, as written in its bundled database, sorted.
pub fn time_zone_names() -> &'static [String] {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::TimeZoneDatabase::bundled()
            .available()
            .map(|n| n.as_str().to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    });
    &NAMES
}

/// Whether `name` is an IANA time zone Orderbell knows (e.g. `Asia/Seoul`), spelled exactly as
/// in [`time_zone_names`].
pub fn is_valid_time_zone(name: &str) -> bool {
    time_zone_names()
        .binary_search_by(|n| n.as_str().cmp(name))
        .is_ok()
}

/// The locale tags Orderbell has texts for.
pub const LOCALES: [&str; 2] = ["en", "ko"];

/// A locale tag Orderbell has texts for.
pub fn is_supported_locale(tag: &str) -> bool {
    LOCALES.contains(&tag)
}

/// Longest language tag of a device (`ko`, `en-US`…).
pub const LANGUAGE_TAG_MAX: usize = 35;
/// [`is_language_tag`] as a regular expression (with `maxLength` [`LANGUAGE_TAG_MAX`]).
pub const LANGUAGE_TAG_PATTERN: &str = "^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$";

/// A BCP 47 language tag as browsers and phones give it: letters, then `-` and letters or
/// digits, at most [`LANGUAGE_TAG_MAX`] characters.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    tag.len() <= LANGUAGE_TAG_MAX
        && first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn local_and_international_phones() {
        let krw = Currency::from_code("KRW").unwrap();
        let usd = Currency::from_code("USD").unwrap();
        for (typed, e164, shown) in [
            ("010-1234-5678", "+821012345678", "010-1234-5678"),
            ("02-123-4567", "+8221234567", "02-123-4567"),
            ("02-1234-5678", "+82212345678", "02-1234-5678"),
            ("031 123 4567", "+82311234567", "031-123-4567"),
            ("+82 10 1234 5678", "+821012345678", "010-1234-5678"),
        ] {
            let e = normalize_phone(&international_phone(typed, krw));
            assert_eq!(e.as_deref(), Some(e164), "{typed}");
            assert_eq!(local_phone(e164, krw), shown);
        }
        assert_eq!(international_phone("010-1234-5678", krw), "+8210-1234-5678");
        assert_eq!(international_phone("+821012345678", krw), "+821012345678");
        // Elsewhere, numbers stay international.
        assert_eq!(international_phone("0123", usd), "0123");
        assert_eq!(local_phone("+821012345678", usd), "+821012345678");
        assert_eq!(local_phone("+14155550100", krw), "+14155550100");
    }

    #[test]
    fn slugs_from_names() {
        assert_eq!(
            slug_from_name("Cafe Seoul 2").as_deref(),
            Some("cafe-seoul-2")
        );
        assert_eq!(
            slug_from_name("  Kim's   Bakery!").as_deref(),
            Some("kim-s-bakery")
        );
        assert_eq!(
            slug_from_name("김밥천국").as_deref(),
            Some("gimbapcheonguk")
        );
        assert_eq!(
            slug_from_name("카페 오더벨").as_deref(),
            Some("kape-odeobel")
        );
        assert_eq!(
            slug_from_name("서울 Cafe 2").as_deref(),
            Some("seoul-cafe-2")
        );
        assert_eq!(
            slug_from_name("닭갈비 & 막국수").as_deref(),
            Some("dakgalbi-makguksu")
        );
        assert_eq!(slug_from_name("東京"), None);
        assert_eq!(slug_from_name("a"), None);
    }

    #[test]
    fn slugs() {
        assert!(is_valid_slug("demo"));
        assert!(is_valid_slug("cafe-seoul-2"));
        for bad in [
            "",
            "a",
            "-demo",
            "demo-",
            "Demo",
            "café",
            "a b",
            &"x".repeat(41),
        ] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Kim@Example.COM ").as_deref(),
            Some("kim@example.com")
        );
        for bad in [
            "",
            "kim",
            "kim@",
            "@example.com",
            "kim@example",
            "k im@example.com",
            "kim@.example.com",
            "kim@example.com.",
            "ki\u{202e}m@example.com",
            &format!("{}@example.com", "k".repeat(65)),
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert_eq!(
            normalize_phone("+82 10-1234-5678").as_deref(),
            Some("+821012345678")
        );
        for bad in [
            "01012345678",
            "+0123456789",
            "+12",
            "+8210abc45678",
            "+1234567890123456",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_zones() {
        assert!(is_valid_time_zone("Asia/Seoul"));
        assert!(is_valid_time_zone("UTC"));
        assert!(!is_valid_time_zone("Mars/Olympus"));
        assert!(!is_valid_time_zone(""));
    }
}
