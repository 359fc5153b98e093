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

    /// GET a page with optional cookies.
    pub async fn page(&self, path: &str, cookies: &[&str]) -> Page {
        let mut req = browser().get(format!("{}{path}", self.base));
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
