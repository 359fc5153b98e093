//! Telegram: start-up (getMe, setWebhook with a secret token, or long polling), the webhook,
//! and what updates do — `/start <code>` links a member's chat, `/start o_<tracking token>` a
//! customer's, `/stop` unlinks, and the buttons under a new-order message act on the order as
//! the member behind the chat.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use orderbell_core::OrderId;
use orderbell_core::i18n::{Lang, fill};
use orderbell_core::order::OrderAction;
use orderbell_notify::telegram::{
    CallbackQuery, Message, SECRET_HEADER, SendMessage, Update, UpdateKind, verify_webhook_secret,
};
use orderbell_store::StoreError;
use orderbell_store::notifications::Channel;

use super::config::TelegramMode;
use super::links::{Acted, Linked, act_as_member, link_with};
use super::runtime::{Notifier, Telegram};
use crate::events::{EventKind, ShopEvent};
use crate::state::AppState;

const ALLOWED_UPDATES: [&str; 2] = ["message", "callback_query"];

/// At start: the bot's name, then the webhook (with its secret) or the polling loop. Failures
/// are retried with backoff; the rest of the server does not wait for Telegram.
pub fn spawn(state: &AppState, notifier: Arc<Notifier>) {
    let state = state.clone();
    tokio::spawn(async move {
        let Some(tg) = notifier.telegram.as_ref() else {
            return;
        };
        let mut delay = Duration::from_secs(1);
        loop {
            match set_up(&state, tg).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), retry_in_secs = delay.as_secs(), "Telegram set-up failed");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(300));
                }
            }
        }
        if tg.mode == TelegramMode::Polling {
            poll(&state, tg).await;
        }
    });
}

async fn set_up(state: &AppState, tg: &Telegram) -> anyhow::Result<()> {
    let name = tg.username(state).await?;
    match tg.mode {
        TelegramMode::Webhook => {
            let url = format!("{}/webhooks/telegram", state.config.public_url);
            let secret = tg.secret(state).await?;
            tg.client
                .set_webhook(&url, secret, &ALLOWED_UPDATES)
                .await?;
            tracing::info!(bot = %name, %url, "Telegram bot ready (webhook)");
        }
        TelegramMode::Polling => {
            tg.client.delete_webhook(false).await?;
            tracing::info!(bot = %name, "Telegram bot ready (polling)");
        }
    }
    Ok(())
}

async fn poll(state: &AppState, tg: &Telegram) {
    let mut offset: Option<i64> = None;
    loop {
        match tg.client.get_updates(offset, 25, &ALLOWED_UPDATES).await {
            Ok(updates) => {
                for update in updates {
                    offset = Some(update.update_id + 1);
                    let body = format!("{{\"update_id\":{}}}", update.update_id);
                    let (kind, outcome) = handle(state, tg, update).await;
                    keep(state, kind, &body, &outcome).await;
                }
            }
            Err(e) => {
                let wait = e.retry_after().unwrap_or(Duration::from_secs(5));
                tracing::warn!(error = %e, "Telegram getUpdates failed");
                tokio::time::sleep(wait).await;
            }
        }
    }
}

async fn keep(state: &AppState, kind: &str, body: &str, outcome: &str) {
    if let Err(e) = state
        .store
        .log_webhook(
            "telegram",
            kind,
            &super::redact::link_codes(body),
            Some(outcome),
            state.now(),
        )
        .await
    {
        tracing::warn!(error = %e, "could not keep a Telegram update in the webhook log");
    }
}

/// POST /webhooks/telegram. The secret header is checked (in constant time) before anything
/// else; without it nothing is read or stored.
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Ok(notifier) = Notifier::of(&state) else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let Some(tg) = notifier.telegram.as_ref() else {
        return StatusCode::NOT_FOUND;
    };
    let secret = match tg.secret(&state).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "no Telegram webhook secret");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    };
    let received = headers.get(SECRET_HEADER).map(|v| v.as_bytes());
    if !verify_webhook_secret(secret, received) {
        return StatusCode::UNAUTHORIZED;
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        keep(&state, "unreadable", &text, "ignored").await;
        return StatusCode::OK;
    };
    let (kind, outcome) = handle(&state, tg, update).await;
    keep(&state, kind, &text, &outcome).await;
    if outcome.starts_with("error: storage unavailable") {
        // Telegram retries non-2xx answers: worth it when our database was away.
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    StatusCode::OK
}

/// Handles one update; returns its kind and what came of it (for the webhook log).
async fn handle(state: &AppState, tg: &Telegram, update: Update) -> (&'static str, String) {
    match update.kind {
        UpdateKind::Message(m) => ("message", outcome(on_message(state, tg, m).await)),
        UpdateKind::CallbackQuery(q) => {
            ("callback_query", outcome(on_callback(state, tg, q).await))
        }
        UpdateKind::Other => ("other", "ignored".into()),
    }
}

fn outcome(r: Result<&'static str, StoreError>) -> String {
    match r {
        Ok(s) => s.to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "could not handle a Telegram update");
            format!("error: {e}")
        }
    }
}

async fn reply(tg: &Telegram, chat_id: i64, text: String) {
    let msg = SendMessage {
        chat_id,
        text,
        parse_mode: None,
        reply_markup: None,
    };
    if let Err(e) = tg.client.send_message(&msg).await {
        tracing::warn!(error = %e, "could not answer a Telegram chat");
    }
}

