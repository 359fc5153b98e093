//! Static files embedded in the binary: styles, script modules, icons.
//!
//! They are served under `/static/<version>/…`, where the version is a hash of every embedded
//! file: a page always names the files it was built with, browsers keep them for a year
//! (`immutable`), and a new build changes every URL at once (so relative imports between
//! modules stay consistent). A request naming another version still gets the file, with
//! `no-cache`. Every answer has an `ETag`.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::PageError;

/// (path under static/, content type, bytes)
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "js/live.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/live.js"),
    ),
    (
        "js/forms.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/forms.js"),
    ),
    (
        "js/shop.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/shop.js"),
    ),
    (
        "js/tracking.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/tracking.js"),
    ),
    (
        "js/dashboard.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/dashboard.js"),
    ),
    (
        "js/alarm.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/alarm.js"),
    ),
    (
        "js/escalation.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/escalation.js"),
    ),
    (
        "js/push.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/push.js"),
    ),
    (
        "js/pwa.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/pwa.js"),
    ),
    (
        "js/new-shop.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/new-shop.js"),
    ),
    (
        "js/passkeys.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/js/passkeys.js"),
    ),
    (
        "icons/bell.svg",
        "image/svg+xml",
        include_bytes!("../../static/icons/bell.svg"),
    ),
    (
        "icons/icon-192.png",
        "image/png",
        include_bytes!("../../static/icons/icon-192.png"),
    ),
    (
        "icons/icon-512.png",
        "image/png",
        include_bytes!("../../static/icons/icon-512.png"),
    ),
    (
        "icons/maskable-192.png",
        "image/png",
        include_bytes!("../../static/icons/maskable-192.png"),
    ),
    (
        "icons/maskable-512.png",
        "image/png",
        include_bytes!("../../static/icons/maskable-512.png"),
    ),
    (
        "icons/apple-touch-icon.png",
        "image/png",
        include_bytes!("../../static/icons/apple-touch-icon.png"),
    ),
];

/// The service worker, served at `/sw.js` so that its scope is the whole site.
pub const SERVICE_WORKER: &str = include_str!("../../static/sw.js");

struct Bundle {
    prefix: String,
    version: String,
    etags: Vec<String>,
}

static BUNDLE: LazyLock<Bundle> = LazyLock::new(|| {
    let mut all = Sha256::new();
    let mut etags = Vec::with_capacity(FILES.len());
    for (path, _, bytes) in FILES {
        all.update(path.as_bytes());
        all.update(bytes);
        etags.push(format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..20]));
    }
    let version = hex::encode(all.finalize())[..12].to_owned();
    Bundle {
        prefix: format!("/static/{version}"),
        version,
        etags,
    }
});

/// `/static/<version>`, the prefix pages put before asset paths.
pub fn prefix() -> &'static str {
    &BUNDLE.prefix
}

/// The URL of one asset, e.g. `url("icons/icon-192.png")`.
pub fn url(path: &str) -> String {
    format!("{}/{path}", prefix())
}

/// `GET /static/{version}/{*path}`.
pub async fn serve(
    Path((version, path)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let Some(i) = FILES.iter().position(|(p, _, _)| *p == path) else {
        return Err(PageError::not_found());
    };
    let (_, content_type, bytes) = FILES[i];
    let etag = &BUNDLE.etags[i];
    let cache = if version == BUNDLE.version {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_names_every_file() {
        assert_eq!(prefix().len(), "/static/".len() + 12);
        assert!(url("app.css").ends_with("/app.css"));
    }
}
