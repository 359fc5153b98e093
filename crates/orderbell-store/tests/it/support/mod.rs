//! Fresh databases for each test: a temporary SQLite file, or a new PostgreSQL database on the
//! server `ORDERBELL_TEST_POSTGRES_URL` names (dropped afterwards).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "tests"
)]

pub mod fixtures;

use std::sync::Arc;

use orderbell_store::Store;

/// Runs each named story (an `async fn(Arc<dyn Store>)` in the calling file) as two tests: one
/// on a fresh SQLite file, one on a fresh PostgreSQL database (when configured); each ends
/// with [`audit`].
macro_rules! stories {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = super::fresh(super::Backend::Sqlite).await.unwrap();
                super::$name(store.clone()).await;
                $crate::support::audit(&store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((store, _guard)) = super::fresh(super::Backend::Postgres).await else { return };
                super::$name(store.clone()).await;
                $crate::support::audit(&store).await;
            })*
        }
    };
}

/// Runs each named story as a test on fresh DynamoDB tables in the emulator that
/// `ORDERBELL_TEST_DYNAMODB_URL` names (moto in CI), beside its [`stories!`] runs. A story is
/// listed here once the DynamoDB store does everything it asks:
/// `dynamodb_stories!(dynamodb_orders: orders_are_numbered_per_shop, …);`
macro_rules! dynamodb_stories {
    ($module:ident: $($name:ident),* $(,)?) => {
        #[cfg(feature = "dynamodb")]
        mod $module {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((store, _guard)) = super::fresh(super::Backend::Dynamodb).await else { return };
                super::$name(store.clone()).await;
                $crate::support::audit(&store).await;
            })*
        }
    };
}

/// The teardown check of every story: the outbox holds nothing unexplained
/// (see `orderbell_store::audit`).
pub async fn audit(store: &Arc<dyn Store>) {
    let findings = store.audit_outbox().await.unwrap();
    assert!(
        findings.is_empty(),
        "the outbox holds what nobody can explain: {findings:?}"
    );
}

/// Now, to the millisecond (what every backend stores exactly).
pub fn now() -> orderbell_core::Timestamp {
    orderbell_core::to_millis(orderbell_core::Timestamp::now())
}

/// Ten random bytes.
pub fn rand10() -> [u8; 10] {
    let mut b = [0u8; 10];
    getrandom::fill(&mut b).unwrap();
    b
}

/// A new id of any kind, e.g. `id(ShopId::from_parts)`.
pub fn id<T>(f: fn(i64, [u8; 10]) -> T) -> T {
    f(orderbell_core::Timestamp::now().as_millisecond(), rand10())
}

pub enum Backend {
    Sqlite,
    Postgres,
    #[cfg(feature = "dynamodb")]
    Dynamodb,
}

/// Keeps the database alive for the test; cleans up when dropped.
pub enum Guard {
    Sqlite(tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Tables of their own prefix in the emulator (moto keeps them in memory until it stops).
    #[cfg(feature = "dynamodb")]
    Dynamodb(String),
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Guard::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Best effort: the server drops the connections of the closed store first.
            let _ = std::thread::spawn(move || {
                if let Ok(mut client) = postgres::Client::connect(&admin_url, postgres::NoTls) {
                    if let Err(e) = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    {
                        eprintln!("could not drop {name}: {e}");
                    }
                }
            })
            .join();
        }
    }
}

/// The PostgreSQL server for tests, or `None` (with a note) when it is not configured.
pub fn postgres_url() -> Option<String> {
    match std::env::var("ORDERBELL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("ORDERBELL_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("ORDERBELL_REQUIRE_POSTGRES=1 but ORDERBELL_TEST_POSTGRES_URL is not set");
            }
            eprintln!("skipped: set ORDERBELL_TEST_POSTGRES_URL to run the PostgreSQL suite");
            None
        }
    }
}

/// Replaces the database name of a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Creates a fresh, empty PostgreSQL database and returns its URL.
pub fn create_postgres_database(admin_url: &str) -> (String, String) {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    let name = format!("orderbell_test_{}", hex(&bytes));
    let mut client = postgres::Client::connect(admin_url, postgres::NoTls)
        .expect("connect to the test PostgreSQL");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    (with_database(admin_url, &name), name)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn fresh(backend: Backend) -> Option<(Arc<dyn Store>, Guard)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/orderbell.db", dir.path().display());
            let store = orderbell_store::open(&url).await.unwrap();
            Some((store, Guard::Sqlite(dir)))
        }
        Backend::Postgres => {
            let admin_url = postgres_url()?;
            let admin = admin_url.clone();
            let (url, name) = tokio::task::spawn_blocking(move || create_postgres_database(&admin))
                .await
                .unwrap();
            let guard = Guard::Postgres { admin_url, name };
            let store = orderbell_store::open(&url).await.unwrap();
            Some((store, guard))
        }
        #[cfg(feature = "dynamodb")]
        Backend::Dynamodb => {
            let endpoint = dynamodb_endpoint()?;
            let mut bytes = [0u8; 6];
            getrandom::fill(&mut bytes).unwrap();
            let url = format!(
                "dynamodb://t{}?region=us-east-1&endpoint={endpoint}",
                hex(&bytes)
            );
            let store = open_dynamodb(&url).await;
            Some((store, Guard::Dynamodb(url)))
        }
    }
}

/// The DynamoDB emulator for tests, or `None` (with a note) when it is not configured.
#[cfg(feature = "dynamodb")]
pub fn dynamodb_endpoint() -> Option<String> {
    match std::env::var("ORDERBELL_TEST_DYNAMODB_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("ORDERBELL_REQUIRE_DYNAMODB").is_ok_and(|v| v == "1") {
                panic!("ORDERBELL_REQUIRE_DYNAMODB=1 but ORDERBELL_TEST_DYNAMODB_URL is not set");
            }
            eprintln!(
                "skipped: set ORDERBELL_TEST_DYNAMODB_URL (e.g. moto_server's http://127.0.0.1:5000) to run the DynamoDB suite"
            );
            None
        }
    }
}

/// Opens a DynamoDB store with the emulator's dummy credentials (moto takes any).
#[cfg(feature = "dynamodb")]
pub async fn open_dynamodb(url: &str) -> Arc<dyn Store> {
    let credentials =
        orderbell_store::dynamo::Credentials::new("testing", "testing", None, None, "tests");
    Arc::new(
        orderbell_store::dynamo::DynamoStore::open_with(url, Some(credentials))
            .await
            .unwrap(),
    )
}

#[test]
fn database_names_in_urls() {
    assert_eq!(
        with_database("postgres://u@h:5432/postgres", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h:5432", "x"),
        "postgres://u@h:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/db?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
}

/// A second, independent store on the same database as `guard` (a second instance).
pub async fn second(guard: &Guard) -> Arc<dyn Store> {
    let url = match guard {
        Guard::Sqlite(dir) => format!("sqlite://{}/orderbell.db", dir.path().display()),
        Guard::Postgres { admin_url, name } => with_database(admin_url, name),
        #[cfg(feature = "dynamodb")]
        Guard::Dynamodb(url) => return open_dynamodb(url).await,
    };
    orderbell_store::open(&url).await.unwrap()
}
