//! [`CoordinationStore`] on the SQL store: `queries::coordination` on the writer and readers.

use async_trait::async_trait;
use orderbell_core::{ShopId, Timestamp};

use crate::coordination::{Bucket, CoordinationStore};
use crate::queries::coordination as q;
use crate::{Result, SqlStore};

#[async_trait]
impl CoordinationStore for SqlStore {
    async fn take_token(
        &self,
        key: &str,
        bucket: Bucket,
        now: Timestamp,
    ) -> Result<Option<Timestamp>> {
        let key = key.to_owned();
        self.write(move |db| q::take_token(db, &key, bucket, now))
            .await
    }

    async fn prune_tokens(&self, now: Timestamp) -> Result<u64> {
        self.write(move |db| q::prune_tokens(db, now)).await
    }

    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: i64,
        now: Timestamp,
    ) -> Result<bool> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |db| q::take_lease(db, &name, &holder, ttl_ms, now))
            .await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |db| q::release_lease(db, &name, &holder))
            .await
    }

    async fn report_dashboards(
        &self,
        instance: &str,
        counts: Vec<(ShopId, i64)>,
        now: Timestamp,
        stale_before: Timestamp,
    ) -> Result<()> {
        let instance = instance.to_owned();
        self.write(move |db| q::report_dashboards(db, &instance, &counts, now, stale_before))
            .await
    }

    async fn dashboards_elsewhere(
        &self,
        shop: &ShopId,
        instance: &str,
        since: Timestamp,
    ) -> Result<i64> {
        let (shop, instance) = (shop.clone(), instance.to_owned());
        self.read(move |db| q::dashboards_elsewhere(db, &shop, &instance, since))
            .await
    }
}
