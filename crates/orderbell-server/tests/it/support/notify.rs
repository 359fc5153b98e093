//! Loopback stand-ins for the notification providers, and the independent checks run on what
//! they received: aiogram's Bot API models (Telegram), Prism enforcing Twilio's OpenAPI
//! description, PyPI `http_ece` + `py_vapid` (Web Push). Each external tool is skipped loudly
//! when missing, or required with `ORDERBELL_REQUIRE_AIOGRAM` / `_PRISM` / `_PYTHON_ECE` = 1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "tests"
)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

pub const BOT_TOKEN: &str = "123456:TEST-token_for-the-stand-in";
pub const BOT_USERNAME: &str = "orderbell_test_bot";
/// A chat whose user blocked the bot.
pub const BLOCKED_CHAT: i64 = 403;

/// How a stand-in answers sends while it is made to fail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Fault {
    /// It works.
    #[default]
    None,
    /// 500 (503 for FCM), the provider's own error body.
    ServerError,
    /// 429 with the provider's way of saying when to come back (seconds).
    RateLimited { retry_after: u64 },
    /// No answer for ten minutes: the client's timeout must end the request.
    Hang,
}

/// What a stand-in received, and switches to make it fail.
#[derive(Clone, Default)]
pub struct Stub {
    pub calls: Arc<Mutex<Vec<Value>>>,
    /// How sends are answered (see [`Fault`]).
    pub fault: Arc<Mutex<Fault>>,
    /// Take this many milliseconds before answering a send (FCM).
    pub delay_ms: Arc<std::sync::atomic::AtomicU64>,
    next_id: Arc<AtomicI64>,
}

