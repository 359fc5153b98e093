//! Telegram Bot API: the calls Orderbell makes, typed updates, and the webhook secret check.
//!
//! Requests go to `{api_url}/bot{token}/{method}` as JSON; answers come in the envelope
//! `{ok, result, description, error_code, parameters: {retry_after, migrate_to_chat_id}}`.

mod client;
mod types;
mod webhook;

pub use client::{
    EditMessageText, SendMessage, TelegramClient, TelegramConfig, classify_api_error,
};
pub use types::{
    CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, ParseMode, Update,
    UpdateKind, User,
};
pub use webhook::{SECRET_HEADER, generate_secret_token, verify_webhook_secret};
