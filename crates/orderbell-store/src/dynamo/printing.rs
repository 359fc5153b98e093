//! TODO(dynamodb): printing
#![allow(unused_imports)]

use crate::Result;
use crate::printing::*;
use crate::records::*;
use orderbell_core::order::Order;
use orderbell_core::shop::Shop;
use orderbell_core::{CategoryId, OrderId, PrintJobId, PrinterId, ShopId, Timestamp};

use super::{DynamoStore, unsupported};
pub(super) async fn create_printer(_s: &DynamoStore, _printer: NewPrinter) -> Result<Printer> {
    Err(unsupported("create_printer"))
}

pub(super) async fn printers(_s: &DynamoStore, _shop: &ShopId) -> Result<Vec<Printer>> {
    Err(unsupported("printers"))
}

pub(super) async fn printer(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &PrinterId,
) -> Result<Option<Printer>> {
    Err(unsupported("printer"))
}

pub(super) async fn printer_by_token(
    _s: &DynamoStore,
    _token_hash: &str,
) -> Result<Option<Printer>> {
    Err(unsupported("printer_by_token"))
}

pub(super) async fn update_printer(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &PrinterId,
    _change: PrinterChange,
) -> Result<Printer> {
    Err(unsupported("update_printer"))
}

pub(super) async fn revoke_printer(
    _s: &DynamoStore,
    _shop: &ShopId,
    _id: &PrinterId,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("revoke_printer"))
}

pub(super) async fn printer_connection(
    _s: &DynamoStore,
    _id: &PrinterId,
    _connected: bool,
    _hello: Option<DeviceHello>,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("printer_connection"))
}

pub(super) async fn printer_state(
    _s: &DynamoStore,
    _id: &PrinterId,
    _state: &str,
    _detail: Option<&str>,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("printer_state"))
}

pub(super) async fn owed_jobs(
    _s: &DynamoStore,
    _printer: &PrinterId,
    _limit: i64,
) -> Result<Vec<PrintJob>> {
    Err(unsupported("owed_jobs"))
}

pub(super) async fn owed_work(
    _s: &DynamoStore,
    _shop: &ShopId,
    _printer: &PrinterId,
    _limit: i64,
) -> Result<OwedWork> {
    Err(unsupported("owed_work"))
}

pub(super) async fn jobs_sent(
    _s: &DynamoStore,
    _printer: &PrinterId,
    _jobs: Vec<PrintJobId>,
    _now: Timestamp,
) -> Result<()> {
    Err(unsupported("jobs_sent"))
}

pub(super) async fn ack_jobs(
    _s: &DynamoStore,
    _printer: &PrinterId,
    _acks: Vec<(PrintJobId, JobAck)>,
    _now: Timestamp,
) -> Result<Vec<Option<PrintJob>>> {
    Err(unsupported("ack_jobs"))
}

pub(super) async fn reprint(
    _s: &DynamoStore,
    _shop: &ShopId,
    _order: &OrderId,
    _printer: Option<PrinterId>,
    _now: Timestamp,
) -> Result<Vec<PrintJob>> {
    Err(unsupported("reprint"))
}

pub(super) async fn expire_jobs(
    _s: &DynamoStore,
    _created_before: Timestamp,
    _now: Timestamp,
) -> Result<Vec<PrintJob>> {
    Err(unsupported("expire_jobs"))
}

pub(super) async fn print_jobs_of(
    _s: &DynamoStore,
    _orders: Vec<OrderId>,
) -> Result<Vec<PrintJob>> {
    Err(unsupported("print_jobs_of"))
}

pub(super) async fn gauges(_s: &DynamoStore, _now: Timestamp) -> Result<Gauges> {
    Err(unsupported("gauges"))
}

/// The print jobs a new order queues (queries/printing.rs::orders_created) and their writes.
pub(super) async fn order_created(
    _s: &DynamoStore,
    _order: &Order,
) -> Result<(
    Vec<PrintJob>,
    Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
)> {
    // TODO(dynamodb): a placeholder that writes nothing, so that orders can be stored
    // while this is written; queue print jobs.
    Ok((Vec::new(), Vec::new()))
}

/// The writes of an order change for printing (queries/printing.rs::order_changed).
pub(super) async fn order_changed(
    _s: &DynamoStore,
    _order: &Order,
    _action: &orderbell_core::order::OrderAction,
    _actor: &orderbell_core::order::Actor,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>> {
    // TODO(dynamodb): a placeholder that writes nothing, so that orders can be stored
    // while this is written; print on an order change.
    Ok(Vec::new())
}
