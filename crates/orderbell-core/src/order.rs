//! Orders: what was ordered (a snapshot of names and prices), by whom, how it is fulfilled, and
//! where it stands in its lifecycle.
//!
//! ```text
//! pending ──accept(eta)──▶ accepted ──ready──▶ ready ──complete──▶ completed
//!    ├──reject(reason)──▶ rejected
//!    ├──(timeout)──────▶ missed
//!    └──cancel(reason)──▶ cancelled   (from pending, accepted or ready)
//! ```
//! `acknowledged_at` (someone saw it; stops the alarm) is separate from accepting.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{CustomerId, OrderId, ShopId, Timestamp, ValidationErrors};

/// The minutes an accepted order may take until it is ready: the one rule every way of accepting
/// (the API, the pages, Telegram, a phone keypad) and the shop's default ETA follow.
pub const ETA_MINUTES: std::ops::RangeInclusive<u32> = 1..=240;

/// The ETA an order accepted from a phone keypad gets unless the shop chose another.
pub const DEFAULT_ETA_MINUTES: u32 = 15;

/// Checks an ETA in minutes against [`ETA_MINUTES`]; a bad one is reported as the field
/// `eta_minutes` with the code `out_of_range`.
pub fn check_eta(minutes: i64) -> Result<u32, ValidationErrors> {
    u32::try_from(minutes)
        .ok()
        .filter(|m| ETA_MINUTES.contains(m))
        .ok_or_else(|| {
            ValidationErrors::single(
                "eta_minutes",
                "out_of_range",
                format!(
                    "eta_minutes must be between {} and {}",
                    ETA_MINUTES.start(),
                    ETA_MINUTES.end()
                ),
            )
        })
}

/// Checks the reason of a reject or a cancel: trimmed, optional, at most [`REASON_MAX_CHARS`]
/// characters, no control characters; reported as the field `reason`.
pub fn check_reason(reason: Option<&str>) -> Result<Option<String>, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let reason = errors.text("reason", reason, false, REASON_MAX_CHARS);
    errors.into_result()?;
    Ok(reason)
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Accepted,
    Ready,
    Completed,
    Rejected,
    Cancelled,
    Missed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::Accepted,
        OrderStatus::Ready,
        OrderStatus::Completed,
        OrderStatus::Rejected,
        OrderStatus::Cancelled,
        OrderStatus::Missed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Accepted => "accepted",
            OrderStatus::Ready => "ready",
            OrderStatus::Completed => "completed",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Missed => "missed",
        }
    }

    /// Whether nothing can happen to the order any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            OrderStatus::Completed
                | OrderStatus::Rejected
                | OrderStatus::Cancelled
                | OrderStatus::Missed
        )
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown order status {s:?}"))
    }
}

/// Where an order came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderSource {
    /// A guest on the shop's page.
    Guest,
    /// The shop's own site or till, through an API key.
    Api,
    /// Entered by a member of the shop.
    Staff,
}

impl OrderSource {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderSource::Guest => "guest",
            OrderSource::Api => "api",
            OrderSource::Staff => "staff",
        }
    }
}

impl FromStr for OrderSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "guest" => Ok(OrderSource::Guest),
            "api" => Ok(OrderSource::Api),
            "staff" => Ok(OrderSource::Staff),
            other => Err(format!("unknown order source {other:?}")),
        }
    }
}

/// How the order reaches the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    deny_unknown_fields,
    from = "FulfillmentWire"
)]
pub enum Fulfillment {
    Pickup,
    DineIn { table: Option<String> },
    Delivery { address: String },
}

/// [`Fulfillment`] as it is read: every type refuses fields it does not have (serde lets a
/// unit variant of an internally tagged enum take any).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FulfillmentWire {
    Pickup {},
    DineIn { table: Option<String> },
    Delivery { address: String },
}

impl From<FulfillmentWire> for Fulfillment {
    fn from(w: FulfillmentWire) -> Fulfillment {
        match w {
            FulfillmentWire::Pickup {} => Fulfillment::Pickup,
            FulfillmentWire::DineIn { table } => Fulfillment::DineIn { table },
            FulfillmentWire::Delivery { address } => Fulfillment::Delivery { address },
        }
    }
}

