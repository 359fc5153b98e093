//! Printers and print jobs.

use std::collections::HashMap;

use orderbell_core::order::{Actor, Order, OrderAction, OrderEvent};
use orderbell_core::printing::{CategoryFilter, ItemCategories};
use orderbell_core::{CategoryId, OrderId, PrintJobId, PrinterId, ShopId, Timestamp};

use crate::db::{Db, Row, Value};
use crate::printing::{
    AutoPrint, DeviceHello, JobAck, JobStatus, NewPrinter, OwedWork, PrintJob, Printer,
    PrinterChange,
};
use crate::{Result, StoreError, params};

const PRINTER_COLUMNS: &str = "id, shop_id, name, token_prefix, auto_print, copies, category_ids, created_at, \
     revoked_at, connected, last_seen_at, client_version, paper, text_mode, state, state_detail, state_at";

const JOB_COLUMNS: &str = "j.id, j.shop_id, j.printer_id, p.name, j.order_id, j.copy, j.copies, j.reprint, j.status, \
     j.attempts, j.error, j.created_at, j.updated_at";
const JOB_FROM: &str = "FROM print_jobs j JOIN printers p ON p.id = j.printer_id";

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} is malformed: {e}"))
}

fn printer_from(r: &Row) -> Result<Printer> {
    let categories = match r.opt_text(6)? {
        None => None,
        Some(json) => Some(
            serde_json::from_str::<Vec<String>>(&json)
                .map_err(|e| bad("category list", e))?
                .into_iter()
                .map(CategoryId::from_stored)
                .collect(),
        ),
    };
    Ok(Printer {
        id: PrinterId::from_stored(r.text(0)?),
        shop_id: ShopId::from_stored(r.text(1)?),
        name: r.text(2)?,
        token_prefix: r.text(3)?,
        auto_print: r.text(4)?.parse().map_err(|e| bad("auto_print", e))?,
        copies: r.int(5)?,
        category_ids: categories,
        created_at: r.time(7)?,
        revoked_at: r.opt_time(8)?,
        connected: r.bool(9)?,
        last_seen_at: r.opt_time(10)?,
        client_version: r.opt_text(11)?,
        paper: r.opt_text(12)?,
        text_mode: r.opt_text(13)?,
        state: r.opt_text(14)?,
        state_detail: r.opt_text(15)?,
        state_at: r.opt_time(16)?,
    })
}

fn job_from(r: &Row) -> Result<PrintJob> {
    Ok(PrintJob {
        id: PrintJobId::from_stored(r.text(0)?),
        shop_id: ShopId::from_stored(r.text(1)?),
        printer_id: PrinterId::from_stored(r.text(2)?),
        printer_name: r.text(3)?,
        order_id: OrderId::from_stored(r.text(4)?),
        copy: r.int(5)?,
        copies: r.int(6)?,
        reprint: r.bool(7)?,
        status: r.text(8)?.parse().map_err(|e| bad("job status", e))?,
        attempts: r.int(9)?,
        error: r.opt_text(10)?,
        created_at: r.time(11)?,
        updated_at: r.time(12)?,
    })
}

fn categories_json(ids: Option<&Vec<CategoryId>>) -> Option<String> {
    ids.map(|ids| {
        serde_json::Value::from(ids.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    })
}

/// A new random job id (time-ordered, like every other id).
fn new_job_id(now: Timestamp) -> Result<PrintJobId> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
    Ok(PrintJobId::from_parts(now.as_millisecond(), random))
}

pub fn create_printer(db: &mut dyn Db, p: &NewPrinter) -> Result<Printer> {
    db.execute(
        "INSERT INTO printers (id, shop_id, name, token_hash, token_prefix, auto_print, copies, category_ids, created_at, api_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        params![
            p.id.as_str(),
            p.shop_id.as_str(),
            &p.name,
            &p.token_hash,
            &p.token_prefix,
            p.auto_print.as_str(),
            p.copies,
            categories_json(p.category_ids.as_ref()),
            p.created_at,
            p.api_key_id.as_ref().map(|k| k.as_str().to_owned())
        ],
    )?;
    printer(db, &p.shop_id, &p.id)?.ok_or(StoreError::NotFound)
}

