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

/// Fails with `NotFound` when a statement changed no row.
pub fn changed(n: u64) -> Result<()> {
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
