//! The outbox dispatcher: claims due notifications with a lease, sends each after the claim has
//! committed, and records the outcomes in batches.
//!
//! - Wake-ups come from the event hub (new and changed orders) and from this module; polling
//!   every `poll_interval` is the fallback, so a lost wake-up only delays work.
//! - Each send runs in its own task (bounded by `concurrency`), so one slow provider or one
//!   rate-limited chat never holds up the others. A send the rate limit would hold longer than
//!   `max_inline_wait` goes back to the queue with `run_at` at the limit's next slot, without
//!   counting as an attempt.
//! - Timeouts, 5xx and 429 are retried with exponential backoff and jitter, never sooner than the
//!   provider's `Retry-After` / `retry_after`; permanent errors are not retried; a destination
//!   the provider says is gone is marked dead. After `max_attempts` or past `retry_window`, the
//!   row is `failed` with the last error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use orderbell_core::Timestamp;
use orderbell_notify::SendError;
use orderbell_store::notifications::{Channel, Finish, Notification, NotifyEvent, Outcome};
use tokio::sync::{Semaphore, mpsc};

use super::config::DispatchSettings;
use super::runtime::{Notifier, acquire};
use super::send;
use crate::events::EventKind;
use crate::security::random_bytes;
use crate::state::AppState;

fn plus(t: Timestamp, d: Duration) -> Timestamp {
    jiff::SignedDuration::try_from(d)
        .ok()
        .and_then(|d| t.checked_add(d).ok())
        .unwrap_or(t)
}

/// Starts the dispatcher, its completion writer and its wake-up listener.
pub fn spawn(state: &AppState, notifier: Arc<Notifier>) {
    let (done_tx, done_rx) = mpsc::unbounded_channel::<Finish>();
    tokio::spawn(record_outcomes(state.clone(), done_rx));
    tokio::spawn(listen(state.clone(), notifier.clone()));
    tokio::spawn(run(state.clone(), notifier, done_tx));
}

