//! Sending one push message to one subscription (RFC 8030 §5).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, LOCATION};
use serde::{Deserialize, Serialize};

use super::encrypt::encrypt;
use super::guard::{EndpointError, EndpointPolicy, check_endpoint};
use super::keys::VapidKeyPair;
use super::vapid::vapid_authorization;
use crate::error::{Provider, SendError};
use crate::http::{retry_after, snippet};

const P: Provider = Provider::WebPush;

/// A browser's `PushSubscription.toJSON()`: endpoint plus `keys.p256dh` and `keys.auth`
/// (base64url).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// RFC 8030 §5.3 `Urgency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Urgency {
    VeryLow,
    Low,
    #[default]
    Normal,
    High,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::VeryLow => "very-low",
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
        }
    }
}

/// Per-message options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOptions {
    /// How long the push service may keep an undelivered message (`TTL`, seconds).
    pub ttl: Duration,
    pub urgency: Urgency,
    /// Replaces an undelivered message with the same topic (≤ 32 base64url characters).
    pub topic: Option<String>,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(3600),
            urgency: Urgency::Normal,
            topic: None,
        }
    }
}

/// Configuration of the sender.
#[derive(Debug, Clone)]
pub struct WebPushConfig {
    pub vapid: VapidKeyPair,
    /// `mailto:owner@shop.example` or an `https:` URL (RFC 8292 `sub`).
    pub subject: String,
    pub endpoint_policy: EndpointPolicy,
}

/// The push service accepted the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReceipt {
    /// The push message resource (`Location`), when the service gave one.
    pub location: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebPushClient {
    http: reqwest::Client,
    config: WebPushConfig,
    /// Signed VAPID headers by push-service origin, reused while they have over an hour left
    /// (RFC 8292 lets a JWT be reused until it expires): one ECDSA signature per push service
    /// every few hours instead of one per message.
    vapid_headers:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (String, SystemTime)>>>,
}

impl WebPushClient {
    /// Use [`super::guarded_http_client`] for `http` in production.
    pub fn new(http: reqwest::Client, config: WebPushConfig) -> Self {
        Self {
            http,
            config,
            vapid_headers: std::sync::Arc::default(),
        }
    }

    /// The `Authorization` header for an endpoint, signed anew only when the cached one for
    /// its origin has less than an hour left.
    fn authorization(&self, url: &url::Url) -> Result<String, super::vapid::VapidError> {
        const VALIDITY: Duration = Duration::from_secs(12 * 3600);
        const MARGIN: Duration = Duration::from_secs(3600);
        let origin = url.origin().ascii_serialization();
        let now = SystemTime::now();
        let mut cache = self
            .vapid_headers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((header, expires)) = cache.get(&origin) {
            if now + MARGIN < *expires {
                return Ok(header.clone());
            }
        }
        let header =
            vapid_authorization(&self.config.vapid, url, &self.config.subject, now, VALIDITY)?;
        if cache.len() >= 1024 {
            cache.clear();
        }
        cache.insert(origin, (header.clone(), now + VALIDITY));
        Ok(header)
    }

    pub fn vapid_public_key(&self) -> String {
        self.config.vapid.public_key_base64url()
    }

    /// Encrypts `payload` for the subscription and POSTs it to its endpoint.
    /// 404/410 mean the subscription is gone ([`SendError::DestinationDead`]).
    pub async fn send(
        &self,
        sub: &Subscription,
        payload: &[u8],
        opts: &PushOptions,
    ) -> Result<PushReceipt, SendError> {
        let url = check_endpoint(&sub.endpoint, self.config.endpoint_policy)
            .await
            .map_err(|e| match e {
                // DNS may come back; anything else about this endpoint never will.
                EndpointError::Unresolvable => SendError::retryable(
                    P,
                    None,
                    Some("endpoint_unresolvable".into()),
                    e.to_string(),
                ),
                _ => SendError::dead(P, Some("endpoint_refused".into()), e.to_string()),
            })?;
        let p256dh = decode_key(&sub.keys.p256dh)?;
        let auth = decode_key(&sub.keys.auth)?;
        let body = encrypt(payload, &p256dh, &auth)
            .map_err(|e| SendError::permanent(P, Some("encryption".into()), e.to_string()))?;
        let authorization = self
            .authorization(&url)
            .map_err(|e| SendError::permanent(P, Some("vapid".into()), e.to_string()))?;

        let mut req = self
            .http
            .post(url)
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header("TTL", opts.ttl.as_secs().to_string())
            .header("Urgency", opts.urgency.as_str());
        if let Some(topic) = &opts.topic {
            req = req.header("Topic", topic);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::transport(P, e))?;
        let status = resp.status();
        if status.is_success() {
            let location = resp
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            return Ok(PushReceipt { location });
        }
        let after = retry_after(resp.headers(), SystemTime::now());
        let text = resp.text().await.unwrap_or_default();
        Err(classify(status, after, &text))
    }
}

fn decode_key(s: &str) -> Result<Vec<u8>, SendError> {
    URL_SAFE_NO_PAD
        .decode(s.trim().trim_end_matches('='))
        .map_err(|_| {
            SendError::dead(
                P,
                Some("bad_subscription_keys".into()),
                "subscription keys are not base64url",
            )
        })
}

fn classify(status: StatusCode, retry_after: Option<Duration>, body: &str) -> SendError {
    let code = Some(status.as_u16().to_string());
    let detail = format!("HTTP {status}: {}", snippet(body, 200));
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => SendError::dead(P, code, detail),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
            SendError::retryable(P, retry_after, code, detail)
        }
        s if s.is_server_error() => SendError::retryable(P, retry_after, code, detail),
        _ => SendError::permanent(P, code, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert!(classify(StatusCode::GONE, None, "").is_destination_dead());
        assert!(classify(StatusCode::NOT_FOUND, None, "").is_destination_dead());
        let e = classify(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(9)),
            "slow down",
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(9)));
        assert!(classify(StatusCode::SERVICE_UNAVAILABLE, None, "").is_retryable());
        assert!(matches!(
            classify(StatusCode::PAYLOAD_TOO_LARGE, None, ""),
            SendError::Permanent { .. }
        ));
        assert!(matches!(
            classify(StatusCode::FORBIDDEN, None, ""),
            SendError::Permanent { .. }
        ));
    }

    #[test]
    fn subscription_json_shape() {
        let s: Subscription = serde_json::from_str(
            r#"{"endpoint":"https://push.example/x","expirationTime":null,"keys":{"p256dh":"BP","auth":"AA"}}"#,
        )
        .unwrap();
        assert_eq!(s.keys.auth, "AA");
    }
}
