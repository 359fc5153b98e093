//! Group-commit figures for the metrics endpoint (docs/operations.md, "Metrics"): how many
//! jobs each commit carried and how long the transaction took, from `BEGIN` to `COMMIT`.
//! Process-wide atomics: a process has one writer per database and one database, and reading
//! them costs the writer nothing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the batch-size buckets (jobs per commit).
pub const SIZE_BOUNDS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
/// Upper bounds of the commit-latency buckets, in seconds.
pub const SECONDS_BOUNDS: [f64; 12] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A histogram as the metrics encoder wants it: per-bucket counts (the last bucket is +Inf).
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    pub sum: f64,
    pub count: u64,
    pub buckets: Vec<(f64, u64)>,
}

/// Room for the longest list of bounds, plus +Inf.
const BUCKETS: usize = SECONDS_BOUNDS.len() + 1;

/// `N` bounds (at most `BUCKETS - 1`) and their counts.
struct Atomic<const N: usize> {
    /// Bucket `N` counts what is above every bound.
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    /// Sizes in jobs, latencies in nanoseconds.
    sum: AtomicU64,
}

impl<const N: usize> Atomic<N> {
    const fn new() -> Self {
        Atomic {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
        }
    }

    fn observe(&self, bounds: &[f64; N], value: f64, raw: u64) {
        let i = bounds.iter().position(|b| value <= *b).unwrap_or(N);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(raw, Ordering::Relaxed);
    }

    fn read(&self, bounds: &[f64; N], scale: f64) -> Histogram {
        let mut buckets: Vec<(f64, u64)> = bounds
            .iter()
            .enumerate()
            .map(|(i, b)| (*b, self.buckets[i].load(Ordering::Relaxed)))
            .collect();
        buckets.push((f64::INFINITY, self.buckets[N].load(Ordering::Relaxed)));
        Histogram {
            #[allow(clippy::cast_precision_loss, reason = "a metric")]
            sum: self.sum.load(Ordering::Relaxed) as f64 * scale,
            count: self.count.load(Ordering::Relaxed),
            buckets,
        }
    }
}

static SIZES: Atomic<10> = Atomic::new();
static LATENCIES: Atomic<12> = Atomic::new();

/// Counts one commit of `jobs` jobs that took `took`.
pub fn record(jobs: usize, took: Duration) {
    #[allow(
        clippy::cast_precision_loss,
        reason = "a batch is at most a few hundred jobs"
    )]
    SIZES.observe(&SIZE_BOUNDS, jobs as f64, jobs as u64);
    let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
    LATENCIES.observe(&SECONDS_BOUNDS, took.as_secs_f64(), nanos);
}

/// Jobs per commit since the process started.
pub fn batch_sizes() -> Histogram {
    SIZES.read(&SIZE_BOUNDS, 1.0)
}

/// Seconds per commit since the process started.
pub fn latencies() -> Histogram {
    LATENCIES.read(&SECONDS_BOUNDS, 1e-9)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn commits_land_in_their_buckets() {
        let before = batch_sizes();
        record(3, Duration::from_millis(2));
        record(600, Duration::from_secs(3));
        let after = batch_sizes();
        assert_eq!(after.count - before.count, 2);
        let grew = |h: &Histogram, b: &Histogram, bound: f64| {
            let i = h.buckets.iter().position(|(x, _)| *x == bound).unwrap();
            h.buckets[i].1 - b.buckets[i].1
        };
        assert_eq!(grew(&after, &before, 4.0), 1);
        assert_eq!(grew(&after, &before, f64::INFINITY), 1);
        let seconds = latencies();
        assert!(seconds.sum >= 3.002 - 1e-9);
        assert_eq!(seconds.buckets.len(), SECONDS_BOUNDS.len() + 1);
    }
}
