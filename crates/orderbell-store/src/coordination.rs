//! What several instances on one database agree on (docs/deploy.md): request limits that protect
//! people (logins, account mail, guest orders), leases for background work that one instance at
//! a time should run, and which instances have dashboards listening with their sound on. On
//! SQLite there is one instance, and the same statements simply always find it alone.

use async_trait::async_trait;
use orderbell_core::{ShopId, Timestamp};

use crate::Result;

/// One GCRA bucket: `burst` at once, then one every `period_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub burst: u32,
    pub period_ms: i64,
}

#[async_trait]
pub trait CoordinationStore {
    /// Takes a token from the shared bucket `key` (a hash, never the address or e-mail itself):
    /// `Ok(None)` when taken, `Ok(Some(ready_at))` when the bucket is empty until then.
    async fn take_token(
        &self,
        key: &str,
        bucket: Bucket,
        now: Timestamp,
    ) -> Result<Option<Timestamp>>;
    /// Forgets buckets that are full again; returns how many.
    async fn prune_tokens(&self, now: Timestamp) -> Result<u64>;
    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`; false while another
    /// holder's lease has not expired.
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: i64,
        now: Timestamp,
    ) -> Result<bool>;
    /// Gives a lease back (on shutdown), so another instance takes it at once.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;
    /// Replaces what `instance` reports of its dashboards with their sound on, per shop (shops
    /// without one are left out), and forgets reports not refreshed since `stale_before`.
    async fn report_dashboards(
        &self,
        instance: &str,
        counts: Vec<(ShopId, i64)>,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<()>;
    /// Dashboards with their sound on at instances other than `instance`, reported since
    /// `since`.
    async fn dashboards_elsewhere(
        &self,
        shop: &ShopId,
        instance: &str,
        since: Timestamp,
    ) -> Result<i64>;
}
