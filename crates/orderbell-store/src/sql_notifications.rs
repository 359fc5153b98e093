//! [`NotificationStore`] on the SQL store: each call is one job for the writer (group commit) or
//! a reader, running `queries::notifications`.

use async_trait::async_trait;
use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use crate::notifications::{
    Channel, ChannelLink, DeliveryReport, Finish, LinkCode, MemberSettings, NewLink,
    NewNotification, Notification, NotificationStore, NotifyEvent, WebhookEntry,
};
use crate::queries::notifications as q;
use crate::{Result, SqlStore};

#[async_trait]
impl NotificationStore for SqlStore {
    async fn upsert_link(&self, link: NewLink) -> Result<ChannelLink> {
        self.write(move |db| q::upsert_link(db, &link)).await
    }

    async fn links_by_address(&self, channel: Channel, address: &str) -> Result<Vec<ChannelLink>> {
        let address = address.to_owned();
        self.read(move |db| q::links_by_address(db, channel, &address))
            .await
    }

    async fn links_of_user(&self, user: &UserId) -> Result<Vec<ChannelLink>> {
        let user = user.clone();
        self.read(move |db| q::links_of_user(db, &user)).await
    }

    async fn unlink_address(
        &self,
        channel: Channel,
        address: &str,
        user: Option<&UserId>,
        now: Timestamp,
    ) -> Result<u64> {
        let (address, user) = (address.to_owned(), user.cloned());
        self.write(move |db| q::unlink_address(db, channel, &address, user.as_ref(), now))
            .await
    }

    async fn touch_inbound(&self, channel: Channel, address: &str, now: Timestamp) -> Result<()> {
        let address = address.to_owned();
        self.write(move |db| q::touch_inbound(db, channel, &address, now))
            .await
    }

    async fn create_link_code(
        &self,
        code_hash: &str,
        code: LinkCode,
        now: Timestamp,
    ) -> Result<()> {
        let hash = code_hash.to_owned();
        self.write(move |db| q::create_link_code(db, &hash, &code, now))
            .await
    }

    async fn take_link_code(&self, code_hash: &str, now: Timestamp) -> Result<Option<LinkCode>> {
        let hash = code_hash.to_owned();
        self.write(move |db| q::take_link_code(db, &hash, now))
            .await
    }

    async fn member_settings(&self, shop: &ShopId) -> Result<MemberSettings> {
        let shop = shop.clone();
        self.read(move |db| q::member_settings(db, &shop)).await
    }

    async fn set_member_settings(
        &self,
        shop: &ShopId,
        settings: MemberSettings,
        now: Timestamp,
    ) -> Result<()> {
        let shop = shop.clone();
        self.write(move |db| q::set_member_settings(db, &shop, &settings, now))
            .await
    }

    async fn enqueue_notification(&self, n: NewNotification) -> Result<i64> {
        self.write(move |db| q::enqueue(db, &n)).await
    }

    async fn claim_notifications(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        claim: &str,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        let claim = claim.to_owned();
        self.write(move |db| q::claim(db, now, lease_until, &claim, limit))
            .await
    }

    async fn finish_notifications(&self, finishes: Vec<Finish>) -> Result<u64> {
        self.write(move |db| {
            let mut applied = 0;
            for f in &finishes {
                applied += q::finish(db, f)?;
            }
            Ok(applied)
        })
        .await
    }

    async fn next_notification_at(&self) -> Result<Option<Timestamp>> {
        self.read(q::next_run_at).await
    }

    async fn order_notifications(
        &self,
        shop: &ShopId,
        order: &OrderId,
    ) -> Result<Vec<Notification>> {
        let (shop, order) = (shop.clone(), order.clone());
        self.read(move |db| q::of_order(db, &shop, &order)).await
    }

    async fn notification(&self, id: i64) -> Result<Option<Notification>> {
        self.read(move |db| q::by_id(db, id)).await
    }

    async fn cancel_notifications(
        &self,
        order: &OrderId,
        events: &[NotifyEvent],
        now: Timestamp,
    ) -> Result<u64> {
        let (order, events) = (order.clone(), events.to_vec());
        self.write(move |db| q::cancel(db, &order, &events, now))
            .await
    }

    async fn report_delivery(&self, report: DeliveryReport) -> Result<bool> {
        self.write(move |db| q::report(db, &report)).await
    }

    async fn log_webhook(
        &self,
        provider: &str,
        kind: &str,
        body: &str,
        outcome: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let (provider, kind, body, outcome) = (
            provider.to_owned(),
            kind.to_owned(),
            body.to_owned(),
            outcome.map(str::to_owned),
        );
        self.write(move |db| q::log_webhook(db, &provider, &kind, &body, outcome.as_deref(), now))
            .await
    }

    async fn webhook_log(&self, provider: &str, limit: i64) -> Result<Vec<WebhookEntry>> {
        let provider = provider.to_owned();
        self.read(move |db| q::webhook_log(db, &provider, limit))
            .await
    }

    async fn purge_notification_logs(
        &self,
        before: Timestamp,
        keep: i64,
        now: Timestamp,
    ) -> Result<u64> {
        self.write(move |db| q::purge(db, before, keep, now)).await
    }
}
