//! The spool: jobs received but not finished, and the record of finished job ids.
//!
//! Layout of the spool directory:
//! - `jobs/<seq>.json` — one file per job not yet finished, `seq` increasing in the order
//!   jobs arrived (the server sends them oldest first), so jobs print strictly in that
//!   order. Written to a temporary file, fsynced, renamed, and the directory fsynced,
//!   before `received` is acknowledged. `sent: true` is recorded (the same way) once every
//!   byte went to the printer, so a restart never sends a ticket twice.
//! - `done.log` — one JSON line per finished job (`id`, `stage`, `reason`, `at`), appended
//!   and fsynced before the job file is removed. A job id found here is never printed
//!   again: a repeated delivery is answered from this record. Ids are kept at least 24 h
//!   (twice the server's 12 h expiry, after which it stops resending) and then while they
//!   are among the newest 10,000 and younger than 7 days; the log is compacted when it
//!   has twice that many lines.
//!
//! One client per spool directory.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use orderbell_protocol::{AckStage, Job};
use serde::{Deserialize, Serialize};

/// Keep finished ids at least this long (seconds).
pub const KEEP_AT_LEAST_SECS: u64 = 24 * 3600;
/// Forget finished ids after this long (seconds)…
pub const KEEP_AT_MOST_SECS: u64 = 7 * 24 * 3600;
/// …or when older than the newest this many (but never before [`KEEP_AT_LEAST_SECS`]).
pub const KEEP_NEWEST: usize = 10_000;

const DONE_LOG: &str = "done.log";
const JOBS: &str = "jobs";

/// Seconds since the Unix epoch; injected so tests can move time.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
#[must_use]
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()
    })
}

/// A spool operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// File system error.
    #[error("spool {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A job could not be serialized.
    #[error("spool: cannot encode job: {0}")]
    Encode(#[from] serde_json::Error),
    /// No such spooled job.
    #[error("spool: no job with sequence number {0}")]
    NoSuchJob(u64),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_owned(),
        source,
    }
}

/// How a job finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneRecord {
    /// Job id.
    pub id: String,
    /// Final stage: printed, failed or unconfirmed.
    pub stage: AckStage,
    /// Reason, for failed / unconfirmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When (Unix seconds).
    pub at: u64,
}

/// What [`Spool::accept`] did with a delivered job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// New: spooled, will print.
    New,
    /// Already spooled and not finished: nothing new.
    AlreadySpooled,
    /// Already finished: answer with this record, do not print.
    Done(DoneRecord),
}

/// A job waiting in the spool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpooledJob {
    /// Arrival order.
    pub seq: u64,
    /// When it arrived (Unix seconds).
    pub received_at: u64,
    /// Every byte already went to the printer: never send it again.
    pub sent: bool,
    /// The job.
    pub job: Job,
}

/// The spool (see the module documentation).
pub struct Spool {
    dir: PathBuf,
    pending: BTreeMap<u64, SpooledJob>,
    by_id: HashMap<String, u64>,
    done: HashMap<String, DoneRecord>,
    /// Finished records in the order they were written (oldest first).
    done_order: Vec<DoneRecord>,
    done_log: File,
    next_seq: u64,
    clock: Clock,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.dir)
            .field("pending", &self.pending.len())
            .field("done", &self.done.len())
            .finish_non_exhaustive()
    }
}

impl Spool {
    /// Open (or create) a spool directory with the system clock.
    ///
    /// # Errors
    /// The directory cannot be created or read.
    pub fn open(dir: &Path) -> Result<Self, SpoolError> {
        Self::open_with_clock(dir, system_clock())
    }

