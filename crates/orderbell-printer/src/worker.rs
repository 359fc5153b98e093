//! The print worker: takes spooled jobs one at a time, oldest first, and does not move
//! on until the job is finished.
//!
//! For one job:
//! 1. render it (a document that cannot be rendered fails the job: `failed`);
//! 2. over TCP, ask the printer's status first: while it reports paper out, cover open
//!    or an error, nothing is sent — the job is held, a `status` frame goes out, and the
//!    status is polled;
//! 3. write every byte; an output error (connection refused, device missing, `lp`
//!    failing) reports `offline` and retries with backoff — the job is never dropped;
//! 4. record `sent` in the spool: from here on the ticket is never sent again, even after
//!    a restart (the printer may have buffered it);
//! 5. one-way outputs: `unconfirmed`. TCP: ask the status again; online with paper →
//!    `printed`; a fault → hold, report, poll until it clears, then `printed` — the
//!    printer prints what it buffered, the client does not resend. A printer that takes
//!    connections but never answers DLE EOT ends `unconfirmed` after a few tries.

use std::sync::Arc;
use std::time::Duration;

use orderbell_protocol::{AckStage, ClientFrame, PrinterState, StatusReport};
use tokio::sync::{Notify, mpsc, watch};

use crate::backoff::Backoff;
use crate::board::{Board, JobLine};
use crate::config::PrintSettings;
use crate::output::{Output, OutputError, OutputSpec, Written};
use crate::printer_state::PrinterReport;
use crate::spool::{SharedSpool, SpooledJob};
use crate::{test_page, ticket};

/// Status queries that get no answer (after the ticket was sent) before the job is
/// acknowledged `unconfirmed`.
pub const MAX_STATUS_FAILURES: u32 = 3;

/// While idle, check the printer this often (TCP: DLE EOT; USB: the device file), so the
/// server sees an offline printer before the next order.
pub const IDLE_CHECK: Duration = Duration::from_secs(30);

/// What the worker needs.
#[derive(Debug)]
pub struct Worker {
    /// The spool.
    pub spool: SharedSpool,
    /// Output and profile.
    pub settings: PrintSettings,
    /// The status board.
    pub board: Arc<Board>,
    /// Frames for the server (acks and status).
    pub outbox: mpsc::UnboundedSender<ClientFrame>,
    /// Woken when a job is spooled.
    pub wake: Arc<Notify>,
    /// Test page requests from the status page.
    pub test_pages: mpsc::Receiver<()>,
    /// Becomes true on shutdown.
    pub shutdown: watch::Receiver<bool>,
}

enum Flow {
    Next,
    Stop,
}

