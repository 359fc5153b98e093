//! Exponential backoff with full jitter: the n-th wait is uniform in
//! `[floor, min(cap, base · 2ⁿ)]`.

use std::time::Duration;

/// Backoff state.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    floor: Duration,
    attempt: u32,
}

impl Backoff {
    /// Reconnecting to the server: 1 s doubling, capped at 30 s.
    #[must_use]
    pub const fn reconnect() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(30))
    }

    /// A backoff from `base` doubling up to `cap`, never below 100 ms.
    #[must_use]
    pub const fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap,
            floor: Duration::from_millis(100),
            attempt: 0,
        }
    }

    /// The upper bound of the next wait.
    #[must_use]
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32 << self.attempt.min(16);
        self.base
            .saturating_mul(factor)
            .min(self.cap)
            .max(self.floor)
    }

    /// The next wait, with `random(max)` returning a value in `0..=max`.
    pub fn next_with(&mut self, random: impl FnOnce(u64) -> u64) -> Duration {
        let ceiling = u64::try_from(self.ceiling().as_millis()).unwrap_or(u64::MAX);
        self.attempt = self.attempt.saturating_add(1);
        let floor = u64::try_from(self.floor.as_millis()).unwrap_or(0);
        Duration::from_millis(random(ceiling).clamp(floor, ceiling))
    }

    /// The next wait, randomly jittered.
    pub fn next_wait(&mut self) -> Duration {
        self.next_with(|max| fastrand::u64(0..=max))
    }

    /// Start over (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_stays_within_it() {
        let mut backoff = Backoff::reconnect();
        let ceilings: Vec<u64> = (0..8)
            .map(|_| {
                let mut seen = 0;
                backoff.next_with(|max| {
                    seen = max;
                    max
                });
                seen
            })
            .collect();
        assert_eq!(
            ceilings,
            [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        for _ in 0..1000 {
            let wait = backoff.next_wait();
            assert!(wait <= Duration::from_secs(30) && wait >= Duration::from_millis(100));
        }
        assert_eq!(backoff.next_with(|_| 0), Duration::from_millis(100));
        backoff.reset();
        assert_eq!(backoff.ceiling(), Duration::from_secs(1));
    }
}
