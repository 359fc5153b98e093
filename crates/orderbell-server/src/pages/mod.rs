//! Web pages rendered by the server: the guest's shop page and order tracking,
//! accounts, the live dashboard (an installable PWA that rings until someone answers) and the
//! shop settings. Pages work without JavaScript (forms post, then redirect); small script
//! modules under `static/js` add live updates, the alarm and conveniences.
//!
//! - `guest`, `cart`, `ordering`: `/s/{slug}` and checkout
//! - `tracking`: `/o/{token}`
//! - `accounts`: `/login`, `/signup`, `/logout`, `/account`
//! - `dashboard`, `live`: `/dashboard…` and the live links (SSE)
//! - `settings`, `menu_editor`: `/dashboard/{slug}/settings|menu|members|apikeys|printers|channels`
//! - `pwa`: `/`, `/manifest.webmanifest`, `/sw.js`, `/offline`, `/lang`
//! - `assets`: `/static/{version}/…`
//! - `render`, `error`, `session`, `form`, `i18n`, `views`, `qr`: what every page shares

pub(crate) mod accounts;
pub mod assets;
mod cart;
mod dashboard;
pub mod error;
mod form;
mod guest;
pub mod i18n;
mod invitations;
mod live;
mod menu_editor;
mod ordering;
mod pwa;
pub mod qr;
mod recovery;
pub mod render;
pub(crate) mod session;
mod settings;
mod tracking;
mod views;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

use crate::state::AppState;

/// Routes of this module (full paths).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pwa::landing))
        .route("/lang", get(pwa::switch_language))
        .route("/manifest.webmanifest", get(pwa::manifest))
        .route("/sw.js", get(pwa::service_worker))
        .route("/offline", get(pwa::offline))
        .route("/favicon.ico", get(pwa::favicon))
        .route("/static/{version}/{*path}", get(assets::serve))
        .route("/s/{slug}", get(guest::show))
        .route("/s/{slug}/cart", post(guest::cart))
        .route("/s/{slug}/order", post(guest::order))
        .route("/o/{token}", get(tracking::show))
        .route("/o/{token}/status", get(tracking::status))
        .route("/o/{token}/live", get(live::tracking))
        .route("/login", get(accounts::login_form).post(accounts::login))
        .route("/signup", get(accounts::signup_form).post(accounts::signup))
        .route("/logout", post(accounts::logout))
        .route("/login/oidc/{name}", get(crate::oidc::flow::start))
        .route(
            "/login/oidc/{name}/callback",
            get(crate::oidc::flow::callback).post(crate::oidc::flow::callback),
        )
        .route(
            "/reset",
            get(recovery::request_form).post(recovery::request),
        )
        .route(
            "/reset/{token}",
            get(recovery::reset_form).post(recovery::reset),
        )
        .route(
            "/verify/{token}",
            get(recovery::verify_form).post(recovery::verify),
        )
        .route(
            "/invite/{token}",
            get(invitations::show).post(invitations::accept),
        )
        .route("/account", get(accounts::account))
        .route("/account/password", post(accounts::change_password))
        .route("/account/totp", post(accounts::totp_start))
        .route("/account/totp/confirm", post(accounts::totp_confirm))
        .route("/account/totp/off", post(accounts::totp_off))
        .route("/account/passkeys/remove", post(accounts::passkey_remove))
        .route("/account/sessions/end", post(accounts::end_session))
        .route(
            "/account/identities/unlink",
            post(accounts::unlink_identity),
        )
        .route("/account/sign-in-mail", post(accounts::sign_in_mail))
        .route(
            "/account/sessions/end-others",
            post(accounts::end_other_sessions),
        )
        .route("/account/phone", post(accounts::save_phone))
        .route(
            "/dashboard",
            get(dashboard::index).post(dashboard::create_shop),
        )
        .route("/dashboard/{slug}", get(dashboard::show))
        .route("/dashboard/{slug}/board", get(dashboard::fragment))
        .route("/dashboard/{slug}/live", get(live::dashboard))
        .route("/dashboard/{slug}/pause", post(dashboard::pause))
        .route("/dashboard/{slug}/orders/{id}", get(dashboard::order))
        .route(
            "/dashboard/{slug}/orders/{id}/{action}",
            post(dashboard::act),
        )
        .route(
            "/dashboard/{slug}/settings",
            get(settings::profile).post(settings::save_profile),
        )
        .route(
            "/dashboard/{slug}/menu",
            get(menu_editor::show).post(menu_editor::save),
        )
        .route(
            "/dashboard/{slug}/menu/photo",
            post(menu_editor::save_photo).layer(axum::extract::DefaultBodyLimit::max(
                crate::photos::MAX_UPLOAD_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/dashboard/{slug}/members",
            get(settings::members).post(settings::save_members),
        )
        .route(
            "/dashboard/{slug}/apikeys",
            get(settings::api_keys).post(settings::save_api_keys),
        )
        .route(
            "/dashboard/{slug}/printers",
            get(settings::printers).post(settings::save_printers),
        )
        .route(
            "/dashboard/{slug}/channels",
            get(settings::channels).post(settings::save_channels),
        )
        .route("/dashboard/{slug}/qr", get(settings::qr_codes))
        .layer(middleware::from_fn(error::localize))
}
