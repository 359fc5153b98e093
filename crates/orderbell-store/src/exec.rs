//! Where queries run: connections owned by dedicated threads, so neither backend blocks the
//! async runtime.
//!
//! - [`Writer`]: one thread, one connection. It takes every write job that is waiting, runs
//!   them in one transaction (each inside its own savepoint, so one failing job does not undo
//!   the others) and commits once: *group commit*. With `synchronous=FULL` every commit is an
//!   fsync, so batching is what lets a small machine take thousands of durable orders per second.
//!   Each caller is answered only after the commit that holds its job.
//! - [`Readers`]: a few threads with one connection each, sharing a queue of read jobs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};
use std::thread;

use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::db::Db;
use crate::pg_events::{self, Announcer};
use crate::queries::orders;
use crate::records::{CreatedOrder, NewOrder};

/// Most jobs committed together.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type RunJob = Box<dyn FnOnce(&mut dyn Db, bool) -> (bool, Completion) + Send>;
type OrderReply = oneshot::Sender<Result<CreatedOrder, StoreError>>;

/// A job for the writer. New orders get a path of their own: the orders waiting together are
/// stored with a few multi-row statements instead of a few statements each.
enum WriteJob {
    Run(RunJob),
    Order(Box<NewOrder>, OrderReply),
}
type ReadJob = Box<dyn FnOnce(&mut dyn Db) + Send>;

/// Statements that open a transaction on a backend.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Opens a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub begin_write: &'static str,
    /// Opens a read transaction with one snapshot for every query in it.
    pub begin_read: &'static str,
}

/// The single writing connection, with group commit.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<WriteJob>,
    /// Set on PostgreSQL when other instances listen: new orders are announced in their
    /// transaction ([`pg_events::notify_in_transaction`]).
    announcer: Arc<OnceLock<Announcer>>,
}

impl Writer {
    /// Starts the writer thread on `db`.
    pub fn spawn(
        name: &str,
        mut db: Box<dyn Db + Send>,
        dialect: Dialect,
    ) -> std::io::Result<Writer> {
        let (tx, mut rx) = mpsc::channel::<WriteJob>(4 * MAX_BATCH);
        let announcer = Arc::new(OnceLock::<Announcer>::new());
        let announce = announcer.clone();
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(job) => jobs.push(job),
                            Err(_) => break,
                        }
                    }
                    run_batch(db.as_mut(), dialect, jobs, announce.get());
                }
            })?;
        Ok(Writer {
            jobs: tx,
            announcer,
        })
    }

    /// From now on every new order is announced with the hint `announcer` makes for it, in
    /// the order's own transaction. Set once; later calls change nothing.
    pub fn announce_new_orders(&self, announcer: Announcer) {
        let _ = self.announcer.set(announcer);
    }

    /// Runs `f` in a write transaction; answers after it is committed.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: RunJob = Box::new(move |db: &mut dyn Db, savepoint: bool| {
            let result = run_job(db, savepoint, f);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |commit: Result<(), String>| {
                let outcome = match commit {
                    Ok(()) => result,
                    Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
                };
                let _ = reply.send(outcome);
            });
            (ok, completion)
        });
        self.submit(WriteJob::Run(job)).await?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    /// Queues a job; not generic, so compiled once (see `Readers::submit`).
    async fn submit(&self, job: WriteJob) -> Result<(), StoreError> {
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))
    }

    /// Stores a new order; answers after it is committed.
    pub async fn create_order(&self, order: NewOrder) -> Result<CreatedOrder, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.submit(WriteJob::Order(Box::new(order), reply)).await?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }
}

/// The hints announcing the new orders of one transaction, sent right before its commit.
struct Announcements<'a> {
    announcer: Option<&'a Announcer>,
    hints: Vec<String>,
}

impl Announcements<'_> {
    /// Keeps the announcement of `result` when it is a new order.
    fn note(&mut self, result: &Result<CreatedOrder, StoreError>) {
        if let (Some(announce), Ok(CreatedOrder::New(order, _))) = (self.announcer, result) {
            self.hints.extend(announce(order));
        }
    }
}