    /// Open (or create) a spool directory.
    ///
    /// # Errors
    /// The directory cannot be created or read.
    pub fn open_with_clock(dir: &Path, clock: Clock) -> Result<Self, SpoolError> {
        let jobs_dir = dir.join(JOBS);
        fs::create_dir_all(&jobs_dir).map_err(io(&jobs_dir))?;
        let done_path = dir.join(DONE_LOG);
        let done_order = read_done_log(&done_path)?;
        let mut done = HashMap::new();
        for record in &done_order {
            done.insert(record.id.clone(), record.clone());
        }
        let done_log = open_append(&done_path)?;
        let mut spool = Spool {
            dir: dir.to_owned(),
            pending: BTreeMap::new(),
            by_id: HashMap::new(),
            done,
            done_order,
            done_log,
            next_seq: 1,
            clock,
        };
        spool.load_jobs()?;
        spool.compact()?;
        Ok(spool)
    }

    fn load_jobs(&mut self) -> Result<(), SpoolError> {
        let jobs_dir = self.dir.join(JOBS);
        let entries = fs::read_dir(&jobs_dir).map_err(io(&jobs_dir))?;
        for entry in entries {
            let entry = entry.map_err(io(&jobs_dir))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(".tmp-") {
                // A write that never got renamed: never acknowledged, the server resends it.
                let _ = fs::remove_file(&path);
                continue;
            }
            if !name.ends_with(".json") {
                continue;
            }
            let text = fs::read_to_string(&path).map_err(io(&path))?;
            match serde_json::from_str::<SpooledJob>(&text) {
                Ok(job) if self.done.contains_key(&job.job.job_id) => {
                    // Finished, but the process stopped before removing the file.
                    remove_durably(&path)?;
                }
                Ok(job) => {
                    self.next_seq = self.next_seq.max(job.seq + 1);
                    self.by_id.insert(job.job.job_id.clone(), job.seq);
                    self.pending.insert(job.seq, job);
                }
                Err(error) => {
                    let aside = path.with_extension("corrupt");
                    tracing::warn!(path = %path.display(), %error, "unreadable spooled job moved aside; the server will resend it");
                    fs::rename(&path, &aside).map_err(io(&path))?;
                }
            }
        }
        Ok(())
    }

    /// The spool directory.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Take a delivered job: spool it durably if it is new.
    ///
    /// # Errors
    /// The job could not be written (then it must not be acknowledged).
    pub fn accept(&mut self, job: &Job) -> Result<Accepted, SpoolError> {
        if let Some(record) = self.done.get(&job.job_id) {
            return Ok(Accepted::Done(record.clone()));
        }
        if self.by_id.contains_key(&job.job_id) {
            return Ok(Accepted::AlreadySpooled);
        }
        let spooled = SpooledJob {
            seq: self.next_seq,
            received_at: (self.clock)(),
            sent: false,
            job: job.clone(),
        };
        self.write_job(&spooled)?;
        self.next_seq += 1;
        self.by_id.insert(job.job_id.clone(), spooled.seq);
        self.pending.insert(spooled.seq, spooled);
        Ok(Accepted::New)
    }

    /// The oldest unfinished job.
    #[must_use]
    pub fn next(&self) -> Option<SpooledJob> {
        self.pending.values().next().cloned()
    }

    /// Number of unfinished jobs.
    #[must_use]
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// How a job finished, if it did.
    #[must_use]
    pub fn done(&self, job_id: &str) -> Option<&DoneRecord> {
        self.done.get(job_id)
    }

    /// Record that every byte of job `seq` went to the printer.
    ///
    /// # Errors
    /// No such job, or the file could not be rewritten.
    pub fn mark_sent(&mut self, seq: u64) -> Result<(), SpoolError> {
        let mut job = self
            .pending
            .get(&seq)
            .cloned()
            .ok_or(SpoolError::NoSuchJob(seq))?;
        job.sent = true;
        self.write_job(&job)?;
        self.pending.insert(seq, job);
        Ok(())
    }

