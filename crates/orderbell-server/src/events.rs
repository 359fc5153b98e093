//! Live shop events: new and changed orders, printer status. Pages (the live dashboard), the
//! printer sessions and the notification dispatcher subscribe. These are hints that something
//! changed, published after commit; whoever receives one reads the store for the truth, so a
//! missed event delays work, it never loses it.
//!
//! On PostgreSQL every event is also relayed to the other instances (`crate::relay`), which
//! deliver it to their own subscribers; [`EventKind::Resync`] tells subscribers that events may
//! have been missed (the relay's connection was lost), so they re-read everything.

use std::sync::{Arc, OnceLock};

use orderbell_core::order::OrderStatus;
use orderbell_core::{OrderId, PrinterId, ShopId, Timestamp};
use orderbell_store::pg_events::Publisher;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A printer's settings changed or it was revoked: the instance it is connected to re-reads
    /// it (its auto-print mode) or disconnects it.
    PrinterUpdated,
    /// Events of the shop may have been missed: re-read everything (pages), re-check what is
    /// owed (printers, the dispatcher).
    Resync,
}

/// One event of one shop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShopEvent {
    pub shop_id: ShopId,
    pub kind: EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<OrderStatus>,
    /// The printer of a [`EventKind::PrinterUpdated`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub printer_id: Option<PrinterId>,
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
            printer_id: None,
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
            printer_id: None,
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

/// An event as relayed between instances: who published it, so an instance skips its own.
#[derive(Serialize)]
struct Relaying<'a> {
    #[serde(rename = "i")]
    instance: &'a str,
    #[serde(rename = "e")]
    event: &'a ShopEvent,
}

/// [`Relaying`] as received.
#[derive(Deserialize)]
struct Relayed {
    #[serde(rename = "i")]
    instance: String,
    #[serde(rename = "e")]
    event: ShopEvent,
}

/// `event` as relayed by `instance`.
fn relay_payload(instance: &str, event: &ShopEvent) -> Option<String> {
    serde_json::to_string(&Relaying { instance, event })
        .map_err(|e| tracing::warn!(error = %e, "could not encode an event for the relay"))
        .ok()
}

/// The bus of this process, relayed to the other instances once [`EventBus::relay_to`] is set.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Arc<ShopEvent>>,
    /// This instance, as the relay names it.
    instance: Arc<str>,
    relay: Arc<OnceLock<Publisher>>,
    /// Whether the store announces new orders to the other instances itself, in the order's
    /// transaction (`Store::announce_new_orders`): then [`EventKind::OrderCreated`] is not
    /// relayed again after the commit.
    orders_announced: Arc<OnceLock<bool>>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        EventBus::of_instance(format!(
            "{}-{}",
            std::process::id(),
            hex::encode(crate::security::random_bytes::<4>())
        ))
    }

    /// A bus for the instance named `instance` (unique among the instances on one database).
    pub fn of_instance(instance: String) -> EventBus {
        let (tx, _) = broadcast::channel(4096);
        EventBus {
            tx,
            instance: instance.into(),
            relay: Arc::new(OnceLock::new()),
            orders_announced: Arc::new(OnceLock::new()),
        }
    }

    /// This instance's name.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// From now on every event published here is also sent through `publisher`, except new
    /// orders when `orders_announced` (the store sends those, see [`EventBus::announcer`]).
    pub fn relay_to(&self, publisher: Publisher, orders_announced: bool) {
        let _ = self.orders_announced.set(orders_announced);
        let _ = self.relay.set(publisher);
    }

    /// The hint of a new order as the other instances receive it: what [`EventBus::publish`]
    /// would relay for its [`EventKind::OrderCreated`], made by the store inside the order's
    /// transaction so it reaches them exactly when the order is committed.
    pub fn announcer(&self) -> orderbell_store::pg_events::Announcer {
        let instance = self.instance.clone();
        Arc::new(move |order: &orderbell_core::order::Order| {
            relay_payload(
                &instance,
                &ShopEvent::of_order(EventKind::OrderCreated, order),
            )
        })
    }

    /// Delivers a relayed payload to this process's subscribers, unless it is this instance's
    /// own or unreadable (an instance of another version: hints only, so it is skipped).
    pub fn deliver_relayed(&self, payload: &str) {
        match serde_json::from_str::<Relayed>(payload) {
            Ok(r) if *r.instance == *self.instance => {}
            Ok(r) => {
                let _ = self.tx.send(Arc::new(r.event));
            }
            Err(e) => tracing::debug!(error = %e, "skipped an unreadable event hint"),
        }
    }

    /// Tells this process's subscribers, and no other instance.
    pub fn publish_here(&self, event: ShopEvent) {
        let _ = self.tx.send(Arc::new(event));
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
        let announced = event.kind == EventKind::OrderCreated
            && self.orders_announced.get().copied().unwrap_or(false);
        if let (Some(relay), false) = (self.relay.get(), announced) {
            if let Some(payload) = relay_payload(&self.instance, &event) {
                relay.publish(payload);
            }
        }
        let _ = self.tx.send(Arc::new(event));
    }

    /// Every event from now on. A slow subscriber gets `Lagged` and must re-read the store.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ShopEvent>> {
        self.tx.subscribe()
    }
}
