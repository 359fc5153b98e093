//! The Bot API client.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use super::types::{InlineKeyboardMarkup, Message, ParseMode, Update, User};
use crate::error::{Provider, SendError};
use crate::http::snippet;

const P: Provider = Provider::Telegram;

#[derive(Debug, Clone)]
pub struct TelegramConfig {
    /// `https://api.telegram.org` in production (`ORDERBELL_TELEGRAM_API_URL`).
    pub api_url: Url,
    pub bot_token: SecretString,
}

/// https://core.telegram.org/bots/api#sendmessage
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendMessage {
    pub chat_id: i64,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

/// https://core.telegram.org/bots/api#editmessagetext (chat messages, not inline ones).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditMessageText {
    pub chat_id: i64,
    pub message_id: i64,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_mode: Option<ParseMode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_markup: Option<InlineKeyboardMarkup>,
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    parameters: Option<ResponseParameters>,
}

/// https://core.telegram.org/bots/api#responseparameters
#[derive(Deserialize)]
struct ResponseParameters {
    #[serde(default)]
    retry_after: Option<u64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

/// The descriptions after which a chat will never take our messages again.
const DEAD_CHAT: &[&str] = &[
    "bot was blocked by the user",
    "user is deactivated",
    "chat not found",
    "bot was kicked",
    "bot is not a member",
    "bot can't initiate conversation",
    "group chat was deleted",
    "peer_id_invalid",
];

/// Classifies a Bot API error from its `error_code`, `description` and `retry_after`.
pub fn classify_api_error(
    error_code: u16,
    description: &str,
    retry_after: Option<u64>,
) -> SendError {
    let code = Some(error_code.to_string());
    let detail = snippet(description, 300);
    let lower = description.to_ascii_lowercase();
    match error_code {
        429 => SendError::retryable(P, retry_after.map(Duration::from_secs), code, detail),
        500..=599 => SendError::retryable(P, retry_after.map(Duration::from_secs), code, detail),
        400 | 403 if DEAD_CHAT.iter().any(|d| lower.contains(d)) => {
            SendError::dead(P, code, detail)
        }
        _ => SendError::permanent(P, code, detail),
    }
}

#[derive(Debug, Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    config: TelegramConfig,
}

impl TelegramClient {
    pub fn new(http: reqwest::Client, config: TelegramConfig) -> Self {
        Self { http, config }
    }

    /// getMe: the bot's own user (its `username` builds `t.me` links).
    pub async fn get_me(&self) -> Result<User, SendError> {
        self.call("getMe", &serde_json::json!({}), None).await
    }

    /// setWebhook with a secret token and the update kinds wanted.
    pub async fn set_webhook(
        &self,
        url: &str,
        secret_token: &SecretString,
        allowed_updates: &[&str],
    ) -> Result<bool, SendError> {
        let body = serde_json::json!({
            "url": url,
            "secret_token": secret_token.expose_secret(),
            "allowed_updates": allowed_updates,
        });
        self.call("setWebhook", &body, None).await
    }

    pub async fn delete_webhook(&self, drop_pending_updates: bool) -> Result<bool, SendError> {
        self.call(
            "deleteWebhook",
            &serde_json::json!({ "drop_pending_updates": drop_pending_updates }),
            None,
        )
        .await
    }

    /// getUpdates long poll; `timeout` seconds on Telegram's side (the HTTP timeout is longer).
    pub async fn get_updates(
        &self,
        offset: Option<i64>,
        timeout_secs: u32,
        allowed_updates: &[&str],
    ) -> Result<Vec<Update>, SendError> {
        let mut body =
            serde_json::json!({ "timeout": timeout_secs, "allowed_updates": allowed_updates });
        if let (Some(o), Some(map)) = (offset, body.as_object_mut()) {
            map.insert("offset".into(), o.into());
        }
        let http_timeout = Duration::from_secs(u64::from(timeout_secs) + 10);
        self.call("getUpdates", &body, Some(http_timeout)).await
    }

    pub async fn send_message(&self, msg: &SendMessage) -> Result<Message, SendError> {
        self.call("sendMessage", msg, None).await
    }

