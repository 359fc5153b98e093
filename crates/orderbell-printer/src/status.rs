//! The status page on 127.0.0.1: connection, printer state, the last 20 jobs, and a
//! "Print test page" button. Plain HTML, every value escaped.
//!
//! Guarding the button (a POST that makes paper come out): the `Host` header must name
//! this listener (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT` or the configured
//! address), which defeats DNS rebinding; the `Origin` (or, without it, the `Referer`)
//! must be this same origin, which defeats cross-site forms; and the form carries a
//! random per-process token.

use std::collections::hash_map::RandomState;
use std::fmt::Write;
use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::board::{Board, Connection};

/// The page's state.
#[derive(Debug)]
pub struct StatusPage {
    board: Arc<Board>,
    test_pages: mpsc::Sender<()>,
    token: String,
    allowed_hosts: Vec<String>,
}

impl StatusPage {
    /// A page for the listener at `addr` (its real port, after binding).
    #[must_use]
    pub fn new(board: Arc<Board>, test_pages: mpsc::Sender<()>, addr: SocketAddr) -> Self {
        let port = addr.port();
        let mut allowed_hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
            addr.to_string(),
        ];
        allowed_hosts.dedup();
        StatusPage {
            board,
            test_pages,
            token: random_token(),
            allowed_hosts,
        }
    }

    fn host_ok(&self, headers: &HeaderMap) -> Option<String> {
        let host = headers
            .get(header::HOST)?
            .to_str()
            .ok()?
            .to_ascii_lowercase();
        self.allowed_hosts.contains(&host).then_some(host)
    }
}

/// A 128-bit token from the OS-seeded keys of `RandomState` (no extra dependency).
fn random_token() -> String {
    let a = RandomState::new().hash_one(0x6f72_6465_7262_656c_u64);
    let b = RandomState::new().hash_one(std::process::id());
    format!("{a:016x}{b:016x}")
}

/// The router.
pub fn router(page: Arc<StatusPage>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/test-page", post(test_page))
        .with_state(page)
}

/// Serve until shutdown.
///
/// # Errors
/// The server failed.
pub async fn serve(
    listener: TcpListener,
    page: Arc<StatusPage>,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    axum::serve(listener, router(page))
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await
}

fn forbidden(why: &'static str) -> Response {
    (StatusCode::FORBIDDEN, why).into_response()
}

async fn index(State(page): State<Arc<StatusPage>>, headers: HeaderMap) -> Response {
    if page.host_ok(&headers).is_none() {
        return forbidden("unknown Host");
    }
    let mut response = Html(render(&page)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    response
}

/// The test page form.
#[derive(Debug, Deserialize)]
pub struct TestPageForm {
    token: String,
}

async fn test_page(
    State(page): State<Arc<StatusPage>>,
    headers: HeaderMap,
    Form(form): Form<TestPageForm>,
) -> Response {
    let Some(host) = page.host_ok(&headers) else {
        return forbidden("unknown Host");
    };
    let origin = format!("http://{host}");
    let same_origin = match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        Some(Ok(value)) => value.eq_ignore_ascii_case(&origin),
        Some(Err(_)) => false,
        None => headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|r| r.to_ascii_lowercase().starts_with(&format!("{origin}/"))),
    };
    if !same_origin {
        return forbidden("cross-origin request refused");
    }
    if form.token != page.token {
        return forbidden("stale form: reload the page");
    }
    match page.test_pages.try_send(()) {
        Ok(()) => tracing::info!("test page requested from the status page"),
        Err(_) => tracing::info!("test page already queued"),
    }
    Redirect::to("/").into_response()
}

