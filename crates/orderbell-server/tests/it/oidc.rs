//! Sign-in with OpenID Connect.
//!
//! A stand-in provider (axum, here) serves discovery, JWKS and a token endpoint that answers
//! with ID tokens crafted by each test, signed with P-256 keys made here: every check of the
//! ID token is tried (nonce, aud, iss, exp, `alg: none`, an unknown `kid`, a JWKS rotation),
//! and Apple's `form_post` answer and ES256 client secret. Then a certified provider
//! (npm `oidc-provider`, pinned in tests/accounts/oidc) drives the whole code flow over plain
//! HTTP and in Chromium. Those skip loudly without node and the package, unless
//! `ORDERBELL_REQUIRE_OIDC=1` (CI).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use orderbell_server::config::Config;
use p256::ecdsa::SigningKey;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::pages_support::{PASSWORD, Page, browser, english_only, korean_only};
use crate::support::{As, TestApp, sqlite_config};

const CLIENT_ID: &str = "orderbell-client";
const SECRET: &str = "stand-in secret";

/// A token request: its Authorization header and its form.
type TokenRequest = (Option<String>, Vec<(String, String)>);
/// A refused token: its code, and how it is made for a sign-in.
type BadToken<'a> = (&'a str, Box<dyn Fn(&Started) -> String + 'a>);

/// What the stand-in provider serves and saw.
#[derive(Default)]
struct StandInState {
    issuer: String,
    keys: Vec<Value>,
    /// The next token endpoint answer's ID token.
    id_token: Option<String>,
    /// Token requests: the Authorization header and the form.
    token_requests: Vec<TokenRequest>,
    jwks_fetches: usize,
    auth_methods: Vec<&'static str>,
}

#[derive(Clone)]
struct StandIn(Arc<Mutex<StandInState>>);

impl StandIn {
    fn with<T>(&self, f: impl FnOnce(&mut StandInState) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }
}

async fn discovery(State(s): State<StandIn>) -> axum::Json<Value> {
    s.with(|s| {
        axum::Json(json!({
            "issuer": s.issuer,
            "authorization_endpoint": format!("{}/auth", s.issuer),
            "token_endpoint": format!("{}/token", s.issuer),
            "jwks_uri": format!("{}/jwks", s.issuer),
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": s.auth_methods,
            "response_types_supported": ["code"],
        }))
    })
}

async fn jwks(State(s): State<StandIn>) -> axum::Json<Value> {
    s.with(|s| {
        s.jwks_fetches += 1;
        axum::Json(json!({ "keys": s.keys }))
    })
}

async fn token(State(s): State<StandIn>, headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_owned());
    s.with(|s| {
        s.token_requests.push((auth, form));
        axum::Json(json!({
            "access_token": "at",
            "token_type": "Bearer",
            "id_token": s.id_token.take().unwrap_or_default(),
        }))
    })
}

async fn stand_in(auth_methods: Vec<&'static str>) -> StandIn {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let s = StandIn(Arc::new(Mutex::new(StandInState {
        issuer,
        auth_methods,
        ..Default::default()
    })));
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", post(token))
        .with_state(s.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    s
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn jwk(kid: &str, key: &SigningKey) -> Value {
    let p = key.verifying_key().to_encoded_point(false);
    json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
           "x": URL_SAFE_NO_PAD.encode(p.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(p.y().unwrap())})
}

fn sign(header: &Value, claims: &Value, key: &SigningKey) -> String {
    use p256::ecdsa::signature::Signer;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn claims(issuer: &str, nonce: &str, sub: &str, email: &str) -> Value {
    json!({"iss": issuer, "aud": CLIENT_ID, "sub": sub, "nonce": nonce,
           "iat": now_s(), "exp": now_s() + 300,
           "email": email, "email_verified": true, "name": "Stand In"})
}

fn provider_toml(name: &str, preset: &str, issuer: &str, extra: &str) -> String {
    format!(
        "[[oidc]]\nname = \"{name}\"\npreset = \"{preset}\"\nissuer = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\n{extra}"
    )
}

fn with_providers(config: &mut Config, toml_text: &str) {
    let v: toml::Table = toml::from_str(toml_text).unwrap();
    config.oidc = orderbell_server::oidc::config::load(v.get("oidc")).unwrap();
}

async fn app_with(toml_text: &str) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = sqlite_config(dir.path());
    with_providers(&mut config, toml_text);
    TestApp::spawn_with(config, Some(dir), None).await
}

