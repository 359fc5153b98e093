//! FCM against a loopback Google: a token endpoint that verifies our RS256 JWT-bearer
//! assertion with the service account's public key using an independent implementation (the
//! RustCrypto `rsa` crate; we sign with `ring`), and a messages:send endpoint that checks the
//! FCM v1 body shape and the bearer token, answering like FCM (UNREGISTERED, 429, 400).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orderbell_notify::SendError;
use orderbell_notify::fcm::{
    Clock, FCM_SCOPE, FcmClient, FcmConfig, FcmMessage, ServiceAccount, TokenProvider,
};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::signature::Verifier;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

const CLIENT_EMAIL: &str = "orderbell@demo-project.iam.gserviceaccount.com";

#[derive(Debug)]
struct FakeClock(Mutex<SystemTime>);
impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

#[derive(Clone)]
struct Google {
    public: RsaPublicKey,
    token_uri: Arc<Mutex<String>>,
    issued: Arc<AtomicU64>,
    sent: Arc<Mutex<Vec<Value>>>,
}

fn oauth_error(desc: &str) -> (StatusCode, Json<Value>) {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_grant", "error_description": desc})),
    )
}

async fn token(
    State(g): State<Google>,
    Form(form): Form<BTreeMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return oauth_error("grant_type");
    }
    let Some(jwt) = form.get("assertion") else {
        return oauth_error("no assertion");
    };
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return oauth_error("not a JWS");
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    if header["alg"] != "RS256" {
        return oauth_error("alg");
    }
    let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
    let vk = VerifyingKey::<rsa::sha2::Sha256>::new(g.public.clone());
    if vk
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .is_err()
    {
        return oauth_error("Invalid JWT Signature.");
    }
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let expected_aud = g.token_uri.lock().unwrap().clone();
    if claims["iss"] != CLIENT_EMAIL
        || claims["scope"] != FCM_SCOPE
        || claims["aud"] != expected_aud.as_str()
    {
        return oauth_error(&format!("claims {claims}"));
    }
    if claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap() != 3600 {
        return oauth_error("exp must be iat + 3600");
    }
    let n = g.issued.fetch_add(1, Ordering::SeqCst) + 1;
    (
        StatusCode::OK,
        Json(
            json!({"access_token": format!("ya29.test-{n}"), "expires_in": 3599, "token_type": "Bearer"}),
        ),
    )
}

fn fcm_error(
    status: StatusCode,
    grpc: &str,
    fcm: &str,
    msg: &str,
) -> (StatusCode, HeaderMap, Json<Value>) {
    let mut h = HeaderMap::new();
    if status == StatusCode::TOO_MANY_REQUESTS {
        h.insert("retry-after", "30".parse().unwrap());
    }
    let body = json!({"error": {"code": status.as_u16(), "message": msg, "status": grpc,
        "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": fcm}]}});
    (status, h, Json(body))
}

async fn send(
    Path(project): Path<String>,
    State(g): State<Google>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (StatusCode, HeaderMap, Json<Value>) {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let n = g.issued.load(Ordering::SeqCst);
    if n == 0 || bearer != format!("Bearer ya29.test-{n}") {
        return fcm_error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "THIRD_PARTY_AUTH_ERROR",
            "bad token",
        );
    }
    // The v1 shape: one `message` with a target, string-only data, known android priority.
    let m = &body["message"];
    let shape_ok = body.as_object().unwrap().len() == 1
        && m["token"].is_string()
        && m["notification"]["title"].is_string()
        && m["notification"]["body"].is_string()
        && m["data"]
            .as_object()
            .is_some_and(|d| d.values().all(Value::is_string))
        && matches!(m["android"]["priority"].as_str(), Some("high" | "normal"))
        && m["apns"]["headers"].is_object()
        && m["webpush"]["headers"].is_object();
    if !shape_ok || project != "demo-project" {
        return fcm_error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "Invalid JSON payload received.",
        );
    }
    match m["token"].as_str().unwrap() {
        "dead-token" => fcm_error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "UNREGISTERED",
            "Requested entity was not found.",
        ),
        "busy-token" => fcm_error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "QUOTA_EXCEEDED",
            "Quota exceeded.",
        ),
        _ => {
            g.sent.lock().unwrap().push(body.clone());
            let mut h = HeaderMap::new();
            h.insert("content-type", "application/json".parse().unwrap());
            (
                StatusCode::OK,
                h,
                Json(
                    json!({"name": format!("projects/{project}/messages/0:1500415314455276%31bd1c9631bd1c96")}),
                ),
            )
        }
    }
}

