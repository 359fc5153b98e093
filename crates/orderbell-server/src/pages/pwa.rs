//! The installable dashboard: the web app manifest, the service worker (`/sw.js`, served from
//! the root so its scope is the whole site, never cached without revalidation), the offline
//! page it falls back to, the language switch and the landing page.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::assets;
use super::error::PageError;
use super::i18n::{LANG_COOKIE, Lang};
use super::render::{Cache, Chrome, local_path, page_headers, render, see_other};
use super::session::signed_in;
use crate::pages::i18n::negotiate;
use crate::state::AppState;

/// `GET /manifest.webmanifest?lang=ko`: browsers fetch the manifest without cookies, so the
/// page that links it names its language in the query; without it, the request's own.
pub async fn manifest(headers: HeaderMap, uri: Uri) -> Response {
    let asked = uri.query().and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    let lang = asked.unwrap_or_else(|| negotiate(&headers, None));
    let icon = |path: &str, size: &str, purpose: &str| json!({"src": assets::url(path), "sizes": size, "type": "image/png", "purpose": purpose});
    let body = json!({
        "name": "Orderbell",
        "short_name": "Orderbell",
        "description": lang.texts().landing_title,
        "lang": lang.code(),
        "id": "/dashboard",
        "start_url": "/dashboard",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#fffaf5",
        "theme_color": "#c2410c",
        "icons": [
            icon("icons/icon-192.png", "192x192", "any"),
            icon("icons/icon-512.png", "512x512", "any"),
            icon("icons/maskable-192.png", "192x192", "maskable"),
            icon("icons/maskable-512.png", "512x512", "maskable"),
        ],
    });
    let mut response = body.to_string().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/manifest+json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

/// `GET /sw.js`: always revalidated, so a new build reaches installed dashboards.
pub async fn service_worker() -> Response {
    let body = assets::SERVICE_WORKER.replace("__ASSETS__", assets::prefix());
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("service-worker-allowed", HeaderValue::from_static("/"));
    // A worker's own fetches obey its CSP; the site-wide default (`default-src 'none'`)
    // would stop it from reaching the server at all.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; object-src 'none'; frame-ancestors 'none'"),
    );
    response
}

#[derive(Template)]
#[template(path = "offline.html")]
struct OfflinePage {
    page: Chrome,
}

/// `GET /offline`: what the service worker shows when the network is gone.
pub async fn offline(headers: HeaderMap) -> Result<Response, PageError> {
    let lang = negotiate(&headers, None);
    let view = OfflinePage {
        page: Chrome::new(lang, lang.texts().offline_title, "/offline", "offline").script("pwa.js"),
    };
    render(&view, StatusCode::OK, Cache::Revalidate)
}

/// `GET /lang?to=ko&next=/s/demo`: remembers the language for a year.
pub async fn switch_language(State(state): State<AppState>, uri: Uri) -> Response {
    let pairs: Vec<(String, String)> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let next = get("next").and_then(local_path).unwrap_or("/");
    let mut response = see_other(next);
    if let Some(lang) = get("to").and_then(Lang::parse) {
        let secure = if state.config.is_https() {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingPage {
    page: Chrome,
    demo: Option<String>,
}

/// `GET /`: what this server is, sign in, and the demo shop when there is one.
pub async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let lang = negotiate(&headers, None);
    let who = signed_in(&state, &headers).await?;
    let demo = state
        .store
        .shop_by_slug(crate::demo::DEMO_SLUG)
        .await?
        .map(|s| s.name);
    let view = LandingPage {
        page: Chrome::new(lang, lang.texts().landing_title, "/", "landing").user(who.as_ref()),
        demo,
    };
    render(&view, StatusCode::OK, Cache::Private)
}

/// `GET /favicon.ico`: browsers ask for it whatever the page says.
pub async fn favicon() -> Response {
    let mut response = see_other(&assets::url("icons/icon-192.png"));
    page_headers(response.headers_mut(), Cache::Revalidate);
    response
}
