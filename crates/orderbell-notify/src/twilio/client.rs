//! Sending WhatsApp messages with Twilio's Messages API (2010-04-01).

use std::collections::BTreeMap;
use std::time::SystemTime;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::codes::{CodeClass, classify_error_code};
use crate::error::{Provider, SendError};
use crate::http::{retry_after, snippet};

const P: Provider = Provider::Twilio;

/// Where and as whom to send.
#[derive(Debug, Clone)]
pub struct TwilioConfig {
    /// `https://api.twilio.com` in production (`ORDERBELL_TWILIO_API_URL`).
    pub api_url: Url,
    /// `AC` + 32 hex digits.
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The WhatsApp sender, `+14155238886` or `whatsapp:+14155238886`.
    pub whatsapp_from: String,
    /// Default `StatusCallback` (`{public_url}/webhooks/twilio/status`), if any.
    pub status_callback: Option<String>,
}

/// What a message says: free text (inside the 24-hour session window) or an approved
/// Content template (to start a conversation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatsAppContent {
    Text(String),
    Template {
        /// `HX` + 32 hex digits.
        content_sid: String,
        /// Template placeholders, `{"1": "1042", "2": "15"}`; sent as a JSON string.
        variables: BTreeMap<String, String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppMessage {
    /// E.164 number, with or without the `whatsapp:` prefix.
    pub to: String,
    pub content: WhatsAppContent,
    /// Overrides the config's status callback.
    pub status_callback: Option<String>,
}

/// Twilio accepted the message (it is queued; delivery comes by status callback).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SentMessage {
    /// `SM…`/`MM…`: the provider message id for the delivery log.
    pub sid: String,
    /// Usually `queued` or `accepted`.
    pub status: String,
}

#[derive(Debug, Deserialize)]
struct TwilioErrorBody {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

/// `whatsapp:` + the number, unless it already has the prefix.
pub fn whatsapp_address(number: &str) -> String {
    let n = number.trim();
    if n.starts_with("whatsapp:") {
        n.to_owned()
    } else {
        format!("whatsapp:{n}")
    }
}

/// A Twilio Messages API client for one account.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    config: TwilioConfig,
}

impl TwilioClient {
    pub fn new(http: reqwest::Client, config: TwilioConfig) -> Self {
        Self { http, config }
    }

    pub fn config(&self) -> &TwilioConfig {
        &self.config
    }

    /// The form fields of the Messages request (public for inspection and tests).
    pub fn form_fields(
        &self,
        msg: &WhatsAppMessage,
    ) -> Result<Vec<(&'static str, String)>, SendError> {
        let mut form = vec![
            ("To", whatsapp_address(&msg.to)),
            ("From", whatsapp_address(&self.config.whatsapp_from)),
        ];
        match &msg.content {
            WhatsAppContent::Text(body) => form.push(("Body", body.clone())),
            WhatsAppContent::Template {
                content_sid,
                variables,
            } => {
                form.push(("ContentSid", content_sid.clone()));
                if !variables.is_empty() {
                    let json = serde_json::to_string(variables).map_err(|e| {
                        SendError::permanent(P, None, format!("content variables: {e}"))
                    })?;
                    form.push(("ContentVariables", json));
                }
            }
        }
        if let Some(cb) = msg
            .status_callback
            .as_ref()
            .or(self.config.status_callback.as_ref())
        {
            form.push(("StatusCallback", cb.clone()));
        }
        Ok(form)
    }

