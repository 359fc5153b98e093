//! Printers and print jobs: what the store keeps for receipt printing.
//!
//! A print job is one copy of one order's ticket for one printer. Jobs are written in the same
//! transaction as the order change that causes them (a new order on `on_create` printers, an
//! accepted order on `on_accept` printers) or by a reprint. The device hub asks the store what
//! is owed to a printer whenever it connects or hears of new jobs, so any instance can serve
//! any printer and nothing is lost while a printer is away.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use orderbell_core::order::Order;
use orderbell_core::shop::Shop;
use orderbell_core::{CategoryId, OrderId, PrintJobId, PrinterId, ShopId, Timestamp};

use crate::Result;

/// When a printer prints on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoPrint {
    /// Every new order.
    OnCreate,
    /// When the shop accepts an order.
    OnAccept,
    /// Only when someone presses Print.
    Manual,
}

impl AutoPrint {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoPrint::OnCreate => "on_create",
            AutoPrint::OnAccept => "on_accept",
            AutoPrint::Manual => "manual",
        }
    }
}

impl FromStr for AutoPrint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "on_create" => Ok(AutoPrint::OnCreate),
            "on_accept" => Ok(AutoPrint::OnAccept),
            "manual" => Ok(AutoPrint::Manual),
            other => Err(format!(
                "auto-print must be on_create, on_accept or manual, not {other:?}"
            )),
        }
    }
}

/// Where a print job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Written, not yet taken by the printer client.
    Queued,
    /// The client spooled it (`received`).
    Delivered,
    /// The printer confirmed it.
    Printed,
    /// The client gave up on it, with a reason.
    Failed,
    /// Sent to an output that cannot confirm (file, USB, CUPS).
    Unconfirmed,
    /// Not printed within the configured age; the shop was told.
    Expired,
}

impl JobStatus {
    pub const ALL: [JobStatus; 6] = [
        JobStatus::Queued,
        JobStatus::Delivered,
        JobStatus::Printed,
        JobStatus::Failed,
        JobStatus::Unconfirmed,
        JobStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Delivered => "delivered",
            JobStatus::Printed => "printed",
            JobStatus::Failed => "failed",
            JobStatus::Unconfirmed => "unconfirmed",
            JobStatus::Expired => "expired",
        }
    }

    /// Nothing more will happen to the job.
    pub fn is_final(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Delivered)
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| format!("unknown print job status {s:?}"))
    }
}

/// A printer as stored (without its token's hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Printer {
    pub id: PrinterId,
    pub shop_id: ShopId,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub token_prefix: String,
    pub auto_print: AutoPrint,
    pub copies: i64,
    /// Only items of these menu categories, or every item.
    pub category_ids: Option<Vec<CategoryId>>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// A client is connected (to some instance) right now.
    pub connected: bool,
    pub last_seen_at: Option<Timestamp>,
    pub client_version: Option<String>,
    pub paper: Option<String>,
    pub text_mode: Option<String>,
    /// The printer's last reported state (`online`, `paper_out`, …).
    pub state: Option<String>,
    pub state_detail: Option<String>,
    pub state_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewPrinter {
    pub id: PrinterId,
    pub shop_id: ShopId,
    pub name: String,
    pub token_hash: String,
    pub token_prefix: String,
    pub auto_print: AutoPrint,
    pub copies: i64,
    pub category_ids: Option<Vec<CategoryId>>,
    pub created_at: Timestamp,
    /// The API key that added it (revoked with the key); `None`: a member.
    pub api_key_id: Option<orderbell_core::ApiKeyId>,
}

/// A change to a printer's settings; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct PrinterChange {
    pub name: Option<String>,
    pub auto_print: Option<AutoPrint>,
    pub copies: Option<i64>,
    /// `Some(None)` prints every item again.
    pub category_ids: Option<Option<Vec<CategoryId>>>,
}

/// What the client said about itself when it connected.
#[derive(Debug, Clone, Default)]
pub struct DeviceHello {
    pub client_version: String,
    pub paper: String,
    pub text_mode: String,
}

