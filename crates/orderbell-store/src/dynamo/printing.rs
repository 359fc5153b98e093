//! Printers and print jobs on DynamoDB (the SQL reference: queries/printing.rs and
//! queries/gauges.rs), keyed as docs/design/serverless-plan.md §5 lays them out.
//!
//! In the main table:
//! - `SHOP#<shop> / PRINTER#<id>`: a printer's configuration (name, token prefix and hash,
//!   auto-print mode, copies, category filter, created/revoked times, the API key that added
//!   it). Under the shop's partition so that `printers(shop)` and the auto-printing of a new
//!   order are one consistent Query.
//! - `PTOKEN#<hash> / P` → shop and printer id: the device's token, unique by a conditional
//!   put, deleted when the printer is revoked.
//! - `PRINTER#<id> / STATE`: what the device reports (connected, hello, state), apart from the
//!   configuration so that heartbeats never rewrite it; the device hub knows only the printer
//!   id. While the reported state is `paper_out` it is in the main table's g3 under
//!   `PAPER_OUT` (the gauge; revoked printers carry `revoked_at` and are filtered out).
//!
//! In the queue table, `JOB#<id> / J`, one item per print job:
//! - g1 `ORDER#<order> / JOB#<created>#<copy>#<id>`: `print_jobs_of`, in SQL's order
//!   (the notifications share the g1 partition of an order under `NOTIF#`);
//! - g2 `OWED#<printer> / <created>#<number>#<copy>#<id>`, only while the job is queued or
//!   delivered: `owed_jobs` in SQL's `ORDER BY created_at, number, copy, id`;
//! - g3 `OPEN / <created>#<id>`, only while queued or delivered: `expire_jobs` and the gauge.
//!
//! Indexes are read eventually consistently, so what an index finds is read again by key
//! (consistently) before it is answered or acted on, and every write carries a condition on
//! the job's status as read: an acknowledgement never moves a job backwards and a duplicate
//! changes nothing (a ticket is printed once). Lists that only show jobs (`print_jobs_of`) are
//! answered from the index as it is. The printer's name in a job is read from the printer
//! when the job is read, as SQL's join does (a renamed printer shows its new name; the name
//! written with the job is kept for a printer that is gone).
//!
//! The jobs of a new or accepted order are written by the order's own transaction (see
//! effects.rs) with ids derived from the order, the printer and the copy, behind
//! `attribute_not_exists(pk)`: a retried or split transaction writes the same jobs once.

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, Put, TransactWriteItem, Update};
use orderbell_core::order::{Actor, Order, OrderAction, OrderEvent, OrderStatus};
use orderbell_core::printing::{CategoryFilter, ItemCategories};
use orderbell_core::{ApiKeyId, CategoryId, OrderId, PrintJobId, PrinterId, ShopId, Timestamp};

use super::item::{Read, b, item, key, n, n_ts, s, sort_n, sort_ts, values};
use super::{DynamoStore, Item, fail};
use crate::printing::{
    AutoPrint, DeviceHello, JobAck, JobStatus, NewPrinter, OwedWork, PrintJob, Printer,
    PrinterChange,
};
use crate::records::Gauges;
use crate::{Result, StoreError};

/// Sort key prefix of a printer's configuration in its shop's partition.
const PRINTER_SK: &str = "PRINTER#";
/// The g3 partition of printers whose last report was `paper_out` (main table).
const PAPER_OUT: &str = "PAPER_OUT";
/// The g2 partition of the outbox rows waiting to be sent (queued or sending), as
/// notifications.rs lays it out (its `DUE`): each row carries `run_at` (N millis).
const OUTBOX_DUE: &str = "DUE#NOTIF";
/// The g3 partition of open print jobs (queue table).
const OPEN: &str = "OPEN";
/// BatchGetItem takes at most 100 keys.
const BATCH_GET: usize = 100;
/// Jobs acknowledged per transaction: each may need an update and an order event (≤ 100
/// actions).
const ACK_CHUNK: usize = 50;
/// How many times a write refused by a concurrent change is read again and retried.
const RETRIES: usize = 8;
/// The most jobs one `expire_jobs` call expires (as SQL's `LIMIT 500`).
const EXPIRE_MAX: usize = 500;
/// The error of the open jobs of a revoked printer.
const REMOVED: &str = "printer removed";
/// The error of an expired job.
const NOT_IN_TIME: &str = "not printed in time";

fn shop_pk(shop: &ShopId) -> String {
    format!("SHOP#{}", shop.as_str())
}

fn config_key(shop: &ShopId, id: &PrinterId) -> Item {
    key(shop_pk(shop), format!("{PRINTER_SK}{}", id.as_str()))
}

fn token_key(hash: &str) -> Item {
    key(format!("PTOKEN#{hash}"), "P")
}

fn state_key(id: &PrinterId) -> Item {
    key(format!("PRINTER#{}", id.as_str()), "STATE")
}

fn job_key(id: &PrintJobId) -> Item {
    key(format!("JOB#{}", id.as_str()), "J")
}

fn owed_pk(printer: &PrinterId) -> String {
    format!("OWED#{}", printer.as_str())
}

fn bad(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("stored {what} is malformed: {e}"))
}

fn names(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn put(table: &str, it: Item, condition: &str) -> Result<TransactWriteItem> {
    Ok(TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(it))
                .condition_expression(condition)
                .build()
                .map_err(fail::build)?,
        )
        .build())
}

/// A transaction was cancelled only because something it read changed meanwhile (worth
/// reading again), not for another reason.
fn only_races(reasons: &[Option<String>]) -> bool {
    reasons.iter().all(|r| {
        matches!(
            r.as_deref(),
            None | Some("ConditionalCheckFailed") | Some("TransactionConflict")
        )
    })
}

fn cancelled(reasons: &[Option<String>]) -> StoreError {
    StoreError::Backend(format!("DynamoDB cancelled the transaction: {reasons:?}"))
}

fn busy() -> StoreError {
    StoreError::Unavailable("printing data kept changing while it was written; try again".into())
}

// ---- printers ----------------------------------------------------------------------------

