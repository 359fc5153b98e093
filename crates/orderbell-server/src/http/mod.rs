//! The HTTP surface: routes, error mapping, extractors, auth and limits.

pub mod auth;
pub mod client;
pub mod error;
pub mod headers;
pub mod json;
pub mod limits;
pub mod listener;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};

use crate::api::{
    accounts, health, invitations, menu, mfa, orders, passkeys, sessions, shops, tracking,
};
use crate::openapi;
use crate::state::AppState;
use error::ApiError;

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    let https = state.config.is_https();
    let shop = Router::new()
        .route("/", get(shops::get).patch(shops::update))
        .route("/menu", get(menu::get))
        .route("/menu/categories", post(menu::create_category))
        .route(
            "/menu/categories/{id}",
            patch(menu::update_category).delete(menu::delete_category),
        )
        .route("/menu/items", post(menu::create_item))
        .route(
            "/menu/items/{id}",
            patch(menu::update_item).delete(menu::delete_item),
        )
        .route(
            "/menu/items/{id}/photo",
            axum::routing::put(menu::put_photo)
                .delete(menu::delete_photo)
                .layer(DefaultBodyLimit::max(crate::photos::MAX_UPLOAD_BYTES)),
        )
        .route(
            "/menu/items/{id}/option-groups",
            post(menu::create_option_group),
        )
        .route(
            "/menu/option-groups/{id}",
            patch(menu::update_option_group).delete(menu::delete_option_group),
        )
        .route(
            "/menu/option-groups/{id}/options",
            post(menu::create_option),
        )
        .route(
            "/menu/options/{id}",
            patch(menu::update_option).delete(menu::delete_option),
        )
        .route("/orders", get(orders::list).post(orders::create))
        .route("/orders/{id}", get(orders::get))
        .route("/orders/{id}/events", get(orders::events))
        .route("/orders/{id}/acknowledge", post(orders::acknowledge))
        .route("/orders/{id}/accept", post(orders::accept))
        .route("/orders/{id}/reject", post(orders::reject))
        .route("/orders/{id}/ready", post(orders::ready))
        .route("/orders/{id}/complete", post(orders::complete))
        .route("/orders/{id}/cancel", post(orders::cancel))
        .route("/members", get(shops::members).post(shops::set_member))
        .route(
            "/members/{user_id}",
            axum::routing::delete(shops::remove_member),
        )
        .route(
            "/invitations",
            get(invitations::list).post(invitations::create),
        )
        .route(
            "/invitations/{id}",
            axum::routing::delete(invitations::revoke),
        )
        .route("/apikeys", get(shops::api_keys).post(shops::create_api_key))
        .route(
            "/apikeys/{id}",
            axum::routing::delete(shops::revoke_api_key),
        );
    let api = Router::new()
        .route("/session", post(accounts::login).delete(accounts::logout))
        .route("/session/passkey/options", post(passkeys::sign_in_options))
        .route("/session/passkey", post(passkeys::sign_in))
        .route("/users", post(accounts::signup))
        .route("/password-reset", post(accounts::request_reset))
        .route("/password-reset/{token}", post(accounts::reset_password))
        .route("/email-verification/{token}", post(accounts::verify_email))
        .route(
            "/me/email-verification",
            post(accounts::resend_verification),
        )
        .route("/me/mfa/totp", post(mfa::start).delete(mfa::remove))
        .route("/me/mfa/totp/confirm", post(mfa::confirm))
        .route("/me/passkeys", get(passkeys::list).post(passkeys::add))
        .route("/me/passkeys/options", post(passkeys::start_registration))
        .route(
            "/me/passkeys/{id}",
            patch(passkeys::rename).delete(passkeys::remove),
        )
        .route(
            "/me/sessions",
            get(sessions::list).delete(sessions::end_others),
        )
        .route("/me/sessions/{id}", axum::routing::delete(sessions::end))
        .route("/me/identities", get(crate::oidc::flow::list))
        .route(
            "/me/identities/{id}",
            axum::routing::delete(crate::oidc::flow::unlink),
        )
        .route("/me", get(accounts::me).patch(accounts::update_me))
        .route(
            "/me/password",
            axum::routing::put(accounts::change_password),
        )
        .route(
            "/invitations/{token}",
            get(invitations::preview).post(invitations::accept),
        )
        .route("/shops", get(shops::list).post(shops::create))
        .nest("/shops/{slug}", shop)
        .route("/orders/{tracking_token}", get(tracking::get));
    let metrics_here = state.config.metrics.enabled && state.config.metrics.listen.is_none();
    let mut root = Router::new();
    if metrics_here {
        root = root.route("/metrics", get(crate::metrics::serve));
    }
    root.route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/media/items/{id}/{file}", get(crate::photos::serve))
        .nest("/api/v1", api)
        .merge(crate::printers::routes())
        .merge(crate::notifications::routes())
        .merge(crate::escalation::routes())
        .merge(crate::pages::routes())
        .fallback(crate::pages::error::unknown_address)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(json::MAX_BODY))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(access_log))
        .layer(middleware::from_fn(move |req, next| {
            headers::security_headers(https, req, next)
        }))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .with_state(state)
}

/// Errors that come from below the handlers (a path that is not UTF-8, a body over the limit
/// on a webhook, a body read that timed out) are plain text; on API and webhook addresses they
/// become the API's JSON error like every other (docs/ARCHITECTURE.md, One mapping to HTTP).
async fn json_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let machine = path.starts_with("/api/") || path.starts_with("/webhooks/");
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !machine || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the body is not of a type this route takes",
        ),
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => {
            ("method_not_allowed", "this route does not take that method")
        }
        StatusCode::REQUEST_TIMEOUT => ("request_timeout", "the request took too long to send"),
        s if s.is_server_error() => ("internal_error", "something went wrong on our side"),
        _ => (
            "bad_request",
            "the request could not be read (its address or body)",
        ),
    };
    let mut json = ApiError::new(status, code, message).into_response();
    for name in [axum::http::header::ALLOW, axum::http::header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            json.headers_mut().insert(name, v.clone());
        }
    }
    json
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "something went wrong on our side",
    )
    .into_response()
}

/// One line per request: debug for successes, warn for server errors.
async fn access_log(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let matched_path = req.extensions().get::<MatchedPath>();
    let matched = matched_path.is_some();
    let route = matched_path.map_or_else(|| req.uri().path().to_owned(), |m| m.as_str().to_owned());
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let took = start.elapsed();
    if let Some(m) = crate::metrics::get() {
        // Unmatched addresses share one label: the label set stays bounded.
        let template = if matched { route.as_str() } else { "unmatched" };
        m.http(method.as_str(), template, status, took);
    }
    let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    if status >= 500 {
        tracing::warn!(%method, %route, status, micros, "request failed");
    } else {
        tracing::debug!(%method, %route, status, micros, "request");
    }
    response
}