/// Answers `reply` with `result` once the transaction is over; announces it if it is new.
fn order_completion(
    reply: OrderReply,
    result: Result<CreatedOrder, StoreError>,
    announcements: &mut Announcements<'_>,
) -> Completion {
    announcements.note(&result);
    Box::new(move |commit: Result<(), String>| {
        let outcome = match commit {
            Ok(()) => result,
            Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
        };
        let _ = reply.send(outcome);
    })
}

/// Stores the orders waiting together; falls back to one by one if the batch as a whole fails.
/// The new ones are announced before the commit when an announcer is set.
fn run_orders(
    db: &mut dyn Db,
    orders: Vec<(NewOrder, OrderReply)>,
    savepoint: bool,
    announcer: Option<&Announcer>,
    completions: &mut Vec<Completion>,
) -> bool {
    if orders.is_empty() {
        return true;
    }
    let mut announcements = Announcements {
        announcer,
        hints: Vec::new(),
    };
    let all_ok = store_orders(db, orders, savepoint, &mut announcements, completions);
    if all_ok && !announcements.hints.is_empty() {
        pg_events::notify_in_transaction(db, &announcements.hints);
    }
    all_ok
}

fn store_orders(
    db: &mut dyn Db,
    orders: Vec<(NewOrder, OrderReply)>,
    savepoint: bool,
    announcements: &mut Announcements<'_>,
    completions: &mut Vec<Completion>,
) -> bool {
    if !savepoint {
        // The only job of its transaction.
        let mut all_ok = true;
        for (order, reply) in orders {
            let result = run_job(db, false, |db| orders::create_order(db, &order));
            all_ok &= result.is_ok();
            completions.push(order_completion(reply, result, announcements));
        }
        return all_ok;
    }
    let (batch, replies): (Vec<NewOrder>, Vec<OrderReply>) = orders.into_iter().unzip();
    let together = db.batch("SAVEPOINT orders").and_then(|()| {
        catch_unwind(AssertUnwindSafe(|| orders::create_orders(&mut *db, &batch))).unwrap_or_else(
            |_| {
                Err(StoreError::Backend(
                    "storing a batch of orders panicked".into(),
                ))
            },
        )
    });
    match together {
        Ok(results) if db.batch("RELEASE orders").is_ok() => {
            for (reply, result) in replies.into_iter().zip(results) {
                completions.push(order_completion(reply, result, announcements));
            }
        }
        other => {
            if let Err(e) = &other {
                tracing::warn!(error = %e, orders = batch.len(), "a batch of orders failed; storing them one by one");
            }
            let _ = db.batch("ROLLBACK TO orders; RELEASE orders");
            for (order, reply) in batch.iter().zip(replies) {
                let result = run_job(db, true, |db| orders::create_order(db, order));
                completions.push(order_completion(reply, result, announcements));
            }
        }
    }
    true
}

fn run_job<T>(
    db: &mut dyn Db,
    savepoint: bool,
    f: impl FnOnce(&mut dyn Db) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if savepoint {
        db.batch("SAVEPOINT job")?;
    }
    let result = catch_unwind(AssertUnwindSafe(|| f(&mut *db)))
        .unwrap_or_else(|_| Err(StoreError::Backend("a write job panicked".into())));
    if savepoint {
        match &result {
            Ok(_) => db.batch("RELEASE job")?,
            Err(_) => db.batch("ROLLBACK TO job; RELEASE job")?,
        }
    }
    result
}

