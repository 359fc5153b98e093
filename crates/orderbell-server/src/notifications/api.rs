//! The notifications API: an order's delivery log, the shop's settings, push subscriptions for
//! members' devices and customers' browsers, FCM tokens, and chat link codes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use orderbell_core::{OrderId, Timestamp, ValidationErrors};
use orderbell_notify::webpush::{EndpointError, SubscriptionKeys, check_endpoint};
use orderbell_store::notifications::{
    Channel, MemberSettings, NewLink, Notification, NotificationStatus,
};
use serde::{Deserialize, Serialize};

use super::links::{mask, new_member_code};
use super::runtime::Notifier;
use crate::http::auth::{Caller, Need, shop_access};
use crate::http::client::ClientIp;
use crate::http::error::{ApiError, ApiResult, ErrorBody};
use crate::http::json::ApiJson;
use crate::state::AppState;

fn notifier(state: &AppState) -> ApiResult<std::sync::Arc<Notifier>> {
    Notifier::of(state)
        .map_err(|e| ApiError::internal("notifications are not available", &format!("{e:#}")))
}

/// One notification in an order's delivery log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub channel: &'static str,
    /// `member` or `customer`.
    pub recipient: &'static str,
    pub event: &'static str,
    /// Masked: enough to recognise, not to reuse.
    pub destination: String,
    /// `queued`, `sending`, `sent`, `delivered`, `read`, `failed` or `cancelled`.
    pub status: String,
    pub attempts: i64,
    pub provider_message_id: Option<String>,
    pub provider_status: Option<String>,
    pub error_code: Option<String>,
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<Timestamp>,
    /// When the next attempt is due (queued rows).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
}

impl DeliveryView {
    pub fn new(n: Notification) -> DeliveryView {
        DeliveryView {
            id: n.id,
            channel: n.channel.as_str(),
            recipient: n.recipient.as_str(),
            event: n.event.as_str(),
            destination: mask(n.channel, &n.destination),
            next_attempt_at: (n.status == NotificationStatus::Queued).then_some(n.run_at),
            status: n.status.as_str().to_owned(),
            attempts: n.attempts,
            provider_message_id: n.provider_message_id,
            provider_status: n.provider_status,
            error_code: n.error_code,
            last_error: n.last_error,
            created_at: n.created_at,
            updated_at: n.updated_at,
            sent_at: n.sent_at,
        }
    }
}

/// GET /api/v1/shops/{slug}/orders/{id}/notifications
#[utoipa::path(get, path = "/api/v1/shops/{slug}/orders/{id}/notifications", tag = "notifications",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = ErrorBody)))]
pub async fn delivery_log(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::ReadOrders).await?;
    let id = OrderId::parse(&id).ok_or_else(ApiError::not_found)?;
    state
        .store
        .order(&shop.id, &id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rows = state.store.order_notifications(&shop.id, &id).await?;
    Ok(Json(rows.into_iter().map(DeliveryView::new).collect()))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    /// Event → channels for members: `{"new_order":["telegram","webpush"],"ready":[],…}`.
    #[schema(value_type = Object)]
    pub members: serde_json::Value,
}

/// GET /api/v1/shops/{slug}/notification-settings (members)
#[utoipa::path(get, path = "/api/v1/shops/{slug}/notification-settings", tag = "notifications",
    params(("slug" = String, Path)), responses((status = 200, body = SettingsBody), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<SettingsBody>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Member).await?;
    let s = state.store.member_settings(&shop.id).await?;
    Ok(Json(SettingsBody {
        members: s.to_json(),
    }))
}

