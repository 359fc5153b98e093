//! Shops by slug and API keys by token hash, as read a moment ago.
//!
//! Every API request looks its key and its shop up; reading them each time (a hop to a reader
//! thread, a query, the shop's JSON columns parsed) was most of what an order read besides its
//! own write. An entry is used for at most [`TTL`]: several instances may share one database,
//! and a key revoked on one must stop working on all of them within a second. A change made
//! through this process's store drops the entries at once.
//!
//! Only found rows are kept: an unknown slug or key is read every time, so a shop or key just
//! created anywhere works at once, and guessing keys fills nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long an entry is used before it is read again.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries kept per table; more distinct shops or keys than this within a second only cost
/// reads, never memory.
const MAX_ENTRIES: usize = 1024;

/// One table of the cache.
pub(crate) struct Lookups<T> {
    inner: Mutex<Table<T>>,
}

struct Table<T> {
    entries: HashMap<String, (Instant, Arc<T>)>,
    /// Moves on with every change: a read that started before a change must not store what it
    /// read (it may be the old row).
    generation: u64,
}

/// A miss: read the row, then [`Lookups::put`] it with this.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Miss(u64);

impl<T: Clone> Lookups<T> {
    pub(crate) fn new() -> Lookups<T> {
        Lookups {
            inner: Mutex::new(Table {
                entries: HashMap::new(),
                generation: 0,
            }),
        }
    }

    fn table(&self) -> MutexGuard<'_, Table<T>> {
        // An entry is written whole under the lock, so a panic elsewhere leaves nothing torn.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value read less than [`TTL`] ago, or a [`Miss`] to store a fresh read with.
    pub(crate) fn get(&self, key: &str) -> Result<T, Miss> {
        let found = {
            let table = self.table();
            match table.entries.get(key) {
                Some((at, value)) if at.elapsed() < TTL => Ok(Arc::clone(value)),
                _ => Err(Miss(table.generation)),
            }
        };
        // Cloned outside the lock: other requests wait only for the map.
        found.map(|value| T::clone(&value))
    }

    /// Stores what a read after `miss` found, unless something changed since.
    pub(crate) fn put(&self, key: &str, miss: Miss, value: &T) {
        let mut table = self.table();
        if table.generation != miss.0 {
            return;
        }
        if table.entries.len() >= MAX_ENTRIES && !table.entries.contains_key(key) {
            table.entries.retain(|_, (at, _)| at.elapsed() < TTL);
            if table.entries.len() >= MAX_ENTRIES {
                table.entries.clear();
            }
        }
        table
            .entries
            .insert(key.to_owned(), (Instant::now(), Arc::new(value.clone())));
    }

    /// Something changed: every entry is read again, and reads already under way store nothing.
    pub(crate) fn changed(&self) {
        let mut table = self.table();
        table.generation = table.generation.wrapping_add(1);
        table.entries.clear();
    }

    /// Changes the kept entries in place (for a field this process just wrote).
    pub(crate) fn update(&self, mut f: impl FnMut(&mut T)) {
        let mut table = self.table();
        for (_, value) in table.entries.values_mut() {
            f(Arc::make_mut(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_until_changed() {
        let cache = Lookups::<String>::new();
        let Err(miss) = cache.get("a") else {
            panic!("empty cache hit")
        };
        cache.put("a", miss, &"one".to_owned());
        assert_eq!(cache.get("a").ok().as_deref(), Some("one"));
        cache.changed();
        assert!(cache.get("a").is_err());
    }

    #[test]
    fn a_read_from_before_a_change_is_not_kept() {
        let cache = Lookups::<String>::new();
        let Err(miss) = cache.get("a") else {
            panic!("empty cache hit")
        };
        cache.changed();
        cache.put("a", miss, &"old".to_owned());
        assert!(cache.get("a").is_err());
    }

    #[test]
    fn updates_in_place() {
        let cache = Lookups::<String>::new();
        let Err(miss) = cache.get("a") else {
            panic!("empty cache hit")
        };
        cache.put("a", miss, &"one".to_owned());
        cache.update(|v| v.push('!'));
        assert_eq!(cache.get("a").ok().as_deref(), Some("one!"));
    }

    #[test]
    fn bounded() {
        let cache = Lookups::<usize>::new();
        for i in 0..3 * MAX_ENTRIES {
            let key = i.to_string();
            if let Err(miss) = cache.get(&key) {
                cache.put(&key, miss, &i);
            }
        }
        assert!(cache.table().entries.len() <= MAX_ENTRIES);
    }
}
