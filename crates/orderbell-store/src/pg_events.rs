//! Events between instances on PostgreSQL: LISTEN/NOTIFY on channel [`CHANNEL`]
//! (docs/deploy.md). Payloads are small hints (ids); whoever receives one reads the store for the
//! truth, so a lost hint delays work and never loses it.
//!
//! Two connections of their own, each on a thread (the store's `postgres` clients are
//! synchronous): one sends what this instance publishes, many hints per round trip; one listens.
//! When the listening connection is lost (a restart, a failover, `pg_terminate_backend`) the
//! listener reconnects with backoff and then says [`Incoming::Resync`]: hints sent meanwhile
//! were missed, so everyone re-reads what they show or owe. A transaction-pooling PgBouncer
//! cannot carry LISTEN: the URL must reach PostgreSQL directly or through a session pool.

use std::str::FromStr;
use std::thread;
use std::time::{Duration, Instant};

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use tokio::sync::mpsc;

use crate::StoreError;
use crate::postgres::redact;

/// The NOTIFY channel.
pub const CHANNEL: &str = "orderbell_events";
/// `application_name` of the listening connection (find it in `pg_stat_activity`).
pub const LISTEN_APPLICATION_NAME: &str = "orderbell-listen";
/// `application_name` of the sending connection.
pub const NOTIFY_APPLICATION_NAME: &str = "orderbell-notify";
/// PostgreSQL refuses payloads of 8000 bytes or more.
pub const MAX_PAYLOAD: usize = 7999;

/// Hints sent per round trip at most.
const BATCH: usize = 256;
/// How long the listener waits for a notification before it looks at its connection.
const LOOK: Duration = Duration::from_secs(1);
/// How often an idle listening connection is asked a question, so a half-open TCP connection
/// is noticed.
const PROBE: Duration = Duration::from_secs(15);

/// Makes the hint announcing a new order (`None`: none for this one). The writer calls it for
/// every order it stores and sends the hints with [`notify_in_transaction`] inside the order's
/// transaction, so the other instances hear of an order exactly when it is committed: an
/// instance that dies between its commit and its answer cannot leave them unaware.
pub type Announcer =
    std::sync::Arc<dyn Fn(&orderbell_core::order::Order) -> Option<String> + Send + Sync>;

/// Sends `payloads` on [`CHANNEL`] from inside the open transaction: PostgreSQL delivers them
/// when, and only if, it commits. Inside a savepoint of its own, so a refusal loses the hints
/// (logged) and never the orders. Payloads over [`MAX_PAYLOAD`] are left out. Identical
/// payloads in one transaction reach a listener once, which is what lets the statement be
/// padded to one of a few shapes.
pub(crate) fn notify_in_transaction(db: &mut dyn crate::db::Db, payloads: &[String]) {
    let fitting: Vec<&String> = payloads.iter().filter(|p| p.len() <= MAX_PAYLOAD).collect();
    if fitting.len() < payloads.len() {
        tracing::warn!(
            dropped = payloads.len() - fitting.len(),
            "an order's event hint is too long for NOTIFY; dropped"
        );
    }
    if fitting.is_empty() {
        return;
    }
    let sent = db.batch("SAVEPOINT hints").and_then(|()| {
        for chunk in crate::queries::padded_chunks(&fitting) {
            let rows = (1..=chunk.len())
                .map(|i| format!("(${i}::text)"))
                .collect::<Vec<_>>()
                .join(", ");
            let values: Vec<crate::db::Value> = chunk
                .iter()
                .map(|p| crate::db::Value::from(p.as_str()))
                .collect();
            db.execute(
                &format!("SELECT pg_notify('{CHANNEL}', p) FROM (VALUES {rows}) AS v(p)"),
                &values,
            )?;
        }
        db.batch("RELEASE hints")
    });
    if let Err(e) = sent {
        tracing::warn!(error = %e, hints = fitting.len(), "could not announce new orders to the other instances");
        let _ = db.batch("ROLLBACK TO hints; RELEASE hints");
    }
}

/// What the listener hands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A payload published by an instance (this one included).
    Hint(String),
    /// The listening connection was lost and is back: hints may have been missed.
    Resync,
}

/// Publishes payloads through the sending connection (never blocks; payloads longer than
/// [`MAX_PAYLOAD`] are dropped with a warning). The thread stops when every clone is dropped.
#[derive(Clone)]
pub struct Publisher(crossbeam_channel::Sender<String>);

impl Publisher {
    pub fn publish(&self, payload: String) {
        let _ = self.0.send(payload);
    }
}

/// This instance's ends of the two connections. Dropping them stops both threads.
pub struct PgEvents {
    pub publisher: Publisher,
    /// What other instances (and this one) published.
    pub incoming: mpsc::UnboundedReceiver<Incoming>,
}