/// PUT /api/v1/shops/{slug}/notification-settings (owners)
#[utoipa::path(put, path = "/api/v1/shops/{slug}/notification-settings", tag = "notifications",
    params(("slug" = String, Path)), request_body = SettingsBody,
    responses((status = 200, body = SettingsBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
    ApiJson(body): ApiJson<SettingsBody>,
) -> ApiResult<Json<SettingsBody>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::Owner).await?;
    let settings = MemberSettings::from_json(&body.members)
        .map_err(|m| ApiError::field("members", "invalid", m))?;
    state
        .store
        .set_member_settings(&shop.id, settings.clone(), state.now())
        .await?;
    Ok(Json(SettingsBody {
        members: settings.to_json(),
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VapidKeyView {
    /// For `pushManager.subscribe({applicationServerKey})`: base64url, 65-byte P-256 point.
    pub public_key: String,
}

/// GET /api/v1/push/vapid-public-key
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", tag = "notifications",
    responses((status = 200, body = VapidKeyView)))]
pub async fn vapid_public_key(State(state): State<AppState>) -> ApiResult<Json<VapidKeyView>> {
    let n = notifier(&state)?;
    let client = n
        .webpush
        .client(&state)
        .await
        .map_err(|e| ApiError::internal("no VAPID key", &format!("{e:#}")))?;
    Ok(Json(VapidKeyView {
        public_key: client.vapid_public_key(),
    }))
}

/// The `keys` of a browser's push subscription (for the API description).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct SubscriptionKeysSchema {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

/// A browser's `PushSubscription.toJSON()` (extra fields such as `expirationTime` ignored).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct WebPushBody {
    pub endpoint: String,
    #[schema(value_type = Option<SubscriptionKeysSchema>)]
    pub keys: Option<SubscriptionKeys>,
    #[serde(default, rename = "expirationTime")]
    #[schema(value_type = Option<Object>)]
    pub _expiration_time: Option<serde_json::Value>,
    /// `ko`, `en-US`…: the language of the texts.
    #[serde(default)]
    pub locale: Option<String>,
}

fn check_key(
    errors: &mut ValidationErrors,
    field: &str,
    value: &str,
    len: std::ops::RangeInclusive<usize>,
) {
    use base64::Engine;
    let decoded =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value.trim_end_matches('='));
    if !decoded.is_ok_and(|b| len.contains(&b.len())) {
        errors.add(
            field,
            "invalid",
            format!("{field} must be base64url of the browser's key"),
        );
    }
}

/// Longest push endpoint, in characters.
pub const ENDPOINT_MAX: usize = 2048;
/// `keys.p256dh` (65 bytes) and `keys.auth` (16 bytes) as base64url: the last character
/// carries only zero bits past the key; `=` padding is allowed.
pub const P256DH_PATTERN: &str = "^[A-Za-z0-9_-]{86}[AEIMQUYcgkosw048]=*$";
pub const AUTH_PATTERN: &str = "^[A-Za-z0-9_-]{21}[AQgw]=*$";
/// An FCM registration token: 1 to 4096 visible ASCII characters.
pub const FCM_TOKEN_PATTERN: &str = "^[!-~]{1,4096}$";

/// A device's language tag, when given.
fn check_language(errors: &mut ValidationErrors, locale: Option<&str>) {
    if locale.is_some_and(|l| !orderbell_core::text::is_language_tag(l)) {
        errors.add(
            "locale",
            "invalid",
            "locale must be a language tag such as ko or en-US",
        );
    }
}

/// Validates a subscription: key sizes, and the endpoint through the SSRF guard.
async fn subscription(state: &AppState, body: &WebPushBody) -> ApiResult<String> {
    let mut errors = ValidationErrors::new();
    if body.endpoint.chars().count() > ENDPOINT_MAX {
        errors.add(
            "endpoint",
            "too_long",
            "endpoint must be at most 2048 characters",
        );
    }
    match &body.keys {
        None => errors.add("keys", "required", "keys {p256dh, auth} are required"),
        Some(k) => {
            check_key(&mut errors, "keys.p256dh", &k.p256dh, 65..=65);
            check_key(&mut errors, "keys.auth", &k.auth, 16..=16);
        }
    }
    check_language(&mut errors, body.locale.as_deref());
    errors.into_result()?;
    let n = notifier(state)?;
    check_endpoint(&body.endpoint, n.webpush.policy)
        .await
        .map_err(|e| match e {
            EndpointError::Unresolvable => {
                ApiError::field("endpoint", "unresolvable", e.to_string())
            }
            _ => ApiError::field("endpoint", "forbidden", e.to_string()),
        })?;
    serde_json::to_string(&body.keys).map_err(|e| ApiError::internal("keys", &e))
}