fn query_param(url: &str, name: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap();
    pairs.into_iter().find(|(k, _)| k == name).unwrap().1
}

/// A sign-in started at `/login/oidc/{name}`: the provider's authorization URL.
struct Started {
    location: String,
    state: String,
    nonce: String,
    /// The cookie that ties the sign-in to this browser.
    binding: String,
}

async fn begin(app: &TestApp, name: &str, cookies: &[&str]) -> Started {
    let page = app
        .page(&format!("/login/oidc/{name}?next=/account"), cookies)
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let location = page.location().to_owned();
    let binding = page
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("orderbell_oidc="))
        .expect("the binding cookie");
    Started {
        binding,
        state: query_param(&location, "state"),
        nonce: query_param(&location, "nonce"),
        location,
    }
}

async fn callback(app: &TestApp, name: &str, st: &Started) -> Page {
    app.page(
        &format!(
            "/login/oidc/{name}/callback?code=the-code&state={}",
            st.state
        ),
        &[&st.binding],
    )
    .await
}

fn session_of(page: &Page) -> Option<String> {
    page.cookies()
        .into_iter()
        .find_map(|c| c.strip_prefix("orderbell_session=").map(str::to_owned))
        .filter(|c| !c.is_empty())
}

fn refused(page: &Page, code: &str) {
    assert!(
        page.body
            .contains(&format!("<code id=\"oidc-error-code\">{code}</code>")),
        "expected {code}: {} {}",
        page.status,
        page.body
    );
    assert!(session_of(page).is_none(), "no session on a refusal");
}

/// Every ID token check, then a good sign-in that creates the account, key rotation, and the
/// identities API; on SQLite and PostgreSQL.
#[tokio::test]
async fn id_tokens_are_checked_against_the_stand_in_provider() {
    let sp = stand_in(vec!["client_secret_basic", "client_secret_post"]).await;
    let issuer = sp.with(|s| s.issuer.clone());
    let toml_text = provider_toml(
        "acme",
        "generic",
        &issuer,
        &format!("client_secret = \"{SECRET}\"\nlabel = \"Acme ID\"\n"),
    );
    let app = app_with(&toml_text).await;
    id_token_story(&app, &sp, &issuer).await;
    let sp2 = stand_in(vec!["client_secret_basic"]).await;
    let issuer2 = sp2.with(|s| s.issuer.clone());
    let toml2 = provider_toml(
        "acme",
        "generic",
        &issuer2,
        &format!("client_secret = \"{SECRET}\"\nlabel = \"Acme ID\"\n"),
    );
    if let Some(pg) = TestApp::spawn_postgres_with(|c| with_providers(c, &toml2)).await {
        id_token_story(&pg, &sp2, &issuer2).await;
    }
}