    /// editMessageText; "message is not modified" counts as success (returns `None`).
    pub async fn edit_message_text(
        &self,
        edit: &EditMessageText,
    ) -> Result<Option<Message>, SendError> {
        match self.call::<Message>("editMessageText", edit, None).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.code() == Some("400") && e.detail().contains("message is not modified") => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// answerCallbackQuery, with an optional notification text (0–200 characters).
    pub async fn answer_callback_query(
        &self,
        callback_query_id: &str,
        text: Option<&str>,
        show_alert: bool,
    ) -> Result<bool, SendError> {
        let mut body = serde_json::json!({ "callback_query_id": callback_query_id });
        if let Some(map) = body.as_object_mut() {
            if let Some(t) = text {
                map.insert("text".into(), t.into());
            }
            if show_alert {
                map.insert("show_alert".into(), true.into());
            }
        }
        self.call("answerCallbackQuery", &body, None).await
    }

    fn method_url(&self, method: &str) -> Result<Url, SendError> {
        let base = self.config.api_url.as_str().trim_end_matches('/');
        // The token is part of the path; never put this URL in an error or a log line.
        Url::parse(&format!(
            "{base}/bot{}/{method}",
            self.config.bot_token.expose_secret()
        ))
        .map_err(|_| SendError::permanent(P, None, "bad Bot API URL or token"))
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        body: &impl Serialize,
        timeout: Option<Duration>,
    ) -> Result<T, SendError> {
        let mut req = self.http.post(self.method_url(method)?).json(body);
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        let resp = req.send().await.map_err(|e| SendError::transport(P, e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| SendError::transport(P, e))?;
        let envelope: Envelope = match serde_json::from_str(&text) {
            Ok(e) => e,
            Err(_) => {
                let code = if status.is_success() {
                    502
                } else {
                    status.as_u16()
                };
                let detail = format!(
                    "{method}: not a Bot API answer (HTTP {status}): {}",
                    snippet(&text, 200)
                );
                return Err(classify_api_error(code, &detail, None));
            }
        };
        if !envelope.ok {
            let code = envelope.error_code.unwrap_or(status.as_u16());
            let params = envelope.parameters;
            let mut detail = envelope
                .description
                .unwrap_or_else(|| format!("{method} failed"));
            if let Some(to) = params.as_ref().and_then(|p| p.migrate_to_chat_id) {
                detail.push_str(&format!(" (chat migrated to {to})"));
            }
            return Err(classify_api_error(
                code,
                &detail,
                params.and_then(|p| p.retry_after),
            ));
        }
        let result = envelope.result.unwrap_or(serde_json::Value::Null);
        serde_json::from_value(result)
            .map_err(|e| SendError::permanent(P, None, format!("{method}: unexpected result: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let e = classify_api_error(429, "Too Many Requests: retry after 5", Some(5));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(5)));
        assert!(
            classify_api_error(403, "Forbidden: bot was blocked by the user", None)
                .is_destination_dead()
        );
        assert!(
            classify_api_error(403, "Forbidden: user is deactivated", None).is_destination_dead()
        );
        assert!(classify_api_error(400, "Bad Request: chat not found", None).is_destination_dead());
        assert!(matches!(
            classify_api_error(400, "Bad Request: can't parse entities", None),
            SendError::Permanent { .. }
        ));
        assert!(matches!(
            classify_api_error(401, "Unauthorized", None),
            SendError::Permanent { .. }
        ));
        assert!(classify_api_error(502, "Bad Gateway", None).is_retryable());
    }

    #[test]
    fn send_message_json() {
        let m = SendMessage {
            chat_id: 42,
            text: "<b>#1042</b>".into(),
            parse_mode: Some(ParseMode::Html),
            reply_markup: Some(InlineKeyboardMarkup {
                inline_keyboard: vec![vec![super::super::InlineKeyboardButton::callback(
                    "Accept 10",
                    "a:1042:10",
                )]],
            }),
        };
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            serde_json::json!({"chat_id": 42, "text": "<b>#1042</b>", "parse_mode": "HTML",
                "reply_markup": {"inline_keyboard": [[{"text": "Accept 10", "callback_data": "a:1042:10"}]]}})
        );
    }

    #[test]
    fn debug_hides_token() {
        let c = TelegramClient::new(
            reqwest::Client::new(),
            TelegramConfig {
                api_url: Url::parse("https://api.telegram.org").unwrap(),
                bot_token: SecretString::from("123:SECRET".to_owned()),
            },
        );
        assert!(!format!("{c:?}").contains("SECRET"));
    }
}