pub fn printers(db: &mut dyn Db, shop: &ShopId) -> Result<Vec<Printer>> {
    let sql = format!(
        "SELECT {PRINTER_COLUMNS} FROM printers WHERE shop_id = $1 ORDER BY created_at, id"
    );
    db.query(&sql, params![shop.as_str()])?
        .iter()
        .map(printer_from)
        .collect()
}

pub fn printer(db: &mut dyn Db, shop: &ShopId, id: &PrinterId) -> Result<Option<Printer>> {
    let sql = format!("SELECT {PRINTER_COLUMNS} FROM printers WHERE shop_id = $1 AND id = $2");
    db.query_opt(&sql, params![shop.as_str(), id.as_str()])?
        .map(|r| printer_from(&r))
        .transpose()
}

pub fn printer_by_token(db: &mut dyn Db, token_hash: &str) -> Result<Option<Printer>> {
    let sql = format!(
        "SELECT {PRINTER_COLUMNS} FROM printers WHERE token_hash = $1 AND revoked_at IS NULL"
    );
    db.query_opt(&sql, params![token_hash])?
        .map(|r| printer_from(&r))
        .transpose()
}

pub fn update_printer(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &PrinterId,
    c: &PrinterChange,
) -> Result<Printer> {
    let mut p = printer(db, shop, id)?.ok_or(StoreError::NotFound)?;
    if let Some(name) = &c.name {
        p.name.clone_from(name);
    }
    p.auto_print = c.auto_print.unwrap_or(p.auto_print);
    p.copies = c.copies.unwrap_or(p.copies);
    if let Some(categories) = &c.category_ids {
        p.category_ids.clone_from(categories);
    }
    db.execute(
        "UPDATE printers SET name = $1, auto_print = $2, copies = $3, category_ids = $4 WHERE shop_id = $5 AND id = $6",
        params![
            &p.name,
            p.auto_print.as_str(),
            p.copies,
            categories_json(p.category_ids.as_ref()),
            shop.as_str(),
            id.as_str()
        ],
    )?;
    Ok(p)
}

pub fn revoke_printer(
    db: &mut dyn Db,
    shop: &ShopId,
    id: &PrinterId,
    now: Timestamp,
) -> Result<()> {
    super::changed(db.execute(
        "UPDATE printers SET revoked_at = $1, connected = $2 WHERE shop_id = $3 AND id = $4 AND revoked_at IS NULL",
        params![now, false, shop.as_str(), id.as_str()],
    )?)?;
    db.execute(
        "UPDATE print_jobs SET status = 'failed', error = $1, updated_at = $2
         WHERE printer_id = $3 AND status IN ('queued', 'delivered')",
        params!["printer removed", now, id.as_str()],
    )?;
    Ok(())
}

pub fn printer_connection(
    db: &mut dyn Db,
    id: &PrinterId,
    connected: bool,
    hello: Option<&DeviceHello>,
    now: Timestamp,
) -> Result<()> {
    match hello {
        Some(h) => db.execute(
            "UPDATE printers SET connected = $1, last_seen_at = $2, client_version = $3, paper = $4, text_mode = $5
             WHERE id = $6",
            params![connected, now, &h.client_version, &h.paper, &h.text_mode, id.as_str()],
        )?,
        None => db.execute(
            "UPDATE printers SET connected = $1, last_seen_at = $2 WHERE id = $3",
            params![connected, now, id.as_str()],
        )?,
    };
    Ok(())
}

pub fn printer_state(
    db: &mut dyn Db,
    id: &PrinterId,
    state: &str,
    detail: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    db.execute(
        "UPDATE printers SET state = $1, state_detail = $2, state_at = $3, last_seen_at = $3 WHERE id = $4",
        params![state, detail, now, id.as_str()],
    )?;
    Ok(())
}

