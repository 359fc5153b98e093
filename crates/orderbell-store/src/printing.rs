//! Printers and print jobs: what the store keeps for receipt printing (issue 3).

use async_trait::async_trait;

/// The printing part of the store.
#[async_trait]
pub trait PrintingStore: Send + Sync {}