async fn id_token_story(app: &TestApp, sp: &StandIn, issuer: &str) {
    let k1 = key(1);
    sp.with(|s| s.keys = vec![jwk("k1", &k1)]);
    let h1 = json!({"alg": "ES256", "kid": "k1"});

    // The login page offers the provider.
    let login = app.page("/login", &["orderbell_lang=en"]).await;
    assert!(
        login.body.contains("Sign in with Acme ID"),
        "{}",
        login.body
    );
    assert!(
        login.body.contains("href=\"/login/oidc/acme?next="),
        "{}",
        login.body
    );

    // Where the browser is sent: code flow, PKCE S256, state and nonce.
    let st = begin(app, "acme", &[]).await;
    assert!(st.location.starts_with(&format!("{issuer}/auth?")));
    assert_eq!(query_param(&st.location, "response_type"), "code");
    assert_eq!(query_param(&st.location, "client_id"), CLIENT_ID);
    assert_eq!(query_param(&st.location, "code_challenge_method"), "S256");
    assert_eq!(query_param(&st.location, "scope"), "openid email profile");
    assert_eq!(
        query_param(&st.location, "redirect_uri"),
        "http://orderbell.test/login/oidc/acme/callback"
    );
    let challenge = query_param(&st.location, "code_challenge");

    let email = "stand.in@example.com";
    let bad: Vec<BadToken> = vec![
        (
            "oidc_bad_nonce",
            Box::new(|st: &Started| {
                let _ = st;
                sign(&h1, &claims(issuer, "another nonce", "sub-1", email), &k1)
            }),
        ),
        (
            "oidc_bad_audience",
            Box::new(|st: &Started| {
                let mut c = claims(issuer, &st.nonce, "sub-1", email);
                c["aud"] = json!("someone-else");
                sign(&h1, &c, &k1)
            }),
        ),
        (
            "oidc_bad_audience",
            Box::new(|st: &Started| {
                let mut c = claims(issuer, &st.nonce, "sub-1", email);
                c["aud"] = json!([CLIENT_ID, "someone-else"]);
                sign(&h1, &c, &k1)
            }),
        ),
        (
            "oidc_bad_issuer",
            Box::new(|st: &Started| {
                sign(
                    &h1,
                    &claims("https://evil.example", &st.nonce, "sub-1", email),
                    &k1,
                )
            }),
        ),
        (
            "oidc_expired",
            Box::new(|st: &Started| {
                let mut c = claims(issuer, &st.nonce, "sub-1", email);
                c["iat"] = json!(now_s() - 3600);
                c["exp"] = json!(now_s() - 600);
                sign(&h1, &c, &k1)
            }),
        ),
        (
            "oidc_bad_alg",
            Box::new(|st: &Started| {
                let c = claims(issuer, &st.nonce, "sub-1", email);
                format!(
                    "{}.{}.",
                    URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
                    URL_SAFE_NO_PAD.encode(c.to_string())
                )
            }),
        ),
        (
            "oidc_bad_alg",
            Box::new(|st: &Started| {
                let c = claims(issuer, &st.nonce, "sub-1", email);
                format!(
                    "{}.{}.c2ln",
                    URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","kid":"k1"}"#),
                    URL_SAFE_NO_PAD.encode(c.to_string())
                )
            }),
        ),
        (
            "oidc_bad_signature",
            Box::new(|st: &Started| sign(&h1, &claims(issuer, &st.nonce, "sub-1", email), &key(9))),
        ),
        (
            "oidc_unknown_key",
            Box::new(|st: &Started| {
                sign(
                    &json!({"alg": "ES256", "kid": "nobody"}),
                    &claims(issuer, &st.nonce, "sub-1", email),
                    &key(9),
                )
            }),
        ),
    ];
    let mut st = st;
    for (code, make) in &bad {
        sp.with(|s| s.id_token = Some(make(&st)));
        let page = callback(app, "acme", &st).await;
        refused(&page, code);
        st = begin(app, "acme", &[]).await;
    }
    // The JWKS was fetched once, then once more for the unknown kid (none since: < 30 s).
    let fetches = sp.with(|s| s.jwks_fetches);
    assert!(fetches <= 2, "{fetches}");

    // A state works once, and only a known one.
    let made_up = Started {
        location: String::new(),
        state: "made-up".into(),
        nonce: String::new(),
        binding: "orderbell_oidc=made-up".into(),
    };
    refused(&callback(app, "acme", &made_up).await, "oidc_state");
    // The provider's error is a code, not its text.
    let page = app
        .page(
            &format!(
                "/login/oidc/acme/callback?error=access_denied<b>&state={}",
                st.state
            ),
            &[],
        )
        .await;
    refused(&page, "oidc_provider_error:access_deniedb");
    refused(&callback(app, "acme", &st).await, "oidc_state");
    // Someone else's callback URL (its state without this browser's cookie) signs nobody in.
    let st = begin(app, "acme", &[]).await;
    sp.with(|s| s.id_token = Some(sign(&h1, &claims(issuer, &st.nonce, "sub-1", email), &k1)));
    let elsewhere = app
        .page(
            &format!("/login/oidc/acme/callback?code=the-code&state={}", st.state),
            &[],
        )
        .await;
    refused(&elsewhere, "oidc_state");
    sp.with(|s| s.id_token = None);

    // A good token: the account is made (verified e-mail), signed in, back to `next`.
    let st = begin(app, "acme", &[]).await;
    sp.with(|s| s.id_token = Some(sign(&h1, &claims(issuer, &st.nonce, "sub-1", email), &k1)));
    let page = callback(app, "acme", &st).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/account");
    let cookie = session_of(&page).expect("a session");
    let (auth, form) = sp.with(|s| s.token_requests.last().cloned().unwrap());
    let verifier = form
        .iter()
        .find(|(k, _)| k == "code_verifier")
        .unwrap()
        .1
        .clone();
    let st_challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    assert_eq!(
        form.iter().find(|(k, _)| k == "code").unwrap().1,
        "the-code"
    );
    assert!(
        !form.iter().any(|(k, _)| k == "client_secret"),
        "basic, not post"
    );
    let basic = base64::engine::general_purpose::STANDARD
        .decode(auth.unwrap().strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(basic).unwrap(),
        format!("{CLIENT_ID}:stand-in+secret")
    );
    let _ = (challenge, st_challenge);
    let me = app.get("/api/v1/me", &As::Session(cookie.clone())).await;
    assert_eq!(me.body["user"]["email"], email, "{:?}", me.body);
    let ids = app
        .get("/api/v1/me/identities", &As::Session(cookie.clone()))
        .await;
    assert_eq!(ids.status, StatusCode::OK);
    assert_eq!(ids.body[0]["provider"], "acme");
    assert_eq!(ids.body[0]["issuer"], issuer);
    let sessions = app
        .get("/api/v1/me/sessions", &As::Session(cookie.clone()))
        .await;
    assert!(
        sessions.body.to_string().contains("oidc:acme"),
        "{}",
        sessions.body
    );
    // The only way into this account (no password): it cannot be unlinked.
    let id = ids.body[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/me/identities/{id}"),
            &As::Session(cookie.clone()),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.code(), "last_sign_in");

    // Key rotation: k1 goes, k2 comes. A token with k2 right away is refused (the keys were
    // fetched less than 30 s ago); later, the keys are fetched again and it is accepted.
    let k2 = key(2);
    sp.with(|s| s.keys = vec![jwk("k2", &k2)]);
    let h2 = json!({"alg": "ES256", "kid": "k2"});
    let st = begin(app, "acme", &[]).await;
    sp.with(|s| s.id_token = Some(sign(&h2, &claims(issuer, &st.nonce, "sub-1", email), &k2)));
    refused(&callback(app, "acme", &st).await, "oidc_unknown_key");
    app.clock.advance(jiff::SignedDuration::from_secs(31));
    let before = sp.with(|s| s.jwks_fetches);
    let st = begin(app, "acme", &[]).await;
    sp.with(|s| s.id_token = Some(sign(&h2, &claims(issuer, &st.nonce, "sub-1", email), &k2)));
    let page = callback(app, "acme", &st).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(session_of(&page).is_some());
    assert_eq!(sp.with(|s| s.jwks_fetches), before + 1);

    // An account with a password and this e-mail: a verified e-mail links it.
    let owner = app.user("owner@example.com", PASSWORD).await;
    let st = begin(app, "acme", &[]).await;
    sp.with(|s| {
        s.id_token = Some(sign(
            &h2,
            &claims(issuer, &st.nonce, "sub-2", "Owner@Example.com"),
            &k2,
        ))
    });
    let page = callback(app, "acme", &st).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let cookie2 = session_of(&page).unwrap();
    let me = app.get("/api/v1/me", &As::Session(cookie2.clone())).await;
    assert_eq!(me.body["user"]["id"], owner.id.to_string());
    // An unverified e-mail neither links nor creates.
    let st = begin(app, "acme", &[]).await;
    let mut c = claims(issuer, &st.nonce, "sub-3", "owner@example.com");
    c["email_verified"] = json!(false);
    sp.with(|s| s.id_token = Some(sign(&h2, &c, &k2)));
    refused(&callback(app, "acme", &st).await, "oidc_email_unverified");
    // It can be linked by the signed-in owner, then unlinked (the account has a password).
    let st = begin(app, "acme", &[&format!("orderbell_session={cookie2}")]).await;
    c["nonce"] = json!(st.nonce);
    sp.with(|s| s.id_token = Some(sign(&h2, &c, &k2)));
    let page = callback(app, "acme", &st).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let ids = app
        .get("/api/v1/me/identities", &As::Session(cookie2.clone()))
        .await;
    assert_eq!(ids.body.as_array().unwrap().len(), 2, "{}", ids.body);
    // The first user's identity cannot be linked to the owner.
    let st = begin(app, "acme", &[&format!("orderbell_session={cookie2}")]).await;
    sp.with(|s| s.id_token = Some(sign(&h2, &claims(issuer, &st.nonce, "sub-1", email), &k2)));
    refused(&callback(app, "acme", &st).await, "oidc_identity_taken");
    for id in ids.body.as_array().unwrap() {
        let res = app
            .call(
                reqwest::Method::DELETE,
                &format!("/api/v1/me/identities/{}", id["id"].as_str().unwrap()),
                &As::Session(cookie2.clone()),
                None,
            )
            .await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{:?}", res.body);
    }
    let res = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/me/identities/nope",
            &As::Session(cookie2.clone()),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

/// Sign in with Apple: the answer is a cross-site form POST (no cookie), the name comes once
/// in the `user` field, and the client secret is an ES256 JWT signed from the `.p8` key.
#[tokio::test]
async fn apple_form_post_and_its_client_secret() {
    use p256::pkcs8::EncodePrivateKey;
    let sp = stand_in(vec!["client_secret_post"]).await;
    let issuer = sp.with(|s| s.issuer.clone());
    let k1 = key(3);
    sp.with(|s| s.keys = vec![jwk("apple-1", &k1)]);
    let team_key = key(4);
    let dir = tempfile::tempdir().unwrap();
    let p8 = dir.path().join("AuthKey_KEY123.p8");
    std::fs::write(
        &p8,
        team_key
            .to_pkcs8_pem(Default::default())
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let extra = format!(
        "team_id = \"TEAM123\"\nkey_id = \"KEY123\"\nprivate_key_file = \"{}\"\n",
        p8.display()
    );
    let app = app_with(&provider_toml("apple", "apple", &issuer, &extra)).await;
    let st = begin(&app, "apple", &[]).await;
    assert_eq!(query_param(&st.location, "response_mode"), "form_post");
    assert_eq!(query_param(&st.location, "scope"), "openid email name");
    let mut c = claims(
        &issuer,
        &st.nonce,
        "001234.apple",
        "hidden@privaterelay.appleid.com",
    );
    c["email_verified"] = json!("true");
    c.as_object_mut().unwrap().remove("name");
    sp.with(|s| s.id_token = Some(sign(&json!({"alg": "ES256", "kid": "apple-1"}), &c, &k1)));
    let user = json!({"name": {"firstName": "Jane", "lastName": "Appleseed"}, "email": "hidden@privaterelay.appleid.com"});
    let page = app
        .form_from(
            "/login/oidc/apple/callback",
            &[&st.binding],
            &[
                ("code", "apple-code"),
                ("state", &st.state),
                ("user", &user.to_string()),
            ],
            Some("https://appleid.apple.com"),
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let cookie = session_of(&page).unwrap();
    let me = app.get("/api/v1/me", &As::Session(cookie)).await;
    assert_eq!(me.body["user"]["name"], "Jane Appleseed");

    // The client secret went in the form (client_secret_post) and is Apple's ES256 JWT.
    let (auth, form) = sp.with(|s| s.token_requests.last().cloned().unwrap());
    assert!(auth.is_none());
    let get = |k: &str| form.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(get("client_id"), CLIENT_ID);
    let secret = get("client_secret");
    let parts: Vec<&str> = secret.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let body: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], "KEY123");
    assert_eq!(body["iss"], "TEAM123");
    assert_eq!(body["sub"], CLIENT_ID);
    assert_eq!(body["aud"], "https://appleid.apple.com");
    let lifetime = body["exp"].as_i64().unwrap() - body["iat"].as_i64().unwrap();
    assert!(lifetime > 0 && lifetime <= 180 * 86_400, "{lifetime}");
    use p256::ecdsa::signature::Verifier;
    let sig =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    team_key
        .verifying_key()
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .expect("signed with the team's key");
}

/// A Cognito user pool's session ends at its hosted UI's logout endpoint too.
#[tokio::test]
async fn cognito_sign_out_goes_to_its_logout_endpoint() {
    let sp = stand_in(vec!["client_secret_basic"]).await;
    let issuer = sp.with(|s| s.issuer.clone());
    let k = key(5);
    sp.with(|s| s.keys = vec![jwk("c1", &k)]);
    let logout = format!(
        "https://shop.auth.ap-northeast-2.amazoncognito.com/logout?client_id={CLIENT_ID}&logout_uri=http%3A%2F%2Forderbell.test%2F"
    );
    let extra = format!("client_secret = \"{SECRET}\"\nlogout_url = \"{logout}\"\n");
    let app = app_with(&provider_toml("cognito", "cognito", &issuer, &extra)).await;
    let login = app.page("/login", &["orderbell_lang=ko"]).await;
    assert!(
        login.body.contains("Amazon Cognito(으)로 로그인"),
        "{}",
        login.body
    );
    korean_only(&login.body, &["Amazon Cognito"]);
    english_only(&app.page("/login", &["orderbell_lang=en"]).await.body, &[]);
    // A refusal, in Korean and in English.
    let refusal = app
        .page(
            "/login/oidc/cognito/callback?code=c&state=made-up",
            &["orderbell_lang=ko"],
        )
        .await;
    refused(&refusal, "oidc_state");
    korean_only(&refusal.body, &["oidc_state"]);
    let refusal = app
        .page(
            "/login/oidc/cognito/callback?code=c&state=made-up",
            &["orderbell_lang=en"],
        )
        .await;
    english_only(&refusal.body, &[]);
    let st = begin(&app, "cognito", &[]).await;
    let mut c = claims(&issuer, &st.nonce, "cognito-sub", "pool.user@example.com");
    c["email_verified"] = json!("true");
    sp.with(|s| s.id_token = Some(sign(&json!({"alg": "ES256", "kid": "c1"}), &c, &k)));
    let page = callback(&app, "cognito", &st).await;
    let cookie = format!("orderbell_session={}", session_of(&page).unwrap());
    let account = app.page("/account", &[&cookie, "orderbell_lang=en"]).await;
    assert!(account.body.contains("Amazon Cognito"), "{}", account.body);
    english_only(&account.body, &[]);
    let account_ko = app.page("/account", &[&cookie, "orderbell_lang=ko"]).await;
    assert!(
        account_ko.body.contains("외부 계정 로그인"),
        "{}",
        account_ko.body
    );
    korean_only(
        &account_ko.body,
        &["Amazon Cognito", "pool.user@example.com", "Stand In"],
    );
    let csrf = account.input("csrf");
    // The account has no password: its only identity cannot be unlinked from the page either.
    let ids = app
        .get(
            "/api/v1/me/identities",
            &As::Session(session_of(&page).unwrap()),
        )
        .await;
    let id = ids.body[0]["id"].as_str().unwrap().to_owned();
    let unlink = app
        .form(
            "/account/identities/unlink",
            &[&cookie, "orderbell_lang=en"],
            &[("csrf", &csrf), ("id", &id)],
        )
        .await;
    assert_eq!(unlink.status, StatusCode::CONFLICT, "{}", unlink.body);
    assert!(
        unlink.body.contains("id=\"identity-error\""),
        "{}",
        unlink.body
    );
    english_only(&unlink.body, &[]);
    let out = app.form("/logout", &[&cookie], &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), logout);
    let me = app
        .get("/api/v1/me", &As::Session(session_of(&page).unwrap()))
        .await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
}

