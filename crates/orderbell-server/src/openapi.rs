//! The OpenAPI 3.1 document, generated from the handlers and types themselves.

use axum::Json;
use utoipa::OpenApi;

use crate::api::{accounts, health, menu, orders, shops, tracking};
use crate::{escalation, notifications, printers};

#[derive(OpenApi)]
#[openapi(
    info(title = "Orderbell API", description = "Order intake and notifications for small shops."),
    paths(
        health::healthz, health::readyz,
        accounts::login, accounts::logout, accounts::signup, accounts::me, accounts::update_me, accounts::change_password,
        shops::list, shops::create, shops::get, shops::update,
        shops::members, shops::set_member, shops::remove_member,
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
        (name = "accounts", description = "Sign-up, sessions, passwords"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