fn categories_of(it: &Item) -> Result<Option<Vec<CategoryId>>> {
    Ok(it
        .opt_json::<Vec<String>>("category_ids")?
        .map(|ids| ids.into_iter().map(CategoryId::from_stored).collect()))
}

fn categories_json(ids: &[CategoryId]) -> Result<aws_sdk_dynamodb::types::AttributeValue> {
    super::item::json(&ids.iter().map(CategoryId::as_str).collect::<Vec<_>>())
}

/// A printer from its configuration item, with the device's state when read.
fn printer_from(config: &Item, state: Option<&Item>) -> Result<Printer> {
    let mut p = Printer {
        id: PrinterId::from_stored(config.get_s("id")?.to_owned()),
        shop_id: ShopId::from_stored(config.get_s("shop_id")?.to_owned()),
        name: config.get_s("name")?.to_owned(),
        token_prefix: config.get_s("token_prefix")?.to_owned(),
        auto_print: config
            .get_s("auto_print")?
            .parse::<AutoPrint>()
            .map_err(|e| bad("auto_print", e))?,
        copies: config.get_n("copies")?,
        category_ids: categories_of(config)?,
        created_at: config.get_ts("created_at")?,
        revoked_at: config.opt_ts("revoked_at")?,
        connected: false,
        last_seen_at: None,
        client_version: None,
        paper: None,
        text_mode: None,
        state: None,
        state_detail: None,
        state_at: None,
    };
    if let Some(st) = state {
        p.connected = st.opt_b("connected")?.unwrap_or(false);
        p.last_seen_at = st.opt_ts("last_seen_at")?;
        p.client_version = st.opt_s("client_version")?.map(str::to_owned);
        p.paper = st.opt_s("paper")?.map(str::to_owned);
        p.text_mode = st.opt_s("text_mode")?.map(str::to_owned);
        p.state = st.opt_s("state")?.map(str::to_owned);
        p.state_detail = st.opt_s("state_detail")?.map(str::to_owned);
        p.state_at = st.opt_ts("state_at")?;
    }
    Ok(p)
}

/// Items by key from `table`, read consistently, in no particular order (missing ones left
/// out); any number of keys.
async fn batch_get(s: &DynamoStore, table: &str, keys: Vec<Item>) -> Result<Vec<Item>> {
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH_GET) {
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(chunk.to_vec()))
                .consistent_read(true)
                .build()
                .map_err(fail::build)?,
        );
        let mut rounds: u64 = 0;
        while let Some(request) = pending.take() {
            rounds += 1;
            if rounds > 80 {
                return Err(StoreError::Unavailable(
                    "DynamoDB kept leaving keys unprocessed".into(),
                ));
            }
            let out = s
                .client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(fail::sdk)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(table).unwrap_or_default());
            }
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(table))
                .filter(|k| !k.keys().is_empty());
            if pending.is_some() {
                tokio::time::sleep(std::time::Duration::from_millis(20 * rounds)).await;
            }
        }
    }
    Ok(found)
}

/// The configuration items of a shop's printers (consistent).
async fn configs(s: &DynamoStore, shop: &ShopId) -> Result<Vec<Item>> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .consistent_read(true)
        .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
        .expression_attribute_values(":pk", s_attr(shop_pk(shop)))
        .expression_attribute_values(":sk", s_attr(PRINTER_SK));
    s.query_all(query, None).await
}

fn s_attr(v: impl Into<String>) -> aws_sdk_dynamodb::types::AttributeValue {
    s(v)
}

/// The shop's printers that print on their own in `mode` (without their devices' state).
async fn auto_printers(s: &DynamoStore, shop: &ShopId, mode: AutoPrint) -> Result<Vec<Printer>> {
    let mut printers = configs(s, shop)
        .await?
        .iter()
        .map(|c| printer_from(c, None))
        .collect::<Result<Vec<_>>>()?;
    printers.retain(|p| p.auto_print == mode && p.revoked_at.is_none());
    printers.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(printers)
}

pub(super) async fn create_printer(s: &DynamoStore, p: NewPrinter) -> Result<Printer> {
    let mut config = item([
        ("id", s_attr(p.id.as_str())),
        ("shop_id", s_attr(p.shop_id.as_str())),
        ("name", s_attr(&p.name)),
        ("token_hash", s_attr(&p.token_hash)),
        ("token_prefix", s_attr(&p.token_prefix)),
        ("auto_print", s_attr(p.auto_print.as_str())),
        ("copies", n(p.copies)),
        ("created_at", n_ts(p.created_at)),
    ]);
    config.extend(config_key(&p.shop_id, &p.id));
    if let Some(ids) = &p.category_ids {
        config.insert("category_ids".into(), categories_json(ids)?);
    }
    if let Some(k) = &p.api_key_id {
        config.insert("api_key_id".into(), s_attr(k.as_str()));
    }
    let mut token = item([
        ("shop_id", s_attr(p.shop_id.as_str())),
        ("printer_id", s_attr(p.id.as_str())),
    ]);
    token.extend(token_key(&p.token_hash));
    let mut state = item([
        ("shop_id", s_attr(p.shop_id.as_str())),
        ("connected", b(false)),
    ]);
    state.extend(state_key(&p.id));
    let actions = vec![
        put(&s.main, config.clone(), "attribute_not_exists(pk)")?,
        put(&s.main, token, "attribute_not_exists(pk)")?,
        put(&s.main, state.clone(), "attribute_not_exists(pk)")?,
    ];
    match s.transact(actions).await? {
        Ok(()) => printer_from(&config, Some(&state)),
        Err(reasons) => {
            let taken = |i: usize| {
                reasons.get(i).and_then(Option::as_deref) == Some("ConditionalCheckFailed")
            };
            if taken(1) {
                Err(StoreError::Conflict(
                    "a printer with this token exists (printers.token_hash)".into(),
                ))
            } else if taken(0) || taken(2) {
                Err(StoreError::Conflict(
                    "a printer with this id exists (printers.id)".into(),
                ))
            } else {
                Err(cancelled(&reasons))
            }
        }
    }
}

