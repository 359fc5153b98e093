//! Checks for small text values: slugs, e-mail addresses, E.164 phone numbers, time zones.

/// A shop slug: 2 to 40 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
pub fn is_valid_slug(s: &str) -> bool {
    (2..=40).contains(&s.len())
        && s.bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Normalises an e-mail address (trimmed, lower case) and checks its basic shape.
pub fn normalize_email(s: &str) -> Option<String> {
    let email = s.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    let domain_ok = !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@');
    (!local.is_empty() && local.len() <= 64 && domain_ok).then_some(email)
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

/// Whether `name` is an IANA time zone Orderbell knows (e.g. `Asia/Seoul`).
pub fn is_valid_time_zone(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && jiff::tz::TimeZone::get(name).is_ok()
}

/// A locale tag Orderbell has texts for.
pub fn is_supported_locale(tag: &str) -> bool {
    matches!(tag, "en" | "ko")
}

#[cfg(test)]
mod tests {
    use super::*;

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
