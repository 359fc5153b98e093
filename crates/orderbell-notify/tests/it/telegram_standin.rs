//! The Telegram client against a loopback Bot API stand-in that answers like Telegram
//! (envelope, 429 with `retry_after`, 403 "bot was blocked by the user", 400 "chat not
//! found"). Every request and answer is then validated with PyPI `aiogram`'s Bot API models by
//! `tests/python/telegram_check.py`; without aiogram that part is skipped loudly, or fails with
//! `ORDERBELL_REQUIRE_AIOGRAM=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

use crate::support;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use orderbell_notify::telegram::{
    EditMessageText, InlineKeyboardButton, InlineKeyboardMarkup, ParseMode, SendMessage,
    TelegramClient, TelegramConfig, UpdateKind, generate_secret_token,
};
use orderbell_notify::templates::{Format, Lang, MessageKind, OrderText, render};
use orderbell_notify::{SecretString, SendError};
use serde_json::{Value, json};

const TOKEN: &str = "123456:TEST-token_for-the-stand-in";
const BLOCKED_CHAT: i64 = 403;
const BUSY_CHAT: i64 = 429;
const MISSING_CHAT: i64 = 400;

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Value>>>);

fn bot_user() -> Value {
    json!({"id": 7000000001_i64, "is_bot": true, "first_name": "Orderbell", "username": "orderbell_test_bot",
           "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false})
}

fn fail(code: u16, description: &str, retry_after: Option<u64>) -> (StatusCode, Value) {
    let mut v = json!({"ok": false, "error_code": code, "description": description});
    if let Some(r) = retry_after {
        v["parameters"] = json!({"retry_after": r});
    }
    (StatusCode::from_u16(code).unwrap(), v)
}

fn message(chat_id: i64, message_id: i64, text: &str) -> Value {
    json!({"message_id": message_id, "from": bot_user(), "date": 1_764_306_000,
           "chat": {"id": chat_id, "type": "private", "first_name": "Kim"}, "text": text})
}

/// Answers one Bot API call the way Telegram documents it.
fn answer(method: &str, req: &Value) -> (StatusCode, Value) {
    let ok = |result: Value| (StatusCode::OK, json!({"ok": true, "result": result}));
    match method {
        "getMe" => ok(bot_user()),
        "setWebhook" => {
            if !req["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
            {
                return fail(
                    400,
                    "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
                    None,
                );
            }
            ok(json!(true))
        }
        "deleteWebhook" | "answerCallbackQuery" => ok(json!(true)),
        "getUpdates" => {
            let offset = req["offset"].as_i64().unwrap_or(0);
            let all = json!([
                {"update_id": 100, "message": {"message_id": 1, "date": 1_764_306_000,
                  "chat": {"id": 42, "type": "private", "first_name": "Kim"},
                  "from": {"id": 42, "is_bot": false, "first_name": "Kim", "language_code": "ko"},
                  "text": "/start abc123"}},
                {"update_id": 101, "callback_query": {"id": "4382bfdwdsb323b2d9", "chat_instance": "-7",
                  "from": {"id": 42, "is_bot": false, "first_name": "Kim"},
                  "message": message(42, 9, "New order #1042"), "data": "accept:1042:20"}},
                {"update_id": 102, "message_reaction": {"chat": {"id": 42, "type": "private", "first_name": "Kim"},
                  "message_id": 9, "date": 1_764_306_001, "old_reaction": [],
                  "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}
            ]);
            let list: Vec<Value> = all
                .as_array()
                .unwrap()
                .iter()
                .filter(|u| u["update_id"].as_i64().unwrap() >= offset)
                .cloned()
                .collect();
            ok(Value::Array(list))
        }
        "sendMessage" | "editMessageText" => {
            let Some(chat) = req["chat_id"].as_i64() else {
                return fail(400, "Bad Request: chat_id is empty", None);
            };
            let Some(text) = req["text"].as_str().filter(|t| !t.is_empty()) else {
                return fail(400, "Bad Request: message text is empty", None);
            };
            match chat {
                BLOCKED_CHAT => fail(403, "Forbidden: bot was blocked by the user", None),
                BUSY_CHAT => fail(429, "Too Many Requests: retry after 3", Some(3)),
                MISSING_CHAT => fail(400, "Bad Request: chat not found", None),
                _ => {
                    let id = req["message_id"].as_i64().unwrap_or(77);
                    let mut m = message(chat, id, text);
                    if method == "editMessageText" {
                        m["edit_date"] = json!(1_764_306_100);
                    }
                    if let Some(kb) = req.get("reply_markup") {
                        m["reply_markup"] = kb.clone();
                    }
                    ok(m)
                }
            }
        }
        _ => fail(404, "Not Found: method not found", None),
    }
}

async fn bot_api(
    Path((bot, method)): Path<(String, String)>,
    State(log): State<Log>,
    Json(req): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let (status, body) = if bot != format!("bot{TOKEN}") {
        fail(401, "Unauthorized", None)
    } else {
        answer(&method, &req)
    };
    log.0
        .lock()
        .unwrap()
        .push(json!({"method": method, "request": req, "response": body}));
    (status, Json(body))
}

async fn start() -> (TelegramClient, Log, url::Url) {
    let log = Log::default();
    let app = Router::new()
        .route("/{bot}/{method}", post(bot_api))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base: url::Url = format!("http://{addr}").parse().unwrap();
    let client = TelegramClient::new(
        orderbell_notify::default_http_client().unwrap(),
        TelegramConfig {
            api_url: base.clone(),
            bot_token: SecretString::from(TOKEN.to_owned()),
        },
    );
    (client, log, base)
}

fn keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup {
        inline_keyboard: vec![
            vec![
                InlineKeyboardButton::callback("Accept 10", "accept:1042:10"),
                InlineKeyboardButton::callback("Accept 20", "accept:1042:20"),
                InlineKeyboardButton::callback("Accept 30", "accept:1042:30"),
            ],
            vec![
                InlineKeyboardButton::callback("Reject", "reject:1042"),
                InlineKeyboardButton::callback("Print", "print:1042"),
            ],
        ],
    }
}

#[tokio::test]
async fn bot_api_calls_and_errors() {
    let (tg, log, base) = start().await;

    assert_eq!(
        tg.get_me().await.unwrap().username.as_deref(),
        Some("orderbell_test_bot")
    );
    let secret = generate_secret_token();
    assert!(
        tg.set_webhook(
            "https://orderbell.example/webhooks/telegram",
            &secret,
            &["message", "callback_query"]
        )
        .await
        .unwrap()
    );
    let refused = tg
        .set_webhook(
            "http://orderbell.example/webhooks/telegram",
            &secret,
            &["message"],
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, SendError::Permanent { .. }));
    assert!(tg.delete_webhook(false).await.unwrap());

    let updates = tg
        .get_updates(Some(100), 0, &["message", "callback_query"])
        .await
        .unwrap();
    assert_eq!(updates.len(), 3);
    assert!(
        matches!(&updates[0].kind, UpdateKind::Message(m) if m.text.as_deref() == Some("/start abc123") && m.chat.id == 42)
    );
    assert!(matches!(&updates[1].kind, UpdateKind::CallbackQuery(q)
        if q.data.as_deref() == Some("accept:1042:20") && q.message.as_ref().map(|m| (m.chat.id, m.message_id)) == Some((42, 9))));
    assert_eq!(updates[2].kind, UpdateKind::Other);
    assert_eq!(tg.get_updates(Some(102), 0, &[]).await.unwrap().len(), 1);

    // A rendered template with hostile item text: aiogram's check below also parses the HTML.
    let items = vec!["2× Americano <hot> & \"extra\" shot".to_owned()];
    let order = OrderText {
        number: 1042,
        items: &items,
        total: "₩10,000",
        fulfillment: "포장 (Pickup)",
        ..Default::default()
    };
    let text = render(
        MessageKind::NewOrder,
        Lang::Ko,
        Format::TelegramHtml,
        &order,
    )
    .text;
    let sent = tg
        .send_message(&SendMessage {
            chat_id: 42,
            text,
            parse_mode: Some(ParseMode::Html),
            reply_markup: Some(keyboard()),
        })
        .await
        .unwrap();
    assert_eq!(sent.chat.id, 42);
    let edited = tg
        .edit_message_text(&EditMessageText {
            chat_id: 42,
            message_id: sent.message_id,
            text: "Accepted (20 min) by Kim".into(),
            parse_mode: None,
            reply_markup: None,
        })
        .await
        .unwrap();
    assert_eq!(edited.map(|m| m.message_id), Some(sent.message_id));
    assert!(
        tg.answer_callback_query("4382bfdwdsb323b2d9", Some("Accepted"), false)
            .await
            .unwrap()
    );

    let msg = |chat_id| SendMessage {
        chat_id,
        text: "hi".into(),
        parse_mode: None,
        reply_markup: None,
    };
    let busy = tg.send_message(&msg(BUSY_CHAT)).await.unwrap_err();
    assert_eq!(busy.retry_after(), Some(Duration::from_secs(3)), "{busy:?}");
    let blocked = tg.send_message(&msg(BLOCKED_CHAT)).await.unwrap_err();
    assert!(blocked.is_destination_dead(), "{blocked:?}");
    let missing = tg.send_message(&msg(MISSING_CHAT)).await.unwrap_err();
    assert!(missing.is_destination_dead(), "{missing:?}");

    // A wrong token is a permanent failure, and the token never shows in the error.
    let wrong = TelegramClient::new(
        orderbell_notify::default_http_client().unwrap(),
        TelegramConfig {
            api_url: base,
            bot_token: SecretString::from("999:WRONG".to_owned()),
        },
    );
    let e = wrong.get_me().await.unwrap_err();
    assert!(
        matches!(e, SendError::Permanent { .. }) && !e.to_string().contains("WRONG"),
        "{e}"
    );

    // A stand-in that is down: retryable, and the token is not in the message.
    let down = TelegramClient::new(
        orderbell_notify::default_http_client().unwrap(),
        TelegramConfig {
            api_url: "http://127.0.0.1:9".parse().unwrap(),
            bot_token: SecretString::from(TOKEN.to_owned()),
        },
    );
    let e = down.get_me().await.unwrap_err();
    assert!(
        e.is_retryable() && !format!("{e} {e:?}").contains("TEST-token"),
        "{e:?}"
    );

    validate_with_aiogram(&log).await;
}

async fn validate_with_aiogram(log: &Log) {
    let calls = Value::Array(log.0.lock().unwrap().clone());
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import aiogram"])
        .output()
        .await;
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        if std::env::var("ORDERBELL_REQUIRE_AIOGRAM").as_deref() == Ok("1") {
            panic!(
                "ORDERBELL_REQUIRE_AIOGRAM=1 but python3 cannot import aiogram (pip install aiogram)"
            );
        }
        eprintln!(
            "\n!!!!! SKIPPED aiogram validation of Bot API requests: pip install aiogram (ORDERBELL_REQUIRE_AIOGRAM=1 makes this fail) !!!!!\n"
        );
        return;
    }
    let out = support::run_python("telegram_check.py", &calls.to_string()).await;
    assert!(
        out.status.success(),
        "aiogram validation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
