//! What several instances agree on, on DynamoDB (queries/coordination.rs on SQL): shared
//! rate-limit buckets, leases for background work, and dashboard presence. All items are in
//! `s.main` (nothing here should wake the queue table's stream):
//!
//! - a rate bucket (GCRA), `BUCKET#<key> / B`: `tat` (its theoretical arrival time, N millis).
//!   A token is taken by a consistent read and a write on condition that `tat` is still what
//!   was read (`attribute_not_exists(pk)` for a new bucket), retried when another instance
//!   won. While it exists the bucket is in index g1 under `SWEEP#bucket#<shard> / <tat>`, which
//!   [`prune_tokens`] reads to find the buckets full again (their `tat` has passed); each is
//!   deleted on condition of its own `tat`, since the index may lag. Deviation from the plan's
//!   single `SWEEP#bucket` partition: the entries are spread over [`SWEEP_SHARDS`] partitions
//!   (by a hash of the key), because every token taken rewrites the index entry and one index
//!   partition takes a limited rate of writes. `ttl` is one second after `tat`: a bucket whose
//!   `tat` has passed behaves exactly as an absent one, so collecting it is always harmless.
//! - a lease, `LEASE#<name> / L`: `holder` and `until` (N millis), taken or renewed with one
//!   conditional put (`attribute_not_exists(pk) OR holder = :me OR until <= :now`, as SQL's
//!   `expires_ms <= now`), given back with a delete on condition of the holder.
//! - dashboard presence, `PRESENCE#<shop> / INST#<instance>`: `dashboards` and `seen` (N
//!   millis). A shop's partition, read consistently, gives [`dashboards_elsewhere`]. Index g1
//!   `INST#<instance> / PRESENCE#<shop>` lists an instance's own reports (replaced by its next
//!   report), g2 `PRESENCE / <seen>#<shop>#<instance>` the reports by age (forgotten once
//!   stale, whoever made them); deletes found through either carry a condition on the item.
//!
//! The GCRA arithmetic is `orderbell_core::rate_limit::Limiter`'s (tolerance = period × (burst
//! − 1); ready at `tat − tolerance`; a token moves `tat` to `max(tat, now) + period`), written
//! again on milliseconds because that type keeps its state private, on `Instant`s.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use orderbell_core::{ShopId, Timestamp};

use super::item::{Item, Read, key, n, s as text, sort_ts, values};
use super::{DynamoStore, fail, shops};
use crate::coordination::Bucket;
use crate::{Result, StoreError};

/// The partitions of the bucket sweep index (see the module doc).
const SWEEP_SHARDS: u64 = 8;

/// How often a token is tried again after another instance moved the same bucket.
const TOKEN_ATTEMPTS: usize = 16;

/// How long a presence report is kept before TTL may collect it (reads and reports forget it
/// much sooner by `seen`).
const PRESENCE_TTL_SECS: i64 = 24 * 3600;

/// The g2 partition of every presence report.
const PRESENCE_BY_AGE: &str = "PRESENCE";

fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_millis(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Backend(format!("a stored time is out of range: {e}")))
}

/// Epoch seconds for `ttl`, rounded up.
fn ttl_secs(ms: i64) -> i64 {
    ms.div_euclid(1000) + 1
}

// ---------------------------------------------------------------------------------------------
// Rate buckets

fn bucket_key(key_: &str) -> Item {
    key(format!("BUCKET#{key_}"), "B")
}

/// The sweep partition of a bucket: FNV-1a of its key, so that every instance agrees.
fn sweep_pk(key_: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key_.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("SWEEP#bucket#{}", h % SWEEP_SHARDS)
}

/// What a bucket's GCRA says at `now`: `Ok(new tat)` when a token is there, `Err(ready_at)`
/// when not (see the module doc).
fn gcra(bucket: Bucket, tat: Option<i64>, now: i64) -> std::result::Result<i64, i64> {
    let period = bucket.period_ms.max(1);
    let tolerance = period.saturating_mul(i64::from(bucket.burst.max(1) - 1));
    if let Some(tat) = tat {
        let ready = tat.saturating_sub(tolerance).max(now);
        if ready > now {
            return Err(ready);
        }
    }
    Ok(tat.map_or(now, |t| t.max(now)).saturating_add(period))
}

