//! Keyed rate limits: "may this key go now, and if not, when?" (sending to providers, guest
//! orders and logins per client).
//!
//! Each limit is a token bucket kept in GCRA form (one "theoretical arrival time" per key), so
//! a key costs one `Instant`. Nothing blocks or sleeps: callers pass `now` (the injected
//! clock) and get `Ok(())` (sent, token taken) or `Err(ready_at)`. Keys whose bucket is full
//! again can be pruned.
//!
//! Hand-written rather than `governor`: Telegram needs two limits at once (≤ 30 messages/s
//! per bot and ≤ 1/s per chat), and a message must take a token from both or from neither.
//! `governor` can only check-and-consume one limiter at a time (no peek), so a send refused
//! by the chat limit would still have spent a bot token.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// `burst` sends at once, then one every `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub burst: u32,
    pub period: Duration,
}

impl Quota {
    /// `n` per second, bursting to `n` (at least 1).
    pub fn per_second(n: u32) -> Self {
        let n = n.max(1);
        Self {
            burst: n,
            period: Duration::from_secs(1) / n,
        }
    }

    /// One every `period`, no burst.
    pub fn every(period: Duration) -> Self {
        Self { burst: 1, period }
    }

    fn tolerance(&self) -> Duration {
        self.period * self.burst.max(1).saturating_sub(1)
    }
}

/// One bucket (GCRA state).
#[derive(Debug, Clone)]
pub struct Limiter {
    quota: Quota,
    tat: Option<Instant>,
}

impl Limiter {
    pub fn new(quota: Quota) -> Self {
        Self { quota, tat: None }
    }

    /// When the next send may go (≤ `now` means now). Does not take a token.
    pub fn ready_at(&self, now: Instant) -> Instant {
        match self.tat {
            Some(tat) => tat
                .checked_sub(self.quota.tolerance())
                .map_or(now, |t| t.max(now)),
            None => now,
        }
    }

    /// Takes a token unconditionally (after `ready_at` said yes), so several limits can be
    /// checked before any of them is charged.
    pub fn commit(&mut self, now: Instant) {
        let base = self.tat.map_or(now, |t| t.max(now));
        self.tat = Some(base + self.quota.period);
    }

    /// Takes a token if one is there, else says when there will be.
    pub fn try_acquire(&mut self, now: Instant) -> Result<(), Instant> {
        let at = self.ready_at(now);
        if at > now {
            return Err(at);
        }
        self.commit(now);
        Ok(())
    }

    fn is_full(&self, now: Instant) -> bool {
        self.tat.is_none_or(|t| t <= now)
    }
}

/// One bucket per key, all with the same quota.
#[derive(Debug, Clone)]
pub struct KeyedLimiter<K> {
    quota: Quota,
    buckets: HashMap<K, Limiter>,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            buckets: HashMap::new(),
        }
    }

    pub fn ready_at(&self, key: &K, now: Instant) -> Instant {
        self.buckets.get(key).map_or(now, |b| b.ready_at(now))
    }

    pub fn try_acquire(&mut self, key: &K, now: Instant) -> Result<(), Instant> {
        let at = self.ready_at(key, now);
        if at > now {
            return Err(at);
        }
        self.commit(key, now);
        Ok(())
    }

    /// Takes a token for `key` unconditionally (see [`Limiter::commit`]).
    pub fn commit(&mut self, key: &K, now: Instant) {
        let quota = self.quota;
        self.buckets
            .entry(key.clone())
            .or_insert_with(|| Limiter::new(quota))
            .commit(now);
    }

    /// Drops keys whose bucket is full again (they behave exactly like unseen keys).
    pub fn prune(&mut self, now: Instant) {
        self.buckets.retain(|_, b| !b.is_full(now));
    }

    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn burst_then_steady_rate() {
        let t0 = Instant::now();
        let mut l = Limiter::new(Quota::per_second(3));
        for _ in 0..3 {
            assert_eq!(l.try_acquire(t0), Ok(()));
        }
        let next = l.try_acquire(t0).unwrap_err();
        assert_eq!(next, t0 + Duration::from_secs(1) / 3);
        assert_eq!(l.try_acquire(next - MS), Err(next));
        assert_eq!(l.try_acquire(next), Ok(()));
        // after a long pause the burst is back, not more
        let later = t0 + Duration::from_secs(10);
        for _ in 0..3 {
            assert_eq!(l.try_acquire(later), Ok(()));
        }
        assert!(l.try_acquire(later).is_err());
    }

    #[test]
    fn keys_are_independent_and_prunable() {
        let t0 = Instant::now();
        let mut k = KeyedLimiter::new(Quota::every(Duration::from_secs(1)));
        assert_eq!(k.try_acquire(&"a", t0), Ok(()));
        assert_eq!(k.try_acquire(&"a", t0), Err(t0 + Duration::from_secs(1)));
        assert_eq!(k.try_acquire(&"b", t0), Ok(()));
        assert_eq!(k.len(), 2);
        k.prune(t0 + Duration::from_millis(500));
        assert_eq!(k.len(), 2);
        k.prune(t0 + Duration::from_secs(1));
        assert!(k.is_empty());
        assert_eq!(k.try_acquire(&"a", t0 + Duration::from_secs(1)), Ok(()));
    }
}