    /// Finish job `seq`: record its final stage, then remove it from the queue.
    ///
    /// # Errors
    /// No such job, or the record could not be written.
    pub fn complete(
        &mut self,
        seq: u64,
        stage: AckStage,
        reason: Option<String>,
    ) -> Result<DoneRecord, SpoolError> {
        let job = self.pending.get(&seq).ok_or(SpoolError::NoSuchJob(seq))?;
        let record = DoneRecord {
            id: job.job.job_id.clone(),
            stage,
            reason,
            at: (self.clock)(),
        };
        let mut line = serde_json::to_string(&record)?;
        line.push('\n');
        let done_path = self.dir.join(DONE_LOG);
        self.done_log
            .write_all(line.as_bytes())
            .map_err(io(&done_path))?;
        self.done_log.sync_data().map_err(io(&done_path))?;
        self.done.insert(record.id.clone(), record.clone());
        self.done_order.push(record.clone());
        remove_durably(&self.job_path(seq))?;
        self.pending.remove(&seq);
        self.by_id.remove(&record.id);
        if self.done_order.len() > 2 * KEEP_NEWEST {
            self.compact()?;
        }
        Ok(record)
    }

    fn job_path(&self, seq: u64) -> PathBuf {
        self.dir.join(JOBS).join(format!("{seq:020}.json"))
    }

    fn write_job(&self, job: &SpooledJob) -> Result<(), SpoolError> {
        let bytes = serde_json::to_vec(job)?;
        let jobs_dir = self.dir.join(JOBS);
        let tmp = jobs_dir.join(format!(".tmp-{}", job.seq));
        write_durably(&tmp, &self.job_path(job.seq), &bytes)
    }

    /// Drop finished ids past their retention and rewrite `done.log` without them.
    fn compact(&mut self) -> Result<(), SpoolError> {
        let keep = retained(&self.done_order, (self.clock)());
        if keep.len() == self.done_order.len() {
            return Ok(());
        }
        let mut text = String::new();
        for record in &keep {
            text.push_str(&serde_json::to_string(record)?);
            text.push('\n');
        }
        let done_path = self.dir.join(DONE_LOG);
        write_durably(&self.dir.join(".tmp-done.log"), &done_path, text.as_bytes())?;
        self.done_log = open_append(&done_path)?;
        self.done = keep
            .iter()
            .map(|record| (record.id.clone(), record.clone()))
            .collect();
        self.done_order = keep;
        Ok(())
    }
}

/// The spool shared between the connection and the worker; file work runs on the
/// blocking pool.
#[derive(Debug, Clone)]
pub struct SharedSpool(Arc<std::sync::Mutex<Spool>>);

impl SharedSpool {
    /// Share a spool.
    #[must_use]
    pub fn new(spool: Spool) -> Self {
        SharedSpool(Arc::new(std::sync::Mutex::new(spool)))
    }

    /// Run `work` on the spool, off the async threads.
    ///
    /// # Errors
    /// The blocking task panicked or was cancelled.
    pub async fn call<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Spool) -> R + Send + 'static,
    ) -> Result<R, SpoolError> {
        let spool = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let mut guard = spool
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            work(&mut guard)
        })
        .await
        .map_err(|join| SpoolError::Io {
            path: PathBuf::from("(spool task)"),
            source: std::io::Error::other(join.to_string()),
        })
    }
}

/// The records to keep at time `now` (oldest first in, oldest first out).
fn retained(records: &[DoneRecord], now: u64) -> Vec<DoneRecord> {
    let total = records.len();
    records
        .iter()
        .enumerate()
        .filter(|(index, record)| {
            let age = now.saturating_sub(record.at);
            let rank_from_newest = total - 1 - index;
            age < KEEP_AT_LEAST_SECS || (age < KEEP_AT_MOST_SECS && rank_from_newest < KEEP_NEWEST)
        })
        .map(|(_, record)| record.clone())
        .collect()
}

fn open_append(path: &Path) -> Result<File, SpoolError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io(path))
}

