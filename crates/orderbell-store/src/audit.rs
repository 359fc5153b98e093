//! What the outbox holds that nobody can explain: the checks a test harness runs at teardown and
//! an operator can run on a live database. Every outbox row must belong to its own shop's order
//! and recipients, carry a payload the sender can read, and, when it failed, say why.

use async_trait::async_trait;

use crate::Result;

/// One outbox row that breaks an invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The row (`notifications.id`).
    pub notification_id: i64,
    /// What is wrong, in words for a developer or an operator.
    pub problem: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "notification {}: {}", self.notification_id, self.problem)
    }
}

#[async_trait]
pub trait AuditStore {
    /// The outbox rows that break an invariant: a failure without an error code, a payload the
    /// sender cannot read, an order of another shop, a message still waiting for a member
    /// recipient who is no longer a member of the shop, a row being sent without a claim. Empty when all is well.
    async fn audit_outbox(&self) -> Result<Vec<Finding>>;
}