pub(super) async fn printers(s: &DynamoStore, shop: &ShopId) -> Result<Vec<Printer>> {
    let configs = configs(s, shop).await?;
    let mut ids = Vec::with_capacity(configs.len());
    for c in &configs {
        ids.push(PrinterId::from_stored(c.get_s("id")?.to_owned()));
    }
    let states = states(s, &ids).await?;
    let mut printers = configs
        .iter()
        .zip(&ids)
        .map(|(c, id)| printer_from(c, states.get(id)))
        .collect::<Result<Vec<_>>>()?;
    printers.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(printers)
}

/// The devices' state items of these printers, by printer.
async fn states(s: &DynamoStore, ids: &[PrinterId]) -> Result<HashMap<PrinterId, Item>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found = batch_get(s, &s.main, ids.iter().map(state_key).collect()).await?;
    let mut by_id = HashMap::with_capacity(found.len());
    for it in found {
        let pk = it.get_s("pk")?;
        if let Some(id) = pk.strip_prefix("PRINTER#") {
            by_id.insert(PrinterId::from_stored(id.to_owned()), it);
        }
    }
    Ok(by_id)
}

pub(super) async fn printer(
    s: &DynamoStore,
    shop: &ShopId,
    id: &PrinterId,
) -> Result<Option<Printer>> {
    let Some(config) = s.get(&s.main, config_key(shop, id)).await? else {
        return Ok(None);
    };
    let state = s.get(&s.main, state_key(id)).await?;
    printer_from(&config, state.as_ref()).map(Some)
}

pub(super) async fn printer_by_token(s: &DynamoStore, token_hash: &str) -> Result<Option<Printer>> {
    let Some(token) = s.get(&s.main, token_key(token_hash)).await? else {
        return Ok(None);
    };
    let shop = ShopId::from_stored(token.get_s("shop_id")?.to_owned());
    let id = PrinterId::from_stored(token.get_s("printer_id")?.to_owned());
    // The token item goes with the revocation; the configuration decides all the same.
    Ok(printer(s, &shop, &id)
        .await?
        .filter(|p| p.revoked_at.is_none()))
}

pub(super) async fn update_printer(
    s: &DynamoStore,
    shop: &ShopId,
    id: &PrinterId,
    c: PrinterChange,
) -> Result<Printer> {
    let mut p = printer(s, shop, id).await?.ok_or(StoreError::NotFound)?;
    if let Some(name) = c.name {
        p.name = name;
    }
    p.auto_print = c.auto_print.unwrap_or(p.auto_print);
    p.copies = c.copies.unwrap_or(p.copies);
    if let Some(categories) = c.category_ids {
        p.category_ids = categories;
    }
    let mut vals = values([
        (":name", s_attr(&p.name)),
        (":auto", s_attr(p.auto_print.as_str())),
        (":copies", n(p.copies)),
    ]);
    let expression = match &p.category_ids {
        Some(ids) => {
            vals.insert(":cats".into(), categories_json(ids)?);
            "SET #name = :name, auto_print = :auto, copies = :copies, category_ids = :cats"
        }
        None => "SET #name = :name, auto_print = :auto, copies = :copies REMOVE category_ids",
    };
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(config_key(shop, id)))
        .update_expression(expression)
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#name", "name")
        .set_expression_attribute_values(Some(vals))
        .send()
        .await;
    match out {
        Ok(_) => Ok(p),
        Err(e) if fail::condition_failed(&e) => Err(StoreError::NotFound),
        Err(e) => Err(fail::sdk(e)),
    }
}

/// The writes that revoke a printer (configuration, device state, token), conditional on it
/// being active still.
fn revoke_actions(
    s: &DynamoStore,
    shop: &ShopId,
    id: &PrinterId,
    token_hash: &str,
    now: Timestamp,
) -> Result<Vec<TransactWriteItem>> {
    let config = Update::builder()
        .table_name(&s.main)
        .set_key(Some(config_key(shop, id)))
        .update_expression("SET revoked_at = :now")
        .condition_expression("attribute_exists(pk) AND attribute_not_exists(revoked_at)")
        .set_expression_attribute_values(Some(values([(":now", n_ts(now))])))
        .build()
        .map_err(fail::build)?;
    // Without a condition: a printer stored without its state item gets one, harmlessly.
    let state = Update::builder()
        .table_name(&s.main)
        .set_key(Some(state_key(id)))
        .update_expression("SET connected = :no, revoked_at = :now, shop_id = :shop")
        .set_expression_attribute_values(Some(values([
            (":no", b(false)),
            (":now", n_ts(now)),
            (":shop", s_attr(shop.as_str())),
        ])))
        .build()
        .map_err(fail::build)?;
    let token = Delete::builder()
        .table_name(&s.main)
        .set_key(Some(token_key(token_hash)))
        .build()
        .map_err(fail::build)?;
    Ok(vec![
        TransactWriteItem::builder().update(config).build(),
        TransactWriteItem::builder().update(state).build(),
        TransactWriteItem::builder().delete(token).build(),
    ])
}

/// Revokes one printer if it is active: `false` when it is unknown or revoked already. The
/// configuration is read consistently and written on condition that it is still active; a
/// transaction that lost a race is read again.
async fn revoke_one(
    s: &DynamoStore,
    shop: &ShopId,
    id: &PrinterId,
    now: Timestamp,
) -> Result<bool> {
    for _ in 0..RETRIES {
        let Some(config) = s.get(&s.main, config_key(shop, id)).await? else {
            return Ok(false);
        };
        if config.opt_n("revoked_at")?.is_some() {
            return Ok(false);
        }
        let actions = revoke_actions(s, shop, id, config.get_s("token_hash")?, now)?;
        match s.transact(actions).await? {
            Ok(()) => return Ok(true),
            Err(reasons) if only_races(&reasons) => continue,
            Err(reasons) => return Err(cancelled(&reasons)),
        }
    }
    Err(busy())
}