pub fn owed_jobs(db: &mut dyn Db, printer: &PrinterId, limit: i64) -> Result<Vec<PrintJob>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} {JOB_FROM} JOIN orders o ON o.id = j.order_id
         WHERE j.printer_id = $1 AND j.status IN ('queued', 'delivered')
         ORDER BY j.created_at, o.number, j.copy, j.id LIMIT $2"
    );
    db.query(&sql, params![printer.as_str(), limit])?
        .iter()
        .map(job_from)
        .collect()
}

/// [`owed_jobs`], with the shop and the orders of the jobs never sent when there are any.
pub fn owed_work(
    db: &mut dyn Db,
    shop: &ShopId,
    printer: &PrinterId,
    limit: i64,
) -> Result<OwedWork> {
    let jobs = owed_jobs(db, printer, limit)?;
    if jobs.is_empty() {
        return Ok(OwedWork::default());
    }
    let shop = super::shops::shop(db, shop)?;
    let mut ids: Vec<OrderId> = jobs
        .iter()
        .filter(|j| j.attempts == 0)
        .map(|j| j.order_id.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let orders = super::orders::orders_by_ids(db, &ids)?;
    Ok(OwedWork { jobs, shop, orders })
}

pub fn jobs_sent(
    db: &mut dyn Db,
    printer: &PrinterId,
    jobs: &[PrintJobId],
    now: Timestamp,
) -> Result<()> {
    for chunk in super::padded_chunks(jobs) {
        let mut values = vec![Value::from(now), Value::from(printer.as_str())];
        values.extend(chunk.iter().map(|id| Value::from(id.as_str())));
        db.execute(
            &format!(
                "UPDATE print_jobs SET attempts = attempts + 1, updated_at = $1 WHERE printer_id = $2 AND id IN ({})",
                super::marks(3, chunk.len())
            ),
            &values,
        )?;
    }
    Ok(())
}

/// Applies a printer's acknowledgements in the order they came, with one read of the jobs (and
/// their orders' status), one update per job that moves and one insert of the order events:
/// one answer per acknowledgement, `None` for a job that is not this printer's. Final states
/// never go back; `received` after `printed` (a late duplicate) changes nothing.
pub fn ack_jobs(
    db: &mut dyn Db,
    printer: &PrinterId,
    acks: &[(PrintJobId, JobAck)],
    now: Timestamp,
) -> Result<Vec<Option<PrintJob>>> {
    let ids: Vec<PrintJobId> = acks.iter().map(|(id, _)| id.clone()).collect();
    let mut current: HashMap<PrintJobId, (PrintJob, String)> = HashMap::new();
    for chunk in super::padded_chunks(&ids) {
        let sql = format!(
            "SELECT {JOB_COLUMNS}, o.status {JOB_FROM} JOIN orders o ON o.id = j.order_id
             WHERE j.printer_id = $1 AND j.id IN ({})",
            super::marks(2, chunk.len())
        );
        let mut values = vec![Value::from(printer.as_str())];
        values.extend(chunk.iter().map(|id| Value::from(id.as_str())));
        for r in db.query(&sql, &values)? {
            let job = job_from(&r)?;
            current.insert(job.id.clone(), (job, r.text(13)?));
        }
    }
    let mut answers = Vec::with_capacity(acks.len());
    let mut moved: Vec<PrintJobId> = vec![];
    let mut events = vec![];
    for (id, ack) in acks {
        let Some((job, order_status)) = current.get_mut(id) else {
            answers.push(None);
            continue;
        };
        let (next, error) = match ack {
            JobAck::Received => (JobStatus::Delivered, None),
            JobAck::Printed => (JobStatus::Printed, None),
            JobAck::Failed(reason) => (JobStatus::Failed, Some(reason.clone())),
            JobAck::Unconfirmed => (JobStatus::Unconfirmed, None),
        };
        let moves = match (job.status, next) {
            (from, _) if from.is_final() => false,
            (JobStatus::Delivered, JobStatus::Delivered) => false,
            _ => true,
        };
        if moves {
            job.status = next;
            job.error = error;
            job.updated_at = now;
            if !moved.contains(id) {
                moved.push(id.clone());
            }
            if next.is_final() {
                let event = OrderEvent {
                    at: now,
                    kind: format!("print_{}", next.as_str()),
                    actor: Actor {
                        kind: "printer".into(),
                        id: Some(printer.to_string()),
                        name: Some(job.printer_name.clone()),
                    },
                    status: order_status.parse().map_err(|e| bad("order status", e))?,
                    detail: job.error.clone(),
                };
                super::orders::event_values(&job.order_id, &event, &mut events);
            }
        }
        answers.push(Some(job.clone()));
    }
    for id in &moved {
        if let Some((job, _)) = current.get(id) {
            db.execute(
                "UPDATE print_jobs SET status = $1, error = $2, updated_at = $3 WHERE id = $4",
                params![job.status.as_str(), job.error.clone(), now, id.as_str()],
            )?;
        }
    }
    super::orders::insert_event_rows(db, &events)?;
    Ok(answers)
}

/// Writes `copies` jobs of an order for a printer.
fn queue(
    db: &mut dyn Db,
    order: &Order,
    printer: &Printer,
    reprint: bool,
    now: Timestamp,
) -> Result<Vec<PrintJob>> {
    let copies = if reprint {
        1
    } else {
        printer.copies.clamp(1, 5)
    };
    let mut jobs = vec![];
    for copy in 1..=copies {
        let id = new_job_id(now)?;
        db.execute(
            "INSERT INTO print_jobs (id, shop_id, printer_id, order_id, copy, copies, reprint, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8)",
            params![
                id.as_str(),
                order.shop_id.as_str(),
                printer.id.as_str(),
                order.id.as_str(),
                copy,
                copies,
                reprint,
                now
            ],
        )?;
        jobs.push(PrintJob {
            id,
            shop_id: order.shop_id.clone(),
            printer_id: printer.id.clone(),
            printer_name: printer.name.clone(),
            order_id: order.id.clone(),
            copy,
            copies,
            reprint,
            status: JobStatus::Queued,
            attempts: 0,
            error: None,
            created_at: now,
            updated_at: now,
        });
    }
    Ok(jobs)
}

/// Menu item → category, for printers that print some categories only.
fn item_categories(db: &mut dyn Db, shop: &ShopId) -> Result<ItemCategories> {
    let rows = db.query(
        "SELECT id, category_id FROM menu_items WHERE shop_id = $1",
        params![shop.as_str()],
    )?;
    let pairs = rows
        .iter()
        .map(|r| Ok((r.text(0)?, r.text(1)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(ItemCategories::from_pairs(pairs))
}

fn auto_printers(db: &mut dyn Db, shop: &ShopId, mode: AutoPrint) -> Result<Vec<Printer>> {
    let sql = format!(
        "SELECT {PRINTER_COLUMNS} FROM printers WHERE shop_id = $1 AND auto_print = $2 AND revoked_at IS NULL"
    );
    db.query(&sql, params![shop.as_str(), mode.as_str()])?
        .iter()
        .map(printer_from)
        .collect()
}

/// A shop's auto-printing printers, and its menu items' categories when a printer filters.
type ShopPrinters = (Vec<Printer>, Option<ItemCategories>);

fn queue_auto(db: &mut dyn Db, orders: &[&Order], mode: AutoPrint) -> Result<Vec<PrintJob>> {
    let mut shops: Vec<&ShopId> = orders.iter().map(|o| &o.shop_id).collect();
    shops.dedup();
    let mut printers_of: HashMap<&ShopId, ShopPrinters> = HashMap::new();
    for shop in shops {
        if printers_of.contains_key(shop) {
            continue;
        }
        let printers = auto_printers(db, shop, mode)?;
        let categories = if printers.iter().any(|p| p.category_ids.is_some()) {
            Some(item_categories(db, shop)?)
        } else {
            None
        };
        printers_of.insert(shop, (printers, categories));
    }
    let empty = ItemCategories::default();
    let mut jobs = vec![];
    for order in orders {
        let Some((printers, categories)) = printers_of.get(&order.shop_id) else {
            continue;
        };
        for printer in printers {
            let filter = CategoryFilter::new(
                printer.category_ids.as_deref(),
                categories.as_ref().unwrap_or(&empty),
            );
            if filter.prints_any(order) {
                jobs.extend(queue(db, order, printer, false, order.updated_at)?);
            }
        }
    }
    Ok(jobs)
}

/// Queues print jobs for new orders on the shops' `on_create` printers; returns them.
pub fn orders_created(db: &mut dyn Db, orders: &[&Order]) -> Result<Vec<PrintJob>> {
    queue_auto(db, orders, AutoPrint::OnCreate)
}

/// Queues print jobs when an order is accepted, on `on_accept` printers.
pub fn order_changed(
    db: &mut dyn Db,
    order: &Order,
    action: &OrderAction,
    _actor: &Actor,
) -> Result<()> {
    if matches!(action, OrderAction::Accept { .. }) {
        queue_auto(db, &[order], AutoPrint::OnAccept)?;
    }
    Ok(())
}

pub fn reprint(
    db: &mut dyn Db,
    shop: &ShopId,
    order_id: &OrderId,
    only: Option<&PrinterId>,
    now: Timestamp,
) -> Result<Vec<PrintJob>> {
    let order = super::orders::order(db, shop, order_id)?.ok_or(StoreError::NotFound)?;
    let mut printers: Vec<Printer> = printers(db, shop)?
        .into_iter()
        .filter(|p| p.revoked_at.is_none())
        .collect();
    if let Some(only) = only {
        printers.retain(|p| &p.id == only);
        if printers.is_empty() {
            return Err(StoreError::NotFound);
        }
    }
    let mut jobs = vec![];
    for printer in &printers {
        jobs.extend(queue(db, &order, printer, true, now)?);
    }
    Ok(jobs)
}

pub fn expire_jobs(
    db: &mut dyn Db,
    created_before: Timestamp,
    now: Timestamp,
) -> Result<Vec<PrintJob>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} {JOB_FROM} WHERE j.status IN ('queued', 'delivered') AND j.created_at < $1
         ORDER BY j.created_at LIMIT 500"
    );
    let mut jobs: Vec<PrintJob> = db
        .query(&sql, params![created_before])?
        .iter()
        .map(job_from)
        .collect::<Result<_>>()?;
    for j in &mut jobs {
        db.execute(
            "UPDATE print_jobs SET status = 'expired', error = $1, updated_at = $2 WHERE id = $3",
            params!["not printed in time", now, j.id.as_str()],
        )?;
        j.status = JobStatus::Expired;
        j.error = Some("not printed in time".into());
        j.updated_at = now;
        let event = OrderEvent {
            at: now,
            kind: "print_expired".into(),
            actor: Actor::system(),
            status: super::orders::status_of(db, &j.order_id)?,
            detail: Some(j.printer_name.clone()),
        };
        super::orders::record_event(db, &j.order_id, &event)?;
    }
    Ok(jobs)
}

pub fn print_jobs_of(db: &mut dyn Db, orders: &[OrderId]) -> Result<Vec<PrintJob>> {
    let mut jobs = vec![];
    for chunk in super::padded_chunks(orders) {
        let sql = format!(
            "SELECT {JOB_COLUMNS} {JOB_FROM} WHERE j.order_id IN ({}) ORDER BY j.created_at, j.copy, j.id",
            super::marks(1, chunk.len())
        );
        let values: Vec<Value> = chunk.iter().map(|o| Value::from(o.as_str())).collect();
        for r in db.query(&sql, &values)? {
            jobs.push(job_from(&r)?);
        }
    }
    Ok(jobs)
}
