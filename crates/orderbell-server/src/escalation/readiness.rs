//! "Would anyone hear an order now?": who listens to each shop in this process (dashboards with
//! their sound on; on PostgreSQL also those the other instances report, `crate::relay`), the
//! readiness answer built from them, the shop's printers and its member
//! channels, and the watchdog that tells the owners once per episode when nobody would.
//!
//! A dashboard counts while its live stream is open with `?sound=1` (the page reconnects with it
//! once its sound is armed). A printer counts while connected and not out of paper. A member
//! channel counts unless it is dead or its last delivery failed for good. `hearing` means
//! something in the shop would ring or print: a dashboard with sound, or a printer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Json;
use axum::extract::{Path, State};
use orderbell_core::shop::{Ordering, Shop};
use orderbell_core::{ShopId, Timestamp};
use orderbell_store::notifications::NotifyEvent;
use serde::Serialize;

use crate::http::auth::{Caller, Need, shop_access};
use crate::http::error::{ApiResult, ErrorBody};
use crate::state::AppState;

/// Dashboards listening in this process, and the watchdog's episodes.
#[derive(Default)]
pub struct Listeners {
    inner: Arc<Mutex<ListenersInner>>,
}

#[derive(Default)]
struct ListenersInner {
    /// Open dashboard streams with their sound on, per shop.
    dashboards: HashMap<ShopId, usize>,
    /// Since when each shop has been unheard, and whether its owners were told.
    unheard: HashMap<ShopId, Episode>,
}

#[derive(Debug, Clone, Copy)]
struct Episode {
    since: Timestamp,
    alerted: bool,
}

/// Keeps a dashboard counted while it lives (the stream holds it).
pub struct DashboardGuard {
    inner: Arc<Mutex<ListenersInner>>,
    shop: ShopId,
}

impl Drop for DashboardGuard {
    fn drop(&mut self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = inner.dashboards.get_mut(&self.shop) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.dashboards.remove(&self.shop);
            }
        }
    }
}

impl Listeners {
    fn lock(&self) -> std::sync::MutexGuard<'_, ListenersInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a dashboard with its sound on until the guard is dropped.
    pub fn dashboard(&self, shop: &ShopId) -> DashboardGuard {
        *self.lock().dashboards.entry(shop.clone()).or_insert(0) += 1;
        DashboardGuard {
            inner: self.inner.clone(),
            shop: shop.clone(),
        }
    }

    /// Dashboards with their sound on in this process, every shop (metrics).
    pub fn total(&self) -> usize {
        self.lock().dashboards.values().sum()
    }

    pub fn dashboards(&self, shop: &ShopId) -> usize {
        self.lock().dashboards.get(shop).copied().unwrap_or(0)
    }

    /// Dashboards with their sound on in this process, per shop (reported to the other
    /// instances, `crate::relay`).
    pub fn per_shop(&self) -> Vec<(ShopId, usize)> {
        self.lock()
            .dashboards
            .iter()
            .map(|(shop, n)| (shop.clone(), *n))
            .collect()
    }

    /// Whether the owners were told the shop is unheard and it still is.
    pub fn unheard_alerted(&self, shop: &ShopId) -> bool {
        self.lock().unheard.get(shop).is_some_and(|e| e.alerted)
    }

    /// Since when the shop has been unheard (None: it is heard, or nobody looked yet).
    pub fn unheard_since(&self, shop: &ShopId) -> Option<Timestamp> {
        self.lock().unheard.get(shop).map(|e| e.since)
    }
}

/// One reason the shop might not hear an order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `no_dashboard_with_sound`, `printer_offline`, `printer_paper_out`, `channel_dead` or
    /// `no_listener`.
    pub code: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ListenerCounts {
    pub dashboards: usize,
    pub printers: usize,
    pub channels: usize,
}

/// `GET /api/v1/shops/{slug}/readiness`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Guests can order now (opening hours, pause, online ordering switched on).
    pub open: bool,
    /// A dashboard with sound or a printer would make a new order heard.
    pub hearing: bool,
    pub listeners: ListenerCounts,
    pub problems: Vec<Problem>,
    /// When ordering opens again, if it is closed.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub reopens_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paused_until: Option<Timestamp>,
    /// Since when nobody would hear an order (this server's view).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub unheard_since: Option<Timestamp>,
}

