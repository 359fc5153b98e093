//! Which language a page request gets: the `orderbell_lang` cookie (set by the switch in every
//! page's footer), else the first supported `Accept-Language` entry, else the shop's locale,
//! else English. The words themselves are `orderbell_core::i18n`'s table.

use axum::http::{HeaderMap, header};

use crate::http::auth::cookie;

pub use orderbell_core::i18n::{Lang, Texts};

pub const LANG_COOKIE: &str = "orderbell_lang";

/// The language for a request; `fallback` is the shop's locale where there is a shop.
pub fn negotiate(headers: &HeaderMap, fallback: Option<&str>) -> Lang {
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
        return lang;
    }
    if let Some(lang) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(from_accept_language)
    {
        return lang;
    }
    fallback.and_then(Lang::parse).unwrap_or(Lang::En)
}

/// The supported language with the highest quality in an `Accept-Language` header.
fn from_accept_language(value: &str) -> Option<Lang> {
    let mut best: Option<(u16, Lang)> = None;
    for entry in value.split(',') {
        let mut parts = entry.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        // Thousandths are enough to order the entries; the cast cannot overflow for 0..=1.
        let q = (q.clamp(0.0, 1.0) * 1000.0).round() as u16;
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, lang)| lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(
            from_accept_language("ko-KR,ko;q=0.9,en;q=0.8"),
            Some(Lang::Ko)
        );
        assert_eq!(
            from_accept_language("fr, en;q=0.5, ko;q=0.7"),
            Some(Lang::Ko)
        );
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("ko;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn the_cookie_wins_over_the_header() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("orderbell_lang=ko"),
        );
        assert_eq!(negotiate(&h, None), Lang::Ko);
        assert_eq!(negotiate(&HeaderMap::new(), Some("ko")), Lang::Ko);
        assert_eq!(negotiate(&HeaderMap::new(), None), Lang::En);
    }
}
