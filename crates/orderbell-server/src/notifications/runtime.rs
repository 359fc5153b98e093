//! The module's own state per server: provider clients, rate limits, the VAPID key, the
//! Telegram bot's name and webhook secret, and the dispatcher's wake-up. Built once with the
//! shared `AppState` (`app::state`) and held in it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use orderbell_notify::fcm::{FcmClient, FcmConfig, ServiceAccount, SystemClock, TokenProvider};
use orderbell_notify::mail::Mailer;
use orderbell_notify::rate_limit::{Limiter, Quota, TelegramLimits};
use orderbell_notify::telegram::{TelegramClient, TelegramConfig, generate_secret_token};
use orderbell_notify::twilio::{RequestValidator, TwilioClient, TwilioConfig};
use orderbell_notify::webpush::{
    EndpointPolicy, VapidKeyPair, WebPushClient, WebPushConfig, guarded_http_client,
};
use orderbell_notify::{ExposeSecret, SecretString};
use tokio::sync::{Notify, OnceCell};

use super::config::{NotificationsConfig, TelegramMode, TwilioSettings};
use crate::state::AppState;

pub const SETTING_VAPID_KEY: &str = "vapid_private_key";
pub const SETTING_TELEGRAM_SECRET: &str = "telegram_webhook_secret";
pub const SETTING_TELEGRAM_USERNAME: &str = "telegram_bot_username";

pub struct Telegram {
    pub client: TelegramClient,
    pub mode: TelegramMode,
    username: OnceCell<String>,
    secret: OnceCell<SecretString>,
    pub limits: Mutex<TelegramLimits>,
}

pub struct Twilio {
    pub client: TwilioClient,
    pub validator: RequestValidator,
    pub settings: TwilioSettings,
    pub limit: Mutex<Limiter>,
}

pub struct WebPush {
    http: reqwest::Client,
    pub policy: EndpointPolicy,
    client: OnceCell<WebPushClient>,
}

/// Everything the notifications module keeps for one server.
pub struct Notifier {
    pub telegram: Option<Telegram>,
    pub twilio: Option<Twilio>,
    pub webpush: WebPush,
    pub fcm: Option<FcmClient>,
    /// Account mail (`[mail]`); `None` when no relay is configured.
    pub mailer: Option<Mailer>,
    /// Push sends (Web Push and FCM together).
    pub push_limit: Mutex<Limiter>,
    /// Rings the dispatcher: new rows may be due.
    pub wake: Notify,
}

impl Notifier {
    /// This server's notifier (built with the state, `app::state`).
    pub fn of(state: &AppState) -> anyhow::Result<Arc<Notifier>> {
        state.notifier.clone().map_err(anyhow::Error::msg)
    }

    pub fn build(config: &NotificationsConfig) -> anyhow::Result<Notifier> {
        let http = orderbell_notify::http_client(config.dispatch.provider_timeout)
            .context("building the HTTP client")?;
        let d = &config.dispatch;
        let telegram = config.telegram.as_ref().map(|t| Telegram {
            client: TelegramClient::new(
                http.clone(),
                TelegramConfig {
                    api_url: t.api_url.clone(),
                    bot_token: t.bot_token.clone(),
                },
            ),
            mode: t.mode,
            username: OnceCell::new(),
            secret: OnceCell::new(),
            // No burst: "30 a second" must hold in every one-second window, not just on average.
            limits: Mutex::new(TelegramLimits::new(
                Quota::every(Duration::from_secs(1) / d.telegram_per_second.max(1)),
                Quota::every(d.telegram_per_chat_interval),
            )),
        });
        let twilio = config.twilio.as_ref().map(|t| Twilio {
            client: TwilioClient::new(
                http.clone(),
                TwilioConfig {
                    api_url: t.api_url.clone(),
                    account_sid: t.account_sid.clone(),
                    auth_token: t.auth_token.clone(),
                    whatsapp_from: t.whatsapp_from.clone(),
                    voice_from: t.voice_from.clone(),
                    status_callback: Some(format!("{}/webhooks/twilio/status", config.public_url)),
                },
            ),
            validator: RequestValidator::new(t.auth_token.clone()),
            settings: t.clone(),
            limit: Mutex::new(Limiter::new(Quota::per_second(t.messages_per_second))),
        });
        let policy = EndpointPolicy {
            allow_http_endpoints: config.webpush.allow_http_endpoints,
        };
        if policy.allow_http_endpoints {
            tracing::warn!(
                "ORDERBELL_DEV_ALLOW_HTTP_ENDPOINTS is on: push endpoints may be http and private addresses \
                 (server-side request forgery guard OFF; for tests only)"
            );
        }
        let fcm = match &config.fcm {
            None => None,
            Some(f) => {
                let json = std::fs::read_to_string(&f.service_account_file).with_context(|| {
                    format!(
                        "reading the FCM service account file {}",
                        f.service_account_file.display()
                    )
                })?;
                let account =
                    ServiceAccount::from_json(&json).context("the FCM service account file")?;
                let tokens = TokenProvider::new(http.clone(), account, Arc::new(SystemClock));
                Some(FcmClient::new(
                    http.clone(),
                    FcmConfig {
                        api_url: f.api_url.clone(),
                    },
                    tokens,
                ))
            }
        };
        let mailer = match &config.mail {
            Some(m) => Some(
                Mailer::new(
                    &m.relay,
                    &m.from,
                    &m.ca_pem,
                    config.dispatch.provider_timeout,
                )
                .context("[mail]")?,
            ),
            None => None,
        };
        Ok(Notifier {
            telegram,
            twilio,
            mailer,
            webpush: WebPush {
                http: guarded_http_client(policy, config.dispatch.provider_timeout)
                    .context("building the push HTTP client")?,
                policy,
                client: OnceCell::new(),
            },
            fcm,
            push_limit: Mutex::new(Limiter::new(Quota::per_second(d.push_per_second))),
            wake: Notify::new(),
        })
    }
}