/// Node and the pinned `oidc-provider`, or a loud skip (a failure with ORDERBELL_REQUIRE_OIDC=1).
fn provider_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/accounts/oidc");
    let ok = dir.join("node_modules/oidc-provider").is_dir()
        && std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok();
    if ok {
        return Some(dir);
    }
    assert!(
        std::env::var("ORDERBELL_REQUIRE_OIDC").as_deref() != Ok("1"),
        "ORDERBELL_REQUIRE_OIDC=1 but oidc-provider is not installed (npm ci --prefix tests/accounts/oidc)"
    );
    eprintln!("skipped: run `npm ci --prefix tests/accounts/oidc` to test against oidc-provider");
    None
}

struct Certified {
    child: tokio::process::Child,
    issuer: String,
}

/// Starts oidc-provider for a server at `base` (its provider name `test`).
async fn certified(dir: &std::path::Path, base: &str) -> Certified {
    use tokio::io::AsyncBufReadExt;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg(port.to_string())
        .arg(format!("{base}/login/oidc/test/callback"))
        .arg(SECRET)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("oidc-provider starts")
        .unwrap()
        .unwrap();
    let issuer = ready
        .strip_prefix("READY ")
        .expect("a READY line")
        .to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Certified { child, issuer }
}

/// A server whose public URL is its own loopback address, with oidc-provider as `test`.
async fn app_and_certified(dir: &std::path::Path) -> (TestApp, Certified) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let certified = certified(dir, &base).await;
    let data = tempfile::tempdir().unwrap();
    let mut config = sqlite_config(data.path());
    config.public_url = base;
    with_providers(
        &mut config,
        &provider_toml(
            "test",
            "generic",
            &certified.issuer,
            &format!("client_secret = \"{SECRET}\"\nlabel = \"Test OP\"\n"),
        ),
    );
    (
        TestApp::spawn_on(listener, config, Some(data), None).await,
        certified,
    )
}

