//! Failures of pages, answered as HTML in the visitor's language (the JSON `ApiError` stays
//! for `/api`). A handler returns a [`PageError`]; its response carries the kind, and
//! [`localize`] (a middleware on the page routes) renders the page once the language is known.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use orderbell_store::StoreError;

use super::render::{Cache, Chrome, html_response, see_other, url_encode};
use crate::http::error::ApiError;
use crate::pages::i18n::{Lang, negotiate};

/// What went wrong, as the visitor is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    Forbidden,
    /// A form without our Origin or with a wrong token.
    Csrf,
    RateLimited,
    Unavailable,
    Internal,
    BadRequest,
}

#[derive(Debug)]
pub enum PageError {
    Page {
        kind: ErrorKind,
        retry_after: Option<u64>,
    },
    /// Not signed in: go to the login page, then come back.
    SignIn { next: String },
    /// Something to do elsewhere first (e.g. turn on two-step sign-in).
    Redirect { to: &'static str },
}

impl PageError {
    pub fn new(kind: ErrorKind) -> PageError {
        PageError::Page {
            kind,
            retry_after: None,
        }
    }

    pub fn redirect(to: &'static str) -> PageError {
        PageError::Redirect { to }
    }

    pub fn not_found() -> PageError {
        PageError::new(ErrorKind::NotFound)
    }

    pub fn csrf() -> PageError {
        PageError::new(ErrorKind::Csrf)
    }

    pub fn internal(context: &str, error: &dyn std::fmt::Display) -> PageError {
        tracing::error!(error = %error, "{context}");
        PageError::new(ErrorKind::Internal)
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        let kind = match e.status {
            StatusCode::NOT_FOUND => ErrorKind::NotFound,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ErrorKind::Forbidden,
            StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
            StatusCode::SERVICE_UNAVAILABLE => ErrorKind::Unavailable,
            s if s.is_server_error() => ErrorKind::Internal,
            _ => ErrorKind::BadRequest,
        };
        PageError::Page {
            kind,
            retry_after: e.retry_after,
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        ApiError::from(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> PageError {
        PageError::internal("rendering a page", &e)
    }
}

impl ErrorKind {
    fn status(self) -> StatusCode {
        match self {
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Forbidden | ErrorKind::Csrf => StatusCode::FORBIDDEN,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => see_other(&format!("/login?next={}", url_encode(&next))),
            PageError::Redirect { to } => see_other(to),
            PageError::Page { kind, retry_after } => {
                let mut response = kind.status().into_response();
                if let Some(secs) = retry_after {
                    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                        response.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                }
                response.extensions_mut().insert(kind);
                response
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Chrome,
    message: &'static str,
    signed_in_hint: bool,
}

fn error_page(
    lang: Lang,
    path: &str,
    kind: ErrorKind,
    message: &'static str,
    status: StatusCode,
) -> Response {
    let page = ErrorPage {
        page: Chrome::new(lang, lang.texts().error_title, path, "error"),
        message,
        signed_in_hint: kind == ErrorKind::NotFound && path.starts_with("/dashboard"),
    };
    let body = page.render().unwrap_or_else(|_| message.to_owned());
    html_response(status, body, Cache::Private)
}

/// An address nothing serves: a browser asking for a page (`Accept: text/html`, outside
/// `/api/`) gets the "not found" page in its language; everything else the API's JSON 404.
pub async fn unknown_address(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let wants_page = !path.starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if !wants_page {
        return ApiError::not_found().into_response();
    }
    let lang = negotiate(req.headers(), None);
    error_page(
        lang,
        &path,
        ErrorKind::NotFound,
        lang.texts().error_not_found,
        StatusCode::NOT_FOUND,
    )
}

/// Renders error answers of page handlers in the visitor's language.
pub async fn localize(req: Request, next: Next) -> Response {
    let lang = negotiate(req.headers(), None);
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    let Some(kind) = response.extensions().get::<ErrorKind>().copied() else {
        return response;
    };
    let t = lang.texts();
    let message = match kind {
        ErrorKind::NotFound => t.error_not_found,
        ErrorKind::Forbidden => t.error_forbidden,
        ErrorKind::Csrf => t.error_csrf,
        ErrorKind::RateLimited => t.error_rate_limited,
        ErrorKind::Unavailable => t.error_unavailable,
        ErrorKind::Internal => t.error_internal,
        ErrorKind::BadRequest => t.error_bad_request,
    };
    let (parts, _) = response.into_parts();
    let mut rendered = error_page(lang, &path, kind, message, parts.status);
    if let Some(v) = parts.headers.get(header::RETRY_AFTER) {
        rendered
            .headers_mut()
            .insert(header::RETRY_AFTER, v.clone());
    }
    rendered
}
