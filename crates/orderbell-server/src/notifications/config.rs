//! Notification settings: `[telegram]`, `[twilio]`, `[webpush]`, `[fcm]` and `[notifications]`
//! of the TOML file, overridden by their `ORDERBELL_*` variables; secrets may also come from
//! `ORDERBELL_<NAME>_FILE`. Unknown keys are an error.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use orderbell_notify::mail::SmtpUrl;
use orderbell_notify::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::config::secret_from_file;

const TELEGRAM_API: &str = "https://api.telegram.org";
const TWILIO_API: &str = "https://api.twilio.com";
const FCM_API: &str = "https://fcm.googleapis.com";

/// How Telegram updates reach us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    /// Telegram POSTs to `{public_url}/webhooks/telegram` (needs https).
    Webhook,
    /// We long-poll getUpdates (no public URL needed).
    Polling,
}

#[derive(Debug, Clone)]
pub struct TelegramSettings {
    pub api_url: Url,
    pub bot_token: SecretString,
    pub mode: TelegramMode,
}

#[derive(Debug, Clone)]
pub struct TwilioSettings {
    pub api_url: Url,
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The WhatsApp sender (`+14155238886`, the sandbox number, or your own); empty when only
    /// voice calls are set up.
    pub whatsapp_from: String,
    /// The number escalation calls come from (a Twilio voice number); calls are off without it.
    pub voice_from: Option<String>,
    /// Approved Content templates (`HX…`) per message kind, for messages outside the 24-hour
    /// window: `new_order`, `accepted`, `ready`, `rejected`, `cancelled`, `completed`, `missed`.
    pub templates: BTreeMap<String, String>,
    /// Messages per second to Twilio (the sender's throughput).
    pub messages_per_second: u32,
}

#[derive(Debug, Clone, Default)]
pub struct WebPushSettings {
    /// From config; otherwise generated at first start and kept in the database.
    pub vapid_private_key: Option<SecretString>,
    /// VAPID `sub`: `mailto:` or `https:`.
    pub subject: Option<String>,
    /// Dev/test only: allow http and non-public push endpoints.
    pub allow_http_endpoints: bool,
}

/// Account mail (`[mail]`): the SMTP relay and the sender.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub relay: SmtpUrl,
    /// `Orderbell <bell@example.com>` or a bare address.
    pub from: String,
    /// Extra CA certificates (PEM) to trust for the relay (`[mail] ca_file`).
    pub ca_pem: Vec<Vec<u8>>,
}

#[derive(Debug, Clone)]
pub struct FcmSettings {
    pub service_account_file: PathBuf,
    pub api_url: Url,
}

/// The dispatcher's knobs.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How often to look for due rows when no wake-up came.
    pub poll_interval: Duration,
    /// Rows claimed at once.
    pub batch_size: usize,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// How long a claim is held before another dispatcher may take the row.
    pub lease: Duration,
    /// First retry delay; doubles each attempt, with jitter, up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Attempts before a notification is `failed`.
    pub max_attempts: u32,
    /// After this long since it was queued, a notification is not retried any more.
    pub retry_window: Duration,
    /// A rate-limited send waits in memory up to this long; longer, it goes back to the queue.
    pub max_inline_wait: Duration,
    /// Telegram per-bot and per-chat limits (messages per second).
    pub telegram_per_second: u32,
    pub telegram_per_chat_interval: Duration,
    /// Web Push / FCM sends per second (all destinations together).
    pub push_per_second: u32,
    /// Webhook log retention.
    pub webhook_log_days: u32,
    pub webhook_log_max_rows: u32,
    /// How long a member's link code is valid.
    pub link_code_ttl: Duration,
    /// How long a provider may take to answer one request before it counts as a (retried)
    /// timeout.
    pub provider_timeout: Duration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            poll_interval: Duration::from_secs(1),
            batch_size: 256,
            concurrency: 256,
            lease: Duration::from_secs(60),
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(300),
            max_attempts: 12,
            retry_window: Duration::from_secs(3600),
            max_inline_wait: Duration::from_secs(2),
            telegram_per_second: 30,
            telegram_per_chat_interval: Duration::from_secs(1),
            push_per_second: 10_000,
            webhook_log_days: 7,
            webhook_log_max_rows: 100_000,
            link_code_ttl: Duration::from_secs(1800),
            provider_timeout: orderbell_notify::DEFAULT_TIMEOUT,
        }
    }
}

