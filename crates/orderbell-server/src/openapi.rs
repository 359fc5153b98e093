//! The OpenAPI 3.1 document, generated from the handlers and types themselves.

mod rules;

use axum::Json;
use utoipa::OpenApi;

use crate::http::error::{ApiError, ApiResult};

use crate::api::{
    accounts, health, invitations, menu, mfa, orders, passkeys, sessions, shops, tracking,
};
use crate::{escalation, notifications, printers};

#[derive(OpenApi)]
#[openapi(
    info(title = "Orderbell API", description = "Order intake and notifications for small shops."),
    paths(
        health::healthz, health::readyz,
        accounts::login, accounts::logout, accounts::signup, accounts::me, accounts::update_me, accounts::change_password,
        accounts::request_reset, accounts::reset_password, accounts::verify_email, accounts::resend_verification,
        mfa::start, mfa::confirm, mfa::remove, sessions::list, sessions::end, sessions::end_others,
        passkeys::start_registration, passkeys::add, passkeys::list, passkeys::rename, passkeys::remove,
        passkeys::sign_in_options, passkeys::sign_in,
        crate::oidc::flow::list, crate::oidc::flow::unlink,
        shops::list, shops::create, shops::get, shops::update,
        shops::members, shops::set_member, shops::remove_member,
        invitations::create, invitations::list, invitations::revoke, invitations::preview, invitations::accept,
        shops::api_keys, shops::create_api_key, shops::revoke_api_key,
        menu::get, menu::create_category, menu::update_category, menu::delete_category,
        menu::create_item, menu::update_item, menu::delete_item, menu::put_photo, menu::delete_photo,
        menu::create_option_group, menu::update_option_group, menu::delete_option_group,
        menu::create_option, menu::update_option, menu::delete_option,
        orders::create, orders::list, orders::get, orders::events,
        orders::acknowledge, orders::accept, orders::reject, orders::ready, orders::complete, orders::cancel,
        tracking::get,
        printers::api::list, printers::api::create, printers::api::update, printers::api::revoke, printers::api::print,
        notifications::api::delivery_log, notifications::api::get_settings, notifications::api::put_settings,
        notifications::api::vapid_public_key, notifications::api::add_member_webpush,
        notifications::api::remove_member_webpush, notifications::api::add_member_fcm,
        notifications::api::remove_member_fcm, notifications::api::add_customer_webpush,
        notifications::api::telegram_link, notifications::api::whatsapp_link,
        notifications::api::customer_channels, notifications::api::my_channels,
        escalation::readiness::get_readiness,
    ),
    tags(
        (name = "orders", description = "Taking orders and moving them through their lifecycle"),
        (name = "menu", description = "The shop's menu"),
        (name = "shops", description = "Shops and members"),
        (name = "apikeys", description = "Keys for the shop's own systems"),
        (name = "printers", description = "Receipt printers and print jobs"),
        (name = "notifications", description = "Channels, push subscriptions and delivery logs"),
        (name = "accounts", description = "Sign-up, sessions, passwords, two-step sign-in and passkeys"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The document, with every rule of the request bodies stated ([`rules`]) and the error answers
/// every route can give filled in where a handler does not list them: a JSON body can be
/// malformed (400), too large (413), of another type (415) or invalid (422); an id in the path
/// can name nothing (404).
pub fn document() -> Result<serde_json::Value, serde_json::Error> {
    let mut doc = serde_json::to_value(with_errors())?;
    rules::apply(&mut doc);
    Ok(doc)
}

fn with_errors() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for (path, item) in &mut doc.paths.paths {
        let has_id = path.contains('{');
        let api = path.starts_with("/api/v1/");
        // Open to anyone: a tracking link, the session and sign-up themselves.
        let public = path.starts_with("/api/v1/orders/")
            || path == "/api/v1/session"
            || path.starts_with("/api/v1/session/passkey")
            || path == "/api/v1/users"
            || path.starts_with("/api/v1/password-reset")
            || path.starts_with("/api/v1/email-verification/")
            || path == "/api/v1/push/vapid-public-key";
        if api && let Some(post) = &mut item.post {
            // Anonymous posts, sign-ins and guest orders are limited per client.
            post.responses
                .responses
                .entry("429".to_owned())
                .or_insert_with(|| error_response("`rate_limited`, with `Retry-After`"));
        }
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let json_body = op
                .request_body
                .as_ref()
                .is_some_and(|b| b.content.contains_key("application/json"));
            let mut add = |status: &str, what: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(what));
            };
            if json_body {
                add("400", "`invalid_json`: the body is not JSON");
                add("413", "`payload_too_large`");
                add("415", "`unsupported_media_type`: send application/json");
                add("422", "`validation_failed`, with the fields");
            }
            if has_id {
                add("404", "`not_found`");
            }
            let query = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Query)
            });
            let header = op.parameters.as_ref().is_some_and(|ps| {
                ps.iter()
                    .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Header)
            });
            if query || header {
                add("422", "`validation_failed`: a parameter is not valid");
            }
            if api && !public {
                add(
                    "401",
                    "`unauthenticated`: no session or API key, or one that is not valid",
                );
                add("403", "`forbidden`: the caller may not do this here");
            }
        }
    }
    doc
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

pub async fn serve() -> ApiResult<Json<serde_json::Value>> {
    document()
        .map(Json)
        .map_err(|e| ApiError::internal("OpenAPI document", &e))
}