/// Cookies per host:port, as a browser keeps them (enough for this flow).
#[derive(Default)]
struct Jar(Vec<(String, String, String)>);

impl Jar {
    fn origin(url: &str) -> String {
        let rest = url.split_once("://").unwrap().1;
        rest.split('/').next().unwrap().to_owned()
    }
    fn take(&mut self, url: &str, headers: &reqwest::header::HeaderMap) {
        let host = Jar::origin(url);
        for v in headers.get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.0.retain(|(h, n, _)| !(h == &host && n == k));
            self.0.push((host.clone(), k.to_owned(), val.to_owned()));
        }
    }
    fn header(&self, url: &str) -> String {
        let host = Jar::origin(url);
        self.0
            .iter()
            .filter(|(h, _, v)| *h == host && !v.is_empty())
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_owned()
    } else {
        format!("{}{location}", base.trim_end_matches('/'))
    }
}

fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    format!("{scheme}://{}", rest.split('/').next().unwrap())
}

fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + 8;
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

/// The whole code flow against the certified provider, over plain HTTP: the test follows the
/// redirects and fills the provider's development login and consent forms.
#[tokio::test]
async fn certified_provider_code_flow_over_plain_http() {
    let Some(dir) = provider_dir() else { return };
    let (app, op) = app_and_certified(&dir).await;
    let http = browser();
    let mut jar = Jar::default();
    let mut url = format!("{}/login/oidc/test?next=/account", app.base);
    let mut method_post: Option<Vec<(String, String)>> = None;
    let mut signed_in = None;
    for _ in 0..20 {
        let mut req = match &method_post {
            Some(fields) => http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("origin", origin_of(&url))
                .body(serde_urlencoded::to_string(fields).unwrap()),
            None => http.get(&url),
        };
        let cookies = jar.header(&url);
        if !cookies.is_empty() {
            req = req.header("cookie", cookies);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        jar.take(&url, &headers);
        let body = res.text().await.unwrap();
        if url.starts_with(&app.base) && url.contains("/callback") {
            assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
            assert_eq!(headers["location"], "/account");
            signed_in = session_of(&Page {
                status,
                headers: headers.clone(),
                body: body.clone(),
            });
            break;
        }
        if status.is_redirection() {
            url = absolute(&origin_of(&url), headers["location"].to_str().unwrap());
            method_post = None;
            continue;
        }
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        let action = absolute(&origin_of(&url), &form_action(&body));
        method_post = Some(if body.contains("name=\"login\"") {
            vec![
                ("prompt".into(), "login".into()),
                ("login".into(), "alice".into()),
                ("password".into(), "anything".into()),
            ]
        } else {
            vec![("prompt".into(), "consent".into())]
        });
        url = action;
    }
    let cookie = signed_in.expect("signed in at the end of the flow");
    let me = app.get("/api/v1/me", &As::Session(cookie.clone())).await;
    assert_eq!(
        me.body["user"]["email"], "alice@example.com",
        "{:?}",
        me.body
    );
    assert_eq!(me.body["user"]["name"], "Test alice");
    let ids = app.get("/api/v1/me/identities", &As::Session(cookie)).await;
    assert_eq!(ids.body[0]["issuer"], op.issuer);
    drop(op.child);
}

/// The same flow in Chromium: the button on /login, the provider's login and consent pages,
/// and the account page at the end (tests/accounts/oidc/browser.mjs, playwright-core).
#[tokio::test]
async fn certified_provider_code_flow_in_chromium() {
    let Some(dir) = provider_dir() else { return };
    let playwright = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/e2e/node_modules/playwright-core");
    let chromium = std::path::Path::new("/usr/bin/chromium");
    if !playwright.is_dir() || !chromium.exists() {
        assert!(
            std::env::var("ORDERBELL_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "ORDERBELL_REQUIRE_BROWSER=1 but Chromium or playwright-core is missing"
        );
        eprintln!("skipped: Chromium or tests/e2e/node_modules/playwright-core is missing");
        return;
    }
    let (app, op) = app_and_certified(&dir).await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("browser.mjs"))
        .arg(&app.base)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("SIGNED IN bob@example.com"), "{stdout}");
    let user = app
        .state
        .store
        .user_by_email("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    let ids = app.state.store.identities_of(&user.id).await.unwrap();
    assert_eq!(ids[0].issuer, op.issuer);
    drop(op.child);
}
