//! Sending one claimed notification through its provider. Called by the dispatcher after the
//! claim has committed; never inside a database transaction.

use std::collections::BTreeMap;
use std::time::Duration;

use orderbell_notify::SendError;
use orderbell_notify::fcm::FcmMessage;
use orderbell_notify::telegram::{EditMessageText, ParseMode, SendMessage};
use orderbell_notify::templates::Format;
use orderbell_notify::twilio::{VoiceCall, WhatsAppContent, WhatsAppMessage};
use orderbell_notify::webpush::{PushOptions, Subscription, SubscriptionKeys, Urgency};
use orderbell_store::notifications::{Channel, Notification, NotifyEvent, Recipient};

use super::render::{Payload, keyboard, render_for, status_line};
use super::runtime::Notifier;
use crate::state::AppState;

/// What a provider gave back for a message it took.
#[derive(Debug, Clone, Default)]
pub struct Accepted {
    pub message_id: Option<String>,
    pub provider_status: Option<String>,
}

/// A failure before the provider was even asked (configuration, bad row): never retried.
/// The provider's client, or a permanent refusal naming the provider that is not configured.
fn configured<'a, T>(
    client: &'a Option<T>,
    n: &Notification,
    provider: &str,
) -> Result<&'a T, SendError> {
    client
        .as_ref()
        .ok_or_else(|| refused(n.channel, format!("{provider} is not configured")))
}

fn refused(channel: Channel, detail: impl Into<String>) -> SendError {
    SendError::Permanent {
        provider: match channel {
            Channel::Telegram => orderbell_notify::Provider::Telegram,
            Channel::Whatsapp => orderbell_notify::Provider::Twilio,
            Channel::Webpush => orderbell_notify::Provider::WebPush,
            Channel::Fcm => orderbell_notify::Provider::Fcm,
            Channel::Voice => orderbell_notify::Provider::Twilio,
            Channel::Email => orderbell_notify::Provider::Smtp,
        },
        code: None,
        detail: detail.into(),
    }
}

/// Where a tap on the notification leads.
fn open_url(state: &AppState, n: &Notification, p: &Payload) -> String {
    let base = &state.config.public_url;
    match n.recipient {
        Recipient::Member | Recipient::Account => format!("{base}/dashboard/{}", p.shop),
        Recipient::Customer => match orderbell_core::OrderId::parse(&p.order_id) {
            Some(id) => format!("{base}/o/{}", state.tracking.token(&id)),
            None => base.clone(),
        },
    }
}

pub async fn send(
    state: &AppState,
    notifier: &Notifier,
    n: &Notification,
) -> Result<Accepted, SendError> {
    if n.channel == Channel::Email {
        return crate::account_mail::send(notifier, n).await;
    }
    let p = Payload::parse(&n.payload).map_err(|e| refused(n.channel, e))?;
    match n.channel {
        Channel::Telegram => telegram(notifier, n, &p).await,
        Channel::Whatsapp => whatsapp(state, notifier, n, &p).await,
        Channel::Webpush => webpush(state, notifier, n, &p).await,
        Channel::Fcm => fcm(state, notifier, n, &p).await,
        Channel::Voice => voice(state, notifier, n, &p).await,
        Channel::Email => Err(refused(n.channel, "account mail has its own sender")),
    }
}

async fn telegram(
    notifier: &Notifier,
    n: &Notification,
    p: &Payload,
) -> Result<Accepted, SendError> {
    let tg = configured(&notifier.telegram, n, "Telegram")?;
    let chat_id: i64 = n
        .destination
        .parse()
        .map_err(|_| refused(n.channel, "the chat id is not a number"))?;
    let rendered = render_for(n.event, n.recipient, &n.locale, Format::TelegramHtml, p);
    let buttons = n.recipient == Recipient::Member;
    if n.event == NotifyEvent::StatusEdit {
        let message_id = p
            .message_id
            .ok_or_else(|| refused(n.channel, "no message to edit"))?;
        let text = format!("{}\n\n{}", rendered.text, status_line(p, &n.locale));
        let edited = tg
            .client
            .edit_message_text(&EditMessageText {
                chat_id,
                message_id,
                text,
                parse_mode: Some(ParseMode::Html),
                reply_markup: keyboard(p, &n.locale),
            })
            .await?;
        return Ok(Accepted {
            message_id: Some(edited.map_or(message_id, |m| m.message_id).to_string()),
            provider_status: None,
        });
    }
    let sent = tg
        .client
        .send_message(&SendMessage {
            chat_id,
            text: rendered.text,
            parse_mode: Some(ParseMode::Html),
            reply_markup: if buttons
                && matches!(n.event, NotifyEvent::NewOrder | NotifyEvent::Reminder)
            {
                keyboard(p, &n.locale)
            } else {
                None
            },
        })
        .await?;
    Ok(Accepted {
        message_id: Some(sent.message_id.to_string()),
        provider_status: None,
    })
}

