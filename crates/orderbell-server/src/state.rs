//! What every request handler shares: the store, the configuration, the clock, keys and limits.

use std::sync::Arc;

use orderbell_core::Timestamp;
use orderbell_store::Store;

use crate::config::Config;
use crate::http::limits::RateLimits;
use crate::security::tracking::TrackingKey;

/// Where handlers get the time. Tests move it by hand (session expiry, retention).
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The system clock, truncated to milliseconds (what every backend stores exactly).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        orderbell_core::to_millis(Timestamp::now())
    }
}

/// A clock that tests move by hand.
pub struct ManualClock(std::sync::Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> ManualClock {
        ManualClock(std::sync::Mutex::new(orderbell_core::to_millis(start)))
    }

    pub fn advance(&self, by: jiff::SignedDuration) {
        if let Ok(mut t) = self.0.lock() {
            if let Ok(next) = t.checked_add(by) {
                *t = next;
            }
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|e| *e.into_inner())
    }
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
    pub tracking: TrackingKey,
    pub limits: RateLimits,
    /// Live events of this process (dashboard, printer sessions, dispatcher).
    pub events: crate::events::EventBus,
    /// Printers connected to this process.
    pub printers: crate::printers::connected::ConnectedPrinters,
    /// Dashboards listening with sound in this process, and unheard episodes.
    pub listeners: crate::escalation::readiness::Listeners,
    /// The notification providers (clients, limits, keys, the dispatcher's wake-up), built once
    /// from the configuration; the error says why notifications are off.
    pub notifier: Result<Arc<crate::notifications::Notifier>, String>,
    /// Becomes true when [`crate::app::serve`] starts to stop: long-lived streams end on it so the
    /// graceful shutdown does not wait for them.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// Becomes true on SIGTERM, before `stopping`: `/readyz` answers 503 while requests are still
    /// served, so a load balancer moves clients to other instances (docs/deploy.md).
    pub draining: tokio::sync::watch::Sender<bool>,
    /// OpenID providers and their cached documents and keys.
    pub oidc: crate::oidc::Providers,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A new time-ordered random id.
    pub fn new_id<T>(&self, make: fn(i64, [u8; 10]) -> T) -> T {
        make(self.now().as_millisecond(), crate::security::random_bytes())
    }
}
