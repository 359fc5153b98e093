//! Live shop events inside this process: new and changed orders, printer status. Pages (the
//! live dashboard), the printer sessions and the notification dispatcher subscribe. These are hints
//! that something changed, published after commit; whoever receives one reads the store for the
//! truth, so a missed event delays work, it never loses it.

use std::sync::Arc;

use orderbell_core::order::OrderStatus;
use orderbell_core::{OrderId, ShopId, Timestamp};
use serde::Serialize;
use tokio::sync::broadcast;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    OrderCreated,
    OrderUpdated,
    /// Print jobs changed state (acknowledged, expired).
    PrintJobs,
    /// Print jobs were queued outside an order change (a reprint).
    PrintJobsQueued,
    /// A printer connected, disconnected or reported its status.
    PrinterStatus,
    /// Notifications were queued (new orders, escalation steps, notices).
    Notifications,
    /// The shop's settings changed (opening hours, pause, alert policy).
    ShopUpdated,
}

/// One event of one shop.
#[derive(Debug, Clone, Serialize)]
pub struct ShopEvent {
    pub shop_id: ShopId,
    pub kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    pub at: Timestamp,
}

impl ShopEvent {
    /// The event of an order that was created or changed (one constructor for all of them).
    pub fn of_order(kind: EventKind, order: &orderbell_core::order::Order) -> ShopEvent {
        ShopEvent {
            shop_id: order.shop_id.clone(),
            kind,
            order_id: Some(order.id.clone()),
            number: Some(order.number),
            status: Some(order.status),
            at: order.updated_at,
        }
    }
}

impl ShopEvent {
    /// An event about the shop itself (settings, notices), not one order.
    pub fn of_shop(shop_id: ShopId, kind: EventKind, at: Timestamp) -> ShopEvent {
        ShopEvent {
            shop_id,
            kind,
            order_id: None,
            number: None,
            status: None,
            at,
        }
    }

    /// An event about one order's print jobs (queued, acknowledged, expired), known by its id.
    pub fn of_print_jobs(
        shop_id: ShopId,
        kind: EventKind,
        order_id: OrderId,
        at: Timestamp,
    ) -> ShopEvent {
        ShopEvent {
            order_id: Some(order_id),
            ..ShopEvent::of_shop(shop_id, kind, at)
        }
    }
}

/// The in-process bus.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<ShopEvent>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        let (tx, _) = broadcast::channel(4096);
        EventBus { tx }
    }

    /// Tells every subscriber; nobody listening is fine. Orders created and changed are also
    /// logged, one structured event each (docs/operations.md, "Logs"): ids, number and status,
    /// never who ordered.
    pub fn publish(&self, event: ShopEvent) {
        if let (EventKind::OrderCreated | EventKind::OrderUpdated, Some(order)) =
            (event.kind, &event.order_id)
        {
            if let (EventKind::OrderUpdated, Some(status), Some(m)) =
                (event.kind, event.status, crate::metrics::get())
            {
                m.order_changed(status);
            }
            tracing::info!(
                target: "orderbell::orders",
                order = %order,
                shop = %event.shop_id,
                number = event.number,
                status = event.status.map(OrderStatus::as_str),
                "{}",
                if event.kind == EventKind::OrderCreated { "order created" } else { "order changed" }
            );
        }
        let _ = self.tx.send(Arc::new(event));
    }

    /// Every event from now on. A slow subscriber gets `Lagged` and must re-read the store.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ShopEvent>> {
        self.tx.subscribe()
    }
}