pub(super) async fn revoke_printer(
    s: &DynamoStore,
    shop: &ShopId,
    id: &PrinterId,
    now: Timestamp,
) -> Result<()> {
    if !revoke_one(s, shop, id, now).await? {
        return Err(StoreError::NotFound);
    }
    // Its open jobs fail. Jobs queued for it by an order whose transaction read the printer
    // before the revocation can still appear: nobody is served them (the token is gone), and
    // `expire_jobs` closes them.
    let owed = s
        .query_all(
            s.client
                .query()
                .table_name(&s.queue)
                .index_name("g2")
                .key_condition_expression("g2pk = :pk")
                .expression_attribute_values(":pk", s_attr(owed_pk(id))),
            None,
        )
        .await?;
    for it in owed {
        let Some(job) = it
            .opt_s("id")?
            .map(|j| PrintJobId::from_stored(j.to_owned()))
        else {
            continue;
        };
        let out = s
            .client
            .update_item()
            .table_name(&s.queue)
            .set_key(Some(job_key(&job)))
            .update_expression(
                "SET #st = :failed, #err = :err, updated_at = :now REMOVE g2pk, g2sk, g3pk, g3sk",
            )
            .condition_expression("printer_id = :p AND #st IN (:queued, :delivered)")
            .set_expression_attribute_names(Some(names(&[("#st", "status"), ("#err", "error")])))
            .set_expression_attribute_values(Some(values([
                (":failed", s_attr(JobStatus::Failed.as_str())),
                (":err", s_attr(REMOVED)),
                (":now", n_ts(now)),
                (":p", s_attr(id.as_str())),
                (":queued", s_attr(JobStatus::Queued.as_str())),
                (":delivered", s_attr(JobStatus::Delivered.as_str())),
            ])))
            .send()
            .await;
        match out {
            Ok(_) => {}
            // Acknowledged or expired meanwhile: final already.
            Err(e) if fail::condition_failed(&e) => {}
            Err(e) => return Err(fail::sdk(e)),
        }
    }
    Ok(())
}

/// Revokes the shop's active printers that this API key added (part of revoking the key, as
/// queries/api_keys.rs::revoke does: their jobs are left as they are); returns them.
pub(super) async fn revoke_printers_of_key(
    s: &DynamoStore,
    shop: &ShopId,
    key_id: &ApiKeyId,
    now: Timestamp,
) -> Result<Vec<PrinterId>> {
    let mut revoked = vec![];
    for config in configs(s, shop).await? {
        if config.opt_s("api_key_id")? != Some(key_id.as_str())
            || config.opt_n("revoked_at")?.is_some()
        {
            continue;
        }
        let id = PrinterId::from_stored(config.get_s("id")?.to_owned());
        // `false`: revoked meanwhile by someone else.
        if revoke_one(s, shop, &id, now).await? {
            revoked.push(id);
        }
    }
    Ok(revoked)
}

pub(super) async fn printer_connection(
    s: &DynamoStore,
    id: &PrinterId,
    connected: bool,
    hello: Option<DeviceHello>,
    now: Timestamp,
) -> Result<()> {
    let mut vals = values([(":c", b(connected)), (":now", n_ts(now))]);
    let expression = match hello {
        Some(h) => {
            vals.insert(":v".into(), s_attr(h.client_version));
            vals.insert(":paper".into(), s_attr(h.paper));
            vals.insert(":text".into(), s_attr(h.text_mode));
            "SET connected = :c, last_seen_at = :now, client_version = :v, paper = :paper, text_mode = :text"
        }
        None => "SET connected = :c, last_seen_at = :now",
    };
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(state_key(id)))
        .update_expression(expression)
        .condition_expression("attribute_exists(pk)")
        .set_expression_attribute_values(Some(vals))
        .send()
        .await;
    match out {
        // An unknown printer changes nothing, as SQL's UPDATE of no row.
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Ok(()),
        Err(e) => Err(fail::sdk(e)),
    }
}

pub(super) async fn printer_state(
    s: &DynamoStore,
    id: &PrinterId,
    state: &str,
    detail: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let mut vals = values([(":st", s_attr(state)), (":now", n_ts(now))]);
    let mut set = vec!["#state = :st", "state_at = :now", "last_seen_at = :now"];
    let mut remove = vec![];
    match detail {
        Some(d) => {
            vals.insert(":d".into(), s_attr(d));
            set.push("state_detail = :d");
        }
        None => remove.push("state_detail"),
    }
    if state == "paper_out" {
        vals.insert(":g3".into(), s_attr(PAPER_OUT));
        vals.insert(":id".into(), s_attr(id.as_str()));
        set.extend(["g3pk = :g3", "g3sk = :id"]);
    } else {
        remove.extend(["g3pk", "g3sk"]);
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    let out = s
        .client
        .update_item()
        .table_name(&s.main)
        .set_key(Some(state_key(id)))
        .update_expression(expression)
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_names("#state", "state")
        .set_expression_attribute_values(Some(vals))
        .send()
        .await;
    match out {
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Ok(()),
        Err(e) => Err(fail::sdk(e)),
    }
}

// ---- print jobs --------------------------------------------------------------------------

/// A job from its item; `printer_name` as written (callers put the printer's name now).
fn job_from(it: &Item) -> Result<PrintJob> {
    Ok(PrintJob {
        id: PrintJobId::from_stored(it.get_s("id")?.to_owned()),
        shop_id: ShopId::from_stored(it.get_s("shop_id")?.to_owned()),
        printer_id: PrinterId::from_stored(it.get_s("printer_id")?.to_owned()),
        printer_name: it.get_s("printer_name")?.to_owned(),
        order_id: OrderId::from_stored(it.get_s("order_id")?.to_owned()),
        copy: it.get_n("copy")?,
        copies: it.get_n("copies")?,
        reprint: it.get_b("reprint")?,
        status: it
            .get_s("status")?
            .parse::<JobStatus>()
            .map_err(|e| bad("job status", e))?,
        attempts: it.get_n("attempts")?,
        error: it.opt_s("error")?.map(str::to_owned),
        created_at: it.get_ts("created_at")?,
        updated_at: it.get_ts("updated_at")?,
    })
}

/// The item of a new (queued) job of an order numbered `number`.
fn job_item(j: &PrintJob, number: i64) -> Item {
    let created = sort_ts(j.created_at);
    let mut it = item([
        ("id", s_attr(j.id.as_str())),
        ("shop_id", s_attr(j.shop_id.as_str())),
        ("printer_id", s_attr(j.printer_id.as_str())),
        ("printer_name", s_attr(&j.printer_name)),
        ("order_id", s_attr(j.order_id.as_str())),
        ("number", n(number)),
        ("copy", n(j.copy)),
        ("copies", n(j.copies)),
        ("reprint", b(j.reprint)),
        ("status", s_attr(j.status.as_str())),
        ("attempts", n(j.attempts)),
        ("created_at", n_ts(j.created_at)),
        ("updated_at", n_ts(j.updated_at)),
        ("g1pk", s_attr(format!("ORDER#{}", j.order_id.as_str()))),
        (
            "g1sk",
            s_attr(format!(
                "JOB#{created}#{}#{}",
                sort_n(j.copy),
                j.id.as_str()
            )),
        ),
        ("g2pk", s_attr(owed_pk(&j.printer_id))),
        (
            "g2sk",
            s_attr(format!(
                "{created}#{}#{}#{}",
                sort_n(number),
                sort_n(j.copy),
                j.id.as_str()
            )),
        ),
        ("g3pk", s_attr(OPEN)),
        ("g3sk", s_attr(format!("{created}#{}", j.id.as_str()))),
    ]);
    it.extend(job_key(&j.id));
    it
}

/// How a job's id is made.
#[derive(Clone, Copy)]
enum JobIds {
    /// Derived from the order, the printer, the copy and the cause (tag): the jobs an order's
    /// transaction writes come out the same however often it is retried or split.
    Derived(u8),
    /// New random ids (reprints).
    Fresh,
}

/// A new random job id (time-ordered, like every other id).
fn fresh_job_id(now: Timestamp) -> Result<PrintJobId> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(|e| StoreError::Backend(format!("no randomness: {e}")))?;
    Ok(PrintJobId::from_parts(now.as_millisecond(), random))
}

