//! Twilio's REST API (2010-04-01): WhatsApp messages (Messages API) and escalation phone
//! calls (Calls API). Both are form-encoded POSTs with Basic auth whose failures are
//! classified the same way.

use std::collections::BTreeMap;
use std::time::SystemTime;

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
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
    /// Default `StatusCallback` for messages (`{public_url}/webhooks/twilio/status`), if any.
    /// Calls do not use it: their status callbacks carry `CallStatus`, not `MessageStatus`.
    pub status_callback: Option<String>,
    /// The caller ID for escalation calls: a voice-capable Twilio number (or verified caller
    /// ID) in E.164, `+15005550006`. `None` turns calls off ([`TwilioClient::create_call`]
    /// then refuses without contacting Twilio).
    pub voice_from: Option<String>,
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

/// An outgoing phone call whose instructions (TwiML) travel with the request, so Twilio
/// needs no URL of ours to start it. See [`super::twiml`] for the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceCall {
    /// The number to ring, E.164 (`+821012345678`). A `whatsapp:` prefix is dropped, so a
    /// shop owner's WhatsApp number can be used as it is stored.
    pub to: String,
    /// The TwiML document to run when the call is answered (sent as `Twiml`; at most
    /// [`MAX_TWIML_CHARS`] characters).
    pub twiml: String,
    /// How long to let the phone ring before giving up, in seconds (`Timeout`, 1–600;
    /// Twilio's default is 60). An unanswered call ends with `CallStatus=no-answer`.
    pub ring_timeout_secs: Option<u32>,
    /// The longest the call may last once answered, in seconds (`TimeLimit`): a guard
    /// against a prompt that loops forever on an answering machine.
    pub time_limit_secs: Option<u32>,
    /// Where Twilio reports the call's end (`StatusCallback`, POST, with `CallSid` and
    /// `CallStatus` = `completed`, `busy`, `no-answer`, `failed` or `canceled`).
    pub status_callback: Option<String>,
}

/// Twilio's limit on the `Twiml` parameter of a new call.
pub const MAX_TWIML_CHARS: usize = 4000;

/// Twilio accepted the call (it is queued; how it ended comes by status callback).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallCreated {
    /// `CA…`: the call's id, also sent as `CallSid` on the call's webhooks.
    pub sid: String,
    /// Usually `queued`.
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

