//! POST {fcm_api_url}/v1/projects/{project_id}/messages:send

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde::Deserialize;
use url::Url;

use super::token::TokenProvider;
use crate::error::{Provider, SendError};
use crate::http::{retry_after, snippet};

const P: Provider = Provider::Fcm;

#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// `https://fcm.googleapis.com` in production (`ORDERBELL_FCM_API_URL`).
    pub api_url: Url,
}

/// One notification to one registration token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcmMessage {
    pub token: String,
    pub title: String,
    pub body: String,
    /// Delivered to the app as strings (FCM requires string values).
    pub data: BTreeMap<String, String>,
    /// Time to live for Android/Web Push; `None` = FCM's default (4 weeks).
    pub ttl: Option<Duration>,
}

impl FcmMessage {
    /// The `messages:send` request body: notification + data, high priority on Android,
    /// immediate delivery on APNs (`apns-priority: 10`, default sound) and `Urgency: high`
    /// for Web Push.
    pub fn to_json(&self) -> serde_json::Value {
        let mut android = serde_json::json!({ "priority": "high" });
        let mut webpush_headers = serde_json::json!({ "Urgency": "high" });
        if let Some(ttl) = self.ttl {
            android["ttl"] = format!("{}s", ttl.as_secs()).into();
            webpush_headers["TTL"] = ttl.as_secs().to_string().into();
        }
        serde_json::json!({
            "message": {
                "token": self.token,
                "notification": { "title": self.title, "body": self.body },
                "data": self.data,
                "android": android,
                "apns": {
                    "headers": { "apns-priority": "10", "apns-push-type": "alert" },
                    "payload": { "aps": { "sound": "default" } }
                },
                "webpush": { "headers": webpush_headers }
            }
        })
    }
}

#[derive(Deserialize)]
struct SendResponse {
    name: String,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<ErrorDetail>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "errorCode", default)]
    error_code: Option<String>,
}

/// Maps an FCM v1 error (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode).
pub fn classify_fcm_error(
    status: StatusCode,
    body: &str,
    retry_after: Option<Duration>,
) -> SendError {
    let parsed = serde_json::from_str::<ErrorEnvelope>(body)
        .ok()
        .map(|e| e.error);
    let fcm_code = parsed
        .as_ref()
        .and_then(|e| e.details.iter().find_map(|d| d.error_code.clone()));
    let code = fcm_code
        .clone()
        .or_else(|| {
            parsed
                .as_ref()
                .map(|e| e.status.clone())
                .filter(|s| !s.is_empty())
        })
        .or_else(|| Some(status.as_u16().to_string()));
    let detail = match &parsed {
        Some(e) if !e.message.is_empty() => e.message.clone(),
        _ => format!("HTTP {status}: {}", snippet(body, 200)),
    };
    match fcm_code.as_deref() {
        Some("UNREGISTERED") | Some("SENDER_ID_MISMATCH") => {
            return SendError::dead(P, code, detail);
        }
        Some("QUOTA_EXCEEDED") | Some("UNAVAILABLE") | Some("INTERNAL") => {
            return SendError::retryable(P, retry_after, code, detail);
        }
        Some("INVALID_ARGUMENT") | Some("THIRD_PARTY_AUTH_ERROR") => {
            return SendError::permanent(P, code, detail);
        }
        _ => {}
    }
    match status {
        StatusCode::NOT_FOUND => SendError::dead(P, code, detail),
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::INTERNAL_SERVER_ERROR => SendError::retryable(P, retry_after, code, detail),
        // Our access token expired or was revoked early: a fresh one may work.
        StatusCode::UNAUTHORIZED => SendError::retryable(P, None, code, detail),
        s if s.is_server_error() => SendError::retryable(P, retry_after, code, detail),
        _ => SendError::permanent(P, code, detail),
    }
}

#[derive(Debug, Clone)]
pub struct FcmClient {
    http: reqwest::Client,
    config: FcmConfig,
    tokens: TokenProvider,
}

impl FcmClient {
    pub fn new(http: reqwest::Client, config: FcmConfig, tokens: TokenProvider) -> Self {
        Self {
            http,
            config,
            tokens,
        }
    }

    /// Sends one message; returns FCM's message name (`projects/…/messages/…`).
    pub async fn send(&self, msg: &FcmMessage) -> Result<String, SendError> {
        let base = self.config.api_url.as_str().trim_end_matches('/');
        let url = format!(
            "{base}/v1/projects/{}/messages:send",
            self.tokens.account().project_id
        );
        let token = self.tokens.access_token().await?;
        let resp = self
            .http
            .post(url)
            .bearer_auth(token.expose_secret())
            .json(&msg.to_json())
            .send()
            .await
            .map_err(|e| SendError::transport(P, e))?;
        let status = resp.status();
        let after = retry_after(resp.headers(), SystemTime::now());
        let text = resp.text().await.map_err(|e| SendError::transport(P, e))?;
        if status.is_success() {
            return serde_json::from_str::<SendResponse>(&text)
                .map(|r| r.name)
                .map_err(|e| {
                    SendError::permanent(
                        P,
                        None,
                        format!("accepted, but the response was unreadable: {e}"),
                    )
                });
        }
        if status == StatusCode::UNAUTHORIZED {
            self.tokens.invalidate().await;
        }
        Err(classify_fcm_error(status, &text, after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_mapping() {
        let unreg = r#"{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND",
            "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}"#;
        let e = classify_fcm_error(StatusCode::NOT_FOUND, unreg, None);
        assert!(e.is_destination_dead());
        assert_eq!(e.code(), Some("UNREGISTERED"));
        let bad = r#"{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT",
            "details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}"#;
        assert!(matches!(
            classify_fcm_error(StatusCode::BAD_REQUEST, bad, None),
            SendError::Permanent { .. }
        ));
        let e = classify_fcm_error(
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            Some(Duration::from_secs(30)),
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        assert!(classify_fcm_error(StatusCode::SERVICE_UNAVAILABLE, "", None).is_retryable());
        assert!(classify_fcm_error(StatusCode::NOT_FOUND, "", None).is_destination_dead());
    }

    #[test]
    fn body_shape() {
        let m = FcmMessage {
            token: "tok".into(),
            title: "New order #1042".into(),
            body: "2× Americano".into(),
            data: BTreeMap::from([("order_id".into(), "o_1".into())]),
            ttl: Some(Duration::from_secs(600)),
        };
        let j = m.to_json();
        assert_eq!(j["message"]["android"]["priority"], "high");
        assert_eq!(j["message"]["android"]["ttl"], "600s");
        assert_eq!(j["message"]["data"]["order_id"], "o_1");
        assert_eq!(j["message"]["webpush"]["headers"]["TTL"], "600");
    }
}
