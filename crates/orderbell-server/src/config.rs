//! Configuration: flags > `ORDERBELL_*` environment > TOML file > defaults. Unknown keys in the
//! file are an error. A secret can also come from a file named by `ORDERBELL_<NAME>_FILE`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Request limits per client, per minute unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Guest orders per client IP per minute.
    pub guest_orders_per_minute: u32,
    /// Orders per customer phone number per hour.
    pub orders_per_phone_per_hour: u32,
    /// Login attempts per client IP per minute.
    pub logins_per_minute: u32,
    /// Login attempts per account from one client IP per 15 minutes.
    pub logins_per_account: u32,
    /// Login attempts per account from all addresses together per hour: the slower back-off
    /// that keeps many addresses from guessing one password, set well above what one address
    /// may do so that a few attackers cannot lock the owner out.
    pub logins_per_account_everywhere: u32,
    /// Other unauthenticated POSTs per client IP per minute.
    pub anonymous_posts_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            guest_orders_per_minute: 20,
            orders_per_phone_per_hour: 20,
            logins_per_minute: 10,
            logins_per_account: 10,
            logins_per_account_everywhere: 100,
            anonymous_posts_per_minute: 60,
        }
    }
}

/// Seconds of draining on SIGTERM when several instances may share the database (PostgreSQL).
pub const DEFAULT_DRAIN_SECONDS: u64 = 5;

/// Everything the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Where people reach this server, without a trailing slash: `https://orders.example.com`.
    pub public_url: String,
    pub log: String,
    pub log_format: LogFormat,
    pub session_ttl: Duration,
    /// Largest order total in minor units.
    pub max_order_total: i64,
    /// How long idempotency keys are kept (at least 24 h).
    pub idempotency_retention: Duration,
    pub limits: Limits,
    /// Take the client IP from this header (set by a reverse proxy), else the TCP peer.
    pub client_ip_header: Option<String>,
    /// Timeouts and the per-client connection cap of the listener.
    pub http: HttpLimits,
    /// Whether anyone may create an account.
    pub allow_signup: bool,
    pub printing: crate::printers::PrintingConfig,
    pub notifications: crate::notifications::NotificationsConfig,
    /// The alert policy new shops start with (`[alerts]`).
    pub alerts: orderbell_core::alerts::AlertPolicy,
    /// How often the readiness watchdog looks at every shop.
    pub watchdog_interval: Duration,
    /// OpenID providers people may sign in with (`[[oidc]]`).
    pub oidc: Vec<crate::oidc::ProviderConfig>,
    /// `GET /metrics` (`[metrics]`, docs/operations.md).
    pub metrics: MetricsConfig,
    /// From SIGTERM to the end of serving, with /readyz answering 503 (docs/deploy.md).
    pub drain: Duration,
}

/// Whether and where Prometheus metrics are served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// A listener of their own (e.g. `127.0.0.1:9464`); else the main one.
    pub listen: Option<SocketAddr>,
    /// When set, scrapes must send `Authorization: Bearer TOKEN`.
    pub token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsSection {
    enabled: Option<bool>,
    listen: Option<String>,
    token: Option<String>,
}

/// `on`/`off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
fn switch(name: &str, value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => anyhow::bail!("{name}: `{other}` is neither on nor off"),
    }
}

/// The TOML file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    log: Option<String>,
    log_format: Option<LogFormat>,
    allow_signup: Option<bool>,
    drain_seconds: Option<u64>,
    #[serde(default)]
    orders: OrdersSection,
    #[serde(default)]
    sessions: SessionsSection,
    #[serde(default)]
    limits: Option<Limits>,
    #[serde(default)]
    http: HttpSection,
    /// The alert policy new shops start with.
    alerts: Option<orderbell_core::alerts::AlertPolicy>,
    // Sections owned by other modules, checked by their own loaders.
    printing: Option<toml::Value>,
    telegram: Option<toml::Value>,
    twilio: Option<toml::Value>,
    webpush: Option<toml::Value>,
    fcm: Option<toml::Value>,
    notifications: Option<toml::Value>,
    mail: Option<toml::Value>,
    #[serde(default)]
    metrics: MetricsSection,
    oidc: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrdersSection {
    max_total: Option<i64>,
    idempotency_hours: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionsSection {
    ttl_hours: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpSection {
    client_ip_header: Option<String>,
    header_read_timeout_seconds: Option<u64>,
    body_read_timeout_seconds: Option<u64>,
    connections_per_client: Option<u32>,
}

/// How long a client may take and how many connections it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// For a request's headers, and for the next request on an idle keep-alive connection.
    pub header_read_timeout: Duration,
    /// For a request's body, from its headers to its last byte.
    pub body_read_timeout: Duration,
    /// Open connections per client IP (the TCP peer; not applied behind a proxy, i.e. when
    /// `client_ip_header` is set: the proxy limits its clients).
    pub connections_per_client: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(60),
            connections_per_client: 256,
        }
    }
}