    fn messages_url(&self) -> Result<Url, SendError> {
        let base = self.config.api_url.as_str().trim_end_matches('/');
        let sid = &self.config.account_sid;
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SendError::permanent(
                P,
                None,
                "account SID is not alphanumeric",
            ));
        }
        Url::parse(&format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"))
            .map_err(|e| SendError::permanent(P, None, format!("bad Twilio API URL: {e}")))
    }

    /// POST …/Accounts/{AccountSid}/Messages.json (form-encoded, Basic auth).
    pub async fn send_whatsapp(&self, msg: &WhatsAppMessage) -> Result<SentMessage, SendError> {
        let form = self.form_fields(msg)?;
        let resp = self
            .http
            .post(self.messages_url()?)
            .basic_auth(
                &self.config.account_sid,
                Some(self.config.auth_token.expose_secret()),
            )
            .form(&form)
            .send()
            .await
            .map_err(|e| SendError::transport(P, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(|e| SendError::transport(P, e))?;
        if status.is_success() {
            return serde_json::from_str::<SentMessage>(&body).map_err(|e| {
                // Twilio took it: retrying could send twice.
                SendError::permanent(
                    P,
                    None,
                    format!("accepted, but the response was unreadable: {e}"),
                )
            });
        }
        Err(classify_failure(
            status,
            retry_after(&headers, SystemTime::now()),
            &body,
        ))
    }
}

/// Maps a non-2xx Messages API response to a [`SendError`].
fn classify_failure(
    status: StatusCode,
    retry_after: Option<std::time::Duration>,
    body: &str,
) -> SendError {
    let parsed: Option<TwilioErrorBody> = serde_json::from_str(body).ok();
    let code = parsed.as_ref().and_then(|b| b.code);
    let detail = match &parsed {
        Some(b) => {
            let mut d = b
                .message
                .clone()
                .unwrap_or_else(|| format!("HTTP {status}"));
            if let Some(more) = &b.more_info {
                d.push_str(&format!(" ({more})"));
            }
            d
        }
        None => format!("HTTP {status}: {}", snippet(body, 200)),
    };
    let code_str = Some(code.map_or_else(|| status.as_u16().to_string(), |c| c.to_string()));
    let class = code.and_then(classify_error_code).unwrap_or(
        if status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
            || status == StatusCode::REQUEST_TIMEOUT
        {
            CodeClass::Retryable
        } else {
            CodeClass::Permanent
        },
    );
    match class {
        CodeClass::Retryable => SendError::retryable(P, retry_after, code_str, detail),
        CodeClass::Permanent => SendError::permanent(P, code_str, detail),
        CodeClass::DestinationDead => SendError::dead(P, code_str, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn client() -> TwilioClient {
        TwilioClient::new(
            reqwest::Client::new(),
            TwilioConfig {
                api_url: Url::parse("http://127.0.0.1:1/").unwrap(),
                account_sid: "AC00000000000000000000000000000000".into(),
                auth_token: SecretString::from("tok".to_owned()),
                whatsapp_from: "+14155238886".into(),
                status_callback: Some("https://shop.example/webhooks/twilio/status".into()),
            },
        )
    }

    #[test]
    fn form_for_text_and_template() {
        let c = client();
        let text = WhatsAppMessage {
            to: "+821012345678".into(),
            content: WhatsAppContent::Text("hi".into()),
            status_callback: None,
        };
        assert_eq!(
            c.form_fields(&text).unwrap(),
            vec![
                ("To", "whatsapp:+821012345678".to_owned()),
                ("From", "whatsapp:+14155238886".to_owned()),
                ("Body", "hi".to_owned()),
                (
                    "StatusCallback",
                    "https://shop.example/webhooks/twilio/status".to_owned()
                ),
            ]
        );
        let vars = BTreeMap::from([
            ("1".to_owned(), "1042".to_owned()),
            ("2".to_owned(), "15".to_owned()),
        ]);
        let tpl = WhatsAppMessage {
            to: "whatsapp:+821012345678".into(),
            content: WhatsAppContent::Template {
                content_sid: "HX00000000000000000000000000000000".into(),
                variables: vars,
            },
            status_callback: Some("https://x.example/cb".into()),
        };
        let f = c.form_fields(&tpl).unwrap();
        assert_eq!(f[0].1, "whatsapp:+821012345678");
        assert_eq!(
            f[2],
            (
                "ContentSid",
                "HX00000000000000000000000000000000".to_owned()
            )
        );
        assert_eq!(
            f[3],
            ("ContentVariables", r#"{"1":"1042","2":"15"}"#.to_owned())
        );
        assert_eq!(f[4], ("StatusCallback", "https://x.example/cb".to_owned()));
    }

    #[test]
    fn classifies_errors() {
        let body = r#"{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}"#;
        let e = classify_failure(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(3)),
            body,
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(e.code(), Some("20429"));

        let e = classify_failure(StatusCode::TOO_MANY_REQUESTS, None, "");
        assert!(e.is_retryable());
        let e = classify_failure(StatusCode::BAD_GATEWAY, None, "<html>");
        assert!(e.is_retryable());

        let body = r#"{"code": 63016, "message": "Failed to send freeform message because you are outside the allowed window.", "status": 400}"#;
        let e = classify_failure(StatusCode::BAD_REQUEST, None, body);
        assert!(matches!(e, SendError::Permanent { .. }));
        assert_eq!(e.code(), Some("63016"));

        let body = r#"{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}"#;
        assert!(classify_failure(StatusCode::BAD_REQUEST, None, body).is_destination_dead());

        let body =
            r#"{"code": 21604, "message": "A 'To' phone number is required.", "status": 400}"#;
        assert!(matches!(
            classify_failure(StatusCode::BAD_REQUEST, None, body),
            SendError::Permanent { .. }
        ));
        let body = r#"{"code": 20003, "message": "Authenticate", "status": 401}"#;
        assert!(matches!(
            classify_failure(StatusCode::UNAUTHORIZED, None, body),
            SendError::Permanent { .. }
        ));
    }

    #[test]
    fn debug_hides_auth_token() {
        let s = format!("{:?}", client());
        assert!(!s.contains("tok\""), "{s}");
        assert!(s.contains("REDACTED"), "{s}");
    }
}
