//! TODO(dynamodb): coordination
#![allow(unused_imports)]

use crate::Result;
use crate::coordination::*;
use crate::records::*;
use orderbell_core::{ShopId, Timestamp};

use super::{DynamoStore, unsupported};
pub(super) async fn take_token(
    _s: &DynamoStore,
    _key: &str,
    _bucket: Bucket,
    _now: Timestamp,
) -> Result<Option<Timestamp>> {
    Err(unsupported("take_token"))
}

pub(super) async fn prune_tokens(_s: &DynamoStore, _now: Timestamp) -> Result<u64> {
    Err(unsupported("prune_tokens"))
}

pub(super) async fn take_lease(
    _s: &DynamoStore,
    _name: &str,
    _holder: &str,
    _ttl_ms: i64,
    _now: Timestamp,
) -> Result<bool> {
    Err(unsupported("take_lease"))
}

pub(super) async fn release_lease(_s: &DynamoStore, _name: &str, _holder: &str) -> Result<()> {
    Err(unsupported("release_lease"))
}

pub(super) async fn report_dashboards(
    _s: &DynamoStore,
    _instance: &str,
    _counts: Vec<(ShopId, i64)>,
    _now: Timestamp,
    _stale_before: Timestamp,
) -> Result<()> {
    Err(unsupported("report_dashboards"))
}

pub(super) async fn dashboards_elsewhere(
    _s: &DynamoStore,
    _shop: &ShopId,
    _instance: &str,
    _since: Timestamp,
) -> Result<i64> {
    Err(unsupported("dashboards_elsewhere"))
}
