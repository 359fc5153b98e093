//! Escalation phone calls: the call's TwiML (the dispatcher sends it with Twilio's Calls API)
//! and the keypad webhook `POST /webhooks/twilio/voice?n=<notification id>`.
//!
//! The webhook checks `X-Twilio-Signature` over the public URL (query included) and the form
//! first; a bad or missing signature gets 403 and nothing changes. `Digits=1` accepts the order
//! with the shop's default ETA, `2` rejects it, anything else (or silence, which arrives without
//! `Digits` through the document's `<Redirect>`) reads the order and the question again, at most
//! [`MAX_TRIES`] times. The person acting is the member the call went to (while still a member
//! of the shop), or the shop's own phone.

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::i18n::Lang;
use orderbell_core::order::{Actor, OrderAction};
use orderbell_notify::alert_texts::{self, CallOutcome};
use orderbell_notify::twilio::twiml::{self, KeypadChoice};
use orderbell_store::StoreError;
use orderbell_store::notifications::{Channel, Notification, NotifyEvent, Payload};

use crate::events::{EventKind, ShopEvent};
use crate::notifications::twilio;
use crate::state::AppState;

/// How often the question is asked before the call says goodbye.
pub const MAX_TRIES: u32 = 3;

/// The document of an escalation call about one order.
pub fn call_document(public_url: &str, n: &Notification, p: &Payload, tries: u32) -> String {
    let locale = Lang::from_tag(&n.locale);
    let shop = p.shop_name.as_deref().unwrap_or(&p.shop);
    let (say, prompt) =
        alert_texts::call(locale, shop, p.number, p.waited_seconds.unwrap_or_default());
    let url = format!("{public_url}/webhooks/twilio/voice?n={}&t={tries}", n.id);
    twiml::alert_call(&say, locale.speech_tag(), &url, &prompt)
}

fn xml(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn query_param(uri: &axum::http::Uri, name: &str) -> Option<String> {
    let q: Vec<(String, String)> = serde_urlencoded::from_str(uri.query()?).ok()?;
    q.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// `POST /webhooks/twilio/voice`: a key pressed (or silence) on an escalation call.
pub async fn keypad(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match twilio::signed_form(&state, &uri, &headers, &body) {
        Ok(params) => params,
        Err(status) => return status.into_response(),
    };
    let digits = twilio::param(&params, "Digits");
    let tries: u32 = query_param(&uri, "t")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let Some(id) = query_param(&uri, "n").and_then(|n| n.parse::<i64>().ok()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match answer(&state, id, digits, tries).await {
        Ok(Some(doc)) => {
            twilio::keep(&state, "voice", &body, "answered").await;
            xml(doc)
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "could not act on a keypad answer");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn answer(
    state: &AppState,
    id: i64,
    digits: Option<&str>,
    tries: u32,
) -> Result<Option<String>, StoreError> {
    let Some(n) = state.store.notification(id).await? else {
        return Ok(None);
    };
    let (Channel::Voice, NotifyEvent::Call, Some(order_id)) = (n.channel, n.event, &n.order_id)
    else {
        return Ok(None);
    };
    let Ok(payload) = Payload::parse(&n.payload) else {
        return Ok(None);
    };
    let locale = Lang::from_tag(&n.locale);
    let language = locale.speech_tag();
    let Some(shop_id) = &n.shop_id else {
        return Ok(None);
    };
    let Some(shop) = state.store.shop(shop_id).await? else {
        return Ok(None);
    };
    let action = match KeypadChoice::from_digits(digits) {
        KeypadChoice::Accept => OrderAction::Accept {
            eta_minutes: i64::from(shop.default_eta_minutes),
        },
        KeypadChoice::Reject => OrderAction::Reject { reason: None },
        KeypadChoice::Repeat if tries + 1 < MAX_TRIES => {
            return Ok(Some(call_document(
                &state.config.public_url,
                &n,
                &payload,
                tries + 1,
            )));
        }
        KeypadChoice::Repeat => {
            return Ok(Some(twiml::say_and_hang_up(
                &alert_texts::call(locale, &shop.name, payload.number, 0).1,
                language,
            )));
        }
    };
    let actor = match &n.user_id {
        Some(user) => match (
            state.store.role(&shop.id, user).await?,
            state.store.user(user).await?,
        ) {
            (Some(_), Some(u)) => Actor {
                kind: "user".into(),
                id: Some(u.id.to_string()),
                name: Some(u.name),
            },
            _ => {
                let text =
                    alert_texts::call_answer(locale, payload.number, CallOutcome::NotAllowed);
                return Ok(Some(twiml::say_and_hang_up(&text, language)));
            }
        },
        None => Actor {
            kind: "phone".into(),
            id: None,
            name: Some(n.destination.clone()),
        },
    };
    let outcome = match state
        .store
        .apply_order_action(&shop.id, order_id, action, actor, state.now())
        .await
    {
        Ok(order) => {
            state
                .events
                .publish(ShopEvent::of_order(EventKind::OrderUpdated, &order));
            match order.eta_minutes {
                Some(eta_minutes) if order.status.as_str() == "accepted" => {
                    CallOutcome::Accepted { eta_minutes }
                }
                _ => CallOutcome::Rejected,
            }
        }
        Err(StoreError::InvalidTransition(_)) => CallOutcome::AlreadyAnswered,
        Err(e) => return Err(e),
    };
    let text = alert_texts::call_answer(locale, payload.number, outcome);
    Ok(Some(twiml::say_and_hang_up(&text, language)))
}