pub(super) async fn take_token(
    s: &DynamoStore,
    key_: &str,
    bucket: Bucket,
    now: Timestamp,
) -> Result<Option<Timestamp>> {
    let now = millis(now);
    for _ in 0..TOKEN_ATTEMPTS {
        let old = match s.get(&s.main, bucket_key(key_)).await? {
            Some(it) => Some(it.get_n("tat")?),
            None => None,
        };
        let tat = match gcra(bucket, old, now) {
            Ok(tat) => tat,
            // A refusal takes nothing, so it writes nothing.
            Err(ready) => return Ok(Some(from_millis(ready)?)),
        };
        let mut it = bucket_key(key_);
        it.extend([
            ("tat".to_owned(), n(tat)),
            ("g1pk".to_owned(), text(sweep_pk(key_))),
            (
                "g1sk".to_owned(),
                text(format!("{}#{key_}", sort_ts_ms(tat))),
            ),
            ("ttl".to_owned(), n(ttl_secs(tat))),
        ]);
        let put = s.client.put_item().table_name(&s.main).set_item(Some(it));
        let put = match old {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(old) => put
                .condition_expression("#tat = :old")
                .expression_attribute_names("#tat", "tat")
                .expression_attribute_values(":old", n(old)),
        };
        match put.send().await {
            Ok(_) => return Ok(None),
            // Another instance took a token (or pruned the bucket) since the read.
            Err(e) if fail::condition_failed(&e) => continue,
            Err(e) => return Err(fail::sdk(e)),
        }
    }
    Err(StoreError::Unavailable(
        "a rate bucket kept changing under concurrent requests; try again".into(),
    ))
}

/// [`sort_ts`] of a time kept as milliseconds.
fn sort_ts_ms(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| format!("{:015}", ms.max(0)), sort_ts)
}

pub(super) async fn prune_tokens(s: &DynamoStore, now: Timestamp) -> Result<u64> {
    let now = millis(now);
    // Entries sort as `<tat>#<key>`: every one with `tat <= now` is below this bound.
    let upper = sort_ts_ms(now.saturating_add(1));
    let mut pruned = 0;
    for shard in 0..SWEEP_SHARDS {
        let query = s
            .client
            .query()
            .table_name(&s.main)
            .index_name("g1")
            .key_condition_expression("g1pk = :p AND g1sk < :upper")
            .set_expression_attribute_values(Some(values([
                (":p", text(format!("SWEEP#bucket#{shard}"))),
                (":upper", text(upper.clone())),
            ])));
        for it in s.query_all(query, None).await? {
            let deleted = s
                .client
                .delete_item()
                .table_name(&s.main)
                .set_key(Some(key(it.get_s("pk")?, it.get_s("sk")?)))
                .condition_expression("#tat <= :now")
                .expression_attribute_names("#tat", "tat")
                .expression_attribute_values(":now", n(now))
                .send()
                .await;
            match deleted {
                Ok(_) => pruned += 1,
                // Taken from again since the index was written: not full any more, or gone.
                Err(e) if fail::condition_failed(&e) => {}
                Err(e) => return Err(fail::sdk(e)),
            }
        }
    }
    Ok(pruned)
}

// ---------------------------------------------------------------------------------------------
// Leases

fn lease_key(name: &str) -> Item {
    key(format!("LEASE#{name}"), "L")
}

pub(super) async fn take_lease(
    s: &DynamoStore,
    name: &str,
    holder: &str,
    ttl_ms: i64,
    now: Timestamp,
) -> Result<bool> {
    let now = millis(now);
    let until = now.saturating_add(ttl_ms.max(1));
    let mut it = lease_key(name);
    it.extend([
        ("holder".to_owned(), text(holder)),
        ("until".to_owned(), n(until)),
        ("ttl".to_owned(), n(ttl_secs(until))),
    ]);
    let put = s
        .client
        .put_item()
        .table_name(&s.main)
        .set_item(Some(it))
        .condition_expression("attribute_not_exists(pk) OR #holder = :me OR #until <= :now")
        .expression_attribute_names("#holder", "holder")
        .expression_attribute_names("#until", "until")
        .set_expression_attribute_values(Some(values([(":me", text(holder)), (":now", n(now))])))
        .send()
        .await;
    match put {
        Ok(_) => Ok(true),
        Err(e) if fail::condition_failed(&e) => Ok(false),
        Err(e) => Err(fail::sdk(e)),
    }
}

