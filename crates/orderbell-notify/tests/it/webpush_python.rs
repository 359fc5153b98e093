//! Web Push end to end against a loopback push service. The body is decrypted and the VAPID
//! JWT verified by implementations we did not write (PyPI `http_ece` and `py_vapid`, run by
//! `tests/python/webpush_check.py`). Without those modules the decryption test is skipped
//! loudly, or fails with `ORDERBELL_REQUIRE_PYTHON_ECE=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use crate::support;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orderbell_notify::SendError;
use orderbell_notify::webpush::{
    EndpointPolicy, PushOptions, Subscription, SubscriptionKeys, Urgency, VapidKeyPair,
    WebPushClient, WebPushConfig, guarded_http_client,
};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use secrecy::ExposeSecret;

/// One received push request: lower-case headers and the body.
type Request = (BTreeMap<String, String>, Vec<u8>);

#[derive(Default, Clone)]
struct Captured(Arc<Mutex<Vec<Request>>>);

async fn push(
    Path(id): Path<String>,
    State(cap): State<Captured>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    match id.as_str() {
        "gone" => return (StatusCode::GONE, HeaderMap::new(), "subscription expired"),
        "busy" => {
            let mut h = HeaderMap::new();
            h.insert("retry-after", "7".parse().unwrap());
            return (StatusCode::TOO_MANY_REQUESTS, h, "slow down");
        }
        _ => {}
    }
    let hs = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    cap.0.lock().unwrap().push((hs, body.to_vec()));
    let mut h = HeaderMap::new();
    h.insert("location", "https://push.example/m/1".parse().unwrap());
    (StatusCode::CREATED, h, "")
}

async fn start_push_service() -> (String, Captured) {
    let cap = Captured::default();
    let app = Router::new()
        .route("/push/{id}", post(push))
        .with_state(cap.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), cap)
}

struct Browser {
    key: SecretKey,
    auth: [u8; 16],
}

impl Browser {
    fn new() -> Self {
        Self {
            key: SecretKey::random(&mut rand_core::OsRng),
            auth: *b"0123456789abcdef",
        }
    }
    fn subscription(&self, endpoint: String) -> Subscription {
        Subscription {
            endpoint,
            keys: SubscriptionKeys {
                p256dh: URL_SAFE_NO_PAD
                    .encode(self.key.public_key().to_encoded_point(false).as_bytes()),
                auth: URL_SAFE_NO_PAD.encode(self.auth),
            },
        }
    }
}

fn client(vapid: VapidKeyPair, allow_http: bool) -> WebPushClient {
    let policy = EndpointPolicy {
        allow_http_endpoints: allow_http,
    };
    WebPushClient::new(
        guarded_http_client(policy, orderbell_notify::DEFAULT_TIMEOUT).unwrap(),
        WebPushConfig {
            vapid,
            subject: "mailto:owner@cafe.example".into(),
            endpoint_policy: policy,
        },
    )
}

async fn python_has_modules() -> Result<(), String> {
    let out = tokio::process::Command::new("python3")
        .args(["-c", "import http_ece, py_vapid, cryptography"])
        .output()
        .await
        .map_err(|e| format!("python3 not runnable: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

#[tokio::test]
async fn push_service_decrypts_with_http_ece_and_verifies_vapid_with_py_vapid() {
    if let Err(why) = python_has_modules().await {
        if std::env::var("ORDERBELL_REQUIRE_PYTHON_ECE").as_deref() == Ok("1") {
            panic!(
                "ORDERBELL_REQUIRE_PYTHON_ECE=1 but: {why} (pip install http_ece py_vapid cryptography)"
            );
        }
        eprintln!(
            "\n!!!!! SKIPPED webpush independent decryption: {why} (pip install http_ece py_vapid cryptography; ORDERBELL_REQUIRE_PYTHON_ECE=1 makes this fail) !!!!!\n"
        );
        return;
    }
    let (base, cap) = start_push_service().await;
    let vapid = VapidKeyPair::generate();
    let stored_private = vapid.private_key_base64url().expose_secret().to_owned();
    let browser = Browser::new();
    let endpoint = format!("{base}/push/abc123");
    let payload =
        r#"{"title":"새 주문 #1042","body":"Americano ×2 — ₩10,000","url":"/dashboard/demo"}"#;
    let opts = PushOptions {
        ttl: Duration::from_secs(600),
        urgency: Urgency::High,
        topic: Some("order-1042".into()),
    };
    let receipt = client(vapid, true)
        .send(
            &browser.subscription(endpoint.clone()),
            payload.as_bytes(),
            &opts,
        )
        .await
        .unwrap();
    assert_eq!(
        receipt.location.as_deref(),
        Some("https://push.example/m/1")
    );

    let (headers, body) = cap.0.lock().unwrap().pop().unwrap();
    assert_eq!(headers["ttl"], "600");
    assert_eq!(headers["urgency"], "high");
    assert_eq!(headers["topic"], "order-1042");
    let input = serde_json::json!({
        "body": URL_SAFE_NO_PAD.encode(&body),
        "headers": headers,
        "ua_private": URL_SAFE_NO_PAD.encode(browser.key.to_bytes()),
        "auth": URL_SAFE_NO_PAD.encode(browser.auth),
        "vapid_private": stored_private,
        "endpoint": endpoint,
        "now": SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
    });
    let out = support::run_python("webpush_check.py", &input.to_string()).await;
    assert!(
        out.status.success(),
        "independent check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["plaintext"], payload);
    assert_eq!(result["claims"]["sub"], "mailto:owner@cafe.example");
}

#[tokio::test]
async fn push_service_answers_are_classified() {
    let (base, _cap) = start_push_service().await;
    let browser = Browser::new();
    let c = client(VapidKeyPair::generate(), true);
    let opts = PushOptions::default();

    let gone = c
        .send(
            &browser.subscription(format!("{base}/push/gone")),
            b"x",
            &opts,
        )
        .await
        .unwrap_err();
    assert!(gone.is_destination_dead(), "{gone:?}");
    assert_eq!(gone.code(), Some("410"));

    let busy = c
        .send(
            &browser.subscription(format!("{base}/push/busy")),
            b"x",
            &opts,
        )
        .await
        .unwrap_err();
    assert_eq!(busy.retry_after(), Some(Duration::from_secs(7)), "{busy:?}");

    // Without the dev flag the loopback stand-in is refused before any request is made.
    let strict = client(VapidKeyPair::generate(), false);
    let refused = strict
        .send(
            &browser.subscription(format!("{base}/push/abc")),
            b"x",
            &opts,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, SendError::DestinationDead { .. }),
        "{refused:?}"
    );
    assert_eq!(refused.code(), Some("endpoint_refused"));
}
