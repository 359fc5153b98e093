//! WhatsApp through Twilio: the incoming-message webhook (`link <code>`, `stop`, and members'
//! `accept 1042 20` / `reject 1042` / `ready 1042`) and the status callback that moves the
//! delivery log. Both check `X-Twilio-Signature` over the PUBLIC URL Twilio called and the form
//! parameters first; a bad or missing signature gets 403 and nothing is stored.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::i18n::{Lang, Texts, fill};
use orderbell_core::order::OrderAction;
use orderbell_notify::twilio::{CodeClass, classify_error_code};
use orderbell_store::StoreError;
use orderbell_store::notifications::{Channel, DeliveryReport};

use super::links::{Acted, Linked, act_as_member, link_with, order_by_number, shops_of_address};
use super::runtime::{Notifier, Twilio};
use crate::state::AppState;

const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// The form of a Twilio webhook, once its `X-Twilio-Signature` checks out over the public URL
/// (query included) and the form: 503 without a notifier, 404 when Twilio is not configured,
/// 403 on a missing or wrong signature. Nothing is read or stored before this.
pub(crate) fn signed_form(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, StatusCode> {
    let notifier = Notifier::of(state).map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    let tw = notifier.twilio.as_ref().ok_or(StatusCode::NOT_FOUND)?;
    verified(state, tw, uri, headers, body).ok_or(StatusCode::FORBIDDEN)
}

fn verified(
    state: &AppState,
    tw: &Twilio,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Vec<(String, String)>> {
    let signature = headers.get(SIGNATURE_HEADER)?.to_str().ok()?;
    let params: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    let mut url = format!("{}{}", state.config.public_url, uri.path());
    if let Some(q) = uri.query() {
        url.push('?');
        url.push_str(q);
    }
    tw.validator
        .validate(&url, &params, signature)
        .then_some(params)
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn twiml(text: Option<String>) -> Response {
    let body = match text {
        Some(t) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
            orderbell_notify::templates::escape_html(&t)
        ),
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".to_owned(),
    };
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

pub(crate) async fn keep(state: &AppState, kind: &str, body: &[u8], outcome: &str) {
    let text = String::from_utf8_lossy(body);
    if let Err(e) = state
        .store
        .log_webhook(
            "twilio",
            kind,
            &super::redact::link_codes(&text),
            Some(outcome),
            state.now(),
        )
        .await
    {
        tracing::warn!(error = %e, "could not keep a Twilio webhook in the log");
    }
}

/// POST /webhooks/twilio/status: a message's status moved (queued, sent, delivered, read,
/// failed, undelivered with an ErrorCode).
pub async fn status(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match signed_form(&state, &uri, &headers, &body) {
        Ok(params) => params,
        Err(status) => return status.into_response(),
    };
    let (Some(sid), Some(status)) = (
        param(&params, "MessageSid"),
        param(&params, "MessageStatus"),
    ) else {
        keep(
            &state,
            "status",
            &body,
            "ignored: no MessageSid/MessageStatus",
        )
        .await;
        return StatusCode::NO_CONTENT.into_response();
    };
    let code = param(&params, "ErrorCode").filter(|c| !c.is_empty());
    let dead = code
        .and_then(|c| c.parse::<u32>().ok())
        .and_then(classify_error_code)
        == Some(CodeClass::DestinationDead);
    let result = state
        .store
        .report_delivery(DeliveryReport {
            channel: Channel::Whatsapp,
            provider_message_id: sid.to_owned(),
            provider_status: status.to_owned(),
            error_code: code.map(str::to_owned),
            dead_link: dead,
            now: state.now(),
        })
        .await;
    match result {
        Ok(found) => {
            keep(
                &state,
                "status",
                &body,
                if found { "recorded" } else { "unknown message" },
            )
            .await;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not record a Twilio status callback");
            // Twilio retries callbacks that fail.
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// POST /webhooks/twilio/whatsapp: a message someone sent to our WhatsApp number.
pub async fn incoming(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match signed_form(&state, &uri, &headers, &body) {
        Ok(params) => params,
        Err(status) => return status.into_response(),
    };
    let from = param(&params, "From").unwrap_or("");
    let number = from
        .strip_prefix("whatsapp:")
        .unwrap_or(from)
        .trim()
        .to_owned();
    let text = param(&params, "Body").unwrap_or("").trim().to_owned();
    if number.is_empty() {
        keep(&state, "message", &body, "ignored: no sender").await;
        return twiml(None);
    }
    match command(&state, &number, &text).await {
        Ok((outcome, answer)) => {
            keep(&state, "message", &body, outcome).await;
            twiml(answer)
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not handle a WhatsApp message");
            keep(&state, "message", &body, "error").await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The language of a WhatsApp number's replies: Korean for Korean numbers.
fn lang_for(number: &str) -> Lang {
    if number.starts_with("+82") {
        Lang::Ko
    } else {
        Lang::En
    }
}

async fn command(
    state: &AppState,
    number: &str,
    text: &str,
) -> Result<(&'static str, Option<String>), StoreError> {
    // Any message opens the 24-hour window for free-text replies.
    state
        .store
        .touch_inbound(Channel::Whatsapp, number, state.now())
        .await?;
    let lang = lang_for(number);
    let t = lang.texts();
    let locale = Some(lang.code().to_owned());
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let original: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["link", _] => {
            let code = original.get(1).copied().unwrap_or("");
            let linked = link_with(state, Channel::Whatsapp, number, code, locale, None).await?;
            Ok(match linked {
                Linked::Member { shop_name } => (
                    "linked member",
                    Some(fill(t.wa_linked_member, &[("shop", &shop_name)])),
                ),
                Linked::Customer { number } => (
                    "linked customer",
                    Some(fill(t.wa_linked_customer, &[("n", &number)])),
                ),
                Linked::Invalid => ("invalid code", Some(t.wa_code_expired.into())),
            })
        }
        ["stop"] | ["unlink"] => {
            state
                .store
                .unlink_address(Channel::Whatsapp, number, None, state.now())
                .await?;
            Ok(("unlinked", Some(t.chat_unlinked.into())))
        }
        ["accept" | "수락", n, eta] => {
            match (n.trim_start_matches('#').parse::<i64>(), eta.parse::<i64>()) {
                (Ok(n), Ok(eta)) if orderbell_core::order::check_eta(eta).is_ok() => {
                    act(
                        state,
                        number,
                        n,
                        OrderAction::Accept { eta_minutes: eta },
                        t,
                    )
                    .await
                }
                _ => Ok(("bad command", Some(t.wa_usage.into()))),
            }
        }
        ["reject" | "거절", n] => match n.trim_start_matches('#').parse::<i64>() {
            Ok(n) => act(state, number, n, OrderAction::Reject { reason: None }, t).await,
            Err(_) => Ok(("bad command", Some(t.wa_usage.into()))),
        },
        ["ready" | "준비", n] => match n.trim_start_matches('#').parse::<i64>() {
            Ok(n) => act(state, number, n, OrderAction::Ready, t).await,
            Err(_) => Ok(("bad command", Some(t.wa_usage.into()))),
        },
        _ => Ok(("ignored", None)),
    }
}

async fn act(
    state: &AppState,
    number: &str,
    order_number: i64,
    action: OrderAction,
    t: &Texts,
) -> Result<(&'static str, Option<String>), StoreError> {
    let shops = shops_of_address(state, Channel::Whatsapp, number).await?;
    if shops.is_empty() {
        return Ok(("not a member", Some(t.wa_not_linked.into())));
    }
    let Some(order) = order_by_number(state, &shops, order_number).await? else {
        return Ok((
            "no such order",
            Some(fill(t.chat_no_such_order, &[("n", &order_number)])),
        ));
    };
    let result = act_as_member(state, Channel::Whatsapp, number, &order.id, action).await?;
    Ok(match result {
        Acted::Done(o) => (
            "acted",
            Some(fill(
                t.chat_order_now,
                &[("n", &o.number), ("state", &t.state(o.status))],
            )),
        ),
        Acted::Refused(o) => (
            "refused",
            Some(fill(
                t.chat_order_unchanged,
                &[("n", &o.number), ("state", &t.state(o.status))],
            )),
        ),
        Acted::NotAMember => ("not a member", Some(t.chat_not_member.into())),
        Acted::NotFound => ("no such order", None),
    })
}
