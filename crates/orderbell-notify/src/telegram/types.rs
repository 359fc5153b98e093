//! The Bot API objects Orderbell reads and writes (https://core.telegram.org/bots/api).

use serde::{Deserialize, Serialize};

/// https://core.telegram.org/bots/api#user
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub is_bot: bool,
    pub first_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

/// https://core.telegram.org/bots/api#chat
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A message, or what an `InaccessibleMessage` in a callback query carries (chat,
/// `message_id`, `date` 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub message_id: i64,
    pub chat: Chat,
    #[serde(default)]
    pub date: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// https://core.telegram.org/bots/api#callbackquery
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackQuery {
    pub id: String,
    pub from: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// What an update is about; kinds Orderbell does not handle are [`UpdateKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateKind {
    Message(Message),
    CallbackQuery(CallbackQuery),
    Other,
}

/// https://core.telegram.org/bots/api#update
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RawUpdate")]
pub struct Update {
    pub update_id: i64,
    pub kind: UpdateKind,
}

#[derive(Deserialize)]
struct RawUpdate {
    update_id: i64,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    callback_query: Option<serde_json::Value>,
}

impl From<RawUpdate> for Update {
    fn from(raw: RawUpdate) -> Self {
        // A known kind whose body does not parse (a shape we don't model) is treated like an
        // unknown kind: acknowledged and ignored, never an error for the whole batch.
        let kind = if let Some(m) = raw.message.and_then(|v| serde_json::from_value(v).ok()) {
            UpdateKind::Message(m)
        } else if let Some(q) = raw
            .callback_query
            .and_then(|v| serde_json::from_value(v).ok())
        {
            UpdateKind::CallbackQuery(q)
        } else {
            UpdateKind::Other
        };
        Update {
            update_id: raw.update_id,
            kind,
        }
    }
}

/// https://core.telegram.org/bots/api#formatting-options
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParseMode {
    #[serde(rename = "HTML")]
    Html,
}

/// https://core.telegram.org/bots/api#inlinekeyboardmarkup
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineKeyboardMarkup {
    pub inline_keyboard: Vec<Vec<InlineKeyboardButton>>,
}

/// https://core.telegram.org/bots/api#inlinekeyboardbutton (the two kinds we use).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InlineKeyboardButton {
    pub text: String,
    /// 1–64 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl InlineKeyboardButton {
    pub fn callback(text: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            callback_data: Some(data.into()),
            url: None,
        }
    }

    pub fn url(text: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            callback_data: None,
            url: Some(url.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_message_callback_and_unknown_updates() {
        let updates: Vec<Update> = serde_json::from_str(
            r#"[
            {"update_id": 1, "message": {"message_id": 5, "date": 1700000000,
              "chat": {"id": 42, "type": "private", "first_name": "Kim"},
              "from": {"id": 42, "is_bot": false, "first_name": "Kim", "language_code": "ko"},
              "text": "/start abc"}},
            {"update_id": 2, "callback_query": {"id": "4382bfdwdsb323b2d9", "chat_instance": "-1",
              "from": {"id": 42, "is_bot": false, "first_name": "Kim"},
              "message": {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}},
              "data": "accept:1042:20"}},
            {"update_id": 3, "my_chat_member": {"chat": {"id": 42, "type": "private"}}},
            {"update_id": 4, "message": {"weird": true}}
        ]"#,
        )
        .unwrap();
        match &updates[0].kind {
            UpdateKind::Message(m) => {
                assert_eq!(m.chat.id, 42);
                assert_eq!(m.text.as_deref(), Some("/start abc"));
                assert_eq!(
                    m.from.as_ref().unwrap().language_code.as_deref(),
                    Some("ko")
                );
            }
            other => panic!("{other:?}"),
        }
        match &updates[1].kind {
            UpdateKind::CallbackQuery(q) => {
                assert_eq!(q.data.as_deref(), Some("accept:1042:20"));
                assert_eq!(q.message.as_ref().unwrap().message_id, 7);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(updates[2].kind, UpdateKind::Other);
        assert_eq!(updates[3].kind, UpdateKind::Other);
        assert_eq!(updates[3].update_id, 4);
    }
}