fn job_id(
    ids: JobIds,
    order: &Order,
    printer: &PrinterId,
    copy: i64,
    now: Timestamp,
) -> Result<PrintJobId> {
    let JobIds::Derived(tag) = ids else {
        return fresh_job_id(now);
    };
    let (Some(o), Some(p)) = (order.id.to_bytes(), printer.to_bytes()) else {
        return fresh_job_id(now);
    };
    // The random parts of order and printer ids mixed: distinct printers give distinct ids
    // for one order; the copy and the cause change the last bytes.
    let mut random = [0u8; 10];
    for (r, (a, b)) in random
        .iter_mut()
        .zip(o.iter().skip(6).zip(p.iter().skip(6)))
    {
        *r = a ^ b;
    }
    let [.., t, c] = &mut random;
    *t ^= tag;
    *c ^= u8::try_from(copy).unwrap_or(0);
    Ok(PrintJobId::from_parts(now.as_millisecond(), random))
}

/// `copies` jobs of an order for a printer (one when reprinting), and their writes.
fn queue(
    s: &DynamoStore,
    order: &Order,
    printer: &Printer,
    (reprint, ids): (bool, JobIds),
    now: Timestamp,
    (jobs, actions): (&mut Vec<PrintJob>, &mut Vec<TransactWriteItem>),
) -> Result<()> {
    let copies = if reprint {
        1
    } else {
        printer.copies.clamp(1, 5)
    };
    for copy in 1..=copies {
        let job = PrintJob {
            id: job_id(ids, order, &printer.id, copy, now)?,
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
        };
        actions.push(put(
            &s.queue,
            job_item(&job, order.number),
            "attribute_not_exists(pk)",
        )?);
        jobs.push(job);
    }
    Ok(())
}

/// The jobs of an order on the shop's printers of `mode`, filtered by category, and their
/// writes (queries/printing.rs::queue_auto).
async fn queue_auto(
    s: &DynamoStore,
    order: &Order,
    mode: AutoPrint,
    tag: u8,
) -> Result<(Vec<PrintJob>, Vec<TransactWriteItem>)> {
    let printers = auto_printers(s, &order.shop_id, mode).await?;
    let (mut jobs, mut actions) = (vec![], vec![]);
    if printers.is_empty() {
        return Ok((jobs, actions));
    }
    let categories = if printers.iter().any(|p| p.category_ids.is_some()) {
        ItemCategories::of_menu(&crate::Store::menu(s, &order.shop_id).await?)
    } else {
        ItemCategories::default()
    };
    for printer in &printers {
        let filter = CategoryFilter::new(printer.category_ids.as_deref(), &categories);
        if filter.prints_any(order) {
            queue(
                s,
                order,
                printer,
                (false, JobIds::Derived(tag)),
                order.updated_at,
                (&mut jobs, &mut actions),
            )?;
        }
    }
    Ok((jobs, actions))
}

/// The print jobs a new order queues on the shop's `on_create` printers
/// (queries/printing.rs::orders_created), and their writes for the order's transaction: puts
/// behind `attribute_not_exists(pk)` with ids derived from the order, printer and copy, so
/// that a retried or split transaction writes the same jobs.
pub(super) async fn order_created(
    s: &DynamoStore,
    order: &Order,
) -> Result<(Vec<PrintJob>, Vec<TransactWriteItem>)> {
    queue_auto(s, order, AutoPrint::OnCreate, 1).await
}

/// The writes of an order change for printing (queries/printing.rs::order_changed): an
/// accepted order is printed on the `on_accept` printers.
pub(super) async fn order_changed(
    s: &DynamoStore,
    order: &Order,
    action: &OrderAction,
    _actor: &Actor,
) -> Result<Vec<TransactWriteItem>> {
    if !matches!(action, OrderAction::Accept { .. }) {
        return Ok(Vec::new());
    }
    Ok(queue_auto(s, order, AutoPrint::OnAccept, 2).await?.1)
}

