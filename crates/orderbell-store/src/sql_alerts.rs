//! [`AlertStore`] on the SQL store: each call is one job for the writer (group commit) or a
//! reader, running `queries::alerts`.

use async_trait::async_trait;
use orderbell_core::{OrderId, ShopId, Timestamp};

use crate::alerts::{AlertStore, ChannelHealth, Fired, OrderAlert};
use crate::notifications::NotifyEvent;
use crate::queries::alerts as q;
use crate::{Result, SqlStore};

#[async_trait]
impl AlertStore for SqlStore {
    async fn fire_due_alerts(&self, now: Timestamp, limit: i64, calls: bool) -> Result<Vec<Fired>> {
        let fired = self
            .write(move |db| q::fire_due(db, now, limit, calls))
            .await?;
        if fired.iter().any(|f| f.paused_until.is_some()) {
            // A shop paused itself: guests must see it closed now, not a second later.
            self.shops_by_slug.changed();
        }
        Ok(fired)
    }

    async fn next_alert_at(&self) -> Result<Option<Timestamp>> {
        self.read(q::next_due).await
    }

    async fn active_alerts(&self, shop: &ShopId) -> Result<Vec<OrderAlert>> {
        let shop = shop.clone();
        self.read(move |db| q::active(db, &shop)).await
    }

    async fn order_alert(&self, order: &OrderId) -> Result<Option<OrderAlert>> {
        let order = order.clone();
        self.read(move |db| q::of_order(db, &order)).await
    }

    async fn channel_health(&self, shop: &ShopId) -> Result<Vec<ChannelHealth>> {
        let shop = shop.clone();
        self.read(move |db| q::channel_health(db, &shop)).await
    }

    async fn notify_owners(
        &self,
        shop: &ShopId,
        event: NotifyEvent,
        problems: Vec<String>,
        now: Timestamp,
    ) -> Result<usize> {
        let shop = shop.clone();
        self.write(move |db| q::notify_owners(db, &shop, event, problems, now))
            .await
    }
}