impl Fulfillment {
    pub fn kind(&self) -> &'static str {
        match self {
            Fulfillment::Pickup => "pickup",
            Fulfillment::DineIn { .. } => "dine_in",
            Fulfillment::Delivery { .. } => "delivery",
        }
    }

    /// The table (dine-in) or the address (delivery).
    pub fn detail(&self) -> Option<&str> {
        match self {
            Fulfillment::Pickup => None,
            Fulfillment::DineIn { table } => table.as_deref(),
            Fulfillment::Delivery { address } => Some(address),
        }
    }

    /// Rebuilds a fulfillment from its stored kind and detail.
    pub fn from_parts(kind: &str, detail: Option<String>) -> Option<Fulfillment> {
        match kind {
            "pickup" => Some(Fulfillment::Pickup),
            "dine_in" => Some(Fulfillment::DineIn { table: detail }),
            "delivery" => Some(Fulfillment::Delivery {
                address: detail.unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

/// Who the order is for, as given with the order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustomerInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E.164.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl CustomerInfo {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

/// One chosen option, as it was priced when ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ItemOption {
    pub name: String,
    pub price: i64,
}

/// One line of an order: a snapshot, so later menu changes do not alter past orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderItem {
    /// The menu item this line came from (guest orders), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu_item_id: Option<String>,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub options: Vec<ItemOption>,
    /// (unit price + option prices) × quantity.
    pub line_total: i64,
}

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub shop_id: ShopId,
    /// Per-shop sequential number shown to people (#1001…).
    pub number: i64,
    pub status: OrderStatus,
    pub currency: crate::Currency,
    pub subtotal: i64,
    pub total: i64,
    pub items: Vec<OrderItem>,
    pub customer_id: Option<CustomerId>,
    pub customer: CustomerInfo,
    pub fulfillment: Fulfillment,
    pub note: Option<String>,
    pub source: OrderSource,
    pub eta_minutes: Option<i64>,
    /// Reason given when rejected or cancelled.
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub accepted_at: Option<Timestamp>,
    /// When it was marked ready.
    pub ready_at: Option<Timestamp>,
    /// When it reached a final status.
    pub closed_at: Option<Timestamp>,
}

impl Order {
    /// What the total adds to the items: the delivery fee of a guest's delivery order.
    pub fn delivery_fee(&self) -> i64 {
        self.total.saturating_sub(self.subtotal).max(0)
    }

    /// When the order is expected to be ready: the moment it was marked ready, or acceptance
    /// time plus the ETA while it is being prepared.
    pub fn expected_ready_at(&self) -> Option<Timestamp> {
        if let Some(ready) = self.ready_at {
            return Some(ready);
        }
        let accepted = self.accepted_at?;
        let eta = self.eta_minutes?;
        accepted
            .checked_add(jiff::SignedDuration::from_mins(eta))
            .ok()
    }
}

/// Something a person or the system does to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAction {
    Acknowledge,
    Accept {
        eta_minutes: i64,
    },
    Reject {
        reason: Option<String>,
    },
    Ready,
    Complete,
    Cancel {
        reason: Option<String>,
    },
    /// Nobody answered in time.
    Miss,
}

/// The longest reason, in characters, a reject or a cancel may carry to the guest.
pub const REASON_MAX_CHARS: usize = 200;

impl OrderAction {
    /// `accept` with its ETA checked by [`check_eta`].
    pub fn accept(eta_minutes: i64) -> Result<OrderAction, ValidationErrors> {
        check_eta(eta_minutes)?;
        Ok(OrderAction::Accept { eta_minutes })
    }

    /// `reject` with its reason checked by [`check_reason`].
    pub fn reject(reason: Option<&str>) -> Result<OrderAction, ValidationErrors> {
        Ok(OrderAction::Reject {
            reason: check_reason(reason)?,
        })
    }

    /// `cancel` with its reason checked by [`check_reason`].
    pub fn cancel(reason: Option<&str>) -> Result<OrderAction, ValidationErrors> {
        Ok(OrderAction::Cancel {
            reason: check_reason(reason)?,
        })
    }

    /// The action a person asked for by its route name (`acknowledge`, `accept`, `reject`,
    /// `ready`, `complete`, `cancel`), with the inputs checked by the same rules as everywhere
    /// else; `None` for a name that is not such an action (`miss` is the system's alone). An ETA
    /// that is missing where `accept` needs one is out of range.
    pub fn requested(
        name: &str,
        eta_minutes: Option<i64>,
        reason: Option<&str>,
    ) -> Option<Result<OrderAction, ValidationErrors>> {
        Some(match name {
            "acknowledge" => Ok(OrderAction::Acknowledge),
            "accept" => OrderAction::accept(eta_minutes.unwrap_or(0)),
            "reject" => OrderAction::reject(reason),
            "ready" => Ok(OrderAction::Ready),
            "complete" => Ok(OrderAction::Complete),
            "cancel" => OrderAction::cancel(reason),
            _ => return None,
        })
    }