/// Puts the current names of their printers into jobs (SQL joins them).
async fn with_names(s: &DynamoStore, jobs: &mut [PrintJob]) -> Result<()> {
    let mut shops: Vec<&ShopId> = jobs.iter().map(|j| &j.shop_id).collect();
    shops.sort_unstable();
    shops.dedup();
    let mut names: HashMap<PrinterId, String> = HashMap::new();
    for shop in shops {
        let found = s
            .query_all(
                s.client
                    .query()
                    .table_name(&s.main)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :sk)")
                    .expression_attribute_values(":pk", s_attr(shop_pk(shop)))
                    .expression_attribute_values(":sk", s_attr(PRINTER_SK))
                    .projection_expression("#id, #name")
                    .expression_attribute_names("#id", "id")
                    .expression_attribute_names("#name", "name"),
                None,
            )
            .await?;
        for it in found {
            names.insert(
                PrinterId::from_stored(it.get_s("id")?.to_owned()),
                it.get_s("name")?.to_owned(),
            );
        }
    }
    for j in jobs {
        if let Some(name) = names.get(&j.printer_id) {
            j.printer_name.clone_from(name);
        }
    }
    Ok(())
}

/// Jobs by id, read consistently.
async fn jobs_by_id(s: &DynamoStore, ids: &[PrintJobId]) -> Result<HashMap<PrintJobId, PrintJob>> {
    let mut unique: Vec<&PrintJobId> = ids.iter().collect();
    unique.sort_unstable();
    unique.dedup();
    let items = batch_get(s, &s.queue, unique.into_iter().map(job_key).collect()).await?;
    let mut jobs = items.iter().map(job_from).collect::<Result<Vec<_>>>()?;
    with_names(s, &mut jobs).await?;
    Ok(jobs.into_iter().map(|j| (j.id.clone(), j)).collect())
}

pub(super) async fn owed_jobs(
    s: &DynamoStore,
    printer: &PrinterId,
    limit: i64,
) -> Result<Vec<PrintJob>> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if limit == 0 {
        return Ok(vec![]);
    }
    let listed = s
        .query_all(
            s.client
                .query()
                .table_name(&s.queue)
                .index_name("g2")
                .key_condition_expression("g2pk = :pk")
                .expression_attribute_values(":pk", s_attr(owed_pk(printer)))
                .projection_expression("#id")
                .expression_attribute_names("#id", "id")
                .limit(i32::try_from(limit).unwrap_or(i32::MAX)),
            Some(limit),
        )
        .await?;
    let mut ids = Vec::with_capacity(listed.len());
    for it in &listed {
        ids.push(PrintJobId::from_stored(it.get_s("id")?.to_owned()));
    }
    // The index may lag: a job printed a moment ago must not be served again.
    let mut current = jobs_by_id(s, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| current.remove(id))
        .filter(|j| &j.printer_id == printer && !j.status.is_final())
        .collect())
}

pub(super) async fn owed_work(
    s: &DynamoStore,
    shop: &ShopId,
    printer: &PrinterId,
    limit: i64,
) -> Result<OwedWork> {
    let jobs = owed_jobs(s, printer, limit).await?;
    if jobs.is_empty() {
        return Ok(OwedWork::default());
    }
    let shop = crate::Store::shop(s, shop).await?;
    let mut ids: Vec<OrderId> = jobs
        .iter()
        .filter(|j| j.attempts == 0)
        .map(|j| j.order_id.clone())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let orders = if ids.is_empty() {
        vec![]
    } else {
        crate::Store::orders_by_ids(s, ids).await?
    };
    Ok(OwedWork { jobs, shop, orders })
}

pub(super) async fn jobs_sent(
    s: &DynamoStore,
    printer: &PrinterId,
    jobs: Vec<PrintJobId>,
    now: Timestamp,
) -> Result<()> {
    for id in &jobs {
        let out = s
            .client
            .update_item()
            .table_name(&s.queue)
            .set_key(Some(job_key(id)))
            .update_expression("SET attempts = attempts + :one, updated_at = :now")
            .condition_expression("printer_id = :p")
            .set_expression_attribute_values(Some(values([
                (":one", n(1)),
                (":now", n_ts(now)),
                (":p", s_attr(printer.as_str())),
            ])))
            .send()
            .await;
        match out {
            Ok(_) => {}
            // Another printer's job, or none: nothing to count, as in SQL.
            Err(e) if fail::condition_failed(&e) => {}
            Err(e) => return Err(fail::sdk(e)),
        }
    }
    Ok(())
}

/// The write that moves a job from the status it was read in (`from`) to where `job` stands
/// now, and out of the owed and open indexes when that is final.
fn move_job(s: &DynamoStore, job: &PrintJob, from: JobStatus) -> Result<TransactWriteItem> {
    let mut vals = values([
        (":st", s_attr(job.status.as_str())),
        (":now", n_ts(job.updated_at)),
        (":from", s_attr(from.as_str())),
        (":p", s_attr(job.printer_id.as_str())),
    ]);
    let mut expression = String::from("SET #st = :st, updated_at = :now");
    match &job.error {
        Some(e) => {
            vals.insert(":err".into(), s_attr(e));
            expression.push_str(", #err = :err");
        }
        None => expression.push_str(" REMOVE #err"),
    }
    if job.status.is_final() {
        expression.push_str(if job.error.is_some() {
            " REMOVE "
        } else {
            ", "
        });
        expression.push_str("g2pk, g2sk, g3pk, g3sk");
    }
    let update = Update::builder()
        .table_name(&s.queue)
        .set_key(Some(job_key(&job.id)))
        .update_expression(expression)
        .condition_expression("#st = :from AND printer_id = :p")
        .set_expression_attribute_names(Some(names(&[("#st", "status"), ("#err", "error")])))
        .set_expression_attribute_values(Some(vals))
        .build()
        .map_err(fail::build)?;
    Ok(TransactWriteItem::builder().update(update).build())
}

/// The current status of these orders (for the events of final jobs).
async fn statuses(s: &DynamoStore, orders: Vec<OrderId>) -> Result<HashMap<OrderId, OrderStatus>> {
    if orders.is_empty() {
        return Ok(HashMap::new());
    }
    let mut unique = orders;
    unique.sort_unstable();
    unique.dedup();
    Ok(crate::Store::orders_by_ids(s, unique)
        .await?
        .into_iter()
        .map(|o| (o.id, o.status))
        .collect())
}

