//! Passkeys through the API, with a software authenticator written here (a P-256 key, CBOR by
//! hand, `none` attestation): register, sign in with the passkey alone, remove, and every way
//! a sign-in is refused (one answer, `passkey_invalid`). The browser's side is in
//! `tests/e2e/passkeys.test.mjs` (Chromium's virtual authenticator).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::{As, TestApp};

const ORIGIN: &str = "http://orderbell.test";
const RP_ID: &str = "orderbell.test";
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// A CBOR byte or text string head (major type 2 or 3).
fn cbor_head(major: u8, len: usize, out: &mut Vec<u8>) {
    let m = major << 5;
    match len {
        0..=23 => out.push(m | u8::try_from(len).unwrap()),
        24..=255 => out.extend([m | 24, u8::try_from(len).unwrap()]),
        _ => {
            out.push(m | 25);
            out.extend(u16::try_from(len).unwrap().to_be_bytes());
        }
    }
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    cbor_head(2, bytes.len(), out);
    out.extend(bytes);
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    cbor_head(3, text.len(), out);
    out.extend(text.as_bytes());
}

/// One credential on a software authenticator.
struct Authenticator {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    count: u32,
}

/// What to do differently from an honest authenticator and browser.
#[derive(Clone)]
struct Twist {
    origin: String,
    rp_id: String,
    flags: u8,
    /// Signs over this challenge instead of the one given.
    challenge: Option<String>,
    count: Option<u32>,
    bad_signature: bool,
    user_handle: Option<Vec<u8>>,
}

impl Default for Twist {
    fn default() -> Self {
        Twist {
            origin: ORIGIN.into(),
            rp_id: RP_ID.into(),
            flags: UP | UV,
            challenge: None,
            count: None,
            bad_signature: false,
            user_handle: None,
        }
    }
}

impl Authenticator {
    fn new() -> Authenticator {
        let key =
            SigningKey::from_slice(&orderbell_server::security::random_bytes::<32>()).unwrap();
        Authenticator {
            key,
            credential_id: orderbell_server::security::random_bytes::<16>().to_vec(),
            user_handle: Vec::new(),
            count: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(point.x().unwrap(), &mut out);
        out.push(0x22);
        cbor_bytes(point.y().unwrap(), &mut out);
        out
    }

    fn auth_data(&self, twist: &Twist, count: u32, attested: bool) -> Vec<u8> {
        let mut out = Sha256::digest(twist.rp_id.as_bytes()).to_vec();
        out.push(twist.flags | if attested { AT } else { 0 });
        out.extend(count.to_be_bytes());
        if attested {
            out.extend([0u8; 16]);
            out.extend(
                u16::try_from(self.credential_id.len())
                    .unwrap()
                    .to_be_bytes(),
            );
            out.extend(&self.credential_id);
            out.extend(self.cose_key());
        }
        out
    }

    fn client_data(kind: &str, challenge: &str, twist: &Twist) -> Vec<u8> {
        let challenge = twist.challenge.as_deref().unwrap_or(challenge);
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": twist.origin,
            "crossOrigin": false,
        }))
        .unwrap()
    }

    /// `navigator.credentials.create()` for these options, as `toJSON()` writes it.
    fn create(&mut self, options: &Value, twist: &Twist) -> Value {
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rp"]["id"], RP_ID);
        assert_eq!(public_key["attestation"], "none");
        assert_eq!(
            public_key["authenticatorSelection"]["residentKey"],
            "required"
        );
        self.user_handle = unb64(public_key["user"]["id"].as_str().unwrap());
        let challenge = public_key["challenge"].as_str().unwrap();
        let client_data = Self::client_data("webauthn.create", challenge, twist);
        let mut object = vec![0xa3];
        cbor_text("fmt", &mut object);
        cbor_text("none", &mut object);
        cbor_text("attStmt", &mut object);
        object.push(0xa0);
        cbor_text("authData", &mut object);
        cbor_bytes(&self.auth_data(twist, self.count, true), &mut object);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&object),
                "transports": ["internal", "hybrid"],
            },
        })
    }

    /// `navigator.credentials.get()` for these options.
    fn get(&mut self, options: &Value, twist: &Twist) -> Value {
        let public_key = &options["publicKey"];
        assert_eq!(public_key["rpId"], RP_ID);
        assert_eq!(public_key["allowCredentials"], json!([]));
        assert_eq!(public_key["userVerification"], "required");
        let challenge = public_key["challenge"].as_str().unwrap();
        self.count += 1;
        let count = twist.count.unwrap_or(self.count);
        let client_data = Self::client_data("webauthn.get", challenge, twist);
        let auth_data = self.auth_data(twist, count, false);
        let mut message = auth_data.clone();
        message.extend(Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&message);
        let mut signature = signature.to_der().as_bytes().to_vec();
        if twist.bad_signature {
            let last = signature.len() - 1;
            signature[last] ^= 1;
        }
        let handle = twist.user_handle.as_ref().unwrap_or(&self.user_handle);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature),
                "userHandle": b64(handle),
            },
        })
    }
}