/// HTML-escape text for element content and quoted attributes.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn render(page: &StatusPage) -> String {
    let board = page.board.snapshot();
    let connection = match &board.connection {
        Connection::Connecting => "connecting…".to_owned(),
        Connection::Connected { printer_name, shop } => {
            format!("connected as “{printer_name}” of {shop}")
        }
        Connection::Unauthorized => {
            "token refused (HTTP 401): issue a new one with `orderbell printer add`".to_owned()
        }
        Connection::Disconnected(why) => format!("disconnected: {why}"),
    };
    let printer = match &board.printer.detail {
        Some(detail) => format!("{} ({detail})", board.printer.state.as_str()),
        None => board.printer.state.as_str().to_owned(),
    };
    let mut rows = String::new();
    for job in &board.jobs {
        let _ = write!(
            rows,
            "<tr><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            job.order_number,
            job.copy.0,
            job.copy.1,
            escape(&job.stage),
            escape(job.detail.as_deref().unwrap_or("")),
            escape(&job.job_id),
        );
    }
    if rows.is_empty() {
        rows.push_str("<tr><td colspan=\"5\">No jobs yet.</td></tr>");
    }
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"refresh\" content=\"5\"><title>orderbell-printer</title>\
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.2em .6em;text-align:left}}\
dt{{font-weight:bold}}</style></head><body><h1>orderbell-printer</h1><dl>\
<dt>Server</dt><dd>{server}</dd><dd>{connection}</dd>\
<dt>Printer</dt><dd>{output} · {profile}</dd><dd>{printer}</dd></dl>\
<form method=\"post\" action=\"/test-page\"><input type=\"hidden\" name=\"token\" value=\"{token}\">\
<button type=\"submit\">Print test page</button></form>\
<h2>Last jobs</h2><table><tr><th>Order</th><th>Copy</th><th>Stage</th><th>Detail</th><th>Job</th></tr>\
{rows}</table></body></html>\n",
        server = escape(&board.server),
        connection = escape(&connection),
        output = escape(&board.output),
        profile = escape(&board.profile),
        printer = escape(&printer),
        token = escape(&page.token),
    )
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::board::JobLine;

    async fn start() -> (
        SocketAddr,
        Arc<StatusPage>,
        mpsc::Receiver<()>,
        watch::Sender<bool>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let board = Arc::new(Board::new(
            "ws://x/api/v1/devices/ws".into(),
            "stdout".into(),
            "image 80mm".into(),
        ));
        board.job(JobLine {
            job_id: "<script>alert(1)</script>".into(),
            order_number: 1001,
            copy: (1, 1),
            stage: "printed".into(),
            detail: Some("a & b".into()),
        });
        let (tx, rx) = mpsc::channel(1);
        let page = Arc::new(StatusPage::new(board, tx, addr));
        let (stop_tx, stop_rx) = watch::channel(false);
        tokio::spawn(serve(listener, Arc::clone(&page), stop_rx));
        (addr, page, rx, stop_tx)
    }

    async fn http(addr: SocketAddr, request: String) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    fn post(host: &str, origin: Option<&str>, token: &str) -> String {
        let body = format!("token={token}");
        let origin = origin
            .map(|o| format!("Origin: {o}\r\n"))
            .unwrap_or_default();
        format!(
            "POST /test-page HTTP/1.1\r\nHost: {host}\r\n{origin}Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    #[tokio::test]
    async fn page_is_escaped_and_only_served_to_local_hosts() {
        let (addr, _page, _rx, _stop) = start().await;
        let host = format!("127.0.0.1:{}", addr.port());
        let ok = http(
            addr,
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
        .await;
        assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
        assert!(ok.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!ok.contains("<script>"));
        assert!(ok.contains("a &amp; b"));
        assert!(ok.contains("Print test page"));
        let rebound = http(
            addr,
            "GET / HTTP/1.1\r\nHost: evil.example:9181\r\nConnection: close\r\n\r\n".into(),
        )
        .await;
        assert!(rebound.starts_with("HTTP/1.1 403"), "{rebound}");
    }

    #[tokio::test]
    async fn test_page_button_needs_same_origin_and_token() {
        let (addr, page, mut rx, _stop) = start().await;
        let host = format!("localhost:{}", addr.port());
        let origin = format!("http://{host}");
        let token = page.token.clone();

        let cross = http(addr, post(&host, Some("http://evil.example"), &token)).await;
        assert!(cross.starts_with("HTTP/1.1 403"), "{cross}");
        let no_origin = http(addr, post(&host, None, &token)).await;
        assert!(no_origin.starts_with("HTTP/1.1 403"), "{no_origin}");
        let bad_token = http(addr, post(&host, Some(&origin), "nope")).await;
        assert!(bad_token.starts_with("HTTP/1.1 403"), "{bad_token}");
        let bad_host = http(
            addr,
            post("evil.example", Some("http://evil.example"), &token),
        )
        .await;
        assert!(bad_host.starts_with("HTTP/1.1 403"), "{bad_host}");
        assert!(rx.try_recv().is_err(), "nothing queued by refused requests");

        let ok = http(addr, post(&host, Some(&origin), &token)).await;
        assert!(ok.starts_with("HTTP/1.1 303"), "{ok}");
        assert!(rx.try_recv().is_ok(), "test page queued");
    }
}
