//! Several instances on one PostgreSQL database (docs/deploy.md): this instance's events go to
//! the others and theirs come here, over LISTEN/NOTIFY (`orderbell_store::pg_events`); and which
//! dashboards listen with their sound on here is reported to the database, so the readiness
//! watchdog, run by one instance, counts every instance's. SQLite has one instance and none
//! of this.

use std::time::Duration;

use anyhow::Context;
use orderbell_store::pg_events::{self, Incoming};
use tokio::sync::mpsc;

use crate::events::{EventKind, ShopEvent};
use crate::state::AppState;

/// How often this instance reports its dashboards.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(10);
/// Reports older than this are not counted (three missed reports: the instance is gone).
pub const PRESENCE_FRESH: Duration = Duration::from_secs(30);

/// Whether this server shares its database with other instances.
pub fn shared(state: &AppState) -> bool {
    state.store.backend() == "postgres"
}

/// Connects the relay and starts its tasks (PostgreSQL only). An error when the database cannot
/// be reached at start-up; later losses are reconnected by the relay itself.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    if !shared(state) {
        return Ok(());
    }
    let url = state.config.database_url.clone();
    let events = tokio::task::spawn_blocking(move || pg_events::start(&url))
        .await
        .context("starting the event relay")?
        .context("connecting the event relay")?;
    // New orders are announced by the store in their own transaction, so an instance killed
    // between its commit and its answer cannot leave the others unaware (docs/deploy.md).
    let announced = state.store.announce_new_orders(state.events.announcer());
    state.events.relay_to(events.publisher, announced);
    tokio::spawn(receive(state.clone(), events.incoming));
    tokio::spawn(report_presence(state.clone()));
    tracing::info!(
        instance = state.events.instance(),
        "relaying events to the other instances through PostgreSQL"
    );
    Ok(())
}

async fn receive(state: AppState, mut incoming: mpsc::UnboundedReceiver<Incoming>) {
    while let Some(message) = incoming.recv().await {
        match message {
            Incoming::Hint(payload) => state.events.deliver_relayed(&payload),
            Incoming::Resync => resync(&state).await,
        }
    }
}

/// Events may have been missed while the relay was away: every shop's pages re-read, its
/// printers re-check what they are owed, the dispatcher looks.
async fn resync(state: &AppState) {
    match state.store.all_shops().await {
        Ok(shops) => {
            let now = state.now();
            for shop in shops {
                state
                    .events
                    .publish_here(ShopEvent::of_shop(shop.id, EventKind::Resync, now));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not list shops to catch up; waking every printer");
            state.printers.wake_all();
        }
    }
}

/// Reports this instance's dashboards with sound every [`PRESENCE_EVERY`].
async fn report_presence(state: AppState) {
    let mut tick = tokio::time::interval(PRESENCE_EVERY);
    loop {
        tick.tick().await;
        let now = state.now();
        let stale = now
            .checked_sub(jiff::SignedDuration::from_secs(
                2 * PRESENCE_FRESH.as_secs() as i64,
            ))
            .unwrap_or(now);
        let counts = state
            .listeners
            .per_shop()
            .into_iter()
            .map(|(shop, n)| (shop, i64::try_from(n).unwrap_or(i64::MAX)))
            .collect();
        if let Err(e) = state
            .store
            .report_dashboards(state.events.instance(), counts, now, stale)
            .await
        {
            tracing::warn!(error = %e, "could not report this instance's dashboards");
        }
    }
}