async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = crate::support::sqlite_config(dir.path());
    config.limits.logins_per_minute = 200;
    TestApp::spawn_with(config, Some(dir), None).await
}

/// Registers a passkey on the account of `me`: the answer.
async fn register(
    app: &TestApp,
    me: &As,
    device: &mut Authenticator,
    twist: &Twist,
) -> crate::support::Response {
    let options = app.post("/api/v1/me/passkeys/options", me, json!({})).await;
    assert_eq!(options.status, StatusCode::CREATED, "{}", options.body);
    let credential = device.create(&options.body, twist);
    app.post(
        "/api/v1/me/passkeys",
        me,
        json!({"challenge_id": options.body["challenge_id"], "name": "Phone", "credential": credential}),
    )
    .await
}

/// Signs in with the passkey: the answer.
async fn sign_in(
    app: &TestApp,
    device: &mut Authenticator,
    twist: &Twist,
) -> crate::support::Response {
    let options = app
        .post("/api/v1/session/passkey/options", &As::Nobody, json!({}))
        .await;
    assert_eq!(options.status, StatusCode::OK, "{}", options.body);
    let credential = device.get(&options.body, twist);
    app.post(
        "/api/v1/session/passkey",
        &As::Nobody,
        json!({"challenge_id": options.body["challenge_id"], "credential": credential}),
    )
    .await
}