async fn on_message(
    state: &AppState,
    tg: &Telegram,
    m: Message,
) -> Result<&'static str, StoreError> {
    let Some(text) = m.text.as_deref() else {
        return Ok("ignored");
    };
    let chat = m.chat.id;
    let lang = m.from.as_ref().and_then(|f| f.language_code.clone());
    let t = lang
        .as_deref()
        .map(Lang::from_tag)
        .unwrap_or_default()
        .texts();
    let label = m.from.as_ref().map(|f| match &f.username {
        Some(u) => format!("@{u}"),
        None => f.first_name.clone(),
    });
    let mut words = text.split_whitespace();
    let command = words.next().unwrap_or("");
    // "/start@OrderbellBot code" in groups.
    let command = command.split('@').next().unwrap_or(command);
    match command {
        "/start" => {
            let Some(code) = words.next() else {
                reply(tg, chat, t.chat_help.into()).await;
                return Ok("help");
            };
            let linked = link_with(
                state,
                Channel::Telegram,
                &chat.to_string(),
                code,
                lang,
                label,
            )
            .await?;
            let (text, outcome) = match linked {
                Linked::Member { shop_name } => (
                    fill(t.chat_linked_member, &[("shop", &shop_name)]),
                    "linked member",
                ),
                Linked::Customer { number } => (
                    fill(t.chat_linked_customer, &[("n", &number)]),
                    "linked customer",
                ),
                Linked::Invalid => (t.chat_link_expired.to_owned(), "invalid code"),
            };
            reply(tg, chat, text).await;
            Ok(outcome)
        }
        "/stop" => {
            let n = state
                .store
                .unlink_address(Channel::Telegram, &chat.to_string(), None, state.now())
                .await?;
            let text = if n == 0 {
                t.chat_not_linked
            } else {
                t.chat_unlinked
            };
            reply(tg, chat, text.into()).await;
            Ok("unlinked")
        }
        _ => Ok("ignored"),
    }
}

/// `a:<order id>:<eta>`, `r:<id>`, `d:<id>` (ready), `c:<id>` (complete), `p:<id>` (print).
fn parse_callback(data: &str) -> Option<(char, OrderId, Option<i64>)> {
    let mut parts = data.split(':');
    let kind = parts.next()?.chars().next()?;
    let id = OrderId::parse(parts.next()?)?;
    let eta = parts.next().and_then(|m| m.parse().ok());
    Some((kind, id, eta))
}

async fn on_callback(
    state: &AppState,
    tg: &Telegram,
    q: CallbackQuery,
) -> Result<&'static str, StoreError> {
    let t = q
        .from
        .language_code
        .as_deref()
        .map(Lang::from_tag)
        .unwrap_or_default()
        .texts();
    let chat = q.message.as_ref().map_or(q.from.id, |m| m.chat.id);
    let answer = |text: String, alert: bool| {
        let id = q.id.clone();
        async move {
            if let Err(e) = tg
                .client
                .answer_callback_query(&id, Some(&text), alert)
                .await
            {
                tracing::warn!(error = %e, "could not answer a Telegram button");
            }
        }
    };
    let Some((kind, order, eta)) = q.data.as_deref().and_then(parse_callback) else {
        answer(String::new(), false).await;
        return Ok("unknown button");
    };
    let action = match (kind, eta) {
        ('a', Some(eta)) if orderbell_core::order::check_eta(eta).is_ok() => {
            OrderAction::Accept { eta_minutes: eta }
        }
        ('r', _) => OrderAction::Reject { reason: None },
        ('d', _) => OrderAction::Ready,
        ('c', _) => OrderAction::Complete,
        ('p', _) => {
            // Acknowledging first proves the chat is a member's (and someone saw the order).
            let acted = act_as_member(
                state,
                Channel::Telegram,
                &chat.to_string(),
                &order,
                OrderAction::Acknowledge,
            )
            .await?;
            let (text, outcome) = match acted {
                Acted::Done(o) | Acted::Refused(o) => {
                    match state
                        .store
                        .reprint(&o.shop_id, &o.id, None, state.now())
                        .await
                    {
                        Ok(jobs) if !jobs.is_empty() => {
                            state.events.publish(ShopEvent {
                                at: state.now(),
                                ..ShopEvent::of_order(EventKind::PrintJobsQueued, &o)
                            });
                            let text = fill(t.chat_printing, &[("n", &o.number)]);
                            (text, "printed")
                        }
                        Ok(_) => (t.chat_no_printer.to_owned(), "no printer"),
                        Err(e) => return Err(e),
                    }
                }
                _ => (t.chat_not_member.to_owned(), "refused"),
            };
            answer(text, false).await;
            return Ok(outcome);
        }
        _ => {
            answer(String::new(), false).await;
            return Ok("unknown button");
        }
    };
    let result = act_as_member(state, Channel::Telegram, &chat.to_string(), &order, action).await?;
    let (text, alert, outcome) = match result {
        Acted::Done(o) => (
            fill(
                t.chat_order_now,
                &[("n", &o.number), ("state", &t.state(o.status))],
            ),
            false,
            "acted",
        ),
        Acted::Refused(o) => (
            fill(
                t.chat_order_unchanged,
                &[("n", &o.number), ("state", &t.state(o.status))],
            ),
            true,
            "refused",
        ),
        Acted::NotAMember => (t.chat_not_member.to_owned(), true, "not a member"),
        Acted::NotFound => ("?".into(), true, "no such order"),
    };
    answer(text, alert).await;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data() {
        let id = "0123456789abcdef0123456789abcdef";
        let (k, o, eta) = parse_callback(&format!("a:{id}:20")).unwrap();
        assert_eq!((k, o.as_str(), eta), ('a', id, Some(20)));
        assert!(parse_callback("a:nope:20").is_none());
        assert!(parse_callback("").is_none());
    }
}
