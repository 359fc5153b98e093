//! Background work that one instance at a time should do (print-job expiry, clean-ups, the
//! readiness watchdog) runs under a lease in the database: the instance holding it renews it
//! each round, and another takes it over once it has lapsed for [`TTL`] (its holder died), or at
//! once when the holder gives it back on shutdown. On SQLite there is one instance, which
//! always holds it.

use std::time::Duration;

use crate::state::AppState;

/// How long a lease lasts without renewal.
pub const TTL: Duration = Duration::from_secs(30);

/// Print-job expiry (`printers`).
pub const EXPIRE_JOBS: &str = "expire_jobs";
/// Expired sessions, keys and buckets (`app`).
pub const UPKEEP: &str = "upkeep";
/// The readiness watchdog (`escalation`).
pub const WATCHDOG: &str = "watchdog";

/// Every lease an instance may hold (given back on shutdown).
pub const ALL: [&str; 3] = [EXPIRE_JOBS, UPKEEP, WATCHDOG];

/// Whether this instance holds (took or renewed) `name` now. A database that does not answer
/// means no: the work waits for the next round.
pub async fn hold(state: &AppState, name: &str) -> bool {
    let ttl = i64::try_from(TTL.as_millis()).unwrap_or(30_000);
    match state
        .store
        .take_lease(name, state.events.instance(), ttl, state.now())
        .await
    {
        Ok(held) => held,
        Err(e) => {
            tracing::warn!(error = %e, lease = name, "could not take a lease; skipping this round");
            false
        }
    }
}

/// Gives back every lease this instance holds.
pub async fn release_all(state: &AppState) {
    for name in ALL {
        if let Err(e) = state
            .store
            .release_lease(name, state.events.instance())
            .await
        {
            tracing::warn!(error = %e, lease = name, "could not give a lease back");
        }
    }
}
