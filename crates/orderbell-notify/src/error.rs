//! The one failure type every provider's send returns, classified for a dispatcher.

use std::fmt;
use std::time::Duration;

/// Which provider a failure came from (for logs and delivery records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Telegram,
    Twilio,
    WebPush,
    Fcm,
    /// The SMTP relay (account mail).
    Smtp,
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::Telegram => "telegram",
            Provider::Twilio => "twilio",
            Provider::WebPush => "webpush",
            Provider::Fcm => "fcm",
            Provider::Smtp => "smtp",
        })
    }
}

/// A failed provider call, classified by what the caller should do next.
///
/// `code` is the provider's own error code when it gave one (Twilio `63016`, FCM
/// `UNREGISTERED`, Telegram `403`, an HTTP status otherwise); `detail` is a human sentence
/// without secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Temporary: timeouts, connection errors, 5xx, 429. Try again, not before `retry_after`
    /// when the provider said so.
    #[error("{provider}: temporary failure{}: {detail}", fmt_code(.code))]
    Retryable {
        provider: Provider,
        retry_after: Option<Duration>,
        code: Option<String>,
        detail: String,
    },
    /// This message will never succeed as it is (bad request, bad credentials, content refused).
    #[error("{provider}: refused{}: {detail}", fmt_code(.code))]
    Permanent {
        provider: Provider,
        code: Option<String>,
        detail: String,
    },
    /// The destination is gone (bot blocked, push subscription expired, FCM token
    /// unregistered): stop using it.
    #[error("{provider}: destination is gone{}: {detail}", fmt_code(.code))]
    DestinationDead {
        provider: Provider,
        code: Option<String>,
        detail: String,
    },
}

fn fmt_code(code: &Option<String>) -> String {
    match code {
        Some(c) => format!(" ({c})"),
        None => String::new(),
    }
}

impl SendError {
    pub fn provider(&self) -> Provider {
        match self {
            SendError::Retryable { provider, .. }
            | SendError::Permanent { provider, .. }
            | SendError::DestinationDead { provider, .. } => *provider,
        }
    }

    /// The provider's error code, if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            SendError::Retryable { code, .. }
            | SendError::Permanent { code, .. }
            | SendError::DestinationDead { code, .. } => code.as_deref(),
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            SendError::Retryable { detail, .. }
            | SendError::Permanent { detail, .. }
            | SendError::DestinationDead { detail, .. } => detail,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable { .. })
    }

    pub fn is_destination_dead(&self) -> bool {
        matches!(self, SendError::DestinationDead { .. })
    }

    /// The earliest time to try again that the provider asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SendError::Retryable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn retryable(
        provider: Provider,
        retry_after: Option<Duration>,
        code: Option<String>,
        detail: impl Into<String>,
    ) -> Self {
        SendError::Retryable {
            provider,
            retry_after,
            code,
            detail: detail.into(),
        }
    }

    pub(crate) fn permanent(
        provider: Provider,
        code: Option<String>,
        detail: impl Into<String>,
    ) -> Self {
        SendError::Permanent {
            provider,
            code,
            detail: detail.into(),
        }
    }

    pub(crate) fn dead(
        provider: Provider,
        code: Option<String>,
        detail: impl Into<String>,
    ) -> Self {
        SendError::DestinationDead {
            provider,
            code,
            detail: detail.into(),
        }
    }

    /// A failure below HTTP (connect, timeout, TLS, reading the body). The URL is stripped:
    /// Telegram's holds the bot token.
    pub(crate) fn transport(provider: Provider, err: reqwest::Error) -> Self {
        let builder = err.is_builder();
        let err = err.without_url();
        if builder {
            SendError::permanent(provider, None, format!("could not build request: {err}"))
        } else {
            SendError::retryable(provider, None, None, format!("transport: {err}"))
        }
    }
}