fn cookie(r: &crate::support::Response) -> String {
    r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .strip_prefix("orderbell_session=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn register_sign_in_and_remove(app: &TestApp) {
    let user = app.user("ann@example.com", "a long password").await;
    let me = As::Session(app.login(&user.email, "a long password").await);
    let mut phone = Authenticator::new();
    let added = register(app, &me, &mut phone, &Twist::default()).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body["name"], "Phone");
    assert_eq!(added.body["last_used_at"], Value::Null);
    let id = added.body["id"].as_str().unwrap().to_owned();
    // The user handle is the account id's bytes.
    assert_eq!(hex::encode(&phone.user_handle), user.id.as_str());

    let mut laptop = Authenticator::new();
    let second = register(app, &me, &mut laptop, &Twist::default()).await;
    assert_eq!(second.status, StatusCode::CREATED);
    let list = app.get("/api/v1/me/passkeys", &me).await;
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    // The next registration's options exclude both.
    let options = app
        .post("/api/v1/me/passkeys/options", &me, json!({}))
        .await;
    assert_eq!(
        options.body["publicKey"]["excludeCredentials"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The same credential twice is a conflict.
    let mut again = Authenticator {
        key: phone.key.clone(),
        credential_id: phone.credential_id.clone(),
        user_handle: Vec::new(),
        count: 0,
    };
    let twice = register(app, &me, &mut again, &Twist::default()).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);

    // Signing in with the passkey alone: a session like a password's, named `passkey`.
    let signed = sign_in(app, &mut phone, &Twist::default()).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    assert_eq!(signed.body["user"]["email"], "ann@example.com");
    let session = As::Session(cookie(&signed));
    let sessions = app.get("/api/v1/me/sessions", &session).await;
    let current = sessions
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap();
    assert_eq!(current["auth_method"], "passkey");
    let list = app.get("/api/v1/me/passkeys", &session).await;
    assert!(
        list.body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == id.as_str() && p["last_used_at"].is_string())
    );

    // Another account cannot rename or remove it; its owner can, and then it signs in no more.
    let bob = app.user("bob@example.com", "a long password").await;
    let bob = As::Session(app.login(&bob.email, "a long password").await);
    let path = format!("/api/v1/me/passkeys/{id}");
    let rename = |name: &str| json!({"name": name});
    let r = app
        .call(Method::PATCH, &path, &bob, Some(rename("Mine")))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.call(Method::PATCH, &path, &me, Some(rename(" "))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(Method::PATCH, &path, &me, Some(rename("Work phone")))
        .await;
    assert_eq!(
        (r.status, &r.body["name"]),
        (StatusCode::OK, &json!("Work phone"))
    );
    let r = app.call(Method::DELETE, &path, &bob, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.call(Method::DELETE, &path, &me, None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.call(Method::DELETE, &path, &me, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let refused = sign_in(app, &mut phone, &Twist::default()).await;
    assert_eq!(
        (refused.status, refused.code()),
        (StatusCode::UNAUTHORIZED, "passkey_invalid")
    );
    assert_eq!(
        sign_in(app, &mut laptop, &Twist::default()).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_registers_signs_in_alone_and_is_removed() {
    register_sign_in_and_remove(&app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_registers_signs_in_alone_and_is_removed_on_postgres() {
    let Some(app) = TestApp::spawn_postgres_with(|c| c.limits.logins_per_minute = 200).await else {
        return;
    };
    register_sign_in_and_remove(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_sign_ins_are_refused_alike() {
    let app = app().await;
    let user = app.user("ann@example.com", "a long password").await;
    let me = As::Session(app.login(&user.email, "a long password").await);
    let mut phone = Authenticator::new();
    assert_eq!(
        register(&app, &me, &mut phone, &Twist::default())
            .await
            .status,
        StatusCode::CREATED
    );
    let other = app.user("bob@example.com", "a long password").await;

    let refusals: Vec<(&str, Twist)> = vec![
        (
            "another origin",
            Twist {
                origin: "http://evil.test".into(),
                ..Twist::default()
            },
        ),
        (
            "another RP ID",
            Twist {
                rp_id: "evil.test".into(),
                ..Twist::default()
            },
        ),
        (
            "another challenge",
            Twist {
                challenge: Some(b64(&[9u8; 32])),
                ..Twist::default()
            },
        ),
        (
            "a tampered signature",
            Twist {
                bad_signature: true,
                ..Twist::default()
            },
        ),
        (
            "no user verification",
            Twist {
                flags: UP,
                ..Twist::default()
            },
        ),
        (
            "no user presence",
            Twist {
                flags: UV,
                ..Twist::default()
            },
        ),
        (
            "another account's user handle",
            Twist {
                user_handle: Some(other.id.to_bytes().unwrap().to_vec()),
                ..Twist::default()
            },
        ),
    ];
    for (what, twist) in refusals {
        let r = sign_in(&app, &mut phone, &twist).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "passkey_invalid"),
            "{what}: {}",
            r.body
        );
        assert!(r.headers.get("set-cookie").is_none(), "{what}");
    }

    // An honest sign-in still works (the counter is now past every refused try)…
    let ok = sign_in(&app, &mut phone, &Twist::default()).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // …and a counter that goes back (a cloned authenticator) is refused.
    let cloned = sign_in(
        &app,
        &mut phone,
        &Twist {
            count: Some(1),
            ..Twist::default()
        },
    )
    .await;
    assert_eq!(cloned.code(), "passkey_invalid");

    // A challenge works once.
    let options = app
        .post("/api/v1/session/passkey/options", &As::Nobody, json!({}))
        .await;
    let answer = |device: &mut Authenticator| {
        json!({"challenge_id": options.body["challenge_id"],
               "credential": device.get(&options.body, &Twist::default())})
    };
    let first = app
        .post("/api/v1/session/passkey", &As::Nobody, answer(&mut phone))
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let replay = app
        .post("/api/v1/session/passkey", &As::Nobody, answer(&mut phone))
        .await;
    assert_eq!(replay.code(), "passkey_invalid");

    // …and for 5 minutes.
    let options = app
        .post("/api/v1/session/passkey/options", &As::Nobody, json!({}))
        .await;
    app.clock.advance(jiff::SignedDuration::from_mins(6));
    let late = app
        .post(
            "/api/v1/session/passkey",
            &As::Nobody,
            json!({"challenge_id": options.body["challenge_id"],
                   "credential": phone.get(&options.body, &Twist::default())}),
        )
        .await;
    assert_eq!(late.code(), "passkey_invalid");

    // An unknown credential is refused the same way.
    let mut stranger = Authenticator::new();
    stranger.user_handle = user.id.to_bytes().unwrap().to_vec();
    let r = sign_in(&app, &mut stranger, &Twist::default()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "passkey_invalid")
    );

    // A sign-in challenge is no registration challenge, and one account's registration
    // challenge is not another's.
    let options = app
        .post("/api/v1/session/passkey/options", &As::Nobody, json!({}))
        .await;
    let mut tablet = Authenticator::new();
    let fake = json!({"publicKey": {"rp": {"id": RP_ID}, "attestation": "none",
        "authenticatorSelection": {"residentKey": "required"},
        "user": {"id": b64(&[1u8; 16])}, "challenge": options.body["publicKey"]["challenge"]}});
    let r = app
        .post(
            "/api/v1/me/passkeys",
            &me,
            json!({"challenge_id": options.body["challenge_id"],
                   "credential": tablet.create(&fake, &Twist::default())}),
        )
        .await;
    assert_eq!(r.code(), "passkey_invalid");
    let bob = As::Session(app.login(&other.email, "a long password").await);
    let bobs = app
        .post("/api/v1/me/passkeys/options", &bob, json!({}))
        .await;
    let r = app
        .post(
            "/api/v1/me/passkeys",
            &me,
            json!({"challenge_id": bobs.body["challenge_id"],
                   "credential": tablet.create(&bobs.body, &Twist::default())}),
        )
        .await;
    assert_eq!(r.code(), "passkey_invalid");
    // A registration from another origin is refused too.
    let r = register(
        &app,
        &me,
        &mut tablet,
        &Twist {
            origin: "http://evil.test".into(),
            ..Twist::default()
        },
    )
    .await;
    assert_eq!(r.code(), "passkey_invalid");

    // Input that cannot be read is 422.
    let r = app
        .post(
            "/api/v1/session/passkey",
            &As::Nobody,
            json!({"challenge_id": "nope", "credential": {"id": "!", "rawId": "!",
                   "type": "public-key", "response": {"clientDataJSON": "", "authenticatorData": "",
                   "signature": ""}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .post(
            "/api/v1/session/passkey",
            &As::Nobody,
            json!({"challenge_id": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Registering needs a session.
    let r = app
        .post("/api/v1/me/passkeys/options", &As::Nobody, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// A passkey is two-step sign-in: it skips the authenticator code, and a shop that requires
/// two-step sign-in of its owners takes an owner who has one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_counts_as_two_step_sign_in() {
    let app = app().await;
    let (owner, _) = app.shop_with_key("cafe", &["orders:read"]).await;
    let me = As::Session(app.login(&owner.email, "a long password").await);
    let require = json!({"require_mfa_for_owners": true});
    let refused = app
        .call(
            Method::PATCH,
            "/api/v1/shops/cafe",
            &me,
            Some(require.clone()),
        )
        .await;
    assert_eq!(refused.code(), "mfa_not_set_up");
    let mut phone = Authenticator::new();
    assert_eq!(
        register(&app, &me, &mut phone, &Twist::default())
            .await
            .status,
        StatusCode::CREATED
    );
    let set = app
        .call(Method::PATCH, "/api/v1/shops/cafe", &me, Some(require))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(
        app.get("/api/v1/shops/cafe/orders", &me).await.status,
        StatusCode::OK
    );

    // With an authenticator on as well, a password needs its code; a passkey does not.
    let store = &app.state.store;
    store
        .set_pending_totp(&owner.id, "JBSWY3DPEHPK3PXP", app.state.now())
        .await
        .unwrap();
    assert!(
        store
            .confirm_totp(&owner.id, 1, Vec::new(), app.state.now())
            .await
            .unwrap()
    );
    let password = app
        .post(
            "/api/v1/session",
            &As::Nobody,
            json!({"email": owner.email, "password": "a long password"}),
        )
        .await;
    assert_eq!(password.code(), "mfa_required");
    let signed = sign_in(&app, &mut phone, &Twist::default()).await;
    assert_eq!(signed.status, StatusCode::OK, "{}", signed.body);
    let session = As::Session(cookie(&signed));
    assert_eq!(
        app.get("/api/v1/shops/cafe/orders", &session).await.status,
        StatusCode::OK
    );
}

/// The account page lists passkeys (in Korean) and removes one with a plain form; the sign-in
/// page offers a passkey sign-in (its script turns the button on), in English too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_list_remove_and_offer_passkeys_in_both_languages() {
    use crate::pages_support::{EN, KO, english_only, korean_only};
    let app = app().await;
    let user = app.user("ann@example.com", "a long password").await;
    let session = app.page_login(&user.email, "a long password").await;
    let cookies = [session.as_str(), KO];
    let page = app.page("/account", &cookies).await;
    assert_eq!(page.status, StatusCode::OK);
    korean_only(&page.body, &[&user.email, "UTC"]);
    assert!(page.body.contains("id=\"passkeys-none\""));
    assert!(page.body.contains("id=\"passkey-add\""));
    assert!(page.body.contains("/js/passkeys.js\""));

    let me = As::Session(session.trim_start_matches("orderbell_session=").to_owned());
    let mut phone = Authenticator::new();
    let added = register(&app, &me, &mut phone, &Twist::default()).await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    let page = app.page("/account?passkey=1", &cookies).await;
    korean_only(&page.body, &[&user.email, "UTC", "Phone"]);
    assert!(page.body.contains("id=\"passkey-added\""));
    assert!(page.body.contains("class=\"passkey-name\">Phone</strong>"));
    let english = app.page("/account", &[session.as_str(), EN]).await;
    english_only(&english.body, &[&user.email]);
    assert!(english.body.contains("Passkeys"));

    // Removing needs the page's token, and only touches the account's own passkeys.
    let id = added.body["id"].as_str().unwrap();
    let csrf = page.input("csrf");
    let r = app
        .form(
            "/account/passkeys/remove",
            &cookies,
            &[("csrf", "wrong"), ("id", id)],
        )
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me/passkeys", &me)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = app
        .form(
            "/account/passkeys/remove",
            &cookies,
            &[("csrf", &csrf), ("id", id)],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/account#passkeys")
    );
    assert_eq!(app.get("/api/v1/me/passkeys", &me).await.body, json!([]));

    for (lang, text) in [(KO, "패스키로 로그인"), (EN, "Sign in with a passkey")] {
        let login = app.page("/login", &[lang]).await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.body.contains("id=\"passkey-login\""));
        assert!(login.body.contains(text), "{text}");
        assert!(login.body.contains("/js/passkeys.js\""));
        if lang == KO {
            korean_only(&login.body, &[]);
        } else {
            english_only(&login.body, &[]);
        }
    }
    // The script is served as a module from our own origin (the CSP allows only that).
    let script_path = login_script_path(&app.page("/login", &[EN]).await.body);
    let script = browser_get(&app, &script_path).await;
    assert_eq!(script.0, StatusCode::OK);
    assert!(script.1.contains("navigator.credentials.get"));
}

fn login_script_path(html: &str) -> String {
    let end = html.find("/js/passkeys.js\"").unwrap() + "/js/passkeys.js".len();
    let start = html[..end].rfind("src=\"").unwrap() + 5;
    html[start..end].to_owned()
}

async fn browser_get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// Passkey sign-in steps are limited per address like password sign-ins, in a bucket of their
/// own: a burst of option requests gets 429 with `Retry-After`, and the password still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_sign_ins_are_rate_limited_per_address() {
    let app = TestApp::spawn().await;
    let user = app.user("ann@example.com", "a long password").await;
    let per_minute = app.state.config.limits.logins_per_minute;
    for _ in 0..per_minute {
        let r = app
            .post("/api/v1/session/passkey/options", &As::Nobody, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = app
        .post("/api/v1/session/passkey/options", &As::Nobody, json!({}))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(r.headers.get("retry-after").is_some());
    app.login(&user.email, "a long password").await;
}