fn connect(url: &str, application_name: &str) -> Result<Client, StoreError> {
    let mut config =
        postgres::Config::from_str(url).map_err(|e| StoreError::Unavailable(redact(url, &e)))?;
    config
        .application_name(application_name)
        .connect_timeout(Duration::from_secs(10))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30));
    config
        .connect(NoTls)
        .map_err(|e| StoreError::Unavailable(redact(url, &e)))
}

/// Connects both ends (an error when PostgreSQL cannot be reached now) and starts their threads.
pub fn start(url: &str) -> Result<PgEvents, StoreError> {
    let mut listener = connect(url, LISTEN_APPLICATION_NAME)?;
    listener
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| StoreError::Unavailable(redact(url, &e)))?;
    let sender = connect(url, NOTIFY_APPLICATION_NAME)?;
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<String>();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let spawn_error =
        |e: std::io::Error| StoreError::Unavailable(format!("cannot start a thread: {e}"));
    let u = url.to_owned();
    thread::Builder::new()
        .name("pg-listen".into())
        .spawn(move || listen(&u, listener, &in_tx))
        .map_err(spawn_error)?;
    let u = url.to_owned();
    thread::Builder::new()
        .name("pg-notify".into())
        .spawn(move || send(&u, sender, &out_rx))
        .map_err(spawn_error)?;
    Ok(PgEvents {
        publisher: Publisher(out_tx),
        incoming: in_rx,
    })
}

/// Waits before the `attempt`-th reconnection: 100 ms doubling to 5 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(5))
}

/// Reads notifications until the receiving side goes away; reconnects when the connection is lost.
fn listen(url: &str, mut client: Client, tx: &mpsc::UnboundedSender<Incoming>) {
    loop {
        match pump(&mut client, tx) {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(error = %redact(url, &e), "lost the PostgreSQL LISTEN connection; reconnecting")
            }
        }
        let mut attempt = 0;
        client = loop {
            if tx.is_closed() {
                return;
            }
            thread::sleep(backoff(attempt));
            attempt += 1;
            match connect(url, LISTEN_APPLICATION_NAME).and_then(|mut c| {
                c.batch_execute(&format!("LISTEN {CHANNEL}"))
                    .map_err(|e| StoreError::Unavailable(redact(url, &e)))?;
                Ok(c)
            }) {
                Ok(c) => break c,
                Err(e) => tracing::warn!(error = %e, attempt, "cannot listen to PostgreSQL yet"),
            }
        };
        tracing::info!("listening to PostgreSQL again; catching up");
        if tx.send(Incoming::Resync).is_err() {
            return;
        }
    }
}

/// Forwards notifications; `Ok` when nobody receives any more, `Err` when the connection broke.
fn pump(client: &mut Client, tx: &mpsc::UnboundedSender<Incoming>) -> Result<(), postgres::Error> {
    let mut probed = Instant::now();
    loop {
        let next = client.notifications().timeout_iter(LOOK).next()?;
        match next {
            Some(n) => {
                if tx.send(Incoming::Hint(n.payload().to_owned())).is_err() {
                    return Ok(());
                }
            }
            None => {
                if tx.is_closed() {
                    return Ok(());
                }
                // `None` also means the connection ended; a question tells which, and notices
                // a connection that died without a word.
                if client.is_closed() || probed.elapsed() >= PROBE {
                    probed = Instant::now();
                    client.simple_query("SELECT 1")?;
                }
            }
        }
    }
}

/// Publishes what this instance sends, many payloads per statement, until the sending side is
/// dropped. A batch that fails is tried once more on a new connection, then dropped (hints).
fn send(url: &str, mut client: Client, rx: &crossbeam_channel::Receiver<String>) {
    let text = format!("SELECT pg_notify('{CHANNEL}', p) FROM unnest($1::text[]) AS p");
    let mut prepared: Option<postgres::Statement> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        batch.retain(|p| {
            let fits = p.len() <= MAX_PAYLOAD;
            if !fits {
                tracing::warn!(
                    bytes = p.len(),
                    "an event hint is too long for NOTIFY; dropped"
                );
            }
            fits
        });
        // Prepared once per connection: a batch is then one round trip.
        let sent = match &prepared {
            Some(statement) => client.execute(statement, &[&batch]),
            None => client.prepare(&text).and_then(|statement| {
                let sent = client.execute(&statement, &[&batch]);
                prepared = Some(statement);
                sent
            }),
        };
        if let Err(e) = sent {
            tracing::warn!(error = %redact(url, &e), "could not publish event hints; reconnecting");
            prepared = None;
            match connect(url, NOTIFY_APPLICATION_NAME) {
                Ok(c) => {
                    client = c;
                    if let Err(e) = client.execute(&text, &[&batch]) {
                        tracing::warn!(error = %redact(url, &e), hints = batch.len(), "event hints dropped");
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, hints = batch.len(), "event hints dropped");
                }
            }
        }
    }
}
