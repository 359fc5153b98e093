//! Notifications end to end, as a new user would try them, with loopback stand-ins for the
//! providers: link Telegram with /start, take an order, the chat gets it with buttons, "Accept
//! 20" accepts it and the message is edited; link WhatsApp, status callbacks move the delivery
//! log to delivered and read; a Web Push subscription and an FCM token each receive the order
//! (the push decrypted by http_ece); a provider failing for a while delivers everything once
//! afterwards; a blocked chat is marked dead; a bad signature stores nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::stubs;
use std::time::Duration;

use crate::stubs::{Stub, eventually};
use crate::support::{As, TestApp, americano_order};
use orderbell_notify::SecretString;
use orderbell_notify::twilio::RequestValidator;
use orderbell_server::config::Config;
use orderbell_server::notifications::config::{
    DispatchSettings, FcmSettings, NotificationsConfig, TelegramMode, TelegramSettings,
    TwilioSettings, WebPushSettings,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PUBLIC: &str = "http://orderbell.test";
const VAPID: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";

struct Providers {
    telegram: Stub,
    twilio: Stub,
    push: Stub,
    push_base: String,
    fcm: Stub,
    _prism: Option<tokio::process::Child>,
    /// The FCM service account file (and the SQLite database, when there is one).
    _dir: Option<tempfile::TempDir>,
}

async fn app_with_providers(with_prism: bool) -> (TestApp, Providers) {
    app_with_providers_on(with_prism, false)
        .await
        .expect("SQLite is always there")
}

/// The app with every provider pointed at its stand-in, on SQLite or (when
/// `ORDERBELL_TEST_POSTGRES_URL` is set) PostgreSQL; `None` when PostgreSQL is asked for and
/// not there.
async fn app_with_providers_on(with_prism: bool, postgres: bool) -> Option<(TestApp, Providers)> {
    let (tg_url, telegram) = stubs::telegram().await;
    let prism = if with_prism {
        stubs::prism().await
    } else {
        None
    };
    let (prism_child, prism_url) = match prism {
        Some((c, u)) => (Some(c), Some(u)),
        None => (None, None),
    };
    let (tw_url, twilio) = stubs::twilio(prism_url).await;
    let (push_base, push) = stubs::push_service().await;
    let (fcm_url, fcm) = stubs::fcm().await;
    let dir = tempfile::tempdir().unwrap();
    let account = stubs::service_account(dir.path(), &format!("{fcm_url}/token"));
    let configure = move |config: &mut Config| {
        config.public_url = PUBLIC.into();
        config.notifications = NotificationsConfig {
            public_url: PUBLIC.into(),
            telegram: Some(TelegramSettings {
                api_url: tg_url.parse().unwrap(),
                bot_token: SecretString::from(stubs::BOT_TOKEN.to_owned()),
                mode: TelegramMode::Webhook,
            }),
            twilio: Some(TwilioSettings {
                api_url: tw_url.parse().unwrap(),
                account_sid: stubs::TWILIO_SID.into(),
                auth_token: SecretString::from(stubs::TWILIO_TOKEN.to_owned()),
                whatsapp_from: stubs::TWILIO_FROM.into(),
                voice_from: Some(stubs::TWILIO_FROM.into()),
                templates: Default::default(),
                messages_per_second: 80,
            }),
            webpush: WebPushSettings {
                vapid_private_key: Some(SecretString::from(VAPID.to_owned())),
                subject: Some("mailto:test@orderbell.test".into()),
                allow_http_endpoints: true,
            },
            fcm: Some(FcmSettings {
                service_account_file: account,
                api_url: fcm_url.parse().unwrap(),
            }),
            dispatch: DispatchSettings {
                poll_interval: Duration::from_millis(50),
                retry_base: Duration::from_secs(2),
                retry_max: Duration::from_secs(30),
                max_attempts: 50,
                retry_window: Duration::from_secs(3600),
                provider_timeout: Duration::from_secs(3),
                ..DispatchSettings::default()
            },
            mail: None,
        };
        // The readiness watchdog looks often, so tests need not wait for it.
        config.watchdog_interval = Duration::from_millis(100);
    };
    let providers = |dir| Providers {
        telegram,
        twilio,
        push,
        push_base,
        fcm,
        _prism: prism_child,
        _dir: dir,
    };
    if postgres {
        let app = TestApp::spawn_postgres_with(configure).await?;
        Some((app, providers(Some(dir))))
    } else {
        let mut config = Config::for_database(
            &format!("sqlite://{}/orderbell.db", dir.path().display()),
            PUBLIC,
        );
        configure(&mut config);
        let app = TestApp::spawn_with(config, Some(dir), None).await;
        Some((app, providers(None)))
    }
}

async fn webhook_secret(p: &Providers) -> String {
    eventually("setWebhook", async || {
        p.telegram
            .calls_of("setWebhook")
            .first()
            .map(|c| c["request"]["secret_token"].as_str().unwrap().to_owned())
    })
    .await
}

async fn tg_update(app: &TestApp, secret: Option<&str>, update: Value) -> StatusCode {
    let mut req = app
        .http
        .post(format!("{}/webhooks/telegram", app.base))
        .json(&update);
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    req.send().await.unwrap().status()
}

fn start(update_id: i64, chat: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": update_id, "date": 1_764_306_000,
        "chat": {"id": chat, "type": "private", "first_name": "Kim"},
        "from": {"id": chat, "is_bot": false, "first_name": "Kim", "language_code": "en"},
        "text": text}})
}

async fn delivery_log(app: &TestApp, who: &As, slug: &str, id: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/api/v1/shops/{slug}/orders/{id}/notifications"),
            who,
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body.as_array().unwrap().clone()
}