/// POST /api/v1/me/push/webpush: a member's device.
#[utoipa::path(post, path = "/api/v1/me/push/webpush", tag = "notifications", request_body = WebPushBody,
    responses((status = 201), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member_webpush(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<WebPushBody>,
) -> ApiResult<StatusCode> {
    let user = caller.user()?.clone();
    let keys = subscription(&state, &body).await?;
    state
        .store
        .upsert_link(NewLink {
            keys: Some(keys),
            locale: body.locale,
            ..NewLink::member(Channel::Webpush, body.endpoint, user.id, None, state.now())
        })
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct EndpointBody {
    pub endpoint: String,
    #[serde(default)]
    pub keys: Option<serde_json::Value>,
    #[serde(default, rename = "expirationTime")]
    pub _expiration_time: Option<serde_json::Value>,
}

/// DELETE /api/v1/me/push/webpush {endpoint}
#[utoipa::path(delete, path = "/api/v1/me/push/webpush", tag = "notifications", request_body = EndpointBody,
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn remove_member_webpush(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EndpointBody>,
) -> ApiResult<StatusCode> {
    unlink_own(&state, &caller, Channel::Webpush, &body.endpoint).await
}

/// Unlinks one of the caller's own push addresses (204 whether or not it was linked).
async fn unlink_own(
    state: &AppState,
    caller: &Caller,
    channel: Channel,
    address: &str,
) -> ApiResult<StatusCode> {
    let user = caller.user()?;
    state
        .store
        .unlink_address(channel, address, Some(&user.id), state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FcmBody {
    pub token: String,
    #[serde(default)]
    pub locale: Option<String>,
}

/// [`FCM_TOKEN_PATTERN`] and the language tag.
fn check_fcm(body: &FcmBody) -> ApiResult<()> {
    let mut errors = ValidationErrors::new();
    let t = &body.token;
    if t.is_empty() || t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic()) {
        errors.add(
            "token",
            "invalid",
            "token must be an FCM registration token",
        );
    }
    check_language(&mut errors, body.locale.as_deref());
    Ok(errors.into_result()?)
}

/// POST /api/v1/me/push/fcm {token}
#[utoipa::path(post, path = "/api/v1/me/push/fcm", tag = "notifications", request_body = FcmBody,
    responses((status = 201), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_member_fcm(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<FcmBody>,
) -> ApiResult<StatusCode> {
    let user = caller.user()?.clone();
    check_fcm(&body)?;
    state
        .store
        .upsert_link(NewLink {
            locale: body.locale,
            ..NewLink::member(Channel::Fcm, body.token, user.id, None, state.now())
        })
        .await?;
    Ok(StatusCode::CREATED)
}

/// DELETE /api/v1/me/push/fcm {token}
#[utoipa::path(delete, path = "/api/v1/me/push/fcm", tag = "notifications", request_body = FcmBody,
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn remove_member_fcm(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<FcmBody>,
) -> ApiResult<StatusCode> {
    check_fcm(&body)?;
    unlink_own(&state, &caller, Channel::Fcm, &body.token).await
}

/// POST /api/v1/orders/{tracking_token}/push/webpush: a customer's browser follows the order.
#[utoipa::path(post, path = "/api/v1/orders/{tracking_token}/push/webpush", tag = "notifications",
    params(("tracking_token" = String, Path)), request_body = WebPushBody,
    responses((status = 201), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn add_customer_webpush(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<WebPushBody>,
) -> ApiResult<StatusCode> {
    state.limits.anonymous_post(ip).await?;
    let id = state
        .tracking
        .order_id(&token)
        .ok_or_else(ApiError::not_found)?;
    let order = state
        .store
        .order_by_id(&id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let keys = subscription(&state, &body).await?;
    state
        .store
        .upsert_link(NewLink {
            keys: Some(keys),
            locale: body.locale,
            ..NewLink::customer(
                Channel::Webpush,
                body.endpoint,
                order.shop_id,
                order.id,
                state.now(),
            )
        })
        .await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    /// Open this on the phone: `https://t.me/<bot>?start=<code>` or a `wa.me` link.
    pub url: String,
    /// WhatsApp: the message to send if the link cannot prefill it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
}

/// The `t.me` deep link for a member (API and CLI).
pub async fn telegram_member_link(
    state: &AppState,
    user: &orderbell_core::UserId,
    shop: &orderbell_core::ShopId,
) -> anyhow::Result<(String, Timestamp)> {
    let n = Notifier::of(state)?;
    let tg = n.telegram.as_ref().ok_or_else(|| {
        anyhow::anyhow!("Telegram is not configured (ORDERBELL_TELEGRAM_BOT_TOKEN)")
    })?;
    let bot = match state
        .store
        .setting(super::runtime::SETTING_TELEGRAM_USERNAME)
        .await?
    {
        Some(name) => name,
        None => tg.username(state).await?,
    };
    let (code, expires_at) = new_member_code(state, user, shop, Channel::Telegram).await?;
    Ok((format!("https://t.me/{bot}?start={code}"), expires_at))
}

/// POST /api/v1/shops/{slug}/telegram/link: a one-time deep link for the signed-in member.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/telegram/link", tag = "notifications",
    params(("slug" = String, Path)), responses((status = 200, body = LinkView), (status = 404, body = ErrorBody), (status = 409, description = "`not_configured`: the server has no Telegram bot; the message says what to set", body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn telegram_link(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<LinkView>> {
    let (shop, caller) = shop_access(&state, &caller, &slug, Need::Member).await?;
    let user = caller.user()?;
    if notifier(&state)?.telegram.is_none() {
        return Err(not_configured(
            "Telegram is not configured on this server: its operator sets ORDERBELL_TELEGRAM_BOT_TOKEN ([telegram] bot_token)",
        ));
    }
    let (url, expires_at) = telegram_member_link(&state, &user.id, &shop.id)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                format!("{e:#}"),
            )
        })?;
    Ok(Json(LinkView {
        url,
        text: None,
        expires_at,
    }))
}

/// A channel the server has no credentials for: 409 `not_configured`, saying what the operator
/// must set (not a server error: nothing failed).
fn not_configured(what: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "not_configured", what)
}

fn wa_number(from: &str) -> String {
    from.trim_start_matches("whatsapp:")
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// The `wa.me` link prefilled with `link <code>` for a member (API and pages): the link and the
/// text to send.
pub async fn whatsapp_member_link(
    state: &AppState,
    user: &orderbell_core::UserId,
    shop: &orderbell_core::ShopId,
) -> anyhow::Result<(String, String, Timestamp)> {
    let n = Notifier::of(state)?;
    let tw = n
        .twilio
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("WhatsApp is not configured"))?;
    let (code, expires_at) = new_member_code(state, user, shop, Channel::Whatsapp).await?;
    let text = format!("link {code}");
    let url = format!(
        "https://wa.me/{}?text={}",
        wa_number(&tw.settings.whatsapp_from),
        text.replace(' ', "%20")
    );
    Ok((url, text, expires_at))
}

/// POST /api/v1/shops/{slug}/whatsapp/link: a `wa.me` link prefilled with `link <code>`.
#[utoipa::path(post, path = "/api/v1/shops/{slug}/whatsapp/link", tag = "notifications",
    params(("slug" = String, Path)), responses((status = 200, body = LinkView), (status = 404, body = ErrorBody), (status = 409, description = "`not_configured`: the server has no Twilio account; the message says what to set", body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn whatsapp_link(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<LinkView>> {
    let (shop, caller) = shop_access(&state, &caller, &slug, Need::Member).await?;
    let user = caller.user()?;
    let n = notifier(&state)?;
    if n.twilio.is_none() {
        return Err(not_configured(
            "WhatsApp is not configured on this server: its operator sets ORDERBELL_TWILIO_ACCOUNT_SID, ORDERBELL_TWILIO_AUTH_TOKEN and ORDERBELL_TWILIO_WHATSAPP_FROM ([twilio])",
        ));
    }
    let (url, text, expires_at) = whatsapp_member_link(&state, &user.id, &shop.id)
        .await
        .map_err(|e| ApiError::internal("could not create a WhatsApp link", &format!("{e:#}")))?;
    Ok(Json(LinkView {
        url,
        text: Some(text),
        expires_at,
    }))
}

/// Which channels this server offers: what is configured and working.
#[derive(Debug, Clone, Default)]
pub struct Available {
    /// The Telegram bot's username (Telegram configured and the bot known).
    pub telegram_bot: Option<String>,
    /// The WhatsApp sender's number, digits only (Twilio configured).
    pub whatsapp_number: Option<String>,
    /// The VAPID public key for `applicationServerKey` (Web Push available).
    pub vapid_public_key: Option<String>,
}

/// What this server offers for notifications. Never fails: a channel that cannot be set up
/// is left out (and logged).
pub async fn available(state: &AppState) -> Available {
    let n = match Notifier::of(state) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "notifications are not available");
            return Available::default();
        }
    };
    let mut view = Available::default();
    if let Some(tg) = &n.telegram {
        // getMe once (then remembered); a slow or unreachable Bot API falls back to the name
        // kept in settings rather than holding the page.
        let asked =
            tokio::time::timeout(std::time::Duration::from_secs(2), tg.username(state)).await;
        view.telegram_bot = match asked {
            Ok(Ok(name)) => Some(name),
            _ => state
                .store
                .setting(super::runtime::SETTING_TELEGRAM_USERNAME)
                .await
                .ok()
                .flatten(),
        };
    }
    if let Some(tw) = &n.twilio {
        let number = wa_number(&tw.settings.whatsapp_from);
        view.whatsapp_number = (!number.is_empty()).then_some(number);
    }
    match n.webpush.client(state).await {
        Ok(c) => view.vapid_public_key = Some(c.vapid_public_key()),
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "Web Push is not available"),
    }
    view
}

#[derive(Debug, Serialize, Default, utoipa::ToSchema)]
pub struct CustomerChannelsView {
    /// `https://t.me/<bot>?start=o_<tracking token>`.
    pub telegram: Option<String>,
    /// `https://wa.me/<number>?text=link%20o_<tracking token>`.
    pub whatsapp: Option<String>,
    /// Web Push: subscribe, then POST the subscription to `…/push/webpush`.
    pub webpush: bool,
}

impl CustomerChannelsView {
    /// The opt-ins for an order's tracking token, from what the server offers.
    pub fn new(available: &Available, token: &str) -> CustomerChannelsView {
        CustomerChannelsView {
            telegram: available
                .telegram_bot
                .as_ref()
                .map(|bot| format!("https://t.me/{bot}?start=o_{token}")),
            whatsapp: available
                .whatsapp_number
                .as_ref()
                .map(|number| format!("https://wa.me/{number}?text=link%20o_{token}")),
            webpush: available.vapid_public_key.is_some(),
        }
    }
}

/// GET /api/v1/orders/{tracking_token}/channels: how a customer can follow the order.
#[utoipa::path(get, path = "/api/v1/orders/{tracking_token}/channels", tag = "notifications",
    params(("tracking_token" = String, Path)), responses((status = 200, body = CustomerChannelsView), (status = 404, body = ErrorBody)))]
pub async fn customer_channels(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<CustomerChannelsView>> {
    state
        .tracking
        .order_id(&token)
        .ok_or_else(ApiError::not_found)?;
    notifier(&state)?;
    Ok(Json(CustomerChannelsView::new(
        &available(&state).await,
        &token,
    )))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyLinkView {
    pub channel: &'static str,
    pub destination: String,
    pub shop_id: Option<String>,
    pub label: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// The member's linked chats, numbers and devices (API and pages).
pub async fn member_links(
    state: &AppState,
    user: &orderbell_core::UserId,
) -> Result<Vec<MyLinkView>, orderbell_store::StoreError> {
    let links = state.store.links_of_user(user).await?;
    Ok(links
        .into_iter()
        .map(|l| MyLinkView {
            channel: l.channel.as_str(),
            destination: mask(l.channel, &l.address),
            shop_id: l.shop_id.map(|s| s.to_string()),
            label: l.label,
            status: l.status.as_str().to_owned(),
            status_reason: l.status_reason,
            created_at: l.created_at,
        })
        .collect())
}

/// GET /api/v1/me/channels: the signed-in member's linked chats, numbers and devices.
#[utoipa::path(get, path = "/api/v1/me/channels", tag = "notifications",
    responses((status = 200, body = Vec<MyLinkView>), (status = 401, body = ErrorBody)))]
pub async fn my_channels(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<MyLinkView>>> {
    let user = caller.user()?;
    Ok(Json(member_links(&state, &user.id).await?))
}