/// A Twilio REST API client for one account (WhatsApp messages and phone calls).
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

    /// `{api_url}/2010-04-01/Accounts/{AccountSid}/{resource}`.
    fn account_url(&self, resource: &str) -> Result<Url, SendError> {
        let base = self.config.api_url.as_str().trim_end_matches('/');
        let sid = &self.config.account_sid;
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(SendError::permanent(
                P,
                None,
                "account SID is not alphanumeric",
            ));
        }
        Url::parse(&format!("{base}/2010-04-01/Accounts/{sid}/{resource}"))
            .map_err(|e| SendError::permanent(P, None, format!("bad Twilio API URL: {e}")))
    }

    /// POST …/Accounts/{AccountSid}/Messages.json (form-encoded, Basic auth).
    pub async fn send_whatsapp(&self, msg: &WhatsAppMessage) -> Result<SentMessage, SendError> {
        let form = self.form_fields(msg)?;
        self.post_form(self.account_url("Messages.json")?, &form)
            .await
    }

    /// The form fields of the Calls request (public for inspection and tests). Refuses,
    /// before any request, what Twilio would refuse: no voice number configured, a `to`
    /// that is not E.164 (destination dead, as Twilio's 21211 would be), an empty or
    /// oversized TwiML document, a ring timeout outside 1–600 s.
    pub fn call_form_fields(
        &self,
        call: &VoiceCall,
    ) -> Result<Vec<(&'static str, String)>, SendError> {
        let Some(from) = self.config.voice_from.as_deref().map(str::trim) else {
            return Err(SendError::permanent(
                P,
                None,
                "no voice number is configured for calls",
            ));
        };
        let to = call.to.trim();
        let to = to.strip_prefix("whatsapp:").unwrap_or(to);
        if !is_e164(to) {
            return Err(SendError::dead(
                P,
                None,
                "the number to call is not in E.164 form (+ and up to 15 digits)",
            ));
        }
        if call.twiml.trim().is_empty() {
            return Err(SendError::permanent(P, None, "the call has no TwiML"));
        }
        let twiml_chars = call.twiml.chars().count();
        if twiml_chars > MAX_TWIML_CHARS {
            return Err(SendError::permanent(
                P,
                None,
                format!(
                    "TwiML is {twiml_chars} characters; Twilio takes at most {MAX_TWIML_CHARS}"
                ),
            ));
        }
        let mut form = vec![
            ("To", to.to_owned()),
            ("From", from.to_owned()),
            ("Twiml", call.twiml.clone()),
        ];
        if let Some(secs) = call.ring_timeout_secs {
            if !(1..=600).contains(&secs) {
                return Err(SendError::permanent(
                    P,
                    None,
                    format!("ring timeout {secs} s is outside 1–600 s"),
                ));
            }
            form.push(("Timeout", secs.to_string()));
        }
        if let Some(secs) = call.time_limit_secs {
            form.push(("TimeLimit", secs.to_string()));
        }
        if let Some(cb) = &call.status_callback {
            form.push(("StatusCallback", cb.clone()));
        }
        Ok(form)
    }

    /// POST …/Accounts/{AccountSid}/Calls.json (form-encoded, Basic auth): rings `call.to`
    /// from the configured voice number and runs `call.twiml` when answered. Failures are
    /// classified exactly as for [`Self::send_whatsapp`].
    pub async fn create_call(&self, call: &VoiceCall) -> Result<CallCreated, SendError> {
        let form = self.call_form_fields(call)?;
        self.post_form(self.account_url("Calls.json")?, &form).await
    }

    /// The one request path of every Twilio call here: POST the form with Basic auth, read
    /// the created resource on 2xx, classify the failure otherwise.
    async fn post_form<T: DeserializeOwned>(
        &self,
        url: Url,
        form: &[(&'static str, String)],
    ) -> Result<T, SendError> {
        let resp = self
            .http
            .post(url)
            .basic_auth(
                &self.config.account_sid,
                Some(self.config.auth_token.expose_secret()),
            )
            .form(form)
            .send()
            .await
            .map_err(|e| SendError::transport(P, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(|e| SendError::transport(P, e))?;
        if status.is_success() {
            return serde_json::from_str::<T>(&body).map_err(|e| {
                // Twilio took it: retrying could send (or ring) twice.
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

/// `+` then 2–15 digits, the first not 0 (ITU-T E.164 as Twilio writes it).
fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (2..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Maps a non-2xx Twilio API response (Messages or Calls) to a [`SendError`].
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
                voice_from: Some("+15005550006".into()),
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

    fn call(to: &str) -> VoiceCall {
        VoiceCall {
            to: to.into(),
            twiml: "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>"
                .into(),
            ring_timeout_secs: Some(30),
            time_limit_secs: Some(180),
            status_callback: Some("https://shop.example/webhooks/twilio/call-status".into()),
        }
    }

    #[test]
    fn form_for_a_call() {
        let c = client();
        assert_eq!(
            c.call_form_fields(&call(" whatsapp:+821012345678 "))
                .unwrap(),
            vec![
                ("To", "+821012345678".to_owned()),
                ("From", "+15005550006".to_owned()),
                ("Twiml", call("").twiml),
                ("Timeout", "30".to_owned()),
                ("TimeLimit", "180".to_owned()),
                (
                    "StatusCallback",
                    "https://shop.example/webhooks/twilio/call-status".to_owned()
                ),
            ]
        );
        // Optional fields stay out; the messages' status callback is not borrowed.
        let bare = VoiceCall {
            ring_timeout_secs: None,
            time_limit_secs: None,
            status_callback: None,
            ..call("+14155550100")
        };
        let names: Vec<_> = c
            .call_form_fields(&bare)
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(names, ["To", "From", "Twiml"]);
    }

    #[test]
    fn call_refused_before_any_request() {
        let c = client();
        for bad in [
            "01012345678",
            "+",
            "+0123",
            "+82 10 1234 5678",
            "+1234567890123456",
        ] {
            let e = c.call_form_fields(&call(bad)).unwrap_err();
            assert!(e.is_destination_dead(), "{bad}: {e:?}");
        }
        let too_long = VoiceCall {
            twiml: "가".repeat(MAX_TWIML_CHARS + 1),
            ..call("+821012345678")
        };
        assert!(matches!(
            c.call_form_fields(&too_long),
            Err(SendError::Permanent { .. })
        ));
        let at_limit = VoiceCall {
            twiml: "가".repeat(MAX_TWIML_CHARS),
            ..call("+821012345678")
        };
        assert!(c.call_form_fields(&at_limit).is_ok());
        let empty = VoiceCall {
            twiml: " ".into(),
            ..call("+821012345678")
        };
        assert!(c.call_form_fields(&empty).is_err());
        for secs in [0, 601] {
            let ring = VoiceCall {
                ring_timeout_secs: Some(secs),
                ..call("+821012345678")
            };
            assert!(matches!(
                c.call_form_fields(&ring),
                Err(SendError::Permanent { .. })
            ));
        }
        let mut no_voice = client();
        no_voice.config.voice_from = None;
        let e = no_voice
            .call_form_fields(&call("+821012345678"))
            .unwrap_err();
        assert!(matches!(e, SendError::Permanent { .. }), "{e:?}");
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