    /// The name used in routes and in the event log.
    pub fn name(&self) -> &'static str {
        match self {
            OrderAction::Acknowledge => "acknowledge",
            OrderAction::Accept { .. } => "accept",
            OrderAction::Reject { .. } => "reject",
            OrderAction::Ready => "ready",
            OrderAction::Complete => "complete",
            OrderAction::Cancel { .. } => "cancel",
            OrderAction::Miss => "miss",
        }
    }
}

/// An action the order's status does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} an order that is {from}")]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub action: &'static str,
}

/// What applying an action changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The order changed; record an event.
    Changed,
    /// Nothing to do (e.g. acknowledging twice); no event.
    Unchanged,
}

impl Order {
    /// Applies an action at `now`, following the lifecycle. Every other transition is refused.
    pub fn apply(
        &mut self,
        action: &OrderAction,
        now: Timestamp,
    ) -> Result<Applied, InvalidTransition> {
        use OrderStatus as S;
        let refuse = || InvalidTransition {
            from: self.status,
            action: action.name(),
        };
        let next = match (action, self.status) {
            (OrderAction::Acknowledge, _) => {
                if self.acknowledged_at.is_some() {
                    return Ok(Applied::Unchanged);
                }
                self.acknowledged_at = Some(now);
                self.updated_at = now;
                return Ok(Applied::Changed);
            }
            (OrderAction::Accept { eta_minutes }, S::Pending) => {
                self.eta_minutes = Some(*eta_minutes);
                self.accepted_at = Some(now);
                S::Accepted
            }
            (OrderAction::Reject { reason }, S::Pending) => {
                self.reason.clone_from(reason);
                S::Rejected
            }
            (OrderAction::Ready, S::Accepted) => {
                self.ready_at = Some(now);
                S::Ready
            }
            (OrderAction::Complete, S::Ready) => S::Completed,
            (OrderAction::Cancel { reason }, S::Pending | S::Accepted | S::Ready) => {
                self.reason.clone_from(reason);
                S::Cancelled
            }
            (OrderAction::Miss, S::Pending) => S::Missed,
            _ => return Err(refuse()),
        };
        // Any answer from the shop also means someone saw the order.
        if self.acknowledged_at.is_none() && !matches!(action, OrderAction::Miss) {
            self.acknowledged_at = Some(now);
        }
        if next.is_final() {
            self.closed_at = Some(now);
        }
        self.status = next;
        self.updated_at = now;
        Ok(Applied::Changed)
    }
}

/// Who did something to an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Actor {
    /// `user`, `api_key`, `guest` or `system`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Actor {
    pub fn guest() -> Actor {
        Actor {
            kind: "guest".into(),
            id: None,
            name: None,
        }
    }

    pub fn system() -> Actor {
        Actor {
            kind: "system".into(),
            id: None,
            name: None,
        }
    }
}