/// The status an acknowledgement asks for, and its error.
fn wanted(ack: &JobAck) -> (JobStatus, Option<String>) {
    match ack {
        JobAck::Received => (JobStatus::Delivered, None),
        JobAck::Printed => (JobStatus::Printed, None),
        JobAck::Failed(reason) => (JobStatus::Failed, Some(reason.clone())),
        JobAck::Unconfirmed => (JobStatus::Unconfirmed, None),
    }
}

/// Applies a printer's acknowledgements in the order they came (queries/printing.rs::ack_jobs):
/// one answer each, `None` for a job that is not this printer's; final states never go back
/// and `received` after `delivered` or later changes nothing.
///
/// The jobs are read consistently, the acknowledgements applied in memory, and each job that
/// moves is written once, conditional on the status it was read in, in the same transaction
/// as the order event of a final state; a transaction refused because a job moved meanwhile
/// is read again and applied again, so a duplicate or concurrent acknowledgement never writes
/// a second event. One transaction takes the acknowledgements of up to 50 jobs.
pub(super) async fn ack_jobs(
    s: &DynamoStore,
    printer: &PrinterId,
    acks: Vec<(PrintJobId, JobAck)>,
    now: Timestamp,
) -> Result<Vec<Option<PrintJob>>> {
    let mut answers: Vec<Option<PrintJob>> = vec![None; acks.len()];
    let mut distinct: Vec<PrintJobId> = vec![];
    let mut positions: HashMap<PrintJobId, Vec<usize>> = HashMap::new();
    for (i, (id, _)) in acks.iter().enumerate() {
        positions
            .entry(id.clone())
            .or_insert_with(|| {
                distinct.push(id.clone());
                vec![]
            })
            .push(i);
    }
    for chunk in distinct.chunks(ACK_CHUNK) {
        ack_chunk(s, printer, &acks, &positions, chunk, now, &mut answers).await?;
    }
    Ok(answers)
}

async fn ack_chunk(
    s: &DynamoStore,
    printer: &PrinterId,
    acks: &[(PrintJobId, JobAck)],
    positions: &HashMap<PrintJobId, Vec<usize>>,
    chunk: &[PrintJobId],
    now: Timestamp,
    answers: &mut [Option<PrintJob>],
) -> Result<()> {
    for _ in 0..RETRIES {
        let mut current = jobs_by_id(s, chunk).await?;
        current.retain(|_, j| &j.printer_id == printer);
        let mut moved: Vec<(PrintJob, JobStatus)> = vec![];
        for id in chunk {
            let at = positions.get(id).map(Vec::as_slice).unwrap_or_default();
            let Some(job) = current.get_mut(id) else {
                for &i in at {
                    if let Some(a) = answers.get_mut(i) {
                        *a = None;
                    }
                }
                continue;
            };
            let from = job.status;
            for &i in at {
                let Some((_, ack)) = acks.get(i) else {
                    continue;
                };
                let (next, error) = wanted(ack);
                let moves = match (job.status, next) {
                    (from, _) if from.is_final() => false,
                    (JobStatus::Delivered, JobStatus::Delivered) => false,
                    _ => true,
                };
                if moves {
                    job.status = next;
                    job.error = error;
                    job.updated_at = now;
                }
                if let Some(a) = answers.get_mut(i) {
                    *a = Some(job.clone());
                }
            }
            if job.status != from {
                moved.push((job.clone(), from));
            }
        }
        if moved.is_empty() {
            return Ok(());
        }
        let finals: Vec<OrderId> = moved
            .iter()
            .filter(|(j, _)| j.status.is_final())
            .map(|(j, _)| j.order_id.clone())
            .collect();
        let statuses = statuses(s, finals).await?;
        let mut actions = Vec::with_capacity(2 * moved.len());
        for (job, from) in &moved {
            if job.status.is_final() {
                // SQL's join leaves out the jobs of a vanished order; so does this.
                let Some(status) = statuses.get(&job.order_id) else {
                    for &i in positions
                        .get(&job.id)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                    {
                        if let Some(a) = answers.get_mut(i) {
                            *a = None;
                        }
                    }
                    continue;
                };
                actions.push(move_job(s, job, *from)?);
                let event = OrderEvent {
                    at: now,
                    kind: format!("print_{}", job.status.as_str()),
                    actor: Actor {
                        kind: "printer".into(),
                        id: Some(printer.to_string()),
                        name: Some(job.printer_name.clone()),
                    },
                    status: *status,
                    detail: job.error.clone(),
                };
                actions.push(super::orders::event_put(s, &job.order_id, &event)?);
            } else {
                actions.push(move_job(s, job, *from)?);
            }
        }
        if actions.is_empty() {
            return Ok(());
        }
        match s.transact(actions).await? {
            Ok(()) => return Ok(()),
            Err(reasons) if only_races(&reasons) => continue,
            Err(reasons) => return Err(cancelled(&reasons)),
        }
    }
    Err(busy())
}

pub(super) async fn reprint(
    s: &DynamoStore,
    shop: &ShopId,
    order_id: &OrderId,
    only: Option<PrinterId>,
    now: Timestamp,
) -> Result<Vec<PrintJob>> {
    let order = crate::Store::order(s, shop, order_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut printers: Vec<Printer> = printers(s, shop)
        .await?
        .into_iter()
        .filter(|p| p.revoked_at.is_none())
        .collect();
    if let Some(only) = &only {
        printers.retain(|p| &p.id == only);
        if printers.is_empty() {
            return Err(StoreError::NotFound);
        }
    }
    let (mut jobs, mut actions) = (vec![], vec![]);
    for printer in &printers {
        queue(
            s,
            &order,
            printer,
            (true, JobIds::Fresh),
            now,
            (&mut jobs, &mut actions),
        )?;
    }
    // Fresh ids: a chunk refused for a taken id (one in 2^80) is an error, never an overwrite.
    let mut rest = actions;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(super::MAX_ACTIONS));
        match s.transact(rest).await? {
            Ok(()) => {}
            Err(reasons) => return Err(cancelled(&reasons)),
        }
        rest = tail;
    }
    Ok(jobs)
}

