//! Two-step sign-in: codes computed by an independent TOTP implementation (PyPI `pyotp`, at the
//! server's own clock) turn it on and sign in; a code and a recovery code work once; the
//! account page sets it up in Korean. Skipped loudly without pyotp, unless
//! `ORDERBELL_REQUIRE_PYOTP=1` (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{As, TestApp};

/// Runs a pyotp snippet: `None` (skipped) when pyotp is missing.
fn pyotp(script: &str) -> Option<String> {
    let out = std::process::Command::new("python3")
        .args(["-c", &format!("import pyotp\n{script}")])
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("No module named 'pyotp'") {
            assert!(
                std::env::var("ORDERBELL_REQUIRE_PYOTP").as_deref() != Ok("1"),
                "ORDERBELL_REQUIRE_PYOTP=1 but pyotp is missing"
            );
            eprintln!("\n!!!!! SKIPPED two-step sign-in against pyotp (pip install pyotp) !!!!!\n");
            return None;
        }
        panic!("pyotp: {err}");
    }
    Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

/// The code pyotp computes for `secret` at the app's clock.
fn code_now(app: &TestApp, secret: &str) -> String {
    let t = app.state.now().as_second();
    pyotp(&format!("print(pyotp.TOTP('{secret}').at({t}))")).unwrap()
}