fn message(token: &str) -> FcmMessage {
    FcmMessage {
        token: token.into(),
        title: "New order #1042".into(),
        body: "2× Americano — ₩10,000".into(),
        data: BTreeMap::from([
            ("order_id".into(), "o_123".into()),
            ("kind".into(), "order.created".into()),
        ]),
        ttl: Some(Duration::from_secs(300)),
    }
}

#[tokio::test]
async fn token_exchange_caching_and_send() {
    let private = RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let pem = private.to_pkcs8_pem(LineEnding::LF).unwrap();
    let g = Google {
        public: private.to_public_key(),
        token_uri: Arc::default(),
        issued: Arc::default(),
        sent: Arc::default(),
    };
    let app = Router::new()
        .route("/token", post(token))
        .route("/v1/projects/{project}/messages:send", post(send))
        .with_state(g.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    *g.token_uri.lock().unwrap() = format!("{base}/token");

    let key_file = json!({
        "type": "service_account", "project_id": "demo-project", "private_key_id": "abc",
        "private_key": pem.as_str(), "client_email": CLIENT_EMAIL, "client_id": "1",
        "token_uri": format!("{base}/token"),
    });
    let account = ServiceAccount::from_json(&key_file.to_string()).unwrap();
    assert!(!format!("{account:?}").contains("PRIVATE KEY"));
    let clock = Arc::new(FakeClock(Mutex::new(
        UNIX_EPOCH + Duration::from_secs(1_764_306_000),
    )));
    let http = orderbell_notify::default_http_client().unwrap();
    let tokens = TokenProvider::new(http.clone(), account, clock.clone());
    let fcm = FcmClient::new(
        http,
        FcmConfig {
            api_url: base.parse().unwrap(),
        },
        tokens,
    );

    let name = fcm.send(&message("good-token")).await.unwrap();
    assert!(
        name.starts_with("projects/demo-project/messages/"),
        "{name}"
    );
    fcm.send(&message("good-token")).await.unwrap();
    assert_eq!(g.issued.load(Ordering::SeqCst), 1, "token is cached");

    // 3599 s lifetime, refreshed from 60 s before expiry.
    *clock.0.lock().unwrap() += Duration::from_secs(3599 - 61);
    fcm.send(&message("good-token")).await.unwrap();
    assert_eq!(g.issued.load(Ordering::SeqCst), 1, "still valid for 61 s");
    *clock.0.lock().unwrap() += Duration::from_secs(2);
    fcm.send(&message("good-token")).await.unwrap();
    assert_eq!(
        g.issued.load(Ordering::SeqCst),
        2,
        "refreshed 59 s before expiry"
    );

    let sent = g.sent.lock().unwrap()[0].clone();
    assert_eq!(sent["message"]["data"]["order_id"], "o_123");
    assert_eq!(sent["message"]["notification"]["title"], "New order #1042");

    let dead = fcm.send(&message("dead-token")).await.unwrap_err();
    assert!(
        dead.is_destination_dead() && dead.code() == Some("UNREGISTERED"),
        "{dead:?}"
    );
    let busy = fcm.send(&message("busy-token")).await.unwrap_err();
    assert_eq!(
        busy.retry_after(),
        Some(Duration::from_secs(30)),
        "{busy:?}"
    );

    // A key the token endpoint does not know: the signature check refuses it, permanently.
    let other = RsaPrivateKey::new(&mut rand_core::OsRng, 2048).unwrap();
    let mut wrong_file = key_file.clone();
    wrong_file["private_key"] = other.to_pkcs8_pem(LineEnding::LF).unwrap().as_str().into();
    let wrong = TokenProvider::new(
        orderbell_notify::default_http_client().unwrap(),
        ServiceAccount::from_json(&wrong_file.to_string()).unwrap(),
        clock.clone(),
    );
    let e = wrong.access_token().await.unwrap_err();
    assert!(
        matches!(e, SendError::Permanent { .. }) && e.detail().contains("Invalid JWT Signature"),
        "{e:?}"
    );
}
