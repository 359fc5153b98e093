//! A real server on port 0 with a fresh database per test, and a small HTTP client around it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "tests"
)]

use std::sync::Arc;

use orderbell_core::ShopId;
use orderbell_core::shop::NewShopRequest;
use orderbell_server::config::Config;
use orderbell_server::state::{AppState, ManualClock};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    _pg: Option<PgGuard>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

pub struct PgGuard {
    admin_url: String,
    name: String,
}

impl Drop for PgGuard {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}

impl Drop for TestApp {
    /// Stops the server, then checks that the outbox holds nothing unexplained (see
    /// `orderbell_store::audit`) unless the test has already failed.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if std::thread::panicking() {
            return;
        }
        let store = self.state.store.clone();
        let findings = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(store.audit_outbox())
        })
        .join()
        .unwrap()
        .unwrap();
        assert!(
            findings.is_empty(),
            "the outbox holds what nobody can explain: {}",
            findings
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Response {
    /// The stable error code of an error answer.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// Who makes a request.
#[derive(Clone, Debug)]
pub enum As {
    Nobody,
    Key(String),
    /// A session cookie; writes carry our Origin like a browser would.
    Session(String),
}

pub fn sqlite_config(dir: &std::path::Path) -> Config {
    Config::for_database(
        &format!("sqlite://{}/orderbell.db", dir.display()),
        "http://orderbell.test",
    )
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let config = sqlite_config(dir.path());
        TestApp::spawn_with(config, Some(dir), None).await
    }

    /// On PostgreSQL when `ORDERBELL_TEST_POSTGRES_URL` is set; `None` otherwise.
    pub async fn spawn_postgres() -> Option<TestApp> {
        TestApp::spawn_postgres_with(|_| {}).await
    }

    /// [`TestApp::spawn_postgres`] with settings changed by `tweak`.
    pub async fn spawn_postgres_with(tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let admin = match std::env::var("ORDERBELL_TEST_POSTGRES_URL") {
            Ok(u) if !u.is_empty() => u,
            _ => {
                assert!(
                    std::env::var("ORDERBELL_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "ORDERBELL_REQUIRE_POSTGRES=1 but ORDERBELL_TEST_POSTGRES_URL is not set"
                );
                eprintln!("skipped: set ORDERBELL_TEST_POSTGRES_URL to run the PostgreSQL tests");
                return None;
            }
        };
        let name = format!(
            "orderbell_test_{}",
            hex::encode(orderbell_server::security::random_bytes::<6>())
        );
        let admin2 = admin.clone();
        let name2 = name.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = postgres::Client::connect(&admin2, postgres::NoTls).unwrap();
            c.batch_execute(&format!("CREATE DATABASE {name2}"))
                .unwrap();
        })
        .await
        .unwrap();
        let guard = PgGuard {
            admin_url: admin.clone(),
            name: name.clone(),
        };
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        let mut config = Config::for_database(&url, "http://orderbell.test");
        tweak(&mut config);
        Some(TestApp::spawn_with(config, None, Some(guard)).await)
    }

    pub async fn spawn_with(
        config: Config,
        dir: Option<tempfile::TempDir>,
        pg: Option<PgGuard>,
    ) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        TestApp::spawn_on(listener, config, dir, pg).await
    }

    /// [`TestApp::spawn_with`] on a listener bound already (its address can be the public URL).
    pub async fn spawn_on(
        listener: tokio::net::TcpListener,
        config: Config,
        dir: Option<tempfile::TempDir>,
        pg: Option<PgGuard>,
    ) -> TestApp {
        let store = orderbell_store::open(&config.database_url).await.unwrap();
        let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
        let state = orderbell_server::app::state(config, store, clock.clone())
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let serving = state.clone();
        tokio::spawn(async move {
            orderbell_server::app::serve(serving, listener, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        TestApp {
            base,
            state,
            clock,
            http: reqwest::Client::new(),
            _dir: dir,
            _pg: pg,
            shutdown: Some(tx),
        }
    }

    /// Sends a request and reads the JSON answer (or `null` for an empty body).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        who: &As,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{}", self.base, path));
        match who {
            As::Nobody => {}
            As::Key(key) => req = req.bearer_auth(key),
            As::Session(cookie) => {
                req = req.header("cookie", format!("orderbell_session={cookie}"));
                if method != Method::GET {
                    req = req.header("origin", "http://orderbell.test");
                }
            }
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Response {
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, who: &As) -> Response {
        self.call(Method::GET, path, who, None).await
    }

    pub async fn post(&self, path: &str, who: &As, body: Value) -> Response {
        self.call(Method::POST, path, who, Some(body)).await
    }

    /// Creates an account (through the same code as sign-up) and returns its e-mail.
    pub async fn user(&self, email: &str, password: &str) -> orderbell_core::user::User {
        let new =
            orderbell_server::api::accounts::new_user(&self.state, email, "Test User", password)
                .await
                .unwrap();
        self.state.store.create_user(new).await.unwrap()
    }

    /// Signs in through the API and returns the session cookie's value.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .post(
                "/api/v1/session",
                &As::Nobody,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
        let cookie = res.headers["set-cookie"].to_str().unwrap().to_owned();
        cookie
            .strip_prefix("orderbell_session=")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    pub async fn shop(&self, slug: &str, owner: &orderbell_core::user::User) -> ShopId {
        let new = NewShopRequest {
            slug: slug.into(),
            name: format!("Shop {slug}"),
            currency: None,
            time_zone: None,
            locale: None,
            phone: None,
        }
        .validate()
        .unwrap();
        self.state
            .store
            .create_shop(
                self.state.new_id(ShopId::from_parts),
                new,
                &owner.id,
                self.state.now(),
            )
            .await
            .unwrap()
            .id
    }

    /// An owner, a shop and an API key with the given scopes.
    pub async fn shop_with_key(
        &self,
        slug: &str,
        scopes: &[&str],
    ) -> (orderbell_core::user::User, String) {
        let owner = self
            .user(&format!("owner@{slug}.example"), "a long password")
            .await;
        let shop = self.shop(slug, &owner).await;
        let scopes = scopes
            .iter()
            .map(|s| orderbell_store::Scope::parse(s).unwrap())
            .collect();
        let key = orderbell_server::api::shops::issue_api_key(&self.state, &shop, "till", scopes)
            .await
            .unwrap();
        (owner, key.key)
    }
}

/// The integration order: two Americanos with an extra shot (the README's API quick start).
pub fn americano_order() -> Value {
    json!({"items":[{"name":"Americano","quantity":2,"unit_price":4500,
                     "options":[{"name":"Extra shot","price":500}]}],
           "customer":{"name":"Kim","phone":"+821012345678"},
           "fulfillment":{"type":"pickup"}, "note":"less ice"})
}
