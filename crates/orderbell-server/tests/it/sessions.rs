//! One's own sessions: the list (browser, address, last use) and ending one or all others,
//! through the API and the account page; nobody ends another account's session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{As, TestApp};

async fn login_with(app: &TestApp, email: &str, browser: &str) -> String {
    let res = app
        .http
        .post(format!("{}/api/v1/session", app.base))
        .header("user-agent", browser)
        .json(&json!({"email": email, "password": "a long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    cookie
        .trim_start_matches("orderbell_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn list(app: &TestApp, who: &As) -> Vec<Value> {
    let r = app.get("/api/v1/me/sessions", who).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_see_their_sessions_and_end_them() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let (other, _) = app.shop_with_key("bakery", &["orders:read"]).await;
    let phone = As::Session(login_with(&app, &owner.email, "Phone Browser/1.0").await);
    let tablet = As::Session(login_with(&app, &owner.email, "Tablet Browser/2.0").await);
    let stranger = As::Session(login_with(&app, &other.email, "Other/1.0").await);

    let seen = list(&app, &phone).await;
    assert_eq!(seen.len(), 2, "{seen:#?}");
    let mine = seen.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(mine["user_agent"], "Phone Browser/1.0");
    assert_eq!(mine["ip"], "127.0.0.1");
    let tablet_id = seen
        .iter()
        .find(|s| s["user_agent"] == "Tablet Browser/2.0")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(tablet_id.len(), 16);

    // Another account cannot end it, nor see it.
    let r = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/sessions/{tablet_id}"),
            &stranger,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(list(&app, &stranger).await.len(), 1);
    assert_eq!(app.get("/api/v1/me", &tablet).await.status, StatusCode::OK);

    let r = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/sessions/{tablet_id}"),
            &phone,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &tablet).await.status,
        StatusCode::UNAUTHORIZED
    );
    for bad in ["nothex-nothex-xx", "0000000000000000", "ab"] {
        let r = app
            .call(
                reqwest::Method::DELETE,
                &format!("/api/v1/me/sessions/{bad}"),
                &phone,
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
    }

    // "Last used" moves when a session is used (written at most every five minutes).
    let before = list(&app, &phone).await[0]["last_seen_at"].clone();
    app.clock.advance(jiff::SignedDuration::from_mins(10));
    app.get("/api/v1/me", &phone).await;
    let mut moved = false;
    for _ in 0..40 {
        if list(&app, &phone).await[0]["last_seen_at"] != before {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(moved, "last_seen_at follows use");

    let laptop = As::Session(login_with(&app, &owner.email, "Laptop/3.0").await);
    let r = app
        .call(reqwest::Method::DELETE, "/api/v1/me/sessions", &phone, None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me", &laptop).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.get("/api/v1/me", &phone).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/me", &stranger).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_lists_sessions_in_korean_and_signs_one_out() {
    use crate::pages_support::{KO, korean_only};
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let other = As::Session(login_with(&app, &owner.email, "Counter Tablet/1.0").await);
    let session = app.page_login(&owner.email, "a long password").await;
    let cookies = [session.as_str(), KO];
    let page = app.page("/account", &cookies).await;
    korean_only(&page.body, &[&owner.email, "Counter Tablet/1.0", "UTC"]);
    assert!(page.body.contains("이 기기"));
    let csrf = page.input("csrf");
    let id = page.input("id");
    let r = app
        .form(
            "/account/sessions/end",
            &cookies,
            &[("csrf", &csrf), ("id", &id)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me", &other).await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = app.page("/account", &cookies).await;
    assert_eq!(page.status, StatusCode::OK, "still signed in here");
}