async fn login(app: &TestApp, email: &str, extra: Value) -> (StatusCode, String) {
    let mut body = json!({"email": email, "password": "a long password"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let r = app.post("/api/v1/session", &As::Nobody, body).await;
    (r.status, r.code().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_turns_on_with_an_independent_code_and_each_code_works_once() {
    if pyotp("pass").is_none() {
        return;
    }
    // More sign-ins than one address may try on one account in 15 minutes.
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::sqlite_config(dir.path());
    config.limits.logins_per_account = 50;
    config.limits.logins_per_minute = 50;
    let app = TestApp::spawn_with(config, Some(dir), None).await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let me = As::Session(app.login(&owner.email, "a long password").await);

    let setup = app.post("/api/v1/me/mfa/totp", &me, json!({})).await;
    assert_eq!(setup.status, StatusCode::CREATED, "{}", setup.body);
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    let uri = setup.body["otpauth_uri"].as_str().unwrap();
    // pyotp reads the URI as an authenticator app would.
    let parsed = pyotp(&format!(
        "t = pyotp.parse_uri('{uri}')\nprint(t.secret, t.issuer, t.name, t.digits, t.interval)"
    ))
    .unwrap();
    assert_eq!(parsed, format!("{secret} Orderbell {} 6 30", owner.email));
    // Not on until confirmed: signing in still needs the password only.
    assert_eq!(login(&app, &owner.email, json!({})).await.0, StatusCode::OK);

    let wrong = app
        .post(
            "/api/v1/me/mfa/totp/confirm",
            &me,
            json!({"code": "000000"}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let first = code_now(&app, &secret);
    let on = app
        .post("/api/v1/me/mfa/totp/confirm", &me, json!({"code": first}))
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    let recovery: Vec<String> = serde_json::from_value(on.body["recovery_codes"].clone()).unwrap();
    assert_eq!(recovery.len(), 10);
    let again = app.post("/api/v1/me/mfa/totp", &me, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "on already");

    assert_eq!(
        login(&app, &owner.email, json!({})).await,
        (StatusCode::UNAUTHORIZED, "mfa_required".into())
    );
    assert_eq!(
        login(&app, &owner.email, json!({"totp": "123456"})).await,
        (StatusCode::UNAUTHORIZED, "mfa_invalid".into())
    );
    // The code that turned it on was used.
    assert_eq!(
        login(&app, &owner.email, json!({"totp": first})).await.1,
        "mfa_invalid"
    );
    app.clock.advance(jiff::SignedDuration::from_secs(30));
    let next = code_now(&app, &secret);
    assert_eq!(
        login(&app, &owner.email, json!({"totp": next})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, &owner.email, json!({"totp": next})).await.1,
        "mfa_invalid",
        "a code works once"
    );
    // A wrong password with a right code is still a wrong password.
    app.clock.advance(jiff::SignedDuration::from_secs(30));
    let r = app
        .post(
            "/api/v1/session",
            &As::Nobody,
            json!({"email": owner.email, "password": "not the password", "totp": code_now(&app, &secret)}),
        )
        .await;
    assert_eq!(r.code(), "unauthenticated");

    let spare = recovery[3].to_uppercase();
    assert_eq!(
        login(&app, &owner.email, json!({"recovery_code": spare}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, &owner.email, json!({"recovery_code": recovery[3]}))
            .await
            .1,
        "mfa_invalid",
        "a recovery code works once"
    );

    let off = app
        .call(reqwest::Method::DELETE, "/api/v1/me/mfa/totp", &me, None)
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    assert_eq!(login(&app, &owner.email, json!({})).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_sets_it_up_and_the_login_page_asks_for_the_code() {
    use crate::pages_support::{KO, korean_only};
    if pyotp("pass").is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let session = app.page_login(&owner.email, "a long password").await;
    let cookies = [session.as_str(), KO];
    let page = app.page("/account", &cookies).await;
    let csrf = page.input("csrf");
    let setup = app
        .form("/account/totp", &cookies, &[("csrf", &csrf)])
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    korean_only(&setup.body, &[&owner.email]);
    assert!(
        setup.body.contains("<svg class=\"qr\""),
        "a QR code to scan"
    );
    let secret = setup
        .body
        .split("<code id=\"totp-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let wrong = app
        .form(
            "/account/totp/confirm",
            &cookies,
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    korean_only(&wrong.body, &[&owner.email]);
    let on = app
        .form(
            "/account/totp/confirm",
            &cookies,
            &[("csrf", &csrf), ("code", &code_now(&app, &secret))],
        )
        .await;
    assert_eq!(on.status, StatusCode::OK);
    korean_only(&on.body, &[&owner.email]);
    assert_eq!(
        on.body.matches("<li><code>").count(),
        10,
        "ten recovery codes"
    );

    // Signing in on the page now asks for the code, in Korean.
    let asked = app
        .form(
            "/login",
            &[KO],
            &[("email", &owner.email), ("password", "a long password")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::UNAUTHORIZED);
    korean_only(&asked.body, &[&owner.email]);
    assert!(asked.body.contains("name=\"code\""));
    app.clock.advance(jiff::SignedDuration::from_secs(30));
    let signed_in = app
        .form(
            "/login",
            &[KO],
            &[
                ("email", &owner.email),
                ("password", "a long password"),
                ("code", &code_now(&app, &secret)),
            ],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
}

/// A shop that requires two-step sign-in of its owners: only an owner who has it may turn the
/// setting on; an owner without it is sent to set it up (API 403 `mfa_not_set_up`, pages to
/// the account page); staff and API keys are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_can_require_two_step_sign_in_of_its_owners() {
    use orderbell_core::user::Role;
    if pyotp("pass").is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let (owner, key) = app.shop_with_key("cafe", &["orders:read", "manage"]).await;
    let me = As::Session(app.login(&owner.email, "a long password").await);
    let require = json!({"require_mfa_for_owners": true});
    let refused = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &me,
            Some(require.clone()),
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::FORBIDDEN, "mfa_not_set_up")
    );
    let by_key = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &As::Key(key.clone()),
            Some(require.clone()),
        )
        .await;
    assert_eq!(
        by_key.status,
        StatusCode::FORBIDDEN,
        "a key cannot show a second factor"
    );

    let setup = app.post("/api/v1/me/mfa/totp", &me, json!({})).await;
    let secret = setup.body["secret"].as_str().unwrap().to_owned();
    let code = code_now(&app, &secret);
    let on = app
        .post("/api/v1/me/mfa/totp/confirm", &me, json!({"code": code}))
        .await;
    assert_eq!(on.status, StatusCode::OK);
    let set = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/shops/cafe",
            &me,
            Some(require),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["require_mfa_for_owners"], true);
    assert_eq!(
        app.get("/api/v1/shops/cafe/orders", &me).await.status,
        StatusCode::OK
    );

    // A second owner without it is sent to set it up; staff and the key carry on.
    let co_owner = app
        .member_cookie("cafe", "co@cafe.example", Role::Owner)
        .await;
    let staff = app
        .member_cookie("cafe", "staff@cafe.example", Role::Staff)
        .await;
    let co_owner_api = As::Session(co_owner.trim_start_matches("orderbell_session=").to_owned());
    let r = app.get("/api/v1/shops/cafe/orders", &co_owner_api).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "mfa_not_set_up")
    );
    let page = app.page("/dashboard/cafe", &[co_owner.as_str()]).await;
    assert_eq!(
        (page.status, page.location()),
        (StatusCode::SEE_OTHER, "/account#two-step")
    );
    let page = app.page("/dashboard/cafe", &[staff.as_str()]).await;
    assert_eq!(page.status, StatusCode::OK);
    let r = app.get("/api/v1/shops/cafe/orders", &As::Key(key)).await;
    assert_eq!(r.status, StatusCode::OK);
}
