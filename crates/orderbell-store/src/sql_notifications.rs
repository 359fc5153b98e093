//! [`NotificationStore`] on the SQL store.

use async_trait::async_trait;

use crate::SqlStore;
use crate::notifications::NotificationStore;

#[async_trait]
impl NotificationStore for SqlStore {}
