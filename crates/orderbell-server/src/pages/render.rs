//! What every page shares: the chrome (language, texts, title, signed-in user, CSRF token,
//! asset prefix, shop navigation) and turning a template into a response with the page
//! headers (strict Content-Security-Policy, caching).

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::assets;
use super::error::PageError;
use super::i18n::{Lang, Texts};
use super::session::SignedIn;

/// Pages load only our own scripts (modules, no inline code), styles and images; forms post
/// only to us; nobody may frame us.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
    worker-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

const PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// The settings tabs of a shop, for the navigation bar.
#[derive(Debug, Clone)]
pub struct ShopNav {
    pub slug: String,
    pub name: String,
    pub owner: bool,
    /// `board`, `menu`, `printers`, `channels`, `members`, `apikeys` or `settings`.
    pub active: &'static str,
}

impl ShopNav {
    pub fn is(&self, tab: &str) -> bool {
        self.active == tab
    }

    /// `aria-current` value for a tab.
    pub fn current(&self, tab: &str) -> &'static str {
        if self.active == tab { "page" } else { "false" }
    }
}

/// The frame around every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Texts,
    pub title: String,
    /// `/lang?…&next=` value for this page, already URL-encoded.
    pub next: String,
    /// `/static/<version>`.
    pub assets: &'static str,
    pub user_name: Option<String>,
    /// The signed-in user's form token; empty for guests.
    pub csrf: String,
    pub nav: Option<ShopNav>,
    /// `data-page` of `<body>`, for styles and scripts.
    pub kind: &'static str,
    /// Module scripts under `static/js/`.
    pub scripts: Vec<&'static str>,
    /// Without JavaScript, reload the page after this many seconds (a live page's fallback).
    pub refresh: Option<u32>,
}

impl Chrome {
    pub fn new(lang: Lang, title: impl Into<String>, path: &str, kind: &'static str) -> Chrome {
        Chrome {
            lang,
            t: lang.texts(),
            title: title.into(),
            next: url_encode(path),
            assets: assets::prefix(),
            user_name: None,
            csrf: String::new(),
            nav: None,
            kind,
            scripts: vec![],
            refresh: None,
        }
    }

    /// Reloads the page every `seconds` in a browser without JavaScript.
    pub fn refresh_without_script(mut self, seconds: u32) -> Chrome {
        self.refresh = Some(seconds);
        self
    }

    pub fn user(mut self, who: Option<&SignedIn>) -> Chrome {
        if let Some(who) = who {
            self.user_name = Some(who.user.name.clone());
            self.csrf.clone_from(&who.csrf);
        }
        self
    }

    pub fn nav(mut self, nav: ShopNav) -> Chrome {
        self.nav = Some(nav);
        self
    }

    pub fn script(mut self, name: &'static str) -> Chrome {
        self.scripts.push(name);
        self
    }

    /// Pages of the installable dashboard app (they link the web app manifest).
    pub fn is_app(&self) -> bool {
        self.nav.is_some() || matches!(self.kind, "dashboard" | "landing" | "login" | "account")
    }

    /// The language the footer's switch offers: its code and its own name for itself.
    pub fn other_lang(&self) -> (&'static str, &'static str) {
        let other = match self.lang {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        };
        (other.code(), other.texts().language_name)
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Who may keep a copy of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Personal or secret: never stored.
    Private,
    /// Public but changing: revalidate every time.
    Revalidate,
}

/// Adds the page headers to a response.
pub fn page_headers(headers: &mut HeaderMap, cache: Cache) {
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert("permissions-policy", HeaderValue::from_static(PERMISSIONS));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match cache {
            Cache::Private => "no-store",
            Cache::Revalidate => "no-cache",
        }),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );
}

/// An HTML answer with the page headers.
pub fn html_response(status: StatusCode, body: String, cache: Cache) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    page_headers(headers, cache);
    response
}

/// Renders a template into an HTML answer.
pub fn render<T: Template>(
    template: &T,
    status: StatusCode,
    cache: Cache,
) -> Result<Response, PageError> {
    let body = template.render()?;
    Ok(html_response(status, body, cache))
}

/// `303 See Other` to a path of ours (the answer to a successful form).
pub fn see_other(path: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(path) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether a `next` value is a path on this server (no open redirects).
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 500
        && next.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/s/demo"), Some("/s/demo"));
        assert_eq!(local_path("//evil.example"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("/a b"), None);
    }

    #[test]
    fn encodes_for_a_query() {
        assert_eq!(url_encode("/o/ab?x=1&y"), "/o/ab%3Fx%3D1%26y");
    }
}