impl Telegram {
    /// The bot's username (getMe once, then remembered; also kept in settings for the CLI).
    pub async fn username(&self, state: &AppState) -> anyhow::Result<String> {
        self.username
            .get_or_try_init(|| async {
                let me = self.client.get_me().await.context("Telegram getMe")?;
                let name = me
                    .username
                    .context("Telegram getMe answered a bot without a username")?;
                // For `orderbell telegram link`, which runs without the server.
                if let Err(e) = state
                    .store
                    .setting_init(SETTING_TELEGRAM_USERNAME, &name)
                    .await
                {
                    tracing::warn!(error = %e, "could not remember the bot's username");
                }
                Ok(name)
            })
            .await
            .cloned()
    }

    /// The webhook's secret token: generated once and kept in settings so every instance agrees.
    pub async fn secret(&self, state: &AppState) -> anyhow::Result<&SecretString> {
        self.secret
            .get_or_try_init(|| async {
                let fresh = generate_secret_token();
                let stored = state
                    .store
                    .setting_init(SETTING_TELEGRAM_SECRET, fresh.expose_secret())
                    .await
                    .context("reading the Telegram webhook secret")?;
                Ok::<_, anyhow::Error>(SecretString::from(stored))
            })
            .await
    }

    /// Takes a send token for a chat, or says when one will be there.
    pub fn acquire(&self, chat: i64, now: Instant) -> Result<(), Instant> {
        self.limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .try_acquire(chat, now)
    }
}

impl WebPush {
    /// The sender with this server's VAPID key (from config, or generated at first start and
    /// kept in settings).
    pub async fn client(&self, state: &AppState) -> anyhow::Result<&WebPushClient> {
        self.client
            .get_or_try_init(|| async {
                let settings = &state.config.notifications.webpush;
                let key = match &settings.vapid_private_key {
                    Some(k) => VapidKeyPair::from_base64url(k.expose_secret())
                        .context("the VAPID private key")?,
                    None => {
                        let fresh = VapidKeyPair::generate();
                        let stored = state
                            .store
                            .setting_init(
                                SETTING_VAPID_KEY,
                                fresh.private_key_base64url().expose_secret(),
                            )
                            .await
                            .context("reading the VAPID key")?;
                        VapidKeyPair::from_base64url(&stored)
                            .context("the stored VAPID private key")?
                    }
                };
                let subject = settings.subject.clone().unwrap_or_else(|| {
                    if state.config.public_url.starts_with("https://") {
                        state.config.public_url.clone()
                    } else {
                        "mailto:admin@orderbell.invalid".to_owned()
                    }
                });
                Ok::<_, anyhow::Error>(WebPushClient::new(
                    self.http.clone(),
                    WebPushConfig {
                        vapid: key,
                        subject,
                        endpoint_policy: self.policy,
                    },
                ))
            })
            .await
    }
}

/// Takes a token from a single bucket, or says when one will be there.
pub fn acquire(limit: &Mutex<Limiter>, now: Instant) -> Result<(), Instant> {
    limit
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .try_acquire(now)
}
