//! The printable page `/dashboard/{slug}/qr?tables=N` (members): the shop's order link with its
//! QR code, and one code per table (`/s/{slug}?table=7`, which opens the order page with
//! dine-in at that table already chosen). Print styles leave only the codes on paper.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use orderbell_core::i18n::fill;

use super::chrome;
use crate::pages::error::PageError;
use crate::pages::qr::Qr;
use crate::pages::render::{Cache, Chrome, render};
use crate::state::AppState;

/// At most this many table codes on one page.
pub const MAX_TABLES: u32 = 60;

pub struct CodeView {
    pub label: String,
    pub url: String,
    pub qr: Option<Qr>,
}

#[derive(Template)]
#[template(path = "settings/qr.html")]
struct QrPage {
    page: Chrome,
    slug: String,
    shop_name: String,
    tables: u32,
    max_tables: u32,
    shop: CodeView,
    table_codes: Vec<CodeView>,
}

/// `GET /dashboard/{slug}/qr?tables=12`.
pub async fn qr_codes(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (_, shop, _, page) = chrome(&state, &headers, &slug, "qr").await?;
    let t = page.t;
    let tables = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|q| q.into_iter().find(|(k, _)| k == "tables"))
        .and_then(|(_, v)| v.trim().parse::<u32>().ok())
        .unwrap_or(0)
        .min(MAX_TABLES);
    let base = format!("{}/s/{}", state.config.public_url, shop.slug);
    let code = |label: String, url: String| CodeView {
        qr: Qr::new(&url),
        label,
        url,
    };
    let view = QrPage {
        shop: code(t.qr_shop.to_owned(), base.clone()),
        table_codes: (1..=tables)
            .map(|n| {
                code(
                    fill(t.qr_table, &[("table", &n)]),
                    format!("{base}?table={n}"),
                )
            })
            .collect(),
        page,
        slug: shop.slug,
        shop_name: shop.name,
        tables,
        max_tables: MAX_TABLES,
    };
    render(&view, StatusCode::OK, Cache::Private)
}