/// Notification settings.
#[derive(Debug, Clone, Default)]
pub struct NotificationsConfig {
    /// Where people reach this server (webhook URLs, Twilio signatures, links).
    pub public_url: String,
    pub telegram: Option<TelegramSettings>,
    pub twilio: Option<TwilioSettings>,
    pub webpush: WebPushSettings,
    pub fcm: Option<FcmSettings>,
    pub dispatch: DispatchSettings,
    /// Off (no account mail) without `ORDERBELL_SMTP_URL`.
    pub mail: Option<MailSettings>,
}

/// The raw TOML sections this module reads.
#[derive(Debug, Default)]
pub struct Sections<'a> {
    pub telegram: Option<&'a toml::Value>,
    pub twilio: Option<&'a toml::Value>,
    pub webpush: Option<&'a toml::Value>,
    pub fcm: Option<&'a toml::Value>,
    pub notifications: Option<&'a toml::Value>,
    pub mail: Option<&'a toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TelegramFile {
    bot_token: Option<String>,
    api_url: Option<String>,
    mode: Option<TelegramMode>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TwilioFile {
    account_sid: Option<String>,
    auth_token: Option<String>,
    whatsapp_from: Option<String>,
    voice_from: Option<String>,
    api_url: Option<String>,
    messages_per_second: Option<u32>,
    #[serde(default)]
    templates: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebPushFile {
    vapid_private_key: Option<String>,
    subject: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailFile {
    smtp_url: Option<String>,
    from: Option<String>,
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FcmFile {
    service_account_file: Option<PathBuf>,
    api_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DispatchFile {
    poll_interval_ms: Option<u64>,
    batch_size: Option<usize>,
    concurrency: Option<usize>,
    lease_seconds: Option<u64>,
    retry_base_ms: Option<u64>,
    retry_max_seconds: Option<u64>,
    max_attempts: Option<u32>,
    retry_window_minutes: Option<u64>,
    telegram_messages_per_second: Option<u32>,
    push_per_second: Option<u32>,
    webhook_log_days: Option<u32>,
    webhook_log_max_rows: Option<u32>,
    link_code_minutes: Option<u64>,
    provider_timeout_seconds: Option<u64>,
}

fn section<T: Default + for<'de> Deserialize<'de>>(
    value: Option<&toml::Value>,
    name: &str,
) -> anyhow::Result<T> {
    match value {
        None => Ok(T::default()),
        Some(v) => v.clone().try_into().with_context(|| format!("in [{name}]")),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(format!("ORDERBELL_{name}"))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// A secret: `ORDERBELL_<NAME>`, else `ORDERBELL_<NAME>_FILE`, else the file's key.
fn secret(name: &str, file: Option<String>) -> anyhow::Result<Option<SecretString>> {
    if let Some(v) = env(name) {
        return Ok(Some(SecretString::from(v)));
    }
    if let Some(v) = secret_from_file(name)? {
        return Ok(Some(SecretString::from(v)));
    }
    Ok(file.map(SecretString::from))
}

fn url(name: &str, text: &str) -> anyhow::Result<Url> {
    let parsed =
        Url::parse(text.trim()).with_context(|| format!("{name} {text:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{name} must be an http(s) URL");
    }
    Ok(parsed)
}

fn flag(name: &str) -> bool {
    env(name).is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

impl NotificationsConfig {
    /// Reads every section, in the order of the file's documentation: the first problem is the
    /// error.
    pub fn load(sections: Sections<'_>, public_url: &str) -> anyhow::Result<NotificationsConfig> {
        Ok(NotificationsConfig {
            public_url: public_url.trim_end_matches('/').to_owned(),
            telegram: TelegramSettings::load(sections.telegram, public_url)?,
            twilio: TwilioSettings::load(sections.twilio)?,
            webpush: WebPushSettings::load(sections.webpush)?,
            fcm: FcmSettings::load(sections.fcm)?,
            dispatch: DispatchSettings::load(sections.notifications)?,
            mail: MailSettings::load(sections.mail)?,
        })
    }
}

impl MailSettings {
    /// `[mail]`: off without an SMTP URL (`ORDERBELL_SMTP_URL`, `_FILE`, or `smtp_url`); with
    /// one, a sender (`ORDERBELL_MAIL_FROM` or `from`) is needed too.
    fn load(value: Option<&toml::Value>) -> anyhow::Result<Option<MailSettings>> {
        let m: MailFile = section(value, "mail")?;
        let Some(url) = secret("SMTP_URL", m.smtp_url)? else {
            return Ok(None);
        };
        let relay = SmtpUrl::parse(url.expose_secret()).context("ORDERBELL_SMTP_URL")?;
        let Some(from) = env("MAIL_FROM").or(m.from) else {
            bail!(
                "ORDERBELL_MAIL_FROM (or [mail] from) is needed with an SMTP URL: the sender of account mail"
            );
        };
        let ca_pem = match env("SMTP_CA_FILE").map(PathBuf::from).or(m.ca_file) {
            Some(path) => vec![std::fs::read(&path).with_context(|| {
                format!("reading the relay's CA certificate {}", path.display())
            })?],
            None => vec![],
        };
        Ok(Some(MailSettings {
            relay,
            from,
            ca_pem,
        }))
    }
}

impl TelegramSettings {
    /// `[telegram]`: off without a bot token. Webhooks need an https public URL (or another API
    /// URL, a stand-in); polling is the default otherwise.
    fn load(
        value: Option<&toml::Value>,
        public_url: &str,
    ) -> anyhow::Result<Option<TelegramSettings>> {
        let tg: TelegramFile = section(value, "telegram")?;
        let Some(bot_token) = secret("TELEGRAM_BOT_TOKEN", tg.bot_token)? else {
            return Ok(None);
        };
        let https = public_url.starts_with("https://");
        let api_text = env("TELEGRAM_API_URL").or(tg.api_url);
        let overridden = api_text
            .as_deref()
            .is_some_and(|u| u.trim_end_matches('/') != TELEGRAM_API);
        let api_url = url(
            "the Telegram API URL",
            api_text.as_deref().unwrap_or(TELEGRAM_API),
        )?;
        let mode = match env("TELEGRAM_MODE") {
            Some(m) => match m.to_ascii_lowercase().as_str() {
                "webhook" => Some(TelegramMode::Webhook),
                "polling" => Some(TelegramMode::Polling),
                other => bail!("ORDERBELL_TELEGRAM_MODE must be webhook or polling, not {other:?}"),
            },
            None => tg.mode,
        };
        let mode = match mode {
            Some(TelegramMode::Webhook) if !https && !overridden => bail!(
                "Telegram delivers webhooks only over https, and the public URL {public_url} is http: \
                 set an https public URL, or ORDERBELL_TELEGRAM_MODE=polling"
            ),
            Some(m) => m,
            None if https || overridden => TelegramMode::Webhook,
            None => TelegramMode::Polling,
        };
        Ok(Some(TelegramSettings {
            api_url,
            bot_token,
            mode,
        }))
    }
}

impl TwilioSettings {
    /// `[twilio]`: off when nothing is set; otherwise the account SID, the auth token and a
    /// sender are all needed, and templates must name known message kinds.
    fn load(value: Option<&toml::Value>) -> anyhow::Result<Option<TwilioSettings>> {
        let tw: TwilioFile = section(value, "twilio")?;
        let account_sid = env("TWILIO_ACCOUNT_SID").or(tw.account_sid);
        let auth_token = secret("TWILIO_AUTH_TOKEN", tw.auth_token)?;
        let whatsapp_from = env("TWILIO_WHATSAPP_FROM").or(tw.whatsapp_from);
        let voice_from = env("TWILIO_VOICE_FROM").or(tw.voice_from);
        let sender = whatsapp_from.is_some() || voice_from.is_some();
        match (account_sid, auth_token, sender) {
            (None, None, false) => Ok(None),
            (Some(account_sid), Some(auth_token), true) => {
                for (kind, sid) in &tw.templates {
                    if !NOTIFY_KINDS.contains(&kind.as_str()) {
                        bail!(
                            "[twilio.templates]: unknown message kind {kind:?} (one of {NOTIFY_KINDS:?})"
                        );
                    }
                    if !sid.starts_with("HX") {
                        bail!("[twilio.templates] {kind}: a Content SID starts with HX");
                    }
                }
                Ok(Some(TwilioSettings {
                    api_url: url(
                        "the Twilio API URL",
                        &env("TWILIO_API_URL")
                            .or(tw.api_url)
                            .unwrap_or_else(|| TWILIO_API.into()),
                    )?,
                    account_sid,
                    auth_token,
                    whatsapp_from: whatsapp_from.unwrap_or_default(),
                    voice_from,
                    templates: tw.templates,
                    messages_per_second: tw.messages_per_second.unwrap_or(80).max(1),
                }))
            }
            _ => bail!(
                "Twilio needs the account SID, the auth token and a WhatsApp sender or a voice number \
                 (ORDERBELL_TWILIO_ACCOUNT_SID, ORDERBELL_TWILIO_AUTH_TOKEN, ORDERBELL_TWILIO_WHATSAPP_FROM / \
                 ORDERBELL_TWILIO_VOICE_FROM)"
            ),
        }
    }
}

impl WebPushSettings {
    /// `[webpush]`: a VAPID private key given in config must be a valid one.
    fn load(value: Option<&toml::Value>) -> anyhow::Result<WebPushSettings> {
        let wp: WebPushFile = section(value, "webpush")?;
        let webpush = WebPushSettings {
            vapid_private_key: secret("VAPID_PRIVATE_KEY", wp.vapid_private_key)?,
            subject: wp.subject,
            allow_http_endpoints: flag("DEV_ALLOW_HTTP_ENDPOINTS"),
        };
        if let Some(key) = &webpush.vapid_private_key {
            use orderbell_notify::ExposeSecret;
            orderbell_notify::webpush::VapidKeyPair::from_base64url(key.expose_secret())
                .context("the VAPID private key")?;
        }
        Ok(webpush)
    }
}

impl FcmSettings {
    /// `[fcm]`: off without a service account file.
    fn load(value: Option<&toml::Value>) -> anyhow::Result<Option<FcmSettings>> {
        let fc: FcmFile = section(value, "fcm")?;
        let Some(file) = env("FCM_SERVICE_ACCOUNT_FILE")
            .map(PathBuf::from)
            .or(fc.service_account_file)
        else {
            return Ok(None);
        };
        Ok(Some(FcmSettings {
            service_account_file: file,
            api_url: url(
                "the FCM API URL",
                &env("FCM_API_URL")
                    .or(fc.api_url)
                    .unwrap_or_else(|| FCM_API.into()),
            )?,
        }))
    }
}

impl DispatchSettings {
    /// `[notifications]`: the defaults, with what the section sets (within bounds).
    fn load(value: Option<&toml::Value>) -> anyhow::Result<DispatchSettings> {
        let d: DispatchFile = section(value, "notifications")?;
        let def = DispatchSettings::default();
        let dispatch = DispatchSettings {
            poll_interval: d
                .poll_interval_ms
                .map_or(def.poll_interval, Duration::from_millis),
            batch_size: d.batch_size.unwrap_or(def.batch_size).clamp(1, 2000),
            concurrency: d.concurrency.unwrap_or(def.concurrency).clamp(1, 4096),
            lease: d.lease_seconds.map_or(def.lease, Duration::from_secs),
            retry_base: d
                .retry_base_ms
                .map_or(def.retry_base, Duration::from_millis),
            retry_max: d
                .retry_max_seconds
                .map_or(def.retry_max, Duration::from_secs),
            max_attempts: d.max_attempts.unwrap_or(def.max_attempts).max(1),
            retry_window: d
                .retry_window_minutes
                .map_or(def.retry_window, |m| Duration::from_secs(60 * m)),
            telegram_per_second: d
                .telegram_messages_per_second
                .unwrap_or(def.telegram_per_second)
                .max(1),
            push_per_second: d.push_per_second.unwrap_or(def.push_per_second).max(1),
            webhook_log_days: d.webhook_log_days.unwrap_or(def.webhook_log_days),
            webhook_log_max_rows: d.webhook_log_max_rows.unwrap_or(def.webhook_log_max_rows),
            link_code_ttl: d
                .link_code_minutes
                .map_or(def.link_code_ttl, |m| Duration::from_secs(60 * m.max(1))),
            provider_timeout: d
                .provider_timeout_seconds
                .map_or(def.provider_timeout, |s| {
                    Duration::from_secs(s.clamp(1, 300))
                }),
            ..def
        };
        if dispatch.lease < Duration::from_secs(5) {
            bail!("[notifications] lease_seconds must be at least 5");
        }
        if dispatch.provider_timeout >= dispatch.lease {
            bail!(
                "[notifications] provider_timeout_seconds ({}) must be shorter than lease_seconds ({}): a send must end before its claim does",
                dispatch.provider_timeout.as_secs(),
                dispatch.lease.as_secs()
            );
        }
        Ok(dispatch)
    }
}

/// Message kinds that can have a WhatsApp template.
pub const NOTIFY_KINDS: [&str; 10] = [
    "new_order",
    "accepted",
    "ready",
    "rejected",
    "cancelled",
    "completed",
    "missed",
    "reminder",
    "paused",
    "unheard",
];