pub(super) async fn expire_jobs(
    s: &DynamoStore,
    created_before: Timestamp,
    now: Timestamp,
) -> Result<Vec<PrintJob>> {
    let listed = s
        .query_all(
            s.client
                .query()
                .table_name(&s.queue)
                .index_name("g3")
                .key_condition_expression("g3pk = :pk AND g3sk < :cut")
                .expression_attribute_values(":pk", s_attr(OPEN))
                .expression_attribute_values(":cut", s_attr(sort_ts(created_before)))
                .projection_expression("#id")
                .expression_attribute_names("#id", "id")
                .limit(i32::try_from(EXPIRE_MAX).unwrap_or(i32::MAX)),
            Some(EXPIRE_MAX),
        )
        .await?;
    let mut ids = Vec::with_capacity(listed.len());
    for it in &listed {
        ids.push(PrintJobId::from_stored(it.get_s("id")?.to_owned()));
    }
    let mut current = jobs_by_id(s, &ids).await?;
    let candidates: Vec<PrintJob> = ids
        .iter()
        .filter_map(|id| current.remove(id))
        .filter(|j| !j.status.is_final() && j.created_at < created_before)
        .collect();
    let statuses = statuses(s, candidates.iter().map(|j| j.order_id.clone()).collect()).await?;
    let mut expired = vec![];
    for mut job in candidates {
        let from = job.status;
        job.status = JobStatus::Expired;
        job.error = Some(NOT_IN_TIME.into());
        job.updated_at = now;
        let mut actions = vec![move_job(s, &job, from)?];
        if let Some(status) = statuses.get(&job.order_id) {
            let event = OrderEvent {
                at: now,
                kind: "print_expired".into(),
                actor: Actor::system(),
                status: *status,
                detail: Some(job.printer_name.clone()),
            };
            actions.push(super::orders::event_put(s, &job.order_id, &event)?);
        }
        match s.transact(actions).await? {
            Ok(()) => expired.push(job),
            // Acknowledged meanwhile: no longer open, not expired.
            Err(reasons) if only_races(&reasons) => {}
            Err(reasons) => return Err(cancelled(&reasons)),
        }
    }
    Ok(expired)
}

pub(super) async fn print_jobs_of(s: &DynamoStore, orders: Vec<OrderId>) -> Result<Vec<PrintJob>> {
    let mut seen = HashSet::new();
    let mut jobs = vec![];
    for order in &orders {
        if !seen.insert(order) {
            continue;
        }
        let found = s
            .query_all(
                s.client
                    .query()
                    .table_name(&s.queue)
                    .index_name("g1")
                    .key_condition_expression("g1pk = :pk AND begins_with(g1sk, :job)")
                    .expression_attribute_values(":pk", s_attr(format!("ORDER#{}", order.as_str())))
                    .expression_attribute_values(":job", s_attr("JOB#")),
                None,
            )
            .await?;
        for it in &found {
            jobs.push(job_from(it)?);
        }
    }
    with_names(s, &mut jobs).await?;
    // Each order's jobs came in (created, copy, id) order; SQL orders them all so.
    jobs.sort_by(|a, b| (a.created_at, a.copy, &a.id).cmp(&(b.created_at, b.copy, &b.id)));
    Ok(jobs)
}

// ---- gauges ------------------------------------------------------------------------------

/// What the metrics endpoint samples (queries/gauges.rs), each through a sparse index: the
/// outbox's waiting notifications (the queue table's g2 [`OUTBOX_DUE`]), the open print jobs
/// (g3 `OPEN`) and the active printers out of paper (the main table's g3 `PAPER_OUT`).
pub(super) async fn gauges(s: &DynamoStore, now: Timestamp) -> Result<Gauges> {
    let due = s
        .query_all(
            s.client
                .query()
                .table_name(&s.queue)
                .index_name("g2")
                .key_condition_expression("g2pk = :due")
                .expression_attribute_values(":due", s_attr(OUTBOX_DUE))
                .projection_expression("run_at"),
            None,
        )
        .await?;
    // The index orders rows by their next try (a lease's end may be later than `run_at`), so
    // the oldest `run_at` is looked for among them all, as SQL's MIN(run_at).
    let mut oldest: Option<i64> = None;
    for it in &due {
        let run_at = it.get_n("run_at")?;
        oldest = Some(oldest.map_or(run_at, |o| o.min(run_at)));
    }
    let oldest_due_ms = match oldest {
        Some(due) if due <= now.as_millisecond() => now.as_millisecond() - due,
        _ => 0,
    };
    let open = s
        .query_all(
            s.client
                .query()
                .table_name(&s.queue)
                .index_name("g3")
                .key_condition_expression("g3pk = :open")
                .expression_attribute_values(":open", s_attr(OPEN))
                .projection_expression("#st")
                .expression_attribute_names("#st", "status"),
            None,
        )
        .await?;
    let mut by_status: Vec<(String, i64)> = vec![];
    for it in &open {
        let status = it.get_s("status")?;
        match by_status.iter_mut().find(|(st, _)| st == status) {
            Some((_, count)) => *count += 1,
            None => by_status.push((status.to_owned(), 1)),
        }
    }
    by_status.sort();
    // SQL counts `paper = 'paper_out'`, a column that holds the paper width of the hello
    // (58mm/80mm); this counts what Gauges documents: the last reported state.
    let paper_out = s
        .query_all(
            s.client
                .query()
                .table_name(&s.main)
                .index_name("g3")
                .key_condition_expression("g3pk = :g3")
                .filter_expression("attribute_not_exists(revoked_at)")
                .expression_attribute_values(":g3", s_attr(PAPER_OUT))
                .projection_expression("pk"),
            None,
        )
        .await?;
    Ok(Gauges {
        outbox_waiting: i64::try_from(due.len()).unwrap_or(i64::MAX),
        outbox_oldest_due_ms: oldest_due_ms,
        open_print_jobs: by_status,
        printers_paper_out: i64::try_from(paper_out.len()).unwrap_or(i64::MAX),
    })
}
