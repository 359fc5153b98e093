//! The status board: what the client knows about itself, for the status page and for
//! the `status` frame sent after (re)connecting.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use orderbell_protocol::{PrinterState, StatusReport};

/// Jobs listed on the status page.
pub const RECENT_JOBS: usize = 20;

/// The server connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Connecting (or waiting to retry).
    Connecting,
    /// Welcomed by the server.
    Connected {
        /// Printer name at the server.
        printer_name: String,
        /// Shop name.
        shop: String,
    },
    /// The server refused the token (HTTP 401).
    Unauthorized,
    /// Not connected, with the last error.
    Disconnected(String),
}

/// A job as the status page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLine {
    /// Job id.
    pub job_id: String,
    /// Order number.
    pub order_number: i64,
    /// Copy / copies.
    pub copy: (u32, u32),
    /// Stage: received, printing, held, printed, failed, unconfirmed, duplicate.
    pub stage: String,
    /// Detail (reason, fault).
    pub detail: Option<String>,
}

/// Everything on the board.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Server connection.
    pub connection: Connection,
    /// Printer state.
    pub printer: StatusReport,
    /// Newest first.
    pub jobs: VecDeque<JobLine>,
    /// Output description (e.g. `tcp://192.168.0.50:9100`).
    pub output: String,
    /// Server URL (the device socket).
    pub server: String,
    /// Text mode and paper.
    pub profile: String,
}

/// The shared board.
#[derive(Debug)]
pub struct Board {
    inner: Mutex<Snapshot>,
}

impl Board {
    /// A board for this client.
    #[must_use]
    pub fn new(server: String, output: String, profile: String) -> Self {
        Board {
            inner: Mutex::new(Snapshot {
                connection: Connection::Connecting,
                printer: StatusReport {
                    state: PrinterState::Offline,
                    detail: Some("not checked yet".to_owned()),
                },
                jobs: VecDeque::new(),
                output,
                server,
                profile,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Snapshot> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the board.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        self.lock().clone()
    }

    /// Set the connection state.
    pub fn set_connection(&self, connection: Connection) {
        self.lock().connection = connection;
    }

    /// Set the printer state; true if it changed.
    pub fn set_printer(&self, report: StatusReport) -> bool {
        let mut board = self.lock();
        let changed = board.printer != report;
        board.printer = report;
        changed
    }

    /// The printer state.
    #[must_use]
    pub fn printer(&self) -> StatusReport {
        self.lock().printer.clone()
    }

    /// Record a job's stage (updating its line, or adding one on top).
    pub fn job(&self, line: JobLine) {
        let mut board = self.lock();
        if let Some(existing) = board.jobs.iter_mut().find(|j| j.job_id == line.job_id) {
            *existing = line;
            return;
        }
        board.jobs.push_front(line);
        board.jobs.truncate(RECENT_JOBS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_twenty_jobs_newest_first() {
        let board = Board::new("ws://x".into(), "stdout".into(), "image 80mm".into());
        for i in 0..25 {
            board.job(JobLine {
                job_id: format!("j{i}"),
                order_number: i,
                copy: (1, 1),
                stage: "received".into(),
                detail: None,
            });
        }
        board.job(JobLine {
            job_id: "j24".into(),
            order_number: 24,
            copy: (1, 1),
            stage: "printed".into(),
            detail: None,
        });
        let jobs = board.snapshot().jobs;
        assert_eq!(jobs.len(), RECENT_JOBS);
        assert_eq!(jobs[0].job_id, "j24");
        assert_eq!(jobs[0].stage, "printed");
        assert_eq!(jobs[RECENT_JOBS - 1].job_id, "j5");
    }
}