pub(super) async fn release_lease(s: &DynamoStore, name: &str, holder: &str) -> Result<()> {
    let deleted = s
        .client
        .delete_item()
        .table_name(&s.main)
        .set_key(Some(lease_key(name)))
        .condition_expression("#holder = :me")
        .expression_attribute_names("#holder", "holder")
        .expression_attribute_values(":me", text(holder))
        .send()
        .await;
    match deleted {
        // Someone else's lease (or none) is left as it is.
        Ok(_) => Ok(()),
        Err(e) if fail::condition_failed(&e) => Ok(()),
        Err(e) => Err(fail::sdk(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Dashboard presence

fn presence_key(shop: &str, instance: &str) -> Item {
    key(format!("PRESENCE#{shop}"), format!("INST#{instance}"))
}

/// Deletes a presence report if `condition` (on its attribute `#a`, named `attribute`) still
/// holds; whether it did.
async fn delete_presence(
    s: &DynamoStore,
    it: &Item,
    condition: &str,
    attribute: &str,
    vals: Item,
) -> Result<bool> {
    let deleted = s
        .client
        .delete_item()
        .table_name(&s.main)
        .set_key(Some(key(it.get_s("pk")?, it.get_s("sk")?)))
        .condition_expression(condition)
        .expression_attribute_names("#a", attribute)
        .set_expression_attribute_values(Some(vals))
        .send()
        .await;
    match deleted {
        Ok(_) => Ok(true),
        Err(e) if fail::condition_failed(&e) => Ok(false),
        Err(e) => Err(fail::sdk(e)),
    }
}

pub(super) async fn report_dashboards(
    s: &DynamoStore,
    instance: &str,
    counts: Vec<(ShopId, i64)>,
    now: Timestamp,
    stale_before: Timestamp,
) -> Result<()> {
    let counts: Vec<(ShopId, i64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    // The instance's previous report, except the shops this one rewrites anyway.
    let own = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g1")
        .key_condition_expression("g1pk = :p")
        .expression_attribute_values(":p", text(format!("INST#{instance}")));
    for it in s.query_all(own, None).await? {
        let shop = it.get_s("shop_id")?;
        if counts.iter().any(|(id, _)| id.as_str() == shop) {
            continue;
        }
        delete_presence(
            s,
            &it,
            "#a = :me",
            "instance",
            values([(":me", text(instance))]),
        )
        .await?;
    }
    // Reports of any instance not refreshed since `stale_before`.
    let stale = s
        .client
        .query()
        .table_name(&s.main)
        .index_name("g2")
        .key_condition_expression("g2pk = :p AND g2sk < :before")
        .set_expression_attribute_values(Some(values([
            (":p", text(PRESENCE_BY_AGE)),
            (":before", text(sort_ts(stale_before))),
        ])));
    for it in s.query_all(stale, None).await? {
        delete_presence(
            s,
            &it,
            "#a < :before",
            "seen",
            values([(":before", n(millis(stale_before)))]),
        )
        .await?;
    }
    for (shop, dashboards) in &counts {
        let mut it = presence_key(shop.as_str(), instance);
        it.extend([
            ("shop_id".to_owned(), text(shop.as_str())),
            ("instance".to_owned(), text(instance)),
            ("dashboards".to_owned(), n(*dashboards)),
            ("seen".to_owned(), n(millis(now))),
            ("g1pk".to_owned(), text(format!("INST#{instance}"))),
            ("g1sk".to_owned(), text(format!("PRESENCE#{shop}"))),
            ("g2pk".to_owned(), text(PRESENCE_BY_AGE)),
            (
                "g2sk".to_owned(),
                text(format!("{}#{shop}#{instance}", sort_ts(now))),
            ),
            (
                "ttl".to_owned(),
                n(ttl_secs(millis(now)).saturating_add(PRESENCE_TTL_SECS)),
            ),
        ]);
        let put = Put::builder()
            .table_name(&s.main)
            .set_item(Some(it))
            .build()
            .map_err(fail::build)?;
        // A shop deleted meanwhile is skipped rather than failing the report.
        let actions = vec![
            shops::shop_exists(s, shop)?,
            TransactWriteItem::builder().put(put).build(),
        ];
        match s.transact(actions).await? {
            Ok(()) => {}
            Err(reasons)
                if reasons.first().and_then(Option::as_deref) == Some("ConditionalCheckFailed") => {
            }
            Err(reasons) => {
                return Err(StoreError::Unavailable(format!(
                    "a dashboard report met a concurrent write: {reasons:?}"
                )));
            }
        }
    }
    Ok(())
}

pub(super) async fn dashboards_elsewhere(
    s: &DynamoStore,
    shop: &ShopId,
    instance: &str,
    since: Timestamp,
) -> Result<i64> {
    let query = s
        .client
        .query()
        .table_name(&s.main)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", text(format!("PRESENCE#{shop}")))
        .consistent_read(true);
    let since = millis(since);
    let mut total: i64 = 0;
    for it in s.query_all(query, None).await? {
        if it.get_s("instance")? != instance && it.get_n("seen")? >= since {
            total = total.saturating_add(it.get_n("dashboards")?);
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn gcra_bursts_then_spaces_tokens_by_the_period() {
        let b = Bucket {
            burst: 3,
            period_ms: 1000,
        };
        let mut tat = None;
        for _ in 0..3 {
            tat = Some(gcra(b, tat, 0).unwrap());
        }
        assert_eq!(gcra(b, tat, 0), Err(1000));
        assert_eq!(gcra(b, tat, 1000), Ok(4000));
    }

    #[test]
    fn sweep_partitions_are_stable_and_bounded() {
        assert_eq!(sweep_pk("k"), sweep_pk("k"));
        for k in ["a", "b", "k", "other"] {
            let shard: u64 = sweep_pk(k).rsplit('#').next().unwrap().parse().unwrap();
            assert!(shard < SWEEP_SHARDS);
        }
    }
}