fn read_done_log(path: &Path) -> Result<Vec<DoneRecord>, SpoolError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(path)(e)),
    };
    let mut records = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(io(path))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<DoneRecord>(&line) {
            Ok(record) => records.push(record),
            // A torn last line (power loss mid-append): that job's file is still in jobs/,
            // so it is printed again at worst once more — never lost.
            Err(error) => tracing::warn!(%error, "skipping an unreadable line of done.log"),
        }
    }
    Ok(records)
}

/// Write `bytes` to `tmp`, fsync, rename to `path`, fsync the directory.
fn write_durably(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), SpoolError> {
    {
        let mut file = File::create(tmp).map_err(io(tmp))?;
        file.write_all(bytes).map_err(io(tmp))?;
        file.sync_all().map_err(io(tmp))?;
    }
    fs::rename(tmp, path).map_err(io(path))?;
    sync_parent(path)
}

fn remove_durably(path: &Path) -> Result<(), SpoolError> {
    match fs::remove_file(path) {
        Ok(()) => sync_parent(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(path)(e)),
    }
}

fn sync_parent(path: &Path) -> Result<(), SpoolError> {
    if let Some(parent) = path.parent() {
        File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(io(parent))?;
    }
    Ok(())
}

/// Test helpers shared by this crate's unit tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use orderbell_protocol::{Amount, Job, Receipt};

    /// A minimal job with this id.
    pub(crate) fn job(id: &str) -> Job {
        Job {
            job_id: id.to_owned(),
            order_number: 1,
            created_at: "2026-11-28T05:00:00Z".into(),
            copy: 1,
            copies: 1,
            reprint: false,
            kick_drawer: false,
            document: Receipt {
                shop_name: "Cafe".into(),
                header: None,
                footer: None,
                order_number: id.to_owned(),
                fulfillment: "Pickup".into(),
                eta: None,
                items: vec![],
                note: None,
                subtotal: None,
                charges: vec![],
                total: Amount::Minor(0),
                currency: "KRW".into(),
                customer: None,
                ordered_at: "14:00".into(),
                tracking_url: None,
                locale: None,
                labels: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::tests_support::job;
    use super::*;

    #[test]
    fn jobs_come_out_in_arrival_order_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path()).unwrap();
        for id in ["c", "a", "b"] {
            assert_eq!(spool.accept(&job(id)).unwrap(), Accepted::New);
        }
        assert_eq!(spool.accept(&job("a")).unwrap(), Accepted::AlreadySpooled);
        let first = spool.next().unwrap();
        assert_eq!(first.job.job_id, "c");
        spool.complete(first.seq, AckStage::Printed, None).unwrap();
        drop(spool);

        let mut spool = Spool::open(dir.path()).unwrap();
        assert_eq!(spool.pending_len(), 2);
        let order: Vec<String> = std::iter::from_fn(|| {
            let next = spool.next()?;
            spool.complete(next.seq, AckStage::Printed, None).unwrap();
            Some(next.job.job_id)
        })
        .collect();
        assert_eq!(order, ["a", "b"]);
        // A job arriving after the restart goes after everything before it.
        assert_eq!(spool.accept(&job("d")).unwrap(), Accepted::New);
        assert_eq!(spool.next().unwrap().job.job_id, "d");
    }

    #[test]
    fn a_printed_job_is_never_printed_again_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path()).unwrap();
        spool.accept(&job("pj_1")).unwrap();
        let next = spool.next().unwrap();
        spool.mark_sent(next.seq).unwrap();
        spool
            .complete(
                next.seq,
                AckStage::Unconfirmed,
                Some("one-way output".into()),
            )
            .unwrap();
        drop(spool);

        let mut spool = Spool::open(dir.path()).unwrap();
        assert_eq!(spool.next(), None);
        match spool.accept(&job("pj_1")).unwrap() {
            Accepted::Done(record) => {
                assert_eq!(record.stage, AckStage::Unconfirmed);
                assert_eq!(record.reason.as_deref(), Some("one-way output"));
            }
            other => panic!("expected Done, got {other:?}"),
        }
        assert_eq!(spool.next(), None, "nothing to print");
    }

    #[test]
    fn sent_flag_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path()).unwrap();
        spool.accept(&job("x")).unwrap();
        let seq = spool.next().unwrap().seq;
        spool.mark_sent(seq).unwrap();
        drop(spool);
        let spool = Spool::open(dir.path()).unwrap();
        assert!(spool.next().unwrap().sent);
    }

    #[test]
    fn a_crash_between_record_and_removal_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path()).unwrap();
        spool.accept(&job("x")).unwrap();
        let seq = spool.next().unwrap().seq;
        let saved = fs::read(spool.job_path(seq)).unwrap();
        spool.complete(seq, AckStage::Printed, None).unwrap();
        // As if the process died right after appending to done.log.
        fs::write(dir.path().join(JOBS).join(format!("{seq:020}.json")), saved).unwrap();
        fs::write(dir.path().join(JOBS).join(".tmp-99"), b"half").unwrap();
        // And a torn line at the end of the log.
        let mut log = open_append(&dir.path().join(DONE_LOG)).unwrap();
        log.write_all(b"{\"id\":\"y\",\"sta").unwrap();
        drop(spool);

        let spool = Spool::open(dir.path()).unwrap();
        assert_eq!(spool.next(), None);
        assert_eq!(spool.done("x").unwrap().stage, AckStage::Printed);
        assert_eq!(fs::read_dir(dir.path().join(JOBS)).unwrap().count(), 0);
    }

    #[test]
    fn finished_ids_are_kept_a_day_then_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let now = Arc::new(AtomicU64::new(1_000_000_000));
        let clock: Clock = {
            let now = Arc::clone(&now);
            Arc::new(move || now.load(Ordering::SeqCst))
        };
        let mut spool = Spool::open_with_clock(dir.path(), Arc::clone(&clock)).unwrap();
        for id in ["old", "recent"] {
            spool.accept(&job(id)).unwrap();
            let seq = spool.next().unwrap().seq;
            spool.complete(seq, AckStage::Printed, None).unwrap();
            now.fetch_add(6 * 24 * 3600, Ordering::SeqCst);
        }
        // "old" is 12 days old, "recent" 6 days: the 7-day limit drops only "old".
        drop(spool);
        let mut spool = Spool::open_with_clock(dir.path(), Arc::clone(&clock)).unwrap();
        assert!(spool.done("old").is_none());
        assert!(spool.done("recent").is_some());
        assert!(matches!(
            spool.accept(&job("recent")).unwrap(),
            Accepted::Done(_)
        ));
        let log = fs::read_to_string(dir.path().join(DONE_LOG)).unwrap();
        assert_eq!(log.lines().count(), 1, "{log}");
    }

    #[test]
    fn only_the_newest_ids_are_kept_after_a_day() {
        let day = 24 * 3600;
        let now = 100 * day;
        let record = |i: usize, at: u64| DoneRecord {
            id: format!("j{i}"),
            stage: AckStage::Printed,
            reason: None,
            at,
        };
        // 10,005 records two days old, then 3 from the last hour.
        let mut records: Vec<DoneRecord> = (0..KEEP_NEWEST + 5)
            .map(|i| record(i, now - 2 * day))
            .collect();
        records.extend((0..3).map(|i| record(KEEP_NEWEST + 5 + i, now - 3600)));
        let kept = retained(&records, now);
        assert_eq!(kept.len(), KEEP_NEWEST);
        assert_eq!(kept[0].id, "j8");
        assert_eq!(kept.last().unwrap().id, format!("j{}", KEEP_NEWEST + 7));
        // Younger than a day: kept even beyond the newest 10,000.
        let fresh: Vec<DoneRecord> = (0..KEEP_NEWEST + 5).map(|i| record(i, now - 60)).collect();
        assert_eq!(retained(&fresh, now).len(), KEEP_NEWEST + 5);
    }
}