/// Links a member's Telegram chat through the API's deep link and `/start <code>`.
async fn link_telegram(
    app: &TestApp,
    p: &Providers,
    cookie: &As,
    slug: &str,
    chat: i64,
    update_id: i64,
) {
    let secret = webhook_secret(p).await;
    let res = app
        .post(
            &format!("/api/v1/shops/{slug}/telegram/link"),
            cookie,
            json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let url = res.body["url"].as_str().unwrap().to_owned();
    let prefix = format!("https://t.me/{}?start=", stubs::BOT_USERNAME);
    let code = url.strip_prefix(&prefix).unwrap();
    assert_eq!(
        tg_update(
            app,
            Some(&secret),
            start(update_id, chat, &format!("/start {code}"))
        )
        .await,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_link_order_buttons_and_edit() {
    let (app, p) = app_with_providers(false).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let secret = webhook_secret(&p).await;
    assert_eq!(
        p.telegram.calls_of("setWebhook")[0]["request"]["url"],
        format!("{PUBLIC}/webhooks/telegram")
    );

    // Without the secret (or with a wrong one) nothing is read or kept.
    assert_eq!(
        tg_update(&app, None, start(1, 42, "/start x")).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        tg_update(&app, Some("nope"), start(1, 42, "/start x")).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        app.state
            .store
            .webhook_log("telegram", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Unknown update kinds are acknowledged and ignored.
    let reaction = json!({"update_id": 5, "message_reaction": {"chat": {"id": 42, "type": "private"},
        "message_id": 9, "date": 1, "old_reaction": [], "new_reaction": []}});
    assert_eq!(
        tg_update(&app, Some(&secret), reaction).await,
        StatusCode::OK
    );

    link_telegram(&app, &p, &cookie, "cafe", 42, 10).await;
    let reply = eventually("the link confirmation", async || {
        p.telegram
            .calls_of("sendMessage")
            .into_iter()
            .find(|c| c["request"]["chat_id"] == 42)
    })
    .await;
    assert!(
        reply["request"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Linked"),
        "{reply}"
    );
    // The code is one-time: using it again links nothing.
    let log = app.state.store.webhook_log("telegram", 10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.outcome.as_deref() == Some("linked member"))
    );
    assert!(
        log.iter()
            .any(|e| e.kind == "other" && e.outcome.as_deref() == Some("ignored"))
    );

    // An order arrives in the chat with Accept 10/20/30, Reject and Print.
    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED);
    let id = order.body["id"].as_str().unwrap().to_owned();
    let sent = eventually("the new-order message", async || {
        p.telegram
            .calls_of("sendMessage")
            .into_iter()
            .find(|c| c["request"]["reply_markup"].is_object())
    })
    .await;
    let text = sent["request"]["text"].as_str().unwrap();
    assert!(
        text.contains("#1001") && text.contains("Americano") && text.contains("10,000"),
        "{text}"
    );
    let buttons: Vec<Value> = sent["request"]["reply_markup"]["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().clone())
        .collect();
    let labels: Vec<&str> = buttons
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    // The shop's locale is Korean (the member's chat said "en" but the link came first).
    assert_eq!(labels.len(), 5, "{labels:?}");
    let accept20 = buttons[1]["callback_data"].as_str().unwrap().to_owned();
    assert_eq!(accept20, format!("a:{id}:20"));
    let message_id = sent["response"]["result"]["message_id"].as_i64().unwrap();

    // Someone who is not a member presses the button: refused, nothing changes.
    let press = |from: i64, update_id: i64| {
        json!({"update_id": update_id, "callback_query": {"id": format!("cb{update_id}"), "chat_instance": "-1",
            "from": {"id": from, "is_bot": false, "first_name": "Kim", "language_code": "en"},
            "message": {"message_id": message_id, "date": 0, "chat": {"id": from, "type": "private"}},
            "data": accept20}})
    };
    assert_eq!(
        tg_update(&app, Some(&secret), press(777, 20)).await,
        StatusCode::OK
    );
    let answer = p.telegram.calls_of("answerCallbackQuery");
    assert_eq!(answer.last().unwrap()["request"]["show_alert"], true);
    // The member presses "Accept 20".
    assert_eq!(
        tg_update(&app, Some(&secret), press(42, 21)).await,
        StatusCode::OK
    );
    let got = app
        .get(
            &format!("/api/v1/shops/cafe/orders/{id}"),
            &As::Key(key.clone()),
        )
        .await;
    assert_eq!(got.body["status"], "accepted");
    assert_eq!(got.body["eta_minutes"], 20);
    let events = app
        .get(
            &format!("/api/v1/shops/cafe/orders/{id}/events"),
            &As::Key(key.clone()),
        )
        .await;
    assert_eq!(events.body[1]["actor"]["name"], "Test User");
    let answered = p.telegram.calls_of("answerCallbackQuery");
    assert_eq!(
        answered.last().unwrap()["request"]["callback_query_id"],
        "cb21"
    );
    let edit = eventually("the edited message", async || {
        p.telegram.calls_of("editMessageText").into_iter().next()
    })
    .await;
    assert_eq!(edit["request"]["message_id"], message_id);
    let edited = edit["request"]["text"].as_str().unwrap();
    assert!(
        edited.contains("20") && edited.contains("Test User"),
        "{edited}"
    );

    // The delivery log shows both, sent, with Telegram's message id.
    let log = eventually("the log to settle", async || {
        let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id).await;
        (log.len() == 2 && log.iter().all(|n| n["status"] == "sent")).then_some(log)
    })
    .await;
    assert_eq!(log[0]["channel"], "telegram");
    assert_eq!(log[0]["event"], "new_order");
    assert_eq!(log[0]["destination"], "chat …42");
    assert_eq!(log[0]["provider_message_id"], message_id.to_string());
    assert_eq!(log[1]["event"], "status_edit");

    // A second member whose chat blocked the bot: marked dead, not used again.
    let staff = app.user("staff@cafe.example", "a long password").await;
    app.state
        .store
        .set_member(
            &app.state
                .store
                .shop_by_slug("cafe")
                .await
                .unwrap()
                .unwrap()
                .id,
            &staff.id,
            orderbell_core::user::Role::Staff,
            app.state.now(),
        )
        .await
        .unwrap();
    let staff_cookie = As::Session(app.login("staff@cafe.example", "a long password").await);
    link_telegram(&app, &p, &staff_cookie, "cafe", stubs::BLOCKED_CHAT, 30).await;
    let second = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    let id2 = second.body["id"].as_str().unwrap().to_owned();
    let log = eventually("the blocked chat to fail", async || {
        let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id2).await;
        log.iter().any(|n| n["status"] == "failed").then_some(log)
    })
    .await;
    let failed = log.iter().find(|n| n["status"] == "failed").unwrap();
    assert_eq!(failed["error_code"], "403");
    assert_eq!(failed["attempts"], 1, "not retried");
    let links = app.get("/api/v1/me/channels", &staff_cookie).await;
    assert_eq!(links.body[0]["status"], "dead", "{}", links.body);
    let third = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    let id3 = third.body["id"].as_str().unwrap().to_owned();
    let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id3).await;
    assert_eq!(log.len(), 1, "the dead chat gets nothing: {log:?}");

    // /stop unlinks.
    assert_eq!(
        tg_update(&app, Some(&secret), start(40, 42, "/stop")).await,
        StatusCode::OK
    );
    let links = app.get("/api/v1/me/channels", &cookie).await;
    assert_eq!(links.body[0]["status"], "unlinked");

    stubs::validate_with_aiogram(&p.telegram).await;
}

fn signed(url: &str, params: &[(&str, &str)], token: &str) -> String {
    RequestValidator::new(SecretString::from(token.to_owned())).compute_signature(url, params)
}

async fn twilio_post(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    signature: Option<String>,
) -> reqwest::Response {
    let mut req = app.http.post(format!("{}{path}", app.base)).form(params);
    if let Some(s) = signature {
        req = req.header("X-Twilio-Signature", s);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_link_order_and_status_callbacks() {
    let (app, p) = app_with_providers(true).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let res = app
        .post("/api/v1/shops/cafe/whatsapp/link", &cookie, json!({}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(
        res.body["url"]
            .as_str()
            .unwrap()
            .starts_with("https://wa.me/14155238886?text=link%20")
    );
    let text = res.body["text"].as_str().unwrap().to_owned();

    let incoming = format!("{PUBLIC}/webhooks/twilio/whatsapp");
    let from = "whatsapp:+821012345678";
    let params = [
        ("From", from),
        ("To", "whatsapp:+14155238886"),
        ("Body", text.as_str()),
        ("MessageSid", "SM00000000000000000000000000000001"),
        ("AccountSid", stubs::TWILIO_SID),
    ];
    // A bad signature (wrong token, or the signature of another URL): 403, nothing stored.
    for bad in [
        Some(signed(&incoming, &params, "wrong-token")),
        Some(signed(
            &format!("{}/webhooks/twilio/whatsapp", app.base),
            &params,
            stubs::TWILIO_TOKEN,
        )),
        None,
    ] {
        let r = twilio_post(&app, "/webhooks/twilio/whatsapp", &params, bad).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    assert!(
        app.state
            .store
            .webhook_log("twilio", 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.get("/api/v1/me/channels", &cookie)
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );

    let r = twilio_post(
        &app,
        "/webhooks/twilio/whatsapp",
        &params,
        Some(signed(&incoming, &params, stubs::TWILIO_TOKEN)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<Message>"));
    let links = app.get("/api/v1/me/channels", &cookie).await;
    assert_eq!(links.body[0]["channel"], "whatsapp");
    assert_eq!(links.body[0]["status"], "active");

    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    let id = order.body["id"].as_str().unwrap().to_owned();
    let log = eventually("the WhatsApp message", async || {
        let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id).await;
        log.iter().any(|n| n["status"] == "sent").then_some(log)
    })
    .await;
    let sid = log[0]["provider_message_id"].as_str().unwrap().to_owned();
    let call = &p.twilio.calls_of("Messages")[0];
    assert_eq!(
        call["status"], 201,
        "Twilio's description refused our request: {call}"
    );
    let form: Vec<(String, String)> = serde_json::from_value(call["form"].clone()).unwrap();
    let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(field("To"), Some("whatsapp:+821012345678"));
    assert_eq!(field("From"), Some("whatsapp:+14155238886"));
    assert_eq!(
        field("StatusCallback"),
        Some("http://orderbell.test/webhooks/twilio/status")
    );
    assert!(
        field("Body").unwrap().contains("#1001"),
        "inside the 24-hour window: free text"
    );

    let status_url = format!("{PUBLIC}/webhooks/twilio/status");
    for status in ["sent", "delivered", "read"] {
        let params = [
            ("MessageSid", sid.as_str()),
            ("MessageStatus", status),
            ("AccountSid", stubs::TWILIO_SID),
        ];
        let r = twilio_post(
            &app,
            "/webhooks/twilio/status",
            &params,
            Some(signed(&status_url, &params, stubs::TWILIO_TOKEN)),
        )
        .await;
        assert!(r.status().is_success(), "{}", r.status());
        let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id).await;
        assert_eq!(log[0]["status"], status);
    }
    // A forged callback changes nothing.
    let params = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "failed"),
        ("ErrorCode", "30008"),
    ];
    let r = twilio_post(
        &app,
        "/webhooks/twilio/status",
        &params,
        Some("AAAA".into()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        delivery_log(&app, &As::Key(key.clone()), "cafe", &id).await[0]["status"],
        "read"
    );

    // The member answers "accept 1001 15".
    let params = [("From", from), ("Body", "accept 1001 15")];
    let r = twilio_post(
        &app,
        "/webhooks/twilio/whatsapp",
        &params,
        Some(signed(&incoming, &params, stubs::TWILIO_TOKEN)),
    )
    .await;
    // A Korean number gets its reply in Korean, the state in words (not the code `accepted`).
    let reply = r.text().await.unwrap();
    assert!(reply.contains("주문 #1001: 수락됨"), "{reply}");
    let got = app
        .get(
            &format!("/api/v1/shops/cafe/orders/{id}"),
            &As::Key(key.clone()),
        )
        .await;
    assert_eq!(
        (
            got.body["status"].as_str(),
            got.body["eta_minutes"].as_i64()
        ),
        (Some("accepted"), Some(15))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_push_and_fcm_receive_the_order() {
    let (app, p) = app_with_providers(false).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let vapid = app.get("/api/v1/push/vapid-public-key", &As::Nobody).await;
    assert_eq!(
        vapid.body["public_key"],
        "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
    );
    let endpoint = format!("{}/push/device-1", p.push_base);
    let sub = json!({"endpoint": endpoint, "expirationTime": null, "keys": {"p256dh": stubs::UA_PUBLIC, "auth": stubs::UA_AUTH}});
    assert_eq!(
        app.post("/api/v1/me/push/webpush", &As::Nobody, sub.clone())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let bad = json!({"endpoint": endpoint, "keys": {"p256dh": "AAAA", "auth": stubs::UA_AUTH}});
    assert_eq!(
        app.post("/api/v1/me/push/webpush", &cookie, bad)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post("/api/v1/me/push/webpush", &cookie, sub)
            .await
            .status,
        StatusCode::CREATED
    );
    let gone = json!({"endpoint": format!("{}/push/gone-1", p.push_base), "keys": {"p256dh": stubs::UA_PUBLIC, "auth": stubs::UA_AUTH}});
    assert_eq!(
        app.post("/api/v1/me/push/webpush", &cookie, gone)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post(
            "/api/v1/me/push/fcm",
            &cookie,
            json!({"token": "fcm-device-1"})
        )
        .await
        .status,
        StatusCode::CREATED
    );

    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    let id = order.body["id"].as_str().unwrap().to_owned();
    let log = eventually("push and FCM", async || {
        let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id).await;
        (log.len() == 3
            && log
                .iter()
                .all(|n| n["status"] != "queued" && n["status"] != "sending"))
        .then_some(log)
    })
    .await;
    let statuses: Vec<(&str, &str)> = log
        .iter()
        .map(|n| {
            (
                n["channel"].as_str().unwrap(),
                n["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![("webpush", "sent"), ("webpush", "failed"), ("fcm", "sent")]
    );

    let push = p
        .push
        .calls()
        .into_iter()
        .find(|c| c["id"] == "device-1")
        .unwrap();
    assert_eq!(push["headers"]["urgency"], "high");
    assert_eq!(push["headers"]["content-encoding"], "aes128gcm");
    assert!(
        push["headers"]["ttl"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    if let Some(checked) = stubs::decrypt_with_python(&push, &endpoint, VAPID).await {
        let plain: Value = serde_json::from_str(checked["plaintext"].as_str().unwrap()).unwrap();
        assert_eq!(plain["number"], 1001);
        assert_eq!(plain["order_id"], id.as_str());
        assert!(plain["title"].as_str().unwrap().contains("1001"));
        assert_eq!(plain["url"], "http://orderbell.test/dashboard/cafe");
    }
    // 410 Gone: the subscription is removed (dead) and not used again.
    let links = app.get("/api/v1/me/channels", &cookie).await;
    let dead: Vec<&Value> = links
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["status"] == "dead")
        .collect();
    assert_eq!(dead.len(), 1);

    let sent = p.fcm.calls_of("send");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["shape_ok"], true);
    let m = &sent[0]["message"]["message"];
    assert_eq!(m["token"], "fcm-device-1");
    assert_eq!(m["data"]["order_id"], id.as_str());
    assert_eq!(m["android"]["priority"], "high");
    assert_eq!(p.fcm.calls_of("token").len(), 1);

    // A customer's browser follows the order by its tracking token, and hears it accepted.
    let token = order.body["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let customer = json!({"endpoint": format!("{}/push/customer-1", p.push_base), "keys": {"p256dh": stubs::UA_PUBLIC, "auth": stubs::UA_AUTH}, "locale": "ko"});
    let r = app
        .post(
            &format!("/api/v1/orders/{token}/push/webpush"),
            &As::Nobody,
            customer,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(
            &format!("/api/v1/shops/cafe/orders/{id}/accept"),
            &As::Key(key.clone()),
            json!({"eta_minutes": 15}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let call = eventually("the customer's push", async || {
        p.push.calls().into_iter().find(|c| c["id"] == "customer-1")
    })
    .await;
    if let Some(checked) =
        stubs::decrypt_with_python(&call, &format!("{}/push/customer-1", p.push_base), VAPID).await
    {
        let plain: Value = serde_json::from_str(checked["plaintext"].as_str().unwrap()).unwrap();
        assert_eq!(plain["event"], "accepted");
        assert_eq!(plain["body"], "약 15분 후 준비됩니다.");
        assert_eq!(plain["url"], format!("http://orderbell.test/o/{token}"));
    }

    // Not a push endpoint at all (the SSRF guard itself is tested in orderbell-notify; this
    // server runs with the dev flag for its loopback push service).
    let r = app.post("/api/v1/me/push/webpush", &cookie, json!({"endpoint": "ftp://x", "keys": {"p256dh": stubs::UA_PUBLIC, "auth": stubs::UA_AUTH}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_provider_delivers_everything_once_afterwards() {
    let (app, p) = app_with_providers(false).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    // This story is about retries of the new-order sends alone: no escalation in its window.
    let quiet = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(
                json!({"alerts": {"repeat_after_seconds": 86400, "call_after_seconds": null,
                                   "miss_after_seconds": null, "unheard_after_seconds": 86400}}),
            ),
        )
        .await;
    assert_eq!(quiet.status, StatusCode::OK, "{}", quiet.body);
    for i in 0..3 {
        let r = app
            .post(
                "/api/v1/me/push/fcm",
                &cookie,
                json!({"token": format!("fcm-{i}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    p.fcm.fail(stubs::Fault::ServerError);
    let mut ids = vec![];
    for _ in 0..4 {
        let o = app
            .post(
                "/api/v1/shops/cafe/orders",
                &As::Key(key.clone()),
                americano_order(),
            )
            .await;
        ids.push(o.body["id"].as_str().unwrap().to_owned());
    }
    // "Two minutes" of 503s on the injected clock: every attempt fails and is rescheduled.
    let mut minutes = 0;
    while minutes < 2 * 60 {
        eventually("the due rows to be tried", async || {
            let next = app.state.store.next_notification_at().await.unwrap();
            next.is_some_and(|t| t > app.state.now()).then_some(())
        })
        .await;
        app.clock.advance(jiff::SignedDuration::from_secs(10));
        minutes += 10;
    }
    // Every row tried and back in the queue for later (none in flight, none due: a due row
    // could be claimed between two looks).
    for id in &ids {
        eventually("the rows to be back in the queue", async || {
            let now = app.state.now();
            let log = delivery_log(&app, &As::Key(key.clone()), "cafe", id).await;
            log.iter()
                .all(|n| {
                    n["status"] == "queued"
                        && n["next_attempt_at"]
                            .as_str()
                            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                            .is_some_and(|t| t > now)
                })
                .then_some(())
        })
        .await;
    }
    let failed_sends = p.fcm.calls_of("send").len();
    assert!(failed_sends >= 12 * 2, "retried: {failed_sends}");
    for id in &ids {
        for n in delivery_log(&app, &As::Key(key.clone()), "cafe", id).await {
            assert_eq!(n["status"], "queued");
            assert_eq!(n["error_code"], "UNAVAILABLE");
            assert!(n["attempts"].as_i64().unwrap() >= 2);
        }
    }
    p.fcm.recover();
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    for id in &ids {
        eventually("delivery after the outage", async || {
            let log = delivery_log(&app, &As::Key(key.clone()), "cafe", id).await;
            log.iter().all(|n| n["status"] == "sent").then_some(())
        })
        .await;
    }
    // Nothing twice: one successful send per (order, token).
    let ok: Vec<(String, String)> = p
        .fcm
        .calls_of("send")
        .iter()
        .skip(failed_sends)
        .map(|c| {
            let m = &c["message"]["message"];
            (
                m["data"]["order_id"].as_str().unwrap().to_owned(),
                m["token"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut unique = ok.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ok.len(), 12, "{ok:?}");
    assert_eq!(unique.len(), 12);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        p.fcm.calls_of("send").len(),
        failed_sends + 12,
        "no late duplicates"
    );
}

/// Never miss an order: the alert policy through the API (checked), a repeat as a NEW Telegram
/// message, a call whose request Prism checks against Twilio's own description, a keypad
/// answer (a wrong signature changes nothing; 1 accepts with the shop's default ETA), and then
/// nothing more for that order. The server's clock is moved by hand; the escalation loop runs
/// for real.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_order_escalates_until_the_phone_keypad_accepts_it() {
    let (app, p) = app_with_providers(true).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    link_telegram(&app, &p, &cookie, "cafe", 42, 10).await;

    // The policy is checked field by field, then stored and returned.
    let bad = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(json!({"alerts": {"repeat_after_seconds": 5, "miss_after_seconds": 100000}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.code(), "validation_failed");
    let fields: Vec<&str> = bad.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["alerts.repeat_after_seconds", "alerts.miss_after_seconds"]
    );
    let ok = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(json!({"phone": "+8221234567", "default_eta_minutes": 20,
                        "alerts": {"repeat_after_seconds": 60, "repeat_every_seconds": 60,
                                   "call_after_seconds": 120, "miss_after_seconds": 600,
                                   "unheard_after_seconds": 86400}})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let got = app.get("/api/v1/shops/cafe", &cookie).await;
    assert_eq!(got.body["alerts"]["call_after_seconds"], 120);
    assert_eq!(got.body["alerts"]["miss_after_seconds"], 600);
    assert_eq!(got.body["default_eta_minutes"], 20);
    // Guests do not see the policy.
    assert!(
        app.get("/api/v1/shops/cafe", &As::Nobody)
            .await
            .body
            .get("alerts")
            .is_none()
    );
    // The owner's own phone rings too.
    let me = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            &cookie,
            Some(json!({"phone": "010-1234"})),
        )
        .await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", me.body);
    let me = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/me",
            &cookie,
            Some(json!({"phone": "+821012345678"})),
        )
        .await;
    assert_eq!(me.body["user"]["phone"], "+821012345678");

    // Nobody would hear an order: no dashboard with sound, no printer.
    let ready = app
        .get("/api/v1/shops/cafe/readiness", &As::Key(key.clone()))
        .await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.body["hearing"], false);
    assert_eq!(ready.body["open"], true);
    assert_eq!(ready.body["listeners"]["channels"], 1);
    assert!(
        ready.body["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "no_dashboard_with_sound")
    );

    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    let id = order.body["id"].as_str().unwrap().to_owned();
    let to_chat = || {
        p.telegram
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| c["request"]["chat_id"] == 42)
            .collect::<Vec<_>>()
    };
    let first = eventually("the new-order message", async || {
        let sent = to_chat();
        (sent.len() >= 2).then_some(sent.len())
    })
    .await;

    // 61 s later: a new message (not an edit) saying how long it waited, with the buttons.
    app.clock.advance(jiff::SignedDuration::from_secs(61));
    let reminder = eventually("the repeat", async || {
        let sent = to_chat();
        (sent.len() > first).then(|| sent[first].clone())
    })
    .await;
    let text = reminder["request"]["text"].as_str().unwrap();
    assert!(
        text.contains("#1001") && (text.contains("1 min") || text.contains("1분")),
        "{text}"
    );
    assert!(reminder["request"]["reply_markup"]["inline_keyboard"].is_array());

    // 121 s: the call, to the owner's phone and the shop's phone, accepted by Prism.
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    let calls = eventually("two calls", async || {
        let calls = p.twilio.calls_of("Calls");
        (calls.len() >= 2).then_some(calls)
    })
    .await;
    let mut to: Vec<String> = calls
        .iter()
        .map(|c| {
            let form = c["form"].as_array().unwrap();
            form.iter().find(|kv| kv[0] == "To").unwrap()[1]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    to.sort();
    assert_eq!(to, vec!["+821012345678", "+8221234567"]);
    assert!(calls.iter().all(|c| c["status"] == 201), "{calls:#?}");
    let twiml = calls[0]["form"]
        .as_array()
        .unwrap()
        .iter()
        .find(|kv| kv[0] == "Twiml")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        twiml.contains("<Gather") && twiml.contains("numDigits=\"1\""),
        "{twiml}"
    );
    let start = twiml.find("action=\"").unwrap() + "action=\"".len();
    let action = twiml[start..start + twiml[start..].find('"').unwrap()].replace("&amp;", "&");
    assert!(
        action.starts_with(&format!("{PUBLIC}/webhooks/twilio/voice?n=")),
        "{action}"
    );
    let path = action.strip_prefix(PUBLIC).unwrap().to_owned();

    // A wrong signature: 403, nothing changes.
    let params = [("Digits", "1"), ("AccountSid", stubs::TWILIO_SID)];
    let r = twilio_post(
        &app,
        &path,
        &params,
        Some(signed(&action, &params, "wrong")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let still = app
        .get(
            &format!("/api/v1/shops/cafe/orders/{id}"),
            &As::Key(key.clone()),
        )
        .await;
    assert_eq!(still.body["status"], "pending");

    // Another key repeats the question; 1 accepts with the shop's default ETA.
    let repeat = [("Digits", "7"), ("AccountSid", stubs::TWILIO_SID)];
    let r = twilio_post(
        &app,
        &path,
        &repeat,
        Some(signed(&action, &repeat, stubs::TWILIO_TOKEN)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("<Gather"));
    let r = twilio_post(
        &app,
        &path,
        &params,
        Some(signed(&action, &params, stubs::TWILIO_TOKEN)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let answer = r.text().await.unwrap();
    assert!(
        answer.contains("<Hangup/>") && answer.contains("1001"),
        "{answer}"
    );
    let accepted = app
        .get(
            &format!("/api/v1/shops/cafe/orders/{id}"),
            &As::Key(key.clone()),
        )
        .await;
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["eta_minutes"], 20);

    // Nothing follows an answered order: no repeat, no call, no "missed", even at 10 minutes.
    // (Messages about the shop itself may come meanwhile: with no dashboard or printer open the
    // readiness watchdog tells the owner nobody would hear a new order, on its own timer.)
    let about_the_order = || {
        to_chat()
            .into_iter()
            .filter(|c| {
                c["request"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("1001"))
            })
            .count()
    };
    // A repeat already being sent when the keypad answered may still arrive: wait until the
    // order has nothing queued or in flight before counting.
    let shop_id = app
        .state
        .store
        .shop_by_slug("cafe")
        .await
        .unwrap()
        .unwrap()
        .id;
    let order_id = orderbell_core::OrderId::parse(&id).unwrap();
    eventually("the order's outbox to settle", async || {
        let rows = app
            .state
            .store
            .order_notifications(&shop_id, &order_id)
            .await
            .unwrap();
        rows.iter()
            .all(|n| {
                !matches!(
                    n.status,
                    orderbell_store::notifications::NotificationStatus::Queued
                        | orderbell_store::notifications::NotificationStatus::Sending
                )
            })
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent_before = about_the_order();
    app.clock.advance(jiff::SignedDuration::from_secs(700));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(about_the_order(), sent_before, "{:#?}", to_chat().last());
    assert_eq!(p.twilio.calls_of("Calls").len(), 2);
    let done = app
        .get(
            &format!("/api/v1/shops/cafe/orders/{id}"),
            &As::Key(key.clone()),
        )
        .await;
    assert_eq!(done.body["status"], "accepted");
}

/// Links a member's WhatsApp number: the link text sent from that number, signed like Twilio.
async fn link_whatsapp(app: &TestApp, cookie: &As, slug: &str, number: &str, sid: u32) {
    let res = app
        .post(
            &format!("/api/v1/shops/{slug}/whatsapp/link"),
            cookie,
            json!({}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let text = res.body["text"].as_str().unwrap().to_owned();
    let from = format!("whatsapp:{number}");
    let message_sid = format!("SM{sid:032}");
    let params = [
        ("From", from.as_str()),
        ("To", "whatsapp:+14155238886"),
        ("Body", text.as_str()),
        ("MessageSid", message_sid.as_str()),
        ("AccountSid", stubs::TWILIO_SID),
    ];
    let incoming = format!("{PUBLIC}/webhooks/twilio/whatsapp");
    let r = twilio_post(
        app,
        "/webhooks/twilio/whatsapp",
        &params,
        Some(signed(&incoming, &params, stubs::TWILIO_TOKEN)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Every provider — Telegram, WhatsApp and voice calls (Twilio), Web Push, FCM — failing
/// together for two minutes on the injected clock: 500s, then requests that never answer
/// (the client's timeout ends them), then 429 with a `Retry-After` longer than the rest of the
/// outage. Nothing is lost, a 429 is not retried before its time, and every notification goes
/// exactly once when the providers come back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_failing_together_loses_nothing_and_sends_nothing_twice() {
    let (app, p) = app_with_providers(false).await;
    provider_outage(app, p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_failing_together_on_postgres() {
    if let Some((app, p)) = app_with_providers_on(false, true).await {
        provider_outage(app, p).await;
    }
}

async fn provider_outage(app: TestApp, p: Providers) {
    use stubs::Fault;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let quiet = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(json!({"phone": "+8221234567",
                        "alerts": {"repeat_after_seconds": 86400, "call_after_seconds": 30,
                                   "miss_after_seconds": null, "unheard_after_seconds": 86400}})),
        )
        .await;
    assert_eq!(quiet.status, StatusCode::OK, "{}", quiet.body);
    link_telegram(&app, &p, &cookie, "cafe", 42, 10).await;
    link_whatsapp(&app, &cookie, "cafe", "+821012345678", 1).await;
    let sub = json!({"endpoint": format!("{}/push/device-1", p.push_base),
                     "keys": {"p256dh": stubs::UA_PUBLIC, "auth": stubs::UA_AUTH}});
    let r = app.post("/api/v1/me/push/webpush", &cookie, sub).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post("/api/v1/me/push/fcm", &cookie, json!({"token": "fcm-1"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // (Linking answered on WhatsApp before the outage; only what follows counts.)
    let stubs = [&p.telegram, &p.twilio, &p.push, &p.fcm];
    let tries = || stubs.map(|s| s.calls().iter().filter(|c| c["method"] != "token").count());
    let at_start = tries();
    let set = |fault: Fault| stubs.iter().for_each(|s| s.fail(fault));

    set(Fault::ServerError);
    let mut ids = vec![];
    for _ in 0..3 {
        let o = app
            .post(
                "/api/v1/shops/cafe/orders",
                &As::Key(key.clone()),
                americano_order(),
            )
            .await;
        assert_eq!(o.status, StatusCode::CREATED);
        ids.push(o.body["id"].as_str().unwrap().to_owned());
    }
    let mut phase_start = at_start;
    let mut phases = vec![];
    let mut rate_limited_from = app.state.now();
    for (fault, seconds) in [
        (Fault::ServerError, 40),
        (Fault::Hang, 40),
        (Fault::RateLimited { retry_after: 90 }, 40),
    ] {
        set(fault);
        if matches!(fault, Fault::RateLimited { .. }) {
            rate_limited_from = app.state.now();
        }
        let mut passed = 0;
        while passed < seconds {
            // Time moves on once nothing is due or in flight (a hanging request ends by the
            // client's timeout first), so every phase sees the rows it should.
            eventually("the due rows to be tried", async || {
                let now = app.state.now();
                for id in &ids {
                    let log = delivery_log(&app, &As::Key(key.clone()), "cafe", id).await;
                    let waiting = log.iter().all(|n| {
                        n["status"] == "sent"
                            || (n["status"] == "queued"
                                && n["next_attempt_at"]
                                    .as_str()
                                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                                    .is_some_and(|t| t > now))
                    });
                    if !waiting {
                        return None;
                    }
                }
                Some(())
            })
            .await;
            app.clock.advance(jiff::SignedDuration::from_secs(10));
            passed += 10;
        }
        let now = tries();
        phases.push((
            fault,
            std::array::from_fn::<_, 4, _>(|i| now[i] - phase_start[i]),
        ));
        phase_start = now;
    }
    eprintln!("tries per phase (telegram, twilio, push, fcm): {phases:?}");
    for (fault, tried) in &phases {
        assert!(
            tried.iter().sum::<usize>() >= 1,
            "the providers were tried during {fault:?}: {phases:?}"
        );
    }
    // A 429 with `Retry-After: 90` is not tried again sooner (the backoff alone would be at
    // most 30 s here).
    let not_before = rate_limited_from
        .checked_add(jiff::SignedDuration::from_secs(90))
        .unwrap();
    let mut waiting = 0;
    for id in &ids {
        for n in delivery_log(&app, &As::Key(key.clone()), "cafe", id).await {
            let error = n["last_error"].as_str().unwrap_or("");
            if n["status"] == "queued" && (error.contains("429") || error.contains("QUOTA")) {
                let next: jiff::Timestamp = n["next_attempt_at"].as_str().unwrap().parse().unwrap();
                assert!(next >= not_before, "retried before Retry-After: {n}");
                waiting += 1;
            }
        }
    }
    assert!(waiting >= 1, "some rows wait for their Retry-After");
    set(Fault::None);

    // The providers are back; time goes on until every row is out.
    let mut rows = 0;
    let mut channels = std::collections::BTreeSet::new();
    for id in &ids {
        let log = {
            let mut steps = 0;
            loop {
                app.clock.advance(jiff::SignedDuration::from_secs(10));
                tokio::time::sleep(Duration::from_millis(300)).await;
                let log = delivery_log(&app, &As::Key(key.clone()), "cafe", id).await;
                if log.iter().all(|n| n["status"] == "sent") {
                    break log;
                }
                steps += 1;
                assert!(steps < 60, "not delivered after the outage: {log:#?}");
            }
        };
        for channel in ["telegram", "whatsapp", "webpush", "fcm"] {
            let n = log
                .iter()
                .filter(|n| n["channel"] == channel && n["event"] == "new_order")
                .count();
            assert_eq!(n, 1, "{channel} for {id}: {log:#?}");
        }
        channels.extend(
            log.iter()
                .map(|n| n["channel"].as_str().unwrap().to_owned()),
        );
    }
    assert!(channels.contains("voice"), "a call was made: {channels:?}");
    // (Escalation calls went on while time passed: count every row once all are out.)
    for id in &ids {
        let log = eventually("the last rows to go", async || {
            let log = delivery_log(&app, &As::Key(key.clone()), "cafe", id).await;
            log.iter().all(|n| n["status"] == "sent").then_some(log)
        })
        .await;
        rows += log.len();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Exactly one successful call per row (every answer before the providers came back was a
    // failure).
    let succeeded = |c: &Value| {
        c["hung"].is_null()
            && (c["response"]["ok"] == true || c["status"] == 201 || c["ok"] == true)
    };
    let sent: usize = stubs
        .iter()
        .zip(at_start)
        .map(|(s, from)| {
            s.calls()
                .iter()
                .filter(|c| c["method"] != "token")
                .skip(from)
                .filter(|c| succeeded(c))
                .count()
        })
        .sum();
    assert_eq!(sent, rows, "once each: {phases:?}");
}

/// The clock jumps past a send's lease while the provider is still answering: the row is
/// claimed again, but the dispatcher knows it is in flight and does not send it twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_jump_past_a_lease_does_not_send_twice() {
    let (app, p) = app_with_providers(false).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let r = app
        .post("/api/v1/me/push/fcm", &cookie, json!({"token": "fcm-slow"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    p.fcm
        .delay_ms
        .store(2000, std::sync::atomic::Ordering::SeqCst);
    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    let id = order.body["id"].as_str().unwrap().to_owned();
    eventually("the send to be under way", async || {
        p.fcm
            .calls_of("send")
            .iter()
            .any(|c| c["message"]["message"]["data"]["order_id"] == id.as_str())
            .then_some(())
    })
    .await;
    // Past the 60 s lease while the provider takes its time; the dispatcher polls meanwhile.
    app.clock.advance(jiff::SignedDuration::from_secs(120));
    tokio::time::sleep(Duration::from_millis(500)).await;
    p.fcm.delay_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    eventually("the send to be recorded", async || {
        let log = delivery_log(&app, &As::Key(key.clone()), "cafe", &id).await;
        log.iter()
            .any(|n| n["channel"] == "fcm" && n["status"] == "sent")
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    // (The jump also brings the order's reminder, and maybe a word about the shop itself.)
    let about_the_order: Vec<_> = p
        .fcm
        .calls_of("send")
        .into_iter()
        .filter(|c| {
            let data = &c["message"]["message"]["data"];
            data["order_id"] == id.as_str() && data["event"] == "new_order"
        })
        .collect();
    assert_eq!(about_the_order.len(), 1, "sent once: {about_the_order:#?}");
}

/// A server without Telegram or Twilio credentials says so with a 4xx that names what its
/// operator must set, not a server error.
#[tokio::test]
async fn linking_an_unconfigured_channel_says_what_to_set() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    for (channel, setting) in [
        ("telegram", "ORDERBELL_TELEGRAM_BOT_TOKEN"),
        ("whatsapp", "ORDERBELL_TWILIO_WHATSAPP_FROM"),
    ] {
        let res = app
            .post(
                &format!("/api/v1/shops/cafe/{channel}/link"),
                &cookie,
                json!({}),
            )
            .await;
        assert_eq!(
            (res.status, res.code()),
            (StatusCode::CONFLICT, "not_configured"),
            "{channel}: {}",
            res.body
        );
        assert!(
            res.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(setting)
        );
    }
}

/// A reminder a dispatcher had already claimed when someone answered is not sent: the answer
/// cancels the queued ones, the dispatcher checks the ones in flight before sending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_in_flight_when_the_order_is_answered_is_not_sent() {
    use orderbell_store::notifications::{NotificationStatus, NotifyEvent};
    let (app, p) = app_with_providers(false).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    link_telegram(&app, &p, &cookie, "cafe", 42, 10).await;
    let ok = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(
                json!({"alerts": {"repeat_after_seconds": 60, "call_after_seconds": null,
                                   "miss_after_seconds": 3600, "unheard_after_seconds": 86400}}),
            ),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let order = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key.clone()),
            americano_order(),
        )
        .await;
    let id = orderbell_core::OrderId::parse(order.body["id"].as_str().unwrap()).unwrap();
    let shop = app.state.store.shop_by_slug("cafe").await.unwrap().unwrap();
    eventually("the new-order message", async || {
        (!p.telegram.calls_of("sendMessage").is_empty()).then_some(())
    })
    .await;

    // The reminder falls due, and a dispatcher (this test) takes it, as if it were about to
    // send it when the answer came: the server's own clock is not there yet, so its dispatcher
    // leaves it alone.
    let due = app.state.now() + jiff::SignedDuration::from_secs(61);
    let fired = app
        .state
        .store
        .fire_due_alerts(due, 10, false)
        .await
        .unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");
    let lease = due + jiff::SignedDuration::from_secs(30);
    let claimed = app
        .state
        .store
        .claim_notifications(due, lease, "slow-dispatcher", 10)
        .await
        .unwrap();
    let reminders: Vec<i64> = claimed
        .iter()
        .filter(|n| n.event == NotifyEvent::Reminder)
        .map(|n| n.id)
        .collect();
    assert_eq!(reminders.len(), 1, "{claimed:#?}");

    // Someone answers. Then that dispatcher dies; its lease runs out and the server's
    // dispatcher takes the row over.
    let acked = app
        .post(
            &format!("/api/v1/shops/cafe/orders/{id}/acknowledge"),
            &As::Key(key.clone()),
            json!({}),
        )
        .await;
    assert_eq!(acked.status, StatusCode::OK, "{}", acked.body);
    app.clock.advance(jiff::SignedDuration::from_secs(95));
    let status = eventually("the reminder to be settled", async || {
        let rows = app
            .state
            .store
            .order_notifications(&shop.id, &id)
            .await
            .unwrap();
        rows.iter()
            .find(|n| n.id == reminders[0])
            .map(|n| n.status)
            .filter(|s| !matches!(s, NotificationStatus::Queued | NotificationStatus::Sending))
    })
    .await;
    assert_eq!(status, NotificationStatus::Cancelled);
    let waited = p
        .telegram
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| {
            c["request"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("waiting") || t.contains("기다"))
        })
        .count();
    assert_eq!(waited, 0, "no reminder reached the chat");
}

/// Opening hours and pauses close guest ordering with 409 `shop_closed` and `reopens_at`;
/// the shop's own systems still order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_shop_refuses_guests_with_shop_closed() {
    let app = TestApp::spawn().await;
    let (owner, key) = app.shop_with_key("cafe", &["orders:write", "manage"]).await;
    let cookie = As::Session(app.login(&owner.email, "a long password").await);
    let until = app
        .state
        .now()
        .checked_add(jiff::SignedDuration::from_mins(30))
        .unwrap();
    let r = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(json!({"paused_until": until.to_string()})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["open_now"], false);
    let menu = app.get("/api/v1/shops/cafe/menu", &As::Nobody).await;
    let _ = menu;
    let guest = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Nobody,
            json!({"items": [{"menu_item_id": "x", "quantity": 1}]}),
        )
        .await;
    assert_eq!(guest.status, StatusCode::CONFLICT, "{}", guest.body);
    assert_eq!(guest.code(), "shop_closed");
    assert_eq!(guest.body["error"]["reopens_at"], json!(until.to_string()));
    // The shop's own till is the shop itself: still taken.
    let till = app
        .post(
            "/api/v1/shops/cafe/orders",
            &As::Key(key),
            americano_order(),
        )
        .await;
    assert_eq!(till.status, StatusCode::CREATED, "{}", till.body);
    // Opening hours that never include now: closed until the next opening.
    let r = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &cookie,
            Some(json!({"paused_until": null, "opening_hours": {"mon": [["25:00", "26:00"]]}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.body["error"]["fields"][0]["field"],
        "opening_hours.mon[0]"
    );
}

/// Would anyone hear an order? A dashboard counts while its live stream is open with its sound
/// on; when the last one closes, readiness says `no_dashboard_with_sound`, and once the shop has
/// been unheard for `unheard_after_seconds` the owner's Telegram hears it once per episode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_last_dashboard_alerts_the_owner_once() {
    let (app, p) = app_with_providers(false).await;
    let (owner, key) = app
        .shop_with_key("cafe", &["orders:write", "orders:read"])
        .await;
    let session = app.login(&owner.email, "a long password").await;
    let cookie = As::Session(session.clone());
    link_telegram(&app, &p, &cookie, "cafe", 42, 10).await;
    let readiness = async || {
        app.get("/api/v1/shops/cafe/readiness", &As::Key(key.clone()))
            .await
            .body
    };
    let unheard_alerts = || {
        p.telegram
            .calls_of("sendMessage")
            .into_iter()
            .filter(|c| {
                c["request"]["chat_id"] == 42
                    && c["request"]["text"]
                        .as_str()
                        .unwrap_or("")
                        .contains("Nobody would hear")
            })
            .count()
    };

    // A dashboard without sound does not count; with `?sound=1` it does, while it is open.
    let open = |sound: bool| {
        app.http
            .get(format!(
                "{}/dashboard/cafe/live{}",
                app.base,
                if sound { "?sound=1" } else { "" }
            ))
            .header("cookie", format!("orderbell_session={session}"))
            .send()
    };
    let silent = open(false).await.unwrap();
    assert_eq!(silent.status(), StatusCode::OK);
    assert_eq!(readiness().await["listeners"]["dashboards"], 0);
    let ringing = open(true).await.unwrap();
    assert_eq!(ringing.status(), StatusCode::OK);
    let r = readiness().await;
    assert_eq!(r["listeners"]["dashboards"], 1, "{r}");
    assert_eq!(r["hearing"], true);

    // The last dashboard with sound closes.
    drop(ringing);
    let r = eventually("the dashboard to stop counting", async || {
        let r = readiness().await;
        (r["listeners"]["dashboards"] == 0).then_some(r)
    })
    .await;
    assert_eq!(r["hearing"], false);
    assert!(
        r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "no_dashboard_with_sound"),
        "{r}"
    );
    // Not yet: the episode must last `unheard_after_seconds` (120 by default).
    eventually("the watchdog to notice", async || {
        readiness().await["unheard_since"].is_string().then_some(())
    })
    .await;
    assert_eq!(unheard_alerts(), 0);
    app.clock.advance(jiff::SignedDuration::from_secs(121));
    eventually("the owner told", async || {
        (unheard_alerts() == 1).then_some(())
    })
    .await;
    // Once per episode.
    app.clock.advance(jiff::SignedDuration::from_secs(600));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(unheard_alerts(), 1);
    drop(silent);
}