/// Rings the dispatcher on every order event (of this instance or relayed from another).
async fn listen(state: AppState, notifier: Arc<Notifier>) {
    let mut events = state.events.subscribe();
    loop {
        match events.recv().await {
            Ok(e) => {
                if matches!(
                    e.kind,
                    EventKind::OrderCreated
                        | EventKind::OrderUpdated
                        | EventKind::Notifications
                        | EventKind::Resync
                ) {
                    notifier.wake.notify_one();
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => notifier.wake.notify_one(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn run(state: AppState, notifier: Arc<Notifier>, done: mpsc::UnboundedSender<Finish>) {
    let settings = state.config.notifications.dispatch.clone();
    let permits = Arc::new(Semaphore::new(settings.concurrency));
    let instance = hex::encode(random_bytes::<6>());
    let mut claims: u64 = 0;
    let in_flight = InFlight::default();
    loop {
        // Claim only what can be sent now: wait for at least one free slot.
        let free = match permits.clone().acquire_owned().await {
            Ok(p) => {
                drop(p);
                permits.available_permits().min(settings.batch_size)
            }
            Err(_) => return,
        };
        claims += 1;
        let claim = format!("{instance}-{claims}");
        let now = state.now();
        let lease_until = plus(now, settings.lease);
        let rows = match state
            .store
            .claim_notifications(now, lease_until, &claim, i64::try_from(free).unwrap_or(1))
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim notifications; trying again shortly");
                tokio::time::sleep(settings.poll_interval).await;
                continue;
            }
        };
        if rows.is_empty() {
            tokio::select! {
                () = notifier.wake.notified() => {}
                () = tokio::time::sleep(settings.poll_interval) => {}
            }
            continue;
        }
        for row in rows {
            // A row this dispatcher is still sending, claimed again because the clock moved past
            // its lease (a jump, a very slow provider): no second send. The send in flight
            // records its outcome under the newest claim, which is the one the store holds.
            if in_flight.adopt(row.id, &claim) {
                continue;
            }
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (state, notifier, done, claim, settings, in_flight) = (
                state.clone(),
                notifier.clone(),
                done.clone(),
                claim.clone(),
                settings.clone(),
                in_flight.clone(),
            );
            tokio::spawn(async move {
                let outcome = deliver(&state, &notifier, &settings, &row).await;
                log_outcome(&row, &outcome);
                let claim = in_flight.finish(row.id).unwrap_or(claim);
                let _ = done.send(Finish {
                    id: row.id,
                    claim,
                    now: state.now(),
                    outcome,
                });
                drop(permit);
            });
        }
    }
}

/// The rows this dispatcher is sending now, each with the newest claim it holds on it.
#[derive(Clone, Default)]
struct InFlight(Arc<std::sync::Mutex<std::collections::HashMap<i64, String>>>);

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, String>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts tracking `id` under `claim`; true when it was already in flight (then only the
    /// claim is updated and the caller must not send it again).
    fn adopt(&self, id: i64, claim: &str) -> bool {
        let mut rows = self.lock();
        match rows.get_mut(&id) {
            Some(current) => {
                claim.clone_into(current);
                true
            }
            None => {
                rows.insert(id, claim.to_owned());
                false
            }
        }
    }

    /// Stops tracking `id`; the newest claim on it.
    fn finish(&self, id: i64) -> Option<String> {
        self.lock().remove(&id)
    }
}

/// How long this row must wait for its provider's rate limit (zero: it took a token now).
fn rate_limit(notifier: &Notifier, row: &Notification, now: Instant) -> Duration {
    let ready = match row.channel {
        Channel::Telegram => match (&notifier.telegram, row.destination.parse::<i64>()) {
            (Some(tg), Ok(chat)) => tg.acquire(chat, now),
            _ => Ok(()),
        },
        Channel::Whatsapp | Channel::Voice => match &notifier.twilio {
            Some(tw) => acquire(&tw.limit, now),
            None => Ok(()),
        },
        Channel::Webpush | Channel::Fcm => acquire(&notifier.push_limit, now),
        // Account mail is rare and limited where it is asked for.
        Channel::Email => Ok(()),
    };
    match ready {
        Ok(()) => Duration::ZERO,
        Err(at) => at
            .saturating_duration_since(now)
            .max(Duration::from_millis(1)),
    }
}

/// Sends one claimed row and decides what becomes of it.
async fn deliver(
    state: &AppState,
    notifier: &Notifier,
    settings: &DispatchSettings,
    row: &Notification,
) -> Outcome {
    let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
    if attempts > settings.max_attempts {
        return Outcome::Failed {
            code: row.error_code.clone(),
            error: row
                .last_error
                .clone()
                .unwrap_or_else(|| "gave up: too many attempts".into()),
            dead_link: false,
        };
    }
    if escalation_ended(state, row).await {
        return Outcome::Cancelled;
    }
    loop {
        let wait = rate_limit(notifier, row, Instant::now());
        if wait.is_zero() {
            break;
        }
        if wait > settings.max_inline_wait {
            return Outcome::Defer {
                run_at: plus(state.now(), wait),
            };
        }
        tokio::time::sleep(wait).await;
    }
    match send::send(state, notifier, row).await {
        Ok(accepted) => Outcome::Sent {
            provider_message_id: accepted.message_id,
            provider_status: accepted.provider_status,
        },
        Err(e) => after_failure(state.now(), settings, row, &e),
    }
}

/// One structured event per delivery outcome (docs/operations.md, "Logs"): the row, its order,
/// channel, event, attempt and the provider's error code. Never the destination, the message
/// or the provider's error text (which can quote a phone number): those stay in the row.
fn log_outcome(row: &Notification, outcome: &Outcome) {
    let order = row.order_id.as_ref().map(ToString::to_string);
    let (word, code) = match outcome {
        Outcome::Sent { .. } => ("sent", None),
        Outcome::Retry { code, .. } => ("retry", code.as_deref()),
        Outcome::Defer { .. } => ("deferred", None),
        Outcome::Cancelled => ("cancelled", None),
        Outcome::Failed {
            code,
            dead_link: true,
            ..
        } => ("dead_link", code.as_deref()),
        Outcome::Failed { code, .. } => ("failed", code.as_deref()),
    };
    macro_rules! event {
        ($level:ident) => {
            tracing::$level!(
                target: "orderbell::delivery",
                notification = row.id,
                order = order.as_deref(),
                channel = %row.channel,
                event = row.event.as_str(),
                attempt = row.attempts,
                outcome = word,
                code,
                "delivery"
            )
        };
    }
    match outcome {
        Outcome::Failed { .. } => event!(warn),
        _ => event!(info),
    }
    if let Some(m) = crate::metrics::get() {
        m.delivery(row.channel.as_str(), row.event.as_str(), word);
    }
}

/// A reminder or a call whose order's escalation has ended (someone answered it) after the
/// row was claimed: queued rows are cancelled with the answer, this catches the ones already in
/// flight. A failed read sends (a needless reminder beats a missing one).
async fn escalation_ended(state: &AppState, row: &Notification) -> bool {
    let (true, Some(order)) = (NotifyEvent::ESCALATION.contains(&row.event), &row.order_id) else {
        return false;
    };
    match state.store.order_alert(order).await {
        Ok(Some(alert)) => alert.status != orderbell_store::alerts::AlertStatus::Active,
        Ok(None) => false,
        Err(e) => {
            tracing::debug!(error = %e, "could not read the order's alert; sending");
            false
        }
    }
}

/// Exponential backoff with "equal jitter": half the step fixed, half random.
pub fn backoff(settings: &DispatchSettings, attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(20);
    let step = settings
        .retry_base
        .saturating_mul(1u32 << exp)
        .min(settings.retry_max);
    let half = step / 2;
    let random = u64::from_le_bytes(random_bytes::<8>());
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
    half + Duration::from_nanos(random % nanos)
}

/// What to do after a failed send.
pub fn after_failure(
    now: Timestamp,
    settings: &DispatchSettings,
    row: &Notification,
    e: &SendError,
) -> Outcome {
    let code = e.code().map(str::to_owned);
    let error = e.to_string();
    match e {
        SendError::DestinationDead { .. } => Outcome::Failed {
            code,
            error,
            dead_link: true,
        },
        SendError::Permanent { .. } => Outcome::Failed {
            code,
            error,
            dead_link: false,
        },
        SendError::Retryable { retry_after, .. } => {
            let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
            let delay = backoff(settings, attempts).max(retry_after.unwrap_or_default());
            let run_at = plus(now, delay);
            let deadline = plus(row.created_at, settings.retry_window);
            if attempts >= settings.max_attempts || run_at > deadline {
                Outcome::Failed {
                    code,
                    error: format!("gave up after {attempts} attempts: {error}"),
                    dead_link: false,
                }
            } else {
                Outcome::Retry {
                    run_at,
                    code,
                    error,
                }
            }
        }
    }
}

/// Writes outcomes in batches: everything that finished while the last batch was being
/// committed goes into the next one.
async fn record_outcomes(state: AppState, mut done: mpsc::UnboundedReceiver<Finish>) {
    while let Some(first) = done.recv().await {
        let mut batch = vec![first];
        while batch.len() < 2048 {
            match done.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        let mut tries = 0;
        loop {
            match state.store.finish_notifications(batch.clone()).await {
                Ok(_) => break,
                Err(e) if tries < 3 => {
                    tries += 1;
                    tracing::warn!(error = %e, "could not record notification outcomes; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
                Err(e) => {
                    // The rows stay leased; when the lease runs out they are sent again
                    // (at least once, never lost).
                    tracing::error!(error = %e, rows = batch.len(), "could not record notification outcomes");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_stops_at_the_cap() {
        let s = DispatchSettings {
            retry_base: Duration::from_secs(2),
            retry_max: Duration::from_secs(60),
            ..DispatchSettings::default()
        };
        for attempt in 1..=10 {
            let step = (Duration::from_secs(2) * (1 << (attempt - 1))).min(Duration::from_secs(60));
            let d = backoff(&s, attempt);
            assert!(d >= step / 2 && d <= step, "{attempt}: {d:?}");
        }
    }
}
