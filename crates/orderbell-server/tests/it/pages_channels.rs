//! Notification pieces of the pages: the tracking page's opt-ins (Telegram and WhatsApp links
//! with QR codes, browser notifications) shown only for the channels the server offers, a
//! member connecting Telegram on the channels page, and an order's delivery log.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use crate::stubs;
use crate::support::{As, TestApp, americano_order};
use orderbell_notify::SecretString;
use orderbell_server::config::Config;
use orderbell_server::notifications::config::{TelegramMode, TelegramSettings};
use orderbell_store::notifications::{Channel, NewNotification, NotifyEvent, Recipient};
use reqwest::StatusCode;

const PUBLIC: &str = "http://orderbell.test";

/// A server whose Telegram bot is the loopback stand-in (`@orderbell_test_bot`).
async fn app_with_telegram() -> (TestApp, stubs::Stub) {
    let (url, stub) = stubs::telegram().await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_database(
        &format!("sqlite://{}/orderbell.db", dir.path().display()),
        PUBLIC,
    );
    config.notifications.public_url = PUBLIC.into();
    config.notifications.telegram = Some(TelegramSettings {
        api_url: url.parse().unwrap(),
        bot_token: SecretString::from(stubs::BOT_TOKEN.to_owned()),
        mode: TelegramMode::Webhook,
    });
    (TestApp::spawn_with(config, Some(dir), None).await, stub)
}

/// Places an order through the API; returns its id and tracking token.
async fn place_order(app: &TestApp, slug: &str) -> (String, String) {
    let (_, key) = app
        .shop_with_key(slug, &["orders:write", "orders:read"])
        .await;
    let order = app
        .post(
            &format!("/api/v1/shops/{slug}/orders"),
            &As::Key(key),
            americano_order(),
        )
        .await;
    assert_eq!(order.status, StatusCode::CREATED, "{}", order.body);
    let id = order.body["id"].as_str().unwrap().to_owned();
    let token = order.body["tracking_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (id, token)
}

#[tokio::test]
async fn tracking_offers_telegram_with_a_qr_code_when_a_bot_is_configured() {
    let (app, _stub) = app_with_telegram().await;
    let (_, token) = place_order(&app, "tg").await;
    let page = app.page(&format!("/o/{token}"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let link = format!("https://t.me/{}?start=o_{token}", stubs::BOT_USERNAME);
    assert!(page.body.contains(&link), "{}", page.body);
    assert!(
        page.body.contains("<svg class=\"qr\""),
        "a QR code is drawn"
    );
    assert!(
        !page.body.contains("style="),
        "no inline styles (the page CSP forbids them)"
    );
    // No WhatsApp without Twilio; browser notifications with the VAPID key.
    assert!(!page.body.contains("wa.me"));
    assert!(page.body.contains("data-push-url=\"/api/v1/orders/"));
    assert!(page.body.contains("data-vapid-key=\""));
}

#[tokio::test]
async fn tracking_hides_chat_links_when_no_provider_is_configured() {
    let app = TestApp::spawn().await;
    let (_, token) = place_order(&app, "plain").await;
    let page = app.page(&format!("/o/{token}"), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("t.me/"), "{}", page.body);
    assert!(!page.body.contains("wa.me/"));
    assert!(!page.body.contains("<svg"));
    // Web Push needs nothing configured (the VAPID key is generated), so it is offered.
    assert!(page.body.contains(&format!(
        "data-push-url=\"/api/v1/orders/{token}/push/webpush\""
    )));
    assert!(page.body.contains("/js/push.js"));
}

#[tokio::test]
async fn members_connect_telegram_on_the_channels_page() {
    let (app, _stub) = app_with_telegram().await;
    let owner = app.user("owner@c.example", "a long password").await;
    app.shop("chan", &owner).await;
    let cookie = app.page_login("owner@c.example", "a long password").await;
    let page = app.page("/dashboard/chan/channels", &[&cookie]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"telegram\""), "{}", page.body);
    assert!(
        !page.body.contains("name=\"op\" value=\"whatsapp\""),
        "no Twilio, no WhatsApp"
    );
    assert!(
        page.body
            .contains("data-push-url=\"/api/v1/me/push/webpush\"")
    );
    let csrf = page.input("csrf");

    // Without the page's token nothing is made.
    let refused = app
        .form(
            "/dashboard/chan/channels",
            &[&cookie],
            &[("csrf", "wrong"), ("op", "telegram")],
        )
        .await;
    assert_ne!(refused.status, StatusCode::CREATED);
    assert!(!refused.body.contains("https://t.me/"));

    let made = app
        .form(
            "/dashboard/chan/channels",
            &[&cookie],
            &[("csrf", &csrf), ("op", "telegram")],
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let prefix = format!("https://t.me/{}?start=", stubs::BOT_USERNAME);
    let at = made.body.find(&prefix).expect("a t.me link") + prefix.len();
    let code: String = made.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    assert!(code.len() >= 16, "a one-time code: {code}");
    assert!(made.body.contains("<svg class=\"qr\""));

    assert!(made.body.contains("id=\"new-link\""));
    let again = app.page("/dashboard/chan/channels", &[&cookie]).await;
    assert!(!again.body.contains(&code), "the link is shown once");
}

#[tokio::test]
async fn order_detail_shows_the_delivery_log() {
    let app = TestApp::spawn().await;
    let (id, _) = place_order(&app, "log").await;
    let cookie = app.page_login("owner@log.example", "a long password").await;
    let path = format!("/dashboard/log/orders/{id}");

    let page = app.page(&path, &[&cookie]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"notification-log\""));
    assert!(!page.body.contains("class=\"delivery\""));

    let order = app
        .state
        .store
        .order_by_id(&orderbell_core::OrderId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let now = app.state.now();
    app.state
        .store
        .enqueue_notification(NewNotification {
            shop_id: Some(order.shop_id.clone()),
            order_id: Some(order.id.clone()),
            link_id: None,
            channel: Channel::Telegram,
            destination: "123456789".into(),
            recipient: Recipient::Customer,
            user_id: None,
            event: NotifyEvent::Accepted,
            locale: "en".into(),
            payload: orderbell_store::notifications::Payload::default()
                .to_json()
                .unwrap(),
            run_at: now,
            now,
        })
        .await
        .unwrap();

    let page = app.page(&path, &[&cookie]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"delivery\""), "{}", page.body);
    assert!(
        page.body.contains("chat …6789"),
        "the destination is masked"
    );
    assert!(!page.body.contains("123456789"));
    let row = &page.body[page.body.find("class=\"delivery\"").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("Telegram") || row.contains("텔레그램"),
        "{row}"
    );
}