/// Builds the readiness answer for a shop.
pub async fn readiness(state: &AppState, shop: &Shop) -> anyhow::Result<Readiness> {
    let now = state.now();
    let mut problems = Vec::new();
    let mut dashboards = state.listeners.dashboards(&shop.id);
    if crate::relay::shared(state) {
        // Dashboards on the other instances, as they last reported.
        let since = now
            .checked_sub(jiff::SignedDuration::from_secs(
                crate::relay::PRESENCE_FRESH.as_secs() as i64,
            ))
            .unwrap_or(now);
        let elsewhere = state
            .store
            .dashboards_elsewhere(&shop.id, state.events.instance(), since)
            .await?;
        dashboards += usize::try_from(elsewhere).unwrap_or(0);
    }
    if dashboards == 0 {
        problems.push(Problem {
            code: "no_dashboard_with_sound",
            detail: "no dashboard with its sound on is open".into(),
        });
    }
    let mut printers = 0;
    for p in state.store.printers(&shop.id).await? {
        if p.revoked_at.is_some() {
            continue;
        }
        if !p.connected {
            problems.push(Problem {
                code: "printer_offline",
                detail: format!("{} is offline", p.name),
            });
        } else if p.state.as_deref() == Some("paper_out") {
            problems.push(Problem {
                code: "printer_paper_out",
                detail: format!("{} is out of paper", p.name),
            });
        } else {
            printers += 1;
        }
    }
    let mut channels = 0;
    for c in state.store.channel_health(&shop.id).await? {
        if c.alive() {
            channels += 1;
        } else {
            problems.push(Problem {
                code: "channel_dead",
                detail: match &c.label {
                    Some(label) => format!("{} ({label}) no longer receives messages", c.channel),
                    None => format!("a {} link no longer receives messages", c.channel),
                },
            });
        }
    }
    let hearing = dashboards > 0 || printers > 0;
    if !hearing && channels == 0 {
        problems.push(Problem {
            code: "no_listener",
            detail: "nothing and nobody would hear a new order".into(),
        });
    }
    let (open, reopens_at) = match shop.ordering(now) {
        Ordering::Open => (shop.accepting_orders, None),
        Ordering::Closed { reopens_at, .. } => (false, reopens_at),
    };
    Ok(Readiness {
        open,
        hearing,
        listeners: ListenerCounts {
            dashboards,
            printers,
            channels,
        },
        problems,
        reopens_at,
        paused_until: shop.paused_until.filter(|p| *p > now),
        unheard_since: state.listeners.unheard_since(&shop.id),
    })
}

/// Would anyone hear an order now? Members and API keys that read orders.
#[utoipa::path(get, path = "/api/v1/shops/{slug}/readiness", tag = "shops",
    params(("slug" = String, Path, description = "The shop")),
    responses((status = 200, body = Readiness), (status = 404, body = ErrorBody)))]
pub async fn get_readiness(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    caller: Caller,
) -> ApiResult<Json<Readiness>> {
    let (shop, _) = shop_access(&state, &caller, &slug, Need::ReadOrders).await?;
    let r = readiness(&state, &shop)
        .await
        .map_err(|e| crate::http::error::ApiError::internal("reading readiness", &*e))?;
    Ok(Json(r))
}

/// One look at every shop: starts, ends and alerts unheard episodes.
pub async fn watch_once(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    for shop in state.store.all_shops().await? {
        let open = shop.accepting_orders && shop.ordering(now) == Ordering::Open;
        let seen = if open {
            Some(readiness(state, &shop).await?)
        } else {
            None
        };
        let hearing = seen.as_ref().is_none_or(|r| r.hearing);
        let alert = {
            let mut inner = state.listeners.lock();
            if hearing {
                inner.unheard.remove(&shop.id);
                false
            } else {
                let e = inner.unheard.entry(shop.id.clone()).or_insert(Episode {
                    since: now,
                    alerted: false,
                });
                let waited = (now - e.since).get_seconds();
                if !e.alerted && waited >= i64::from(shop.alerts.unheard_after_seconds) {
                    e.alerted = true;
                    true
                } else {
                    false
                }
            }
        };
        if alert {
            let problems = seen
                .map(|r| r.problems.into_iter().map(|p| p.code.to_owned()).collect())
                .unwrap_or_default();
            let n = state
                .store
                .notify_owners(&shop.id, NotifyEvent::Unheard, problems, now)
                .await?;
            tracing::warn!(shop = %shop.slug, owners_told = n, "nobody would hear a new order");
            state.events.publish(crate::events::ShopEvent::of_shop(
                shop.id.clone(),
                crate::events::EventKind::Notifications,
                now,
            ));
        }
    }
    Ok(())
}
