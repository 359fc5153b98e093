//! Every query Orderbell runs, written once against [`crate::db::Db`].

pub mod account_tokens;
pub mod accounts;
pub mod alerts;
pub mod api_keys;
pub mod audit;
pub mod coordination;
pub mod effects;
pub mod gauges;
pub mod identities;
pub mod invitations;
pub mod menu;
pub mod notifications;
pub mod orders;
pub mod passkeys;
pub mod printing;
pub mod second_factor;
pub mod shops;
pub mod sign_in_devices;

use crate::{Result, StoreError};

/// Items for `IN (…)` lists: chunks of a power of two (at most 64), the last one padded with
/// its last item, so only a handful of distinct statements are prepared and cached. A repeated
/// value in `IN` changes nothing.
pub(crate) fn padded_chunks<T>(items: &[T]) -> Vec<Vec<&T>> {
    items
        .chunks(64)
        .map(|chunk| {
            let mut out: Vec<&T> = chunk.iter().collect();
            let size = chunk.len().next_power_of_two();
            if let Some(last) = chunk.last() {
                out.resize(size, last);
            }
            out
        })
        .collect()
}

/// `$first, $first+1, …` for `n` values.
pub(crate) fn marks(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fails with `NotFound` when a statement changed no row.
pub fn changed(n: u64) -> Result<()> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
