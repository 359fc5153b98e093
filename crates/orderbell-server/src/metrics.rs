//! Prometheus metrics (docs/operations.md, "Metrics"): `GET /metrics` in the OpenMetrics text
//! format, names prefixed `orderbell_`, no per-order or per-customer labels.
//!
//! Counters and histograms live in one process-wide [`Metrics`], switched on once at start
//! ([`enable`]); code that counts asks [`get`] and does nothing while metrics are off, so a
//! server without them pays one atomic load per event. Figures that are states rather than
//! events (the outbox, open print jobs, connected printers and dashboards) are sampled at each
//! scrape from the store and from this process.

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use orderbell_core::order::{OrderSource, OrderStatus};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::state::AppState;

/// The media type of the OpenMetrics text format the encoder writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The media type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    channel: String,
    event: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// Every metric of the process.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    orders_created: Family<SourceLabels, Counter>,
    order_changes: Family<StatusLabels, Counter>,
    intake_seconds: Histogram,
    notifications: Family<DeliveryLabels, Counter>,
    escalation_steps: Family<StepLabels, Counter>,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Family<RouteLabels, Histogram>,
    rate_limited: Family<RouteLabels, Counter>,
    outbox_waiting: Gauge,
    outbox_oldest_due: Gauge<f64, std::sync::atomic::AtomicU64>,
    open_print_jobs: Family<StateLabels, Gauge>,
    printers_connected: Gauge,
    printers_paper_out: Gauge,
    dashboards_connected: Gauge,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Switches metrics on for the process (idempotent).
pub fn enable() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}

/// The metrics, when they are on.
pub fn get() -> Option<&'static Metrics> {
    METRICS.get()
}

/// Latency buckets for requests and order intake: 0.5 ms to about 8 s.
fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_5, 2.0, 15)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("orderbell");
        let orders_created = Family::<SourceLabels, Counter>::default();
        registry.register(
            "orders_created",
            "Orders taken, by where they came from (guest page, API, staff)",
            orders_created.clone(),
        );
        let order_changes = Family::<StatusLabels, Counter>::default();
        registry.register(
            "order_changes",
            "Changes to orders after they were taken, by the status the order has after the change (an acknowledgement leaves it pending)",
            order_changes.clone(),
        );
        let intake_seconds = Histogram::new(latency_buckets());
        registry.register_with_unit(
            "order_intake",
            "Time from an order's arrival to its answer, the commit included",
            Unit::Seconds,
            intake_seconds.clone(),
        );
        let notifications = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "notifications",
            "Delivery attempts by channel, event and outcome (sent, retry, deferred, cancelled, failed, dead_link)",
            notifications.clone(),
        );
        let escalation_steps = Family::<StepLabels, Counter>::default();
        registry.register(
            "escalation_steps_sent",
            "Escalation messages a provider took, by step (reminder, call, missed, unheard)",
            escalation_steps.clone(),
        );
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route template and status",
            http_requests.clone(),
        );
        let http_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer HTTP requests, by route template",
            Unit::Seconds,
            http_seconds.clone(),
        );
        let rate_limited = Family::<RouteLabels, Counter>::default();
        registry.register(
            "rate_limited",
            "Requests refused by a rate limit (429), by route template",
            rate_limited.clone(),
        );
        let outbox_waiting = Gauge::default();
        registry.register(
            "outbox_waiting",
            "Notifications waiting to be sent (queued or being sent), due or scheduled",
            outbox_waiting.clone(),
        );
        let outbox_oldest_due = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register_with_unit(
            "outbox_oldest_due_age",
            "How long the most overdue waiting notification has been due (0 when none is)",
            Unit::Seconds,
            outbox_oldest_due.clone(),
        );
        let open_print_jobs = Family::<StateLabels, Gauge>::default();
        registry.register(
            "print_jobs_open",
            "Print jobs not yet finished, by state (queued, delivered)",
            open_print_jobs.clone(),
        );
        let printers_connected = Gauge::default();
        registry.register(
            "printers_connected",
            "Printer clients connected to this process",
            printers_connected.clone(),
        );
        let printers_paper_out = Gauge::default();
        registry.register(
            "printers_paper_out",
            "Active printers whose last report was paper_out",
            printers_paper_out.clone(),
        );
        let dashboards_connected = Gauge::default();
        registry.register(
            "dashboards_connected",
            "Live dashboards connected to this process with their sound on",
            dashboards_connected.clone(),
        );
        registry.register_collector(Box::new(StoreCommits));
        Metrics {
            registry,
            orders_created,
            order_changes,
            intake_seconds,
            notifications,
            escalation_steps,
            http_requests,
            http_seconds,
            rate_limited,
            outbox_waiting,
            outbox_oldest_due,
            open_print_jobs,
            printers_connected,
            printers_paper_out,
            dashboards_connected,
        }
    }

    /// An order was taken (stored and answered 201) after `took`.
    pub fn order_taken(&self, source: OrderSource, took: Duration) {
        self.orders_created
            .get_or_create(&SourceLabels {
                source: source.as_str(),
            })
            .inc();
        self.intake_seconds.observe(took.as_secs_f64());
    }

    /// An order changed and now has `status`.
    pub fn order_changed(&self, status: OrderStatus) {
        self.order_changes
            .get_or_create(&StatusLabels {
                status: status.as_str(),
            })
            .inc();
    }

    /// A delivery attempt ended with `outcome`.
    pub fn delivery(&self, channel: &str, event: &'static str, outcome: &'static str) {
        self.notifications
            .get_or_create(&DeliveryLabels {
                channel: channel.to_owned(),
                event,
                outcome,
            })
            .inc();
        if outcome == "sent" && ESCALATION_STEPS.contains(&event) {
            self.escalation_steps
                .get_or_create(&StepLabels { step: event })
                .inc();
        }
    }

    /// An HTTP request was answered.
    pub fn http(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        let route = RouteLabels {
            route: route.to_owned(),
        };
        self.http_seconds
            .get_or_create(&route)
            .observe(took.as_secs_f64());
        if status == 429 {
            self.rate_limited.get_or_create(&route).inc();
        }
    }

    /// Samples the states, then writes everything in the OpenMetrics text format.
    async fn render(&self, state: &AppState) -> Result<String, String> {
        let gauges = state
            .store
            .gauges(state.now())
            .await
            .map_err(|e| e.to_string())?;
        self.outbox_waiting.set(gauges.outbox_waiting);
        #[allow(clippy::cast_precision_loss, reason = "a metric")]
        self.outbox_oldest_due
            .set(gauges.outbox_oldest_due_ms as f64 / 1000.0);
        self.open_print_jobs.clear();
        for (job_state, n) in gauges.open_print_jobs {
            self.open_print_jobs
                .get_or_create(&StateLabels { state: job_state })
                .set(n);
        }
        self.printers_paper_out.set(gauges.printers_paper_out);
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.printers_connected.set(count(state.printers.total()));
        self.dashboards_connected
            .set(count(state.listeners.total()));
        let mut out = String::with_capacity(16 * 1024);
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|e| e.to_string())?;
        Ok(out)
    }
}

