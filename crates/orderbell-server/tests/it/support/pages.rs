//! Helpers for page tests: form posts as a browser sends them, the session cookie, HTML text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "tests"
)]

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::support::TestApp;

/// The password of the test accounts.
pub const PASSWORD: &str = "a long password";
/// The language cookies a browser sends after using the footer's switch.
pub const EN: &str = "orderbell_lang=en";
pub const KO: &str = "orderbell_lang=ko";

/// A page answer.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Every `Set-Cookie` as `name=value`.
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .collect()
    }

    /// The value of `name="…" value="…"` for a hidden input.
    pub fn input(&self, name: &str) -> String {
        let needle = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&needle)
            .unwrap_or_else(|| panic!("no input {name}"))
            + needle.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

/// A client that does not follow redirects (pages answer forms with 303).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub fn origin(&self) -> String {
        self.base.clone()
    }

    /// GET a page with optional cookies, asking for HTML as a browser does.
    pub async fn page(&self, path: &str, cookies: &[&str]) -> Page {
        let mut req = browser()
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        read(req).await
    }

    /// POST a form like a browser on our page: our Origin, the cookies, the fields.
    pub async fn form(&self, path: &str, cookies: &[&str], fields: &[(&str, &str)]) -> Page {
        self.form_from(path, cookies, fields, Some(&self.base.clone()))
            .await
    }

    /// POST a form with a chosen Origin (or none).
    pub async fn form_from(
        &self,
        path: &str,
        cookies: &[&str],
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut req = browser()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = origin {
            req = req.header("origin", origin);
        }
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        read(req).await
    }

    /// POST `multipart/form-data` as a browser sends a form with a file: the text fields, then
    /// the file (`field`, file name, content type, bytes).
    pub async fn upload(
        &self,
        path: &str,
        cookies: &[&str],
        fields: &[(&str, &str)],
        file: (&str, &str, &str, &[u8]),
    ) -> Page {
        const BOUNDARY: &str = "----orderbell-test-7d1f0c";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        let (field, file_name, content_type, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let mut req = browser()
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header("origin", self.base.clone())
            .body(body);
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        read(req).await
    }

    /// A new account made a member of the shop `slug` with `role`, signed in through the login
    /// form: its `orderbell_session=…` cookie.
    pub async fn member_cookie(
        &self,
        slug: &str,
        email: &str,
        role: orderbell_core::user::Role,
    ) -> String {
        let user = self.user(email, PASSWORD).await;
        let shop = self.state.store.shop_by_slug(slug).await.unwrap().unwrap();
        self.state
            .store
            .set_member(&shop.id, &user.id, role, self.state.now())
            .await
            .unwrap();
        self.page_login(email, PASSWORD).await
    }

    /// Signs in through the login form; returns `orderbell_session=…`.
    pub async fn page_login(&self, email: &str, password: &str) -> String {
        let res = self
            .form(
                "/login",
                &[],
                &[
                    ("email", email),
                    ("password", password),
                    ("next", "/dashboard"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        res.cookies()
            .into_iter()
            .find(|c| c.starts_with("orderbell_session="))
            .unwrap()
    }
}

async fn read(req: reqwest::RequestBuilder) -> Page {
    let res = req.send().await.unwrap();
    Page {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

// ---------------------------------------------------------------------------------------------
// Language purity

/// What the test data puts on pages in either language (names, the language switch).
pub const DATA: &[&str] = &["Test User", "Shop cafe", "Staff User", "한국어"];

/// The pieces of text a person sees or hears on a page: each text between tags (scripts and
/// styles left out; a `<template>`'s words count, the scripts show them) and each attribute that
/// is read out or shown (`aria-label`, `title`, `placeholder`, `alt`, and `data-*`, which the
/// scripts put on the page).
pub fn texts(html: &str) -> Vec<String> {
    let decode = |s: &str| {
        s.replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&#38;", "&")
    };
    let mut out = vec![];
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push(decode(&rest[..start]));
        let after = &rest[start..];
        let skip = ["script", "style"].into_iter().find_map(|name| {
            after
                .starts_with(&format!("<{name}"))
                .then(|| {
                    after
                        .find(&format!("</{name}>"))
                        .map(|e| e + name.len() + 3)
                })
                .flatten()
        });
        if let Some(end) = skip {
            rest = &after[end..];
            continue;
        }
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        let mut tag = &after[..end];
        while let Some(eq) = tag.find("=\"") {
            let name = tag[..eq].rsplit(char::is_whitespace).next().unwrap_or("");
            let from = eq + 2;
            let to = tag[from..].find('"').map_or(tag.len(), |e| from + e);
            if matches!(name, "aria-label" | "title" | "placeholder" | "alt")
                || name.starts_with("data-")
            {
                out.push(decode(&tag[from..to]));
            }
            tag = &tag[(to + 1).min(tag.len())..];
        }
        rest = &after[end..];
    }
    out.push(decode(rest));
    out.into_iter().filter(|t| !t.trim().is_empty()).collect()
}

pub fn hangul(s: &str) -> bool {
    s.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

pub fn without(text: &str, allowed: &[&str]) -> String {
    allowed
        .iter()
        .chain(DATA)
        .fold(text.to_owned(), |t, a| t.replace(a, " "))
}

/// An English page: no Hangul anywhere a person would see it (test data aside).
pub fn english_only(html: &str, allowed: &[&str]) {
    assert!(html.contains("<html lang=\"en\">"), "not an English page");
    for t in texts(html) {
        let t = without(&t, allowed);
        assert!(!hangul(&t), "Korean on an English page: {t:?}");
    }
}

/// A Korean page: no two English words in a row anywhere a person would see them (single words
/// such as `Orderbell`, `API` or `English` in the language switch are fine; test data aside).
pub fn korean_only(html: &str, allowed: &[&str]) {
    assert!(html.contains("<html lang=\"ko\">"), "not a Korean page");
    let mut saw_hangul = false;
    for t in texts(html) {
        let t = without(&t, allowed);
        saw_hangul |= hangul(&t);
        let words: Vec<&str> = t
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect();
        for pair in words.windows(2) {
            let latin = |w: &str| w.len() >= 2 && w.chars().all(|c| c.is_ascii_alphabetic());
            assert!(
                !(latin(pair[0]) && latin(pair[1])),
                "English on a Korean page: {t:?}"
            );
        }
    }
    assert!(saw_hangul, "no Korean at all");
}

/// The checks themselves: they catch the other language in text, in attributes a person hears
/// or a script shows, and in a `<template>`; they ignore scripts and plain attributes.
#[test]
fn the_language_checks_catch_the_other_language() {
    let page = |lang: &str, body: &str| format!("<html lang=\"{lang}\"><body>{body}</body></html>");
    let fails = |f: fn(&str, &[&str]), html: String| {
        std::panic::catch_unwind(move || f(&html, &[])).is_err()
    };
    assert!(!fails(
        korean_only,
        page("ko", "<p>주문 받는 중</p> <a>Orderbell</a> English")
    ));
    assert!(fails(
        korean_only,
        page("ko", "<p>주문 Open for orders</p>")
    ));
    assert!(fails(
        korean_only,
        page(
            "ko",
            "<p>주문</p><b aria-label=\"Pause online orders\"></b>"
        )
    ));
    assert!(fails(
        korean_only,
        page("ko", "<p>주문</p><div data-age-now=\"just now\"></div>")
    ));
    assert!(fails(
        korean_only,
        page(
            "ko",
            "<p>주문</p><template><span>Closed until {time}</span></template>"
        )
    ));
    assert!(!fails(
        korean_only,
        page(
            "ko",
            "<p>주문</p><a href=\"/a b\" class=\"pill on\">주문</a>"
        )
    ));
    assert!(!fails(
        english_only,
        page("en", "<p>Open for orders</p><a>Language: 한국어</a>")
    ));
    assert!(fails(english_only, page("en", "<p>Open 주문</p>")));
    assert!(fails(english_only, page("en", "<i title=\"소리\"></i>")));
    assert!(!fails(
        english_only,
        page("en", "<script>let a = '주문';</script><p>Orders</p>")
    ));
}