impl Worker {
    /// Print until shutdown. A job being written is finished first; unfinished jobs stay
    /// in the spool.
    pub async fn run(mut self) {
        let output = Output::new(&self.settings);
        self.idle_check(&output).await;
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            while self.test_pages.try_recv().is_ok() {
                self.print_test_page(&output).await;
            }
            let next = match self.spool.call(|spool| spool.next()).await {
                Ok(next) => next,
                Err(error) => {
                    tracing::error!(%error, "cannot read the spool");
                    None
                }
            };
            match next {
                Some(job) => {
                    if let Flow::Stop = self.process(&output, job).await {
                        break;
                    }
                }
                None => {
                    tokio::select! {
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep(IDLE_CHECK) => self.idle_check(&output).await,
                        request = self.test_pages.recv() => {
                            if request.is_some() {
                                self.print_test_page(&output).await;
                            }
                        }
                        _ = self.shutdown.changed() => {}
                    }
                }
            }
        }
        tracing::info!("print worker stopped; unfinished jobs stay in the spool");
    }

    async fn process(&mut self, output: &Output, mut job: SpooledJob) -> Flow {
        let job_id = job.job.job_id.clone();
        let bytes = match ticket::render(&job.job, &self.settings.profile, self.settings.drawer) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(job_id, %error, "ticket cannot be rendered");
                return self
                    .finish(
                        &job,
                        AckStage::Failed,
                        Some(format!("cannot render ticket: {error}")),
                    )
                    .await;
            }
        };
        let mut retry = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let mut status_failures = 0;
        loop {
            if *self.shutdown.borrow() {
                return Flow::Stop;
            }
            if !job.sent {
                if let Some(status) = output.query_status().await {
                    match status {
                        Ok(report) if report.state.can_print() => self.report(report),
                        Ok(report) => {
                            self.hold(&job, &report);
                            if self.pause(self.settings.status_poll).await {
                                return Flow::Stop;
                            }
                            continue;
                        }
                        Err(error) => {
                            if self.unreachable(&job, &error, &mut retry).await {
                                return Flow::Stop;
                            }
                            continue;
                        }
                    }
                }
                self.line(&job, "printing", None);
                match output.write(&bytes).await {
                    Err(error) => {
                        if self.unreachable(&job, &error, &mut retry).await {
                            return Flow::Stop;
                        }
                        continue;
                    }
                    Ok(written) => {
                        job.sent = true;
                        let seq = job.seq;
                        match self.spool.call(move |spool| spool.mark_sent(seq)).await {
                            Ok(Ok(())) => {}
                            Ok(Err(error)) | Err(error) => {
                                tracing::error!(job_id, %error, "cannot record that the ticket was sent");
                            }
                        }
                        tracing::info!(job_id, bytes = bytes.len(), output = %output.spec(), "ticket sent");
                        match written {
                            Written::OneWay => {
                                self.report(PrinterReport::new(
                                    PrinterState::Online,
                                    "the output took every byte",
                                ));
                                let reason = format!(
                                    "{} is one-way: it cannot confirm that the ticket printed",
                                    output.spec()
                                );
                                return self
                                    .finish(&job, AckStage::Unconfirmed, Some(reason))
                                    .await;
                            }
                            Written::Status(report) if report.state.can_print() => {
                                self.report(report);
                                return self.finish(&job, AckStage::Printed, None).await;
                            }
                            Written::Status(report) => {
                                self.hold(&job, &report);
                                if self.pause(self.settings.status_poll).await {
                                    return Flow::Stop;
                                }
                            }
                            Written::StatusFailed(detail) => {
                                status_failures += 1;
                                tracing::warn!(job_id, detail, "no status after sending");
                                if self.pause(self.settings.status_poll).await {
                                    return Flow::Stop;
                                }
                            }
                        }
                        continue;
                    }
                }
            }
            // Sent: confirm, never resend.
            match output.query_status().await {
                None => {
                    let reason =
                        "sent before the client restarted; a one-way output cannot confirm it";
                    return self
                        .finish(&job, AckStage::Unconfirmed, Some(reason.to_owned()))
                        .await;
                }
                Some(Ok(report)) if report.state.can_print() => {
                    self.report(report);
                    return self.finish(&job, AckStage::Printed, None).await;
                }
                Some(Ok(report)) => {
                    self.hold(&job, &report);
                    if self.pause(self.settings.status_poll).await {
                        return Flow::Stop;
                    }
                }
                Some(Err(error @ OutputError::NoStatus { .. })) => {
                    status_failures += 1;
                    if status_failures >= MAX_STATUS_FAILURES {
                        let reason = format!("the ticket was sent, but {error}");
                        return self.finish(&job, AckStage::Unconfirmed, Some(reason)).await;
                    }
                    if self.pause(self.settings.status_poll).await {
                        return Flow::Stop;
                    }
                }
                Some(Err(error)) => {
                    if self.unreachable(&job, &error, &mut retry).await {
                        return Flow::Stop;
                    }
                }
            }
        }
    }

    /// Record the final stage durably, then acknowledge it. Retries the record until it
    /// is written: moving on without it could print the job again.
    async fn finish(&mut self, job: &SpooledJob, stage: AckStage, reason: Option<String>) -> Flow {
        let mut retry = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        loop {
            let seq = job.seq;
            let why = reason.clone();
            match self
                .spool
                .call(move |spool| spool.complete(seq, stage, why))
                .await
            {
                Ok(Ok(_)) => break,
                Ok(Err(error)) | Err(error) => {
                    tracing::error!(job_id = job.job.job_id, %error, "cannot record the finished job; retrying");
                    if self.pause(retry.next_wait()).await {
                        return Flow::Stop;
                    }
                }
            }
        }
        match stage {
            AckStage::Printed => tracing::info!(
                job_id = job.job.job_id,
                order = job.job.order_number,
                "printed"
            ),
            _ => tracing::warn!(
                job_id = job.job.job_id,
                stage = stage.as_str(),
                reason = reason.as_deref().unwrap_or(""),
                "job finished"
            ),
        }
        self.line(job, stage.as_str(), reason.clone());
        let _ = self.outbox.send(ClientFrame::Ack(orderbell_protocol::Ack {
            job_id: job.job.job_id.clone(),
            stage,
            reason,
        }));
        Flow::Next
    }

    /// The printer cannot be reached: report offline, wait with backoff. True on shutdown.
    async fn unreachable(
        &mut self,
        job: &SpooledJob,
        error: &OutputError,
        retry: &mut Backoff,
    ) -> bool {
        let wait = retry.next_wait();
        tracing::warn!(job_id = job.job.job_id, %error, retry_in_ms = wait.as_millis(), "printer unreachable; the job waits");
        self.report(PrinterReport::new(PrinterState::Offline, error.to_string()));
        self.line(job, "waiting for printer", Some(error.to_string()));
        self.pause(wait).await
    }

    fn hold(&self, job: &SpooledJob, report: &PrinterReport) {
        self.report(report.clone());
        self.line(job, "held", Some(report.detail.clone()));
    }

    /// Update the board and tell the server when the printer's state changed.
    fn report(&self, report: PrinterReport) {
        let status = StatusReport {
            state: report.state,
            detail: Some(report.detail),
        };
        if self.board.set_printer(status.clone()) {
            if status.state.can_print() {
                tracing::info!(state = status.state.as_str(), "printer status");
            } else {
                tracing::warn!(
                    state = status.state.as_str(),
                    detail = status.detail.as_deref().unwrap_or(""),
                    "printer status"
                );
            }
            let _ = self.outbox.send(ClientFrame::Status(status));
        }
    }

    fn line(&self, job: &SpooledJob, stage: &str, detail: Option<String>) {
        self.board.job(JobLine {
            job_id: job.job.job_id.clone(),
            order_number: job.job.order_number,
            copy: (job.job.copy, job.job.copies),
            stage: stage.to_owned(),
            detail,
        });
    }

    /// Sleep, or return true at once on shutdown.
    async fn pause(&mut self, wait: Duration) -> bool {
        if *self.shutdown.borrow() {
            return true;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => false,
            _ = self.shutdown.changed() => true,
        }
    }

    /// Report the printer's state while there is nothing to print.
    async fn idle_check(&self, output: &Output) {
        let report = match output.query_status().await {
            Some(Ok(report)) => report,
            Some(Err(error)) => PrinterReport::new(PrinterState::Offline, error.to_string()),
            None => match output.spec() {
                OutputSpec::Usb(path) if !path.exists() => PrinterReport::new(
                    PrinterState::Offline,
                    format!("{} is missing: printer unplugged or off", path.display()),
                ),
                _ => PrinterReport::new(
                    PrinterState::Online,
                    "one-way output: the printer cannot report its state",
                ),
            },
        };
        self.report(report);
    }

    async fn print_test_page(&self, output: &Output) {
        let profile = &self.settings.profile;
        match test_page::bytes(profile.paper, profile.cutter) {
            Ok(bytes) => match output.write(&bytes).await {
                Ok(_) => tracing::info!(output = %output.spec(), "test page sent"),
                Err(error) => tracing::warn!(%error, "test page not printed"),
            },
            Err(error) => tracing::error!(%error, "test page cannot be rendered"),
        }
    }
}