impl Stub {
    pub fn fail(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    pub fn recover(&self) {
        self.fail(Fault::None);
    }

    /// The fault in force for a send. A hanging stand-in records the call (marked `hung`)
    /// and then keeps it waiting.
    async fn fault(&self, call: Value) -> Fault {
        let fault = *self.fault.lock().unwrap();
        if fault == Fault::Hang {
            let mut call = call;
            call["hung"] = json!(true);
            self.push(call);
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
        fault
    }

    pub fn calls(&self) -> Vec<Value> {
        self.calls.lock().unwrap().clone()
    }

    pub fn calls_of(&self, method: &str) -> Vec<Value> {
        self.calls()
            .into_iter()
            .filter(|c| c["method"] == method)
            .collect()
    }

    fn push(&self, v: Value) {
        self.calls.lock().unwrap().push(v);
    }

    fn next(&self) -> i64 {
        self.next_id.fetch_add(1, Ordering::SeqCst) + 100
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// Waits (real time) until `check` passes, up to 20 s.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Telegram

fn tg_fail(code: u16, description: &str, retry_after: Option<u64>) -> (StatusCode, Value) {
    let mut v = json!({"ok": false, "error_code": code, "description": description});
    if let Some(r) = retry_after {
        v["parameters"] = json!({"retry_after": r});
    }
    (StatusCode::from_u16(code).unwrap(), v)
}

fn bot_user() -> Value {
    json!({"id": 7000000001_i64, "is_bot": true, "first_name": "Orderbell", "username": BOT_USERNAME,
           "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false})
}

fn tg_answer(stub: &Stub, fault: Fault, method: &str, req: &Value) -> (StatusCode, Value) {
    let ok = |result: Value| (StatusCode::OK, json!({"ok": true, "result": result}));
    match method {
        "getMe" => ok(bot_user()),
        "setWebhook" | "deleteWebhook" | "answerCallbackQuery" => ok(json!(true)),
        "getUpdates" => ok(json!([])),
        "sendMessage" | "editMessageText" => {
            match fault {
                Fault::None => {}
                Fault::ServerError | Fault::Hang => {
                    return tg_fail(500, "Internal Server Error", None);
                }
                Fault::RateLimited { retry_after } => {
                    return tg_fail(
                        429,
                        &format!("Too Many Requests: retry after {retry_after}"),
                        Some(retry_after),
                    );
                }
            }
            let Some(chat) = req["chat_id"].as_i64() else {
                return tg_fail(400, "Bad Request: chat_id is empty", None);
            };
            let Some(text) = req["text"].as_str().filter(|t| !t.is_empty()) else {
                return tg_fail(400, "Bad Request: message text is empty", None);
            };
            if chat == BLOCKED_CHAT {
                return tg_fail(403, "Forbidden: bot was blocked by the user", None);
            }
            let id = req["message_id"].as_i64().unwrap_or_else(|| stub.next());
            let mut m = json!({"message_id": id, "from": bot_user(), "date": 1_764_306_000,
                               "chat": {"id": chat, "type": "private", "first_name": "Kim"}, "text": text});
            if method == "editMessageText" {
                m["edit_date"] = json!(1_764_306_100);
            }
            if let Some(kb) = req.get("reply_markup") {
                m["reply_markup"] = kb.clone();
            }
            ok(m)
        }
        _ => tg_fail(404, "Not Found: method not found", None),
    }
}

async fn tg_api(
    Path((bot, method)): Path<(String, String)>,
    State(stub): State<Stub>,
    body: Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let req: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let fault = if matches!(method.as_str(), "sendMessage" | "editMessageText") {
        stub.fault(json!({"method": method, "request": req})).await
    } else {
        Fault::None
    };
    let (status, answer) = if bot != format!("bot{BOT_TOKEN}") {
        tg_fail(401, "Unauthorized", None)
    } else {
        tg_answer(&stub, fault, &method, &req)
    };
    stub.push(json!({"method": method, "request": req, "response": answer}));
    (status, axum::Json(answer))
}

/// A Bot API stand-in that answers like Telegram; returns its base URL.
pub async fn telegram() -> (String, Stub) {
    let stub = Stub::default();
    let app = Router::new()
        .route("/{bot}/{method}", post(tg_api))
        .with_state(stub.clone());
    (serve(app).await, stub)
}

/// Validates every Bot API call the server made with aiogram's models.
pub async fn validate_with_aiogram(stub: &Stub) {
    let calls = Value::Array(stub.calls());
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import aiogram"])
        .output()
        .await;
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        if std::env::var("ORDERBELL_REQUIRE_AIOGRAM").as_deref() == Ok("1") {
            panic!("ORDERBELL_REQUIRE_AIOGRAM=1 but python3 cannot import aiogram");
        }
        eprintln!(
            "\n!!!!! SKIPPED aiogram validation of the server's Bot API calls (pip install aiogram) !!!!!\n"
        );
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../orderbell-notify/tests/python/telegram_check.py"
    );
    let out = run_python(script, calls.to_string()).await;
    assert!(
        out.status.success(),
        "aiogram validation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn run_python(script: &str, input: String) -> std::process::Output {
    let mut child = tokio::process::Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .await
        .unwrap();
    child.wait_with_output().await.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Twilio

pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "test-auth-token";
pub const TWILIO_FROM: &str = "+14155238886";

fn twilio_spec() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ORDERBELL_TWILIO_SPEC") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/twilio_api_v2010.prism.json");
    p.exists().then_some(p)
}

/// Prism serving Twilio's OpenAPI description (it refuses requests that break the spec), or
/// `None` (skipped loudly; fails with `ORDERBELL_REQUIRE_PRISM=1`).
pub async fn prism() -> Option<(tokio::process::Child, String)> {
    let skip = |why: String| {
        if std::env::var("ORDERBELL_REQUIRE_PRISM").as_deref() == Ok("1") {
            panic!("ORDERBELL_REQUIRE_PRISM=1 but Prism is unavailable: {why}");
        }
        eprintln!("\n!!!!! SKIPPED Prism (Twilio's OpenAPI description): {why} !!!!!\n");
    };
    let Some(spec) = twilio_spec() else {
        skip("spec not found (set ORDERBELL_TWILIO_SPEC)".into());
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = match std::env::var("ORDERBELL_PRISM_BIN") {
        Ok(bin) => tokio::process::Command::new(bin),
        Err(_) => {
            let mut c = tokio::process::Command::new("npx");
            c.args(["--yes", "@stoplight/prism-cli@5.14.2"]);
            c
        }
    };
    cmd.args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(&spec)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            skip(format!("cannot run prism: {e}"));
            return None;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            skip(format!("prism exited early: {status}"));
            return None;
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some((child, format!("http://127.0.0.1:{port}")));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    skip("prism did not listen within 180 s".into());
    None
}

/// A recording proxy in front of Prism (or, without Prism, a stand-in answering 201 like
/// Twilio): every Messages request is kept so tests can read what was sent.
pub async fn twilio(prism: Option<String>) -> (String, Stub) {
    let stub = Stub::default();
    let app = Router::new()
        .route(
            "/2010-04-01/Accounts/{sid}/{resource}",
            post(twilio_messages),
        )
        .with_state((stub.clone(), prism));
    (serve(app).await, stub)
}

/// Messages.json and Calls.json: forwarded to Prism (Twilio's own description) when it runs.
async fn twilio_messages(
    Path((sid, resource)): Path<(String, String)>,
    State((stub, prism)): State<(Stub, Option<String>)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let fault = stub
        .fault(json!({"method": resource.trim_end_matches(".json"), "account": sid, "form": form}))
        .await;
    let mut retry_after = None;
    let (status, answer) = if matches!(fault, Fault::ServerError | Fault::Hang) {
        (
            500,
            json!({"code": 20500, "message": "Internal Server Error", "status": 500}),
        )
    } else if let Fault::RateLimited { retry_after: secs } = fault {
        retry_after = Some(secs);
        (
            429,
            json!({"code": 20429, "message": "Too Many Requests", "status": 429,
                   "more_info": "https://www.twilio.com/docs/errors/20429"}),
        )
    } else if let Some(base) = prism {
        let res = reqwest::Client::new()
            .post(format!("{base}/2010-04-01/Accounts/{sid}/{resource}"))
            .header("authorization", &auth)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let mut v: Value = res.json().await.unwrap_or(Value::Null);
        // Prism answers the spec's example; give each message its own SID like Twilio does.
        if status == 201 {
            let prefix = if resource == "Calls.json" { "CA" } else { "SM" };
            v["sid"] = json!(format!("{prefix}{:032x}", stub.next()));
        }
        (status, v)
    } else {
        (
            201,
            json!({"sid": format!("{}{:032x}", if resource == "Calls.json" { "CA" } else { "SM" }, stub.next()), "status": "queued"}),
        )
    };
    stub.push(
        json!({"method": resource.trim_end_matches(".json"), "account": sid, "authorization": auth,
                     "form": form, "status": status, "response": answer}),
    );
    let mut res = (StatusCode::from_u16(status).unwrap(), axum::Json(answer)).into_response();
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert("retry-after", secs.to_string().parse().unwrap());
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Web Push and FCM

/// RFC 8291 Appendix A: the user agent's key pair and auth secret.
pub const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
pub const UA_PUBLIC: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
pub const UA_AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";

/// A push service: `/push/{id}` answers 201 (or 410 for ids starting with `gone`, 500 while
/// failing). Returns its base URL.
pub async fn push_service() -> (String, Stub) {
    let stub = Stub::default();
    let app = Router::new()
        .route("/push/{id}", post(push_endpoint))
        .with_state(stub.clone());
    (serve(app).await, stub)
}

async fn push_endpoint(
    Path(id): Path<String>,
    State(stub): State<Stub>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or(""))))
        .collect();
    let fault = stub.fault(json!({"method": "push", "id": id})).await;
    let status = match fault {
        Fault::ServerError | Fault::Hang => StatusCode::INTERNAL_SERVER_ERROR,
        Fault::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        Fault::None if id.starts_with("gone") => StatusCode::GONE,
        Fault::None => StatusCode::CREATED,
    };
    stub.push(json!({"method": "push", "id": id, "headers": h,
                     "body": URL_SAFE_NO_PAD.encode(&body), "status": status.as_u16()}));
    let mut res = status.into_response();
    if let Fault::RateLimited { retry_after } = fault {
        res.headers_mut()
            .insert("retry-after", retry_after.to_string().parse().unwrap());
    }
    res
}

/// Decrypts one push request with PyPI `http_ece` and checks its VAPID JWT with `py_vapid`;
/// returns the plaintext, or `None` when those modules are missing (skipped loudly).
pub async fn decrypt_with_python(
    call: &Value,
    endpoint: &str,
    vapid_private: &str,
) -> Option<Value> {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../orderbell-notify/tests/python/webpush_check.py"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let input = json!({"body": call["body"], "headers": call["headers"], "ua_private": UA_PRIVATE,
                       "auth": UA_AUTH, "vapid_private": vapid_private, "endpoint": endpoint, "now": now});
    let out = run_python(script, input.to_string()).await;
    if out.status.code() == Some(3) {
        if std::env::var("ORDERBELL_REQUIRE_PYTHON_ECE").as_deref() == Ok("1") {
            panic!("ORDERBELL_REQUIRE_PYTHON_ECE=1 but http_ece/py_vapid are missing");
        }
        eprintln!(
            "\n!!!!! SKIPPED Web Push decryption by http_ece (pip install http_ece py_vapid) !!!!!\n"
        );
        return None;
    }
    assert!(
        out.status.success(),
        "http_ece/py_vapid refused our push: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(v)
}

/// FCM: an OAuth token endpoint (checks the JWT-bearer grant and the assertion's claims) and
/// `messages:send` (checks the body's shape; tokens starting with `dead` are UNREGISTERED).
pub async fn fcm() -> (String, Stub) {
    let stub = Stub::default();
    let app = Router::new()
        .route("/token", post(fcm_token))
        .route("/v1/projects/{project}/messages:send", post(fcm_send))
        .with_state(stub.clone());
    (serve(app).await, stub)
}

async fn fcm_token(State(stub): State<Stub>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        get("grant_type").as_deref(),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    let assertion = get("assertion").unwrap();
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    assert_eq!(
        claims["iss"],
        "orderbell@test-project.iam.gserviceaccount.com"
    );
    stub.push(json!({"method": "token", "claims": claims}));
    axum::Json(
        json!({"access_token": "ya29.test-token", "expires_in": 3600, "token_type": "Bearer"}),
    )
    .into_response()
}

async fn fcm_send(
    Path(project): Path<String>,
    State(stub): State<Stub>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let msg: Value = serde_json::from_slice(&body).unwrap();
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let m = &msg["message"];
    let shape_ok = auth == "Bearer ya29.test-token"
        && project == "test-project"
        && m["token"].is_string()
        && m["notification"]["title"].is_string()
        && m["notification"]["body"].is_string()
        && m["data"]
            .as_object()
            .is_some_and(|d| d.values().all(Value::is_string));
    let token = m["token"].as_str().unwrap_or("").to_owned();
    let fault = stub
        .fault(json!({"method": "send", "message": msg, "shape_ok": shape_ok}))
        .await;
    if fault != Fault::Hang {
        let ok = fault == Fault::None && shape_ok && !token.starts_with("dead");
        stub.push(json!({"method": "send", "message": msg, "shape_ok": shape_ok, "ok": ok}));
    }
    let delay = stub.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    if !shape_ok {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad shape"}}))).into_response();
    }
    match fault {
        Fault::None => {}
        Fault::ServerError | Fault::Hang => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}),
                ),
            )
                .into_response();
        }
        Fault::RateLimited { retry_after } => {
            let mut res = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                    "message": "Quota exceeded", "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": "QUOTA_EXCEEDED"}]}})),
            )
                .into_response();
            res.headers_mut()
                .insert("retry-after", retry_after.to_string().parse().unwrap());
            return res;
        }
    }
    if token.starts_with("dead") {
        return (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}}))).into_response();
    }
    axum::Json(json!({"name": format!("projects/test-project/messages/{}", stub.next())}))
        .into_response()
}

/// A service-account key file for FCM with a fresh RSA key (made by `openssl`).
pub fn service_account(dir: &std::path::Path, token_uri: &str) -> PathBuf {
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let pem = String::from_utf8(out.stdout).unwrap();
    let path = dir.join("service-account.json");
    std::fs::write(
        &path,
        json!({"type": "service_account", "project_id": "test-project", "private_key_id": "k1",
               "private_key": pem, "client_email": "orderbell@test-project.iam.gserviceaccount.com",
               "client_id": "1", "token_uri": token_uri})
        .to_string(),
    )
    .unwrap();
    path
}
