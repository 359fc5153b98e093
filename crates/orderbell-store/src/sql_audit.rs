//! [`AuditStore`] on the SQL store: a reader running `queries::audit`.

use async_trait::async_trait;

use crate::audit::{AuditStore, Finding};
use crate::queries::audit as q;
use crate::{Result, SqlStore};

#[async_trait]
impl AuditStore for SqlStore {
    async fn audit_outbox(&self) -> Result<Vec<Finding>> {
        self.read(q::outbox).await
    }
}