fn run_batch(
    db: &mut dyn Db,
    dialect: Dialect,
    jobs: Vec<WriteJob>,
    announcer: Option<&Announcer>,
) {
    let started = std::time::Instant::now();
    let count = jobs.len();
    if let Err(e) = db.batch(dialect.begin_write) {
        let message = e.to_string();
        tracing::error!(error = %message, "could not begin a write transaction");
        for job in jobs {
            // Run nothing; answer each caller with the failure.
            match job {
                WriteJob::Run(job) => {
                    let (_, completion) = job(&mut FailingDb(message.clone()), false);
                    completion(Err(message.clone()));
                }
                WriteJob::Order(_, reply) => {
                    let _ = reply.send(Err(StoreError::Unavailable(message.clone())));
                }
            }
        }
        return;
    }
    // A lone job needs no savepoint: if it fails, the whole transaction is rolled back.
    let savepoints = jobs.len() > 1;
    let mut all_ok = true;
    let mut completions = Vec::with_capacity(jobs.len());
    let mut orders = Vec::new();
    for job in jobs {
        match job {
            WriteJob::Order(order, reply) => orders.push((*order, reply)),
            WriteJob::Run(job) => {
                let (ok, completion) = job(db, savepoints);
                all_ok &= ok;
                completions.push(completion);
            }
        }
    }
    // New orders go last, right before the commit. Every job of a batch was sent without
    // waiting for another's answer, so any order among them is one the callers could have
    // seen; this one keeps the shop's number counter (one row, locked from its update to the
    // commit) held for as short a time as possible, which is what instances sharing one
    // PostgreSQL wait on (docs/ARCHITECTURE.md, "Store, group commit").
    all_ok &= run_orders(db, orders, savepoints, announcer, &mut completions);
    let outcome = if !savepoints && !all_ok {
        db.batch("ROLLBACK").map_err(|e| e.to_string())
    } else {
        db.batch("COMMIT").map_err(|e| e.to_string())
    };
    if let Err(e) = &outcome {
        tracing::error!(error = %e, "commit failed; rolling back the batch");
        let _ = db.batch("ROLLBACK");
    }
    crate::commit_stats::record(count, started.elapsed());
    for completion in completions {
        completion(outcome.clone());
    }
}

/// Stands in for the connection when a batch could not even begin.
struct FailingDb(String);

impl Db for FailingDb {
    fn execute(&mut self, _: &str, _: &[crate::db::Value]) -> Result<u64, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
    fn query(
        &mut self,
        _: &str,
        _: &[crate::db::Value],
    ) -> Result<Vec<crate::db::Row>, StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
    fn batch(&mut self, _: &str) -> Result<(), StoreError> {
        Err(StoreError::Unavailable(self.0.clone()))
    }
}

/// Reading connections, each on its own thread.
#[derive(Clone)]
pub struct Readers {
    jobs: crossbeam_channel::Sender<ReadJob>,
    dialect: Dialect,
}

impl Readers {
    pub fn spawn(
        name: &str,
        connections: Vec<Box<dyn Db + Send>>,
        dialect: Dialect,
    ) -> std::io::Result<Readers> {
        let (tx, rx) = crossbeam_channel::bounded::<ReadJob>(4096);
        for (i, mut db) in connections.into_iter().enumerate() {
            let rx = rx.clone();
            thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job(db.as_mut());
                    }
                })?;
        }
        Ok(Readers { jobs: tx, dialect })
    }

    /// Runs `f` on a reading connection. With `snapshot`, every query in `f` sees one snapshot.
    pub async fn run<T, F>(&self, snapshot: bool, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Db) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let begin = self.dialect.begin_read;
        let job: ReadJob = Box::new(move |db: &mut dyn Db| {
            let result = catch_unwind(AssertUnwindSafe(|| {
                if !snapshot {
                    return f(&mut *db);
                }
                db.batch(begin)?;
                let result = f(&mut *db);
                let end = db.batch(if result.is_ok() { "COMMIT" } else { "ROLLBACK" });
                result.and_then(|v| end.map(|()| v))
            }))
            .unwrap_or_else(|_| Err(StoreError::Backend("a read job panicked".into())));
            let _ = reply.send(result);
        });
        self.submit(job).await?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("a reader has stopped".into()))?
    }

    /// Queues a read job. Not generic, so it is compiled once rather than once for every kind
    /// of read (`run` is instantiated for each of the store's reads).
    async fn submit(&self, job: ReadJob) -> Result<(), StoreError> {
        let sender = self.jobs.clone();
        // The queue is bounded; waiting for room must not block the async runtime.
        match sender.try_send(job) {
            Ok(()) => Ok(()),
            Err(crossbeam_channel::TrySendError::Full(job)) => {
                tokio::task::spawn_blocking(move || sender.send(job))
                    .await
                    .map_err(|_| StoreError::Unavailable("readers are busy".into()))?
                    .map_err(|_| StoreError::Unavailable("readers have stopped".into()))
            }
            Err(crossbeam_channel::TrySendError::Disconnected(_)) => {
                Err(StoreError::Unavailable("readers have stopped".into()))
            }
        }
    }
}