/// The events whose deliveries are escalation steps.
const ESCALATION_STEPS: [&str; 4] = ["reminder", "call", "missed", "unheard"];

/// The store's group commits ([`orderbell_store::commit_stats`]), read at each scrape.
#[derive(Debug)]
struct StoreCommits;

impl Collector for StoreCommits {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use orderbell_store::commit_stats;
        for (name, help, unit, h) in [
            (
                "store_commit_batch_size",
                "Jobs (orders and other writes) committed together in one transaction",
                None,
                commit_stats::batch_sizes(),
            ),
            (
                "store_commit_duration",
                "Time of one group-commit transaction, from BEGIN to COMMIT",
                Some(&Unit::Seconds),
                commit_stats::latencies(),
            ),
        ] {
            let mut metric = encoder.encode_descriptor(name, help, unit, MetricType::Histogram)?;
            metric.encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)?;
        }
        Ok(())
    }
}

/// The OpenMetrics text as the older Prometheus text format (0.0.4), for scrapers that do not
/// ask for OpenMetrics (`promtool check metrics`, older agents): counters are named with their
/// `_total` suffix in `# HELP` and `# TYPE`, and `# UNIT` and `# EOF` are left out. Samples are
/// written the same way in both formats.
fn to_prometheus_text(open: &str) -> String {
    let counters: std::collections::HashSet<&str> = open
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open.len());
    for line in open.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let described = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match described {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                out.push_str(prefix);
                out.push_str(name);
                if counters.contains(name) {
                    out.push_str("_total");
                }
                out.push(' ');
                out.push_str(tail);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Whether the scraper asked for OpenMetrics (Prometheus does).
fn wants_openmetrics(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/openmetrics-text"))
}

/// `GET /metrics`: when a token is configured, only with `Authorization: Bearer TOKEN`.
/// OpenMetrics to those who ask for it, else the Prometheus text format.
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(metrics) = get() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(token) = &state.config.metrics.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into();
        if !matches {
            let mut refused = StatusCode::UNAUTHORIZED.into_response();
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return refused;
        }
    }
    match metrics.render(&state).await {
        Ok(text) if wants_openmetrics(&headers) => {
            ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
        }
        Ok(text) => (
            [(header::CONTENT_TYPE, PROMETHEUS_TEXT)],
            to_prometheus_text(&text),
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "could not sample metrics");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The router of `[metrics] listen`: `/metrics` alone.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(serve))
        .with_state(state)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn encoding_has_every_family_and_no_per_order_label() {
        let m = Metrics::new();
        m.order_taken(OrderSource::Guest, Duration::from_millis(3));
        m.order_changed(OrderStatus::Accepted);
        m.delivery("telegram", "reminder", "sent");
        m.http(
            "POST",
            "/api/v1/shops/{slug}/orders",
            429,
            Duration::from_millis(1),
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &m.registry).unwrap();
        for line in [
            "orderbell_orders_created_total{source=\"guest\"} 1",
            "orderbell_order_changes_total{status=\"accepted\"} 1",
            "orderbell_order_intake_seconds_count 1",
            "orderbell_notifications_total{channel=\"telegram\",event=\"reminder\",outcome=\"sent\"} 1",
            "orderbell_escalation_steps_sent_total{step=\"reminder\"} 1",
            "orderbell_rate_limited_total{route=\"/api/v1/shops/{slug}/orders\"} 1",
            "# TYPE orderbell_store_commit_duration_seconds histogram",
        ] {
            assert!(out.contains(line), "{line} missing from:\n{out}");
        }
        assert!(out.ends_with("# EOF\n"));
        let plain = to_prometheus_text(&out);
        assert!(plain.contains("# TYPE orderbell_orders_created_total counter\n"));
        assert!(plain.contains("# HELP orderbell_orders_created_total Orders taken"));
        assert!(plain.contains("# TYPE orderbell_order_intake_seconds histogram\n"));
        assert!(!plain.contains("# EOF") && !plain.contains("# UNIT"));
        assert_eq!(
            plain.lines().filter(|l| !l.starts_with('#')).count(),
            out.lines().filter(|l| !l.starts_with('#')).count(),
            "the same samples"
        );
    }
}
