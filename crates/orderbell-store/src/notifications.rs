//! Notifications: the outbox, delivery log and channel links (issue 4).

use async_trait::async_trait;

/// The notifications part of the store.
#[async_trait]
pub trait NotificationStore: Send + Sync {}
