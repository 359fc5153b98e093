//! Orderbell's outbound notification channels, as small libraries a dispatcher can drive.
//!
//! Each provider lives in its own module and takes its base URL from config, so tests (and
//! self-hosters behind a relay) can point it anywhere:
//!
//! - [`twilio`]: WhatsApp through Twilio's Messages API, escalation phone calls (Calls API and
//!   their TwiML), and `X-Twilio-Signature` verification.
//! - [`webpush`]: RFC 8291 `aes128gcm` encryption, RFC 8292 VAPID, sending, and the SSRF guard.
//! - [`fcm`]: Firebase Cloud Messaging HTTP v1 with a service-account OAuth2 token.
//! - [`telegram`]: the Bot API calls Orderbell uses, typed updates, webhook secret check.
//! - [`mail`]: account mail over SMTP (STARTTLS or TLS; plain only to a loopback relay).
//! - [`rate_limit`]: a keyed token bucket that answers "now" or "at" without blocking.
//! - [`templates`]: message texts, in the recipient's language from `orderbell_core::i18n`.
//!
//! Every send failure is a [`SendError`] that says what to do next: retry (maybe after a given
//! time), give up on this message, or give up on the destination for good.
//!
//! Nothing here logs; secrets are held in [`secrecy`] types and never appear in `Debug` output
//! or error messages (transport errors are stripped of their URL, which for Telegram holds the
//! bot token).

pub mod alert_texts;
pub mod error;
pub mod fcm;
mod http;
pub mod mail;
pub mod rate_limit;
pub mod telegram;
pub mod templates;
pub mod twilio;
pub mod webpush;

pub use error::{Provider, SendError};
pub use http::{DEFAULT_TIMEOUT, default_http_client, http_client};
pub use secrecy::{ExposeSecret, SecretString};