/// What flags and environment said (clap folds `ORDERBELL_*` into these).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// TOML configuration file.
    #[arg(long, env = "ORDERBELL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://PATH, postgres://USER@HOST/DB, or (in builds with the feature
    /// `dynamodb`) dynamodb://PREFIX?region=REGION[&endpoint=URL].
    #[arg(
        long = "database",
        env = "ORDERBELL_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Directory for the embedded database and generated files.
    #[arg(long, env = "ORDERBELL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "ORDERBELL_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Public URL people use to reach this server (links, cookies, CSRF checks).
    #[arg(long, env = "ORDERBELL_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Log filter, e.g. `info` or `orderbell_server=debug`.
    #[arg(long, env = "ORDERBELL_LOG", global = true)]
    pub log: Option<String>,
    /// Log format.
    #[arg(long, env = "ORDERBELL_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,
    /// Serve Prometheus metrics at /metrics (`--metrics`, or `on`/`off`).
    #[arg(long, env = "ORDERBELL_METRICS", global = true, num_args = 0..=1, default_missing_value = "on")]
    pub metrics: Option<String>,
    /// Seconds between SIGTERM and the end of serving, while /readyz answers 503 so a load
    /// balancer moves clients away (default 5 on PostgreSQL, 0 on SQLite).
    #[arg(long = "drain-seconds", env = "ORDERBELL_DRAIN_SECONDS", global = true)]
    pub drain_seconds: Option<u64>,
}

/// Reads `ORDERBELL_<NAME>_FILE` when set: the secret is the file's content, trimmed.
pub fn secret_from_file(name: &str) -> anyhow::Result<Option<String>> {
    let var = format!("ORDERBELL_{name}_FILE");
    match std::env::var_os(&var) {
        None => Ok(None),
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {var} ({})", Path::new(&path).display()))?;
            Ok(Some(text.trim().to_owned()))
        }
    }
}

impl Config {
    /// Builds the configuration from flags/env and the optional file.
    pub fn load(o: &Overrides) -> anyhow::Result<Config> {
        let file = match &o.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("in config file {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let listen_text = o
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text
            .parse()
            .with_context(|| format!("listen address {listen_text:?} is not HOST:PORT"))?;
        let data_dir = o
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = match o.database_url.clone() {
            Some(url) => url,
            None => match secret_from_file("DATABASE_URL")? {
                Some(url) => url,
                None => file.database_url.unwrap_or_else(|| {
                    format!("sqlite://{}", data_dir.join("orderbell.db").display())
                }),
            },
        };
        let public_url = match o.public_url.clone().or(file.public_url) {
            Some(url) => normalize_public_url(&url)?,
            None => {
                let host = if listen.ip().is_unspecified() {
                    "localhost".to_owned()
                } else {
                    match listen {
                        SocketAddr::V4(a) => a.ip().to_string(),
                        SocketAddr::V6(a) => format!("[{}]", a.ip()),
                    }
                };
                format!("http://{host}:{}", listen.port())
            }
        };
        let orders = file.orders;
        let idempotency_hours = orders.idempotency_hours.unwrap_or(24);
        if idempotency_hours < 24 {
            bail!("orders.idempotency_hours must be at least 24");
        }
        let max_order_total = orders.max_total.unwrap_or(100_000_000);
        if max_order_total <= 0 {
            bail!("orders.max_total must be positive");
        }
        let printing = crate::printers::PrintingConfig::load(file.printing.as_ref())
            .context("in [printing]")?;
        let notifications = crate::notifications::NotificationsConfig::load(
            crate::notifications::Sections {
                telegram: file.telegram.as_ref(),
                twilio: file.twilio.as_ref(),
                webpush: file.webpush.as_ref(),
                fcm: file.fcm.as_ref(),
                notifications: file.notifications.as_ref(),
                mail: file.mail.as_ref(),
            },
            &public_url,
        )?;
        let alerts = file.alerts.unwrap_or_default();
        alerts
            .validate()
            .map_err(|e| anyhow::anyhow!("in [alerts]: {}", describe(&e)))?;
        let metrics = {
            let m = file.metrics;
            let enabled = match &o.metrics {
                Some(v) => switch("ORDERBELL_METRICS", v)?,
                None => m.enabled.unwrap_or(false),
            };
            let listen = match m.listen {
                Some(text) => Some(
                    text.parse::<SocketAddr>()
                        .with_context(|| format!("[metrics] listen {text:?} is not HOST:PORT"))?,
                ),
                None => None,
            };
            let token = match std::env::var("ORDERBELL_METRICS_TOKEN").ok() {
                Some(t) => Some(t),
                None => secret_from_file("METRICS_TOKEN")?.or(m.token),
            }
            .filter(|t| !t.is_empty());
            MetricsConfig {
                enabled,
                listen,
                token,
            }
        };
        let oidc = crate::oidc::config::load(file.oidc.as_ref())?;
        let drain = o.drain_seconds.or(file.drain_seconds).unwrap_or_else(|| {
            if database_url.starts_with("sqlite:") {
                0
            } else {
                DEFAULT_DRAIN_SECONDS
            }
        });
        if drain > 600 {
            bail!("drain_seconds must be at most 600");
        }
        Ok(Config {
            drain: Duration::from_secs(drain),
            metrics,
            oidc,
            alerts,
            watchdog_interval: Duration::from_secs(5),
            printing,
            notifications,
            listen,
            data_dir,
            database_url,
            public_url,
            log: o.log.clone().or(file.log).unwrap_or_else(|| "info".into()),
            log_format: o.log_format.or(file.log_format).unwrap_or(LogFormat::Text),
            session_ttl: Duration::from_secs(3600 * file.sessions.ttl_hours.unwrap_or(24 * 14)),
            max_order_total,
            idempotency_retention: Duration::from_secs(3600 * idempotency_hours),
            limits: file.limits.unwrap_or_default(),
            http: {
                let d = HttpLimits::default();
                HttpLimits {
                    header_read_timeout: file
                        .http
                        .header_read_timeout_seconds
                        .map_or(d.header_read_timeout, |s| {
                            Duration::from_secs(s.clamp(1, 3600))
                        }),
                    body_read_timeout: file
                        .http
                        .body_read_timeout_seconds
                        .map_or(d.body_read_timeout, |s| {
                            Duration::from_secs(s.clamp(1, 3600))
                        }),
                    connections_per_client: file
                        .http
                        .connections_per_client
                        .map_or(d.connections_per_client, |n| n.max(1)),
                }
            },
            client_ip_header: file.http.client_ip_header,
            allow_signup: file.allow_signup.unwrap_or(true),
        })
    }

    /// Whether people reach the server over https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// A configuration for tests and tools: defaults, this database, this public URL.
    pub fn for_database(database_url: &str, public_url: &str) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: PathBuf::from("./data"),
            database_url: database_url.to_owned(),
            public_url: public_url.to_owned(),
            log: "info".into(),
            log_format: LogFormat::Text,
            session_ttl: Duration::from_secs(3600 * 24 * 14),
            max_order_total: 100_000_000,
            idempotency_retention: Duration::from_secs(3600 * 24),
            limits: Limits::default(),
            client_ip_header: None,
            http: HttpLimits::default(),
            allow_signup: true,
            printing: crate::printers::PrintingConfig::default(),
            notifications: crate::notifications::NotificationsConfig::default(),
            alerts: orderbell_core::alerts::AlertPolicy::default(),
            watchdog_interval: Duration::from_secs(5),
            metrics: MetricsConfig::default(),
            oidc: Vec::new(),
            drain: Duration::ZERO,
        }
    }
}

