//! WhatsApp through Twilio: the incoming-message webhook (`link <code>`, `stop`, and members'
//! `accept 1042 20` / `reject 1042` / `ready 1042`) and the status callback that moves the
//! delivery log. Both check `X-Twilio-Signature` over the PUBLIC URL Twilio called and the form
//! parameters first; a bad or missing signature gets 403 and nothing is stored.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::order::OrderAction;
use orderbell_notify::templates::Locale;
use orderbell_notify::twilio::{CodeClass, classify_error_code};
use orderbell_store::StoreError;
use orderbell_store::notifications::{Channel, DeliveryReport};

use super::links::{Acted, Linked, act_as_member, link_with, order_by_number, shops_of_address};
use super::runtime::{Notifier, Twilio};
use crate::state::AppState;

const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// Checks the signature; returns the form parameters when it is right.
pub(crate) fn verified(
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

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
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

fn twilio_of(state: &AppState) -> Result<std::sync::Arc<Notifier>, StatusCode> {
    let n = Notifier::of(state).map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
    if n.twilio.is_none() {
        return Err(StatusCode::NOT_FOUND);
    }
    Ok(n)
}

/// POST /webhooks/twilio/status: a message's status moved (queued, sent, delivered, read,
/// failed, undelivered with an ErrorCode).
pub async fn status(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let n = match twilio_of(&state) {
        Ok(n) => n,
        Err(s) => return s.into_response(),
    };
    let Some(tw) = n.twilio.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(params) = verified(&state, tw, &uri, &headers, &body) else {
        return StatusCode::FORBIDDEN.into_response();
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
    let n = match twilio_of(&state) {
        Ok(n) => n,
        Err(s) => return s.into_response(),
    };
    let Some(tw) = n.twilio.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(params) = verified(&state, tw, &uri, &headers, &body) else {
        return StatusCode::FORBIDDEN.into_response();
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

fn ko_for(number: &str) -> bool {
    number.starts_with("+82")
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
    let ko = ko_for(number);
    let locale = Some(if ko { "ko" } else { "en" }.to_owned());
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    let original: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["link", _] => {
            let code = original.get(1).copied().unwrap_or("");
            let linked = link_with(state, Channel::Whatsapp, number, code, locale, None).await?;
            Ok(match (linked, ko) {
                (Linked::Member { shop_name }, false) => (
                    "linked member",
                    Some(format!(
                        "Linked: new orders of {shop_name} will arrive here. Answer \"accept 1042 20\", \"reject 1042\" or \"ready 1042\"; \"stop\" unlinks."
                    )),
                ),
                (Linked::Member { shop_name }, true) => (
                    "linked member",
                    Some(format!(
                        "연결됨: {shop_name}의 새 주문이 여기로 옵니다. \"accept 1042 20\", \"reject 1042\", \"ready 1042\"로 답할 수 있고 \"stop\"으로 해제합니다."
                    )),
                ),
                (Linked::Customer { number }, false) => (
                    "linked customer",
                    Some(format!(
                        "You'll get updates about order #{number} here. Send \"stop\" to unlink."
                    )),
                ),
                (Linked::Customer { number }, true) => (
                    "linked customer",
                    Some(format!(
                        "주문 #{number}의 진행 상황을 여기로 알려 드립니다. 해제하려면 \"stop\""
                    )),
                ),
                (Linked::Invalid, false) => (
                    "invalid code",
                    Some("This code has expired or was already used.".into()),
                ),
                (Linked::Invalid, true) => (
                    "invalid code",
                    Some("코드가 만료되었거나 이미 사용되었습니다.".into()),
                ),
            })
        }
        ["stop"] | ["unlink"] => {
            state
                .store
                .unlink_address(Channel::Whatsapp, number, None, state.now())
                .await?;
            Ok((
                "unlinked",
                Some(
                    if ko {
                        "알림 연결을 해제했습니다."
                    } else {
                        "Unlinked."
                    }
                    .into(),
                ),
            ))
        }
        ["accept" | "수락", n, eta] => {
            match (n.trim_start_matches('#').parse::<i64>(), eta.parse::<i64>()) {
                (Ok(n), Ok(eta)) if orderbell_core::order::check_eta(eta).is_ok() => {
                    act(
                        state,
                        number,
                        n,
                        OrderAction::Accept { eta_minutes: eta },
                        ko,
                    )
                    .await
                }
                _ => Ok(("bad command", Some(usage(ko)))),
            }
        }
        ["reject" | "거절", n] => match n.trim_start_matches('#').parse::<i64>() {
            Ok(n) => act(state, number, n, OrderAction::Reject { reason: None }, ko).await,
            Err(_) => Ok(("bad command", Some(usage(ko)))),
        },
        ["ready" | "준비", n] => match n.trim_start_matches('#').parse::<i64>() {
            Ok(n) => act(state, number, n, OrderAction::Ready, ko).await,
            Err(_) => Ok(("bad command", Some(usage(ko)))),
        },
        _ => Ok(("ignored", None)),
    }
}

fn usage(ko: bool) -> String {
    if ko {
        "예: \"accept 1042 20\", \"reject 1042\", \"ready 1042\"".into()
    } else {
        "Try \"accept 1042 20\", \"reject 1042\" or \"ready 1042\".".into()
    }
}

async fn act(
    state: &AppState,
    number: &str,
    order_number: i64,
    action: OrderAction,
    ko: bool,
) -> Result<(&'static str, Option<String>), StoreError> {
    let shops = shops_of_address(state, Channel::Whatsapp, number).await?;
    if shops.is_empty() {
        return Ok((
            "not a member",
            Some(
                if ko {
                    "이 번호는 가게에 연결되어 있지 않습니다."
                } else {
                    "This number is not linked to a shop."
                }
                .into(),
            ),
        ));
    }
    let Some(order) = order_by_number(state, &shops, order_number).await? else {
        return Ok((
            "no such order",
            Some(if ko {
                format!("주문 #{order_number}이 없습니다.")
            } else {
                format!("There is no order #{order_number}.")
            }),
        ));
    };
    let result = act_as_member(state, Channel::Whatsapp, number, &order.id, action).await?;
    let locale = if ko { Locale::Ko } else { Locale::En };
    Ok(match (result, locale) {
        (Acted::Done(o), Locale::En) => (
            "acted",
            Some(format!("Order #{} is now {}.", o.number, o.status)),
        ),
        (Acted::Done(o), Locale::Ko) => {
            ("acted", Some(format!("주문 #{} → {}", o.number, o.status)))
        }
        (Acted::Refused(o), Locale::En) => (
            "refused",
            Some(format!("Order #{} is already {}.", o.number, o.status)),
        ),
        (Acted::Refused(o), Locale::Ko) => (
            "refused",
            Some(format!(
                "주문 #{}은 이미 {} 상태입니다.",
                o.number, o.status
            )),
        ),
        (Acted::NotAMember, _) => (
            "not a member",
            Some(
                if ko {
                    "이 가게의 멤버가 아닙니다."
                } else {
                    "You are not a member of this shop."
                }
                .into(),
            ),
        ),
        (Acted::NotFound, _) => ("no such order", None),
    })
}
