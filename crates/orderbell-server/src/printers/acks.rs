//! A printer session's acknowledgements on their way into the store, and the jobs it has sent
//! that are not final yet.
//!
//! Acknowledgements are recorded off the connection's loop, so the printer's next frames are
//! read meanwhile. The ones that arrive while a write is under way go together into the next
//! (`PrintingStore::ack_jobs`): like the store's group commit, a fast printer costs a write per
//! batch instead of one per frame, and a slow one a write per frame. A late `received` after
//! `printed` changes nothing, so the order in which batches land does not matter.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use orderbell_core::{OrderId, PrintJobId, PrinterId, ShopId};
use orderbell_protocol::{ErrorCode, ServerFrame};
use orderbell_store::printing::{JobAck, PrintJob};
use tokio::sync::mpsc;

use crate::events::{EventKind, ShopEvent};
use crate::state::AppState;

/// Acknowledgements recorded in one write at most.
const MOST_PER_WRITE: usize = 512;

/// The session's end: acknowledgements in, jobs sent and not final yet.
pub(super) struct Acks {
    queue: mpsc::UnboundedSender<(PrintJobId, JobAck)>,
    unfinished: Arc<Mutex<HashSet<PrintJobId>>>,
}

impl Acks {
    /// Starts recording for `printer`; `notices` takes the error frames for jobs that are not
    /// this printer's. What is queued is still recorded after the session ends.
    pub(super) fn start(
        state: AppState,
        printer: PrinterId,
        notices: mpsc::UnboundedSender<ServerFrame>,
    ) -> Acks {
        let (queue, rx) = mpsc::unbounded_channel();
        let unfinished = Arc::new(Mutex::new(HashSet::new()));
        tokio::spawn(record(state, printer, rx, notices, unfinished.clone()));
        Acks { queue, unfinished }
    }

    pub(super) fn push(&self, job: PrintJobId, ack: JobAck) {
        let _ = self.queue.send((job, ack));
    }

    /// These jobs went out on the connection.
    pub(super) fn sent(&self, jobs: &[PrintJobId]) {
        let mut unfinished = self
            .unfinished
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        unfinished.extend(jobs.iter().cloned());
    }

    /// How many sent jobs are not final yet (as far as this session has recorded): the store
    /// still lists them as owed, ahead of newer jobs.
    pub(super) fn unfinished(&self) -> usize {
        self.unfinished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Forgets sent jobs that are no longer owed (final by other means: expired, acknowledged
    /// before a reconnect); `owed` must be the complete list.
    pub(super) fn keep_owed(&self, owed: &[PrintJob]) {
        let owed: HashSet<&PrintJobId> = owed.iter().map(|j| &j.id).collect();
        self.unfinished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|id| owed.contains(id));
    }
}

async fn record(
    state: AppState,
    printer: PrinterId,
    mut rx: mpsc::UnboundedReceiver<(PrintJobId, JobAck)>,
    notices: mpsc::UnboundedSender<ServerFrame>,
    unfinished: Arc<Mutex<HashSet<PrintJobId>>>,
) {
    while let Some(first) = rx.recv().await {
        let mut acks = vec![first];
        while acks.len() < MOST_PER_WRITE {
            match rx.try_recv() {
                Ok(ack) => acks.push(ack),
                Err(_) => break,
            }
        }
        let ids: Vec<PrintJobId> = acks.iter().map(|(id, _)| id.clone()).collect();
        let answers = match state.store.ack_jobs(&printer, acks, state.now()).await {
            Ok(answers) => answers,
            Err(e) => {
                tracing::warn!(error = %e, acks = ids.len(), "could not record print acknowledgements");
                continue;
            }
        };
        let mut moved: HashSet<(ShopId, OrderId)> = HashSet::new();
        for (id, answer) in ids.iter().zip(answers) {
            let Some(job) = answer else {
                let _ = notices.send(super::session::error_frame(
                    ErrorCode::Other("unknown_job".into()),
                    "no such job for this printer",
                ));
                continue;
            };
            if job.status.is_final() {
                unfinished
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(id);
            }
            moved.insert((job.shop_id, job.order_id));
        }
        // The shop's dashboards hear once per order of the batch.
        for (shop, order) in moved {
            state.events.publish(ShopEvent::of_print_jobs(
                shop,
                EventKind::PrintJobs,
                order,
                state.now(),
            ));
        }
    }
}