/// Field errors as one line for start-up messages.
fn describe(e: &orderbell_core::ValidationErrors) -> String {
    e.0.iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn normalize_public_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .with_context(|| format!("public URL {url:?} must start with http:// or https://"))?;
    if rest.is_empty() || rest.contains(['?', '#', ' ']) {
        bail!("public URL {url:?} must be like https://orders.example.com");
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::load(&Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./data/orderbell.db");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.is_https());
    }

    #[test]
    fn flags_win_over_the_file_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orderbell.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\npublic_url = \"https://orders.example.com/\"\n[orders]\nmax_total = 5000\n",
        )
        .unwrap();
        let o = Overrides {
            config: Some(path.clone()),
            listen: Some("127.0.0.1:7000".into()),
            ..Default::default()
        };
        let c = Config::load(&o).unwrap();
        assert_eq!(c.listen.port(), 7000);
        assert_eq!(c.public_url, "https://orders.example.com");
        assert_eq!(c.max_order_total, 5000);
        assert!(c.is_https());

        std::fs::write(&path, "listen = \"0.0.0.0:9000\"\nlisten_port = 3\n").unwrap();
        let err = Config::load(&o).unwrap_err();
        assert!(format!("{err:#}").contains("listen_port"), "{err:#}");
    }

    #[test]
    fn new_shops_take_the_alert_policy_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orderbell.toml");
        let o = Overrides {
            config: Some(path.clone()),
            ..Default::default()
        };
        std::fs::write(
            &path,
            "[alerts]\nrepeat_after_seconds = 30\nmiss_after_seconds = 900\n",
        )
        .unwrap();
        let c = Config::load(&o).unwrap();
        assert_eq!(c.alerts.repeat_after_seconds, 30);
        assert_eq!(c.alerts.miss_after_seconds, Some(900));
        // Fields left out keep their defaults.
        assert_eq!(c.alerts.repeat_every_seconds, 60);
        std::fs::write(&path, "[alerts]\nrepeat_after_seconds = 5\n").unwrap();
        let err = format!("{:#}", Config::load(&o).unwrap_err());
        assert!(err.contains("alerts.repeat_after_seconds"), "{err}");
        std::fs::write(&path, "[alerts]\nrepeat_after = 30\n").unwrap();
        assert!(Config::load(&o).is_err(), "unknown keys are refused");
    }

    #[test]
    fn bad_public_urls_are_refused() {
        for bad in ["orders.example.com", "ftp://x", "https://", "https://a b"] {
            assert!(normalize_public_url(bad).is_err(), "{bad}");
        }
    }
}