/// A print job with its printer's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    pub id: PrintJobId,
    pub shop_id: ShopId,
    pub printer_id: PrinterId,
    pub printer_name: String,
    pub order_id: OrderId,
    pub copy: i64,
    pub copies: i64,
    pub reprint: bool,
    pub status: JobStatus,
    /// How many times it was sent to a client.
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What [`PrintingStore::owed_work`] reads.
#[derive(Debug, Clone, Default)]
pub struct OwedWork {
    /// Owed jobs, oldest first.
    pub jobs: Vec<PrintJob>,
    /// The shop, read only when `jobs` is not empty (`None` then: the shop is gone).
    pub shop: Option<Shop>,
    /// The orders of the jobs never sent to any client yet (`attempts == 0`): the others'
    /// orders are usually held by the session already.
    pub orders: Vec<Order>,
}

/// A client's acknowledgement of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobAck {
    Received,
    Printed,
    Failed(String),
    Unconfirmed,
}

/// The printing part of the store.
#[async_trait]
pub trait PrintingStore: Send + Sync {
    async fn create_printer(&self, printer: NewPrinter) -> Result<Printer>;
    /// The shop's printers, revoked ones included (marked).
    async fn printers(&self, shop: &ShopId) -> Result<Vec<Printer>>;
    async fn printer(&self, shop: &ShopId, id: &PrinterId) -> Result<Option<Printer>>;
    /// The unrevoked printer with this token hash.
    async fn printer_by_token(&self, token_hash: &str) -> Result<Option<Printer>>;
    async fn update_printer(
        &self,
        shop: &ShopId,
        id: &PrinterId,
        change: PrinterChange,
    ) -> Result<Printer>;
    /// Revokes a printer; its open jobs fail with "printer removed".
    async fn revoke_printer(&self, shop: &ShopId, id: &PrinterId, now: Timestamp) -> Result<()>;
    /// Records a client connecting (with its hello) or going away.
    async fn printer_connection(
        &self,
        id: &PrinterId,
        connected: bool,
        hello: Option<DeviceHello>,
        now: Timestamp,
    ) -> Result<()>;
    /// Records the printer's reported state.
    async fn printer_state(
        &self,
        id: &PrinterId,
        state: &str,
        detail: Option<&str>,
        now: Timestamp,
    ) -> Result<()>;
    /// Jobs owed to a printer (queued or delivered, not yet final), oldest first.
    async fn owed_jobs(&self, printer: &PrinterId, limit: i64) -> Result<Vec<PrintJob>>;
    /// What a connected printer's session reads when it wakes, in one trip to the store: the
    /// jobs of [`owed_jobs`](Self::owed_jobs), and when there are any, the shop as it is now
    /// and the orders of the jobs never sent yet.
    async fn owed_work(&self, shop: &ShopId, printer: &PrinterId, limit: i64) -> Result<OwedWork>;
    /// Counts a delivery attempt of these jobs.
    async fn jobs_sent(
        &self,
        printer: &PrinterId,
        jobs: Vec<PrintJobId>,
        now: Timestamp,
    ) -> Result<()>;
    /// Applies a client's acknowledgement; `None` when the job is not this printer's. Final
    /// states never go back.
    async fn ack_job(
        &self,
        printer: &PrinterId,
        job: &PrintJobId,
        ack: JobAck,
        now: Timestamp,
    ) -> Result<Option<PrintJob>> {
        let mut answers = self
            .ack_jobs(printer, vec![(job.clone(), ack)], now)
            .await?;
        Ok(answers.pop().flatten())
    }
    /// Applies a client's acknowledgements in the order they came, in one write: one answer
    /// each, as [`PrintingStore::ack_job`] gives it.
    async fn ack_jobs(
        &self,
        printer: &PrinterId,
        acks: Vec<(PrintJobId, JobAck)>,
        now: Timestamp,
    ) -> Result<Vec<Option<PrintJob>>>;
    /// Queues one ticket marked REPRINT on every active printer of the shop (or the one given).
    async fn reprint(
        &self,
        shop: &ShopId,
        order: &OrderId,
        printer: Option<PrinterId>,
        now: Timestamp,
    ) -> Result<Vec<PrintJob>>;
    /// Expires open jobs created before `created_before`; returns them.
    async fn expire_jobs(&self, created_before: Timestamp, now: Timestamp)
    -> Result<Vec<PrintJob>>;
    /// The print jobs of these orders.
    async fn print_jobs_of(&self, orders: Vec<OrderId>) -> Result<Vec<PrintJob>>;
}