/// An escalation call: the order read out, the keypad answer taken by `/webhooks/twilio/voice`.
async fn voice(
    state: &AppState,
    notifier: &Notifier,
    n: &Notification,
    p: &Payload,
) -> Result<Accepted, SendError> {
    let tw = configured(&notifier.twilio, n, "Twilio")?;
    let twiml = crate::escalation::voice::call_document(&state.config.public_url, n, p, 0);
    let call = tw
        .client
        .create_call(&VoiceCall {
            to: n.destination.clone(),
            twiml,
            ring_timeout_secs: Some(30),
            time_limit_secs: Some(180),
            status_callback: None,
        })
        .await?;
    Ok(Accepted {
        message_id: Some(call.sid),
        provider_status: Some(call.status),
    })
}

/// WhatsApp's customer-service window: free text within 24 hours of the person's last message.
const SESSION_WINDOW: Duration = Duration::from_secs(24 * 3600);

async fn whatsapp(
    state: &AppState,
    notifier: &Notifier,
    n: &Notification,
    p: &Payload,
) -> Result<Accepted, SendError> {
    let tw = configured(&notifier.twilio, n, "Twilio")?;
    let now = state.now();
    let in_window = n.link_last_inbound_at.is_some_and(|t| {
        now.duration_since(t)
            .try_into()
            .is_ok_and(|d: Duration| d < SESSION_WINDOW)
    });
    let rendered = render_for(n.event, n.recipient, &n.locale, Format::Plain, p);
    let template = tw.settings.templates.get(n.event.as_str());
    let content = match template {
        Some(sid) if !in_window => {
            // Template variables: 1 order number, 2 the body (items/total, ETA, reason…).
            let variables = BTreeMap::from([
                ("1".to_owned(), p.number.to_string()),
                ("2".to_owned(), rendered.body.clone()),
            ]);
            WhatsAppContent::Template {
                content_sid: sid.clone(),
                variables,
            }
        }
        _ => WhatsAppContent::Text(rendered.text),
    };
    let sent = tw
        .client
        .send_whatsapp(&WhatsAppMessage {
            to: n.destination.clone(),
            content,
            status_callback: None,
        })
        .await?;
    Ok(Accepted {
        message_id: Some(sent.sid),
        provider_status: Some(sent.status),
    })
}

async fn webpush(
    state: &AppState,
    notifier: &Notifier,
    n: &Notification,
    p: &Payload,
) -> Result<Accepted, SendError> {
    let client = notifier
        .webpush
        .client(state)
        .await
        .map_err(|e| refused(n.channel, format!("{e:#}")))?;
    let keys: SubscriptionKeys = n
        .link_keys
        .as_deref()
        .and_then(|k| serde_json::from_str(k).ok())
        .ok_or_else(|| refused(n.channel, "the subscription's keys are gone"))?;
    let rendered = render_for(n.event, n.recipient, &n.locale, Format::Plain, p);
    let body = serde_json::json!({
        "title": rendered.title,
        "body": rendered.body,
        "url": open_url(state, n, p),
        "tag": format!("order-{}", p.order_id),
        "order_id": p.order_id,
        "number": p.number,
        "event": n.event.as_str(),
        "shop": p.shop,
    });
    let new_order = n.event == NotifyEvent::NewOrder;
    let opts = PushOptions {
        ttl: if new_order {
            Duration::from_secs(15 * 60)
        } else {
            Duration::from_secs(3600)
        },
        urgency: if new_order {
            Urgency::High
        } else {
            Urgency::Normal
        },
        topic: None,
    };
    let receipt = client
        .send(
            &Subscription {
                endpoint: n.destination.clone(),
                keys,
            },
            body.to_string().as_bytes(),
            &opts,
        )
        .await?;
    Ok(Accepted {
        message_id: receipt.location,
        provider_status: None,
    })
}

async fn fcm(
    state: &AppState,
    notifier: &Notifier,
    n: &Notification,
    p: &Payload,
) -> Result<Accepted, SendError> {
    let client = configured(&notifier.fcm, n, "FCM")?;
    let rendered = render_for(n.event, n.recipient, &n.locale, Format::Plain, p);
    let data = BTreeMap::from([
        ("order_id".to_owned(), p.order_id.clone()),
        ("number".to_owned(), p.number.to_string()),
        ("event".to_owned(), n.event.as_str().to_owned()),
        ("shop".to_owned(), p.shop.clone()),
        ("url".to_owned(), open_url(state, n, p)),
    ]);
    let name = client
        .send(&FcmMessage {
            token: n.destination.clone(),
            title: rendered.title,
            body: rendered.body,
            data,
            ttl: Some(if n.event == NotifyEvent::NewOrder {
                Duration::from_secs(15 * 60)
            } else {
                Duration::from_secs(3600)
            }),
        })
        .await?;
    Ok(Accepted {
        message_id: Some(name),
        provider_status: None,
    })
}