/// One entry of an order's history: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrderEvent {
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// `created`, `acknowledge`, `accept`, `reject`, `ready`, `complete`, `cancel`, `miss`.
    pub kind: String,
    pub actor: Actor,
    /// The status after the event.
    pub status: OrderStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    #[test]
    fn requested_actions_follow_the_shared_rules() {
        let ok = |name, eta, reason| OrderAction::requested(name, eta, reason).map(|r| r.ok());
        assert_eq!(
            ok("accept", Some(20), None),
            Some(Some(OrderAction::Accept { eta_minutes: 20 }))
        );
        assert_eq!(ok("accept", Some(241), None), Some(None));
        assert_eq!(ok("accept", None, None), Some(None));
        assert_eq!(
            ok("reject", None, Some("  sold out  ")),
            Some(Some(OrderAction::Reject {
                reason: Some("sold out".into())
            }))
        );
        assert_eq!(
            ok("cancel", None, Some("")),
            Some(Some(OrderAction::Cancel { reason: None }))
        );
        let long = "가".repeat(REASON_MAX_CHARS + 1);
        let err = OrderAction::cancel(Some(&long)).unwrap_err();
        assert!(format!("{err:?}").contains("too_long"), "{err:?}");
        assert!(OrderAction::reject(Some("a\u{7}b")).is_err());
        assert_eq!(
            ok("ready", Some(999), Some("x")),
            Some(Some(OrderAction::Ready))
        );
        assert_eq!(ok("miss", None, None), None);
        assert_eq!(ok("delete", None, None), None);
    }

    #[test]
    fn every_fulfilment_type_refuses_fields_it_does_not_have() {
        let parse = |j: &str| serde_json::from_str::<Fulfillment>(j);
        assert_eq!(parse(r#"{"type":"pickup"}"#).unwrap(), Fulfillment::Pickup);
        assert!(parse(r#"{"type":"pickup","x":1}"#).is_err());
        assert!(parse(r#"{"type":"dine_in","table":"3","x":1}"#).is_err());
        assert!(parse(r#"{"type":"delivery","address":"a","x":1}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Fulfillment::Pickup).unwrap(),
            r#"{"type":"pickup"}"#
        );
    }

    fn order() -> Order {
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        Order {
            id: OrderId::from_parts(0, [0; 10]),
            shop_id: ShopId::from_parts(0, [1; 10]),
            number: 1001,
            status: OrderStatus::Pending,
            currency: Currency::KRW,
            subtotal: 0,
            total: 0,
            items: vec![],
            customer_id: None,
            customer: CustomerInfo::default(),
            fulfillment: Fulfillment::Pickup,
            note: None,
            source: OrderSource::Api,
            eta_minutes: None,
            reason: None,
            created_at: t,
            updated_at: t,
            acknowledged_at: None,
            accepted_at: None,
            ready_at: None,
            closed_at: None,
        }
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_600).unwrap()
    }

    #[test]
    fn the_happy_path() {
        let mut o = order();
        o.apply(&OrderAction::Accept { eta_minutes: 15 }, now())
            .unwrap();
        assert_eq!(o.status, OrderStatus::Accepted);
        assert_eq!(o.acknowledged_at, Some(now()));
        assert_eq!(
            o.expected_ready_at(),
            Some(Timestamp::from_second(1_800_000_600 + 900).unwrap())
        );
        o.apply(&OrderAction::Ready, now()).unwrap();
        assert_eq!(o.expected_ready_at(), Some(now()));
        o.apply(&OrderAction::Complete, now()).unwrap();
        assert_eq!(o.status, OrderStatus::Completed);
        assert_eq!(o.closed_at, Some(now()));
    }

    #[test]
    fn every_transition_outside_the_lifecycle_is_refused() {
        let actions = [
            OrderAction::Accept { eta_minutes: 10 },
            OrderAction::Reject { reason: None },
            OrderAction::Ready,
            OrderAction::Complete,
            OrderAction::Cancel { reason: None },
            OrderAction::Miss,
        ];
        let allowed = |from: OrderStatus, action: &OrderAction| {
            use OrderStatus as S;
            matches!(
                (from, action),
                (S::Pending, OrderAction::Accept { .. })
                    | (S::Pending, OrderAction::Reject { .. })
                    | (S::Pending, OrderAction::Miss)
                    | (S::Accepted, OrderAction::Ready)
                    | (S::Ready, OrderAction::Complete)
                    | (
                        S::Pending | S::Accepted | S::Ready,
                        OrderAction::Cancel { .. }
                    )
            )
        };
        for from in OrderStatus::ALL {
            for action in &actions {
                let mut o = order();
                o.status = from;
                let result = o.apply(action, now());
                assert_eq!(
                    result.is_ok(),
                    allowed(from, action),
                    "{from} {}",
                    action.name()
                );
                if result.is_err() {
                    assert_eq!(o.status, from, "a refused action changes nothing");
                }
            }
        }
    }

    #[test]
    fn acknowledging_twice_changes_nothing_the_second_time() {
        let mut o = order();
        assert_eq!(
            o.apply(&OrderAction::Acknowledge, now()).unwrap(),
            Applied::Changed
        );
        let later = Timestamp::from_second(1_800_001_000).unwrap();
        assert_eq!(
            o.apply(&OrderAction::Acknowledge, later).unwrap(),
            Applied::Unchanged
        );
        assert_eq!(o.acknowledged_at, Some(now()));
        assert_eq!(o.status, OrderStatus::Pending);
    }

    #[test]
    fn eta_between_1_and_240_minutes() {
        assert_eq!(check_eta(1), Ok(1));
        assert_eq!(check_eta(240), Ok(240));
        assert!(ETA_MINUTES.contains(&DEFAULT_ETA_MINUTES));
        for bad in [0, 241, -1, i64::from(u32::MAX) + 1, i64::MIN, i64::MAX] {
            let errors = check_eta(bad).unwrap_err();
            assert_eq!(
                errors,
                ValidationErrors::single(
                    "eta_minutes",
                    "out_of_range",
                    "eta_minutes must be between 1 and 240"
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_missed_order_is_not_acknowledged() {
        let mut o = order();
        o.apply(&OrderAction::Miss, now()).unwrap();
        assert_eq!(o.status, OrderStatus::Missed);
        assert_eq!(o.acknowledged_at, None);
    }
}
