//! The statements of [`crate::coordination::CoordinationStore`]: one statement per decision, so
//! instances racing on the same row are ordered by the database's row lock.

use orderbell_core::{ShopId, Timestamp};

use crate::coordination::Bucket;
use crate::db::Db;
use crate::{Result, StoreError, params};

fn millis(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_millis(ms: i64) -> Result<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Backend(format!("a stored time is out of range: {e}")))
}

/// GCRA in one UPSERT: the row is written only when the bucket has a token; no row back means
/// refused, and a second read says until when.
pub fn take_token(
    db: &mut dyn Db,
    key: &str,
    bucket: Bucket,
    now: Timestamp,
) -> Result<Option<Timestamp>> {
    let period = bucket.period_ms.max(1);
    let tolerance = period * i64::from(bucket.burst.max(1) - 1);
    let now = millis(now);
    let taken = db.query_opt(
        "INSERT INTO rate_limits (key, tat_ms) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT))
         ON CONFLICT (key) DO UPDATE
            SET tat_ms = (CASE WHEN rate_limits.tat_ms > CAST($2 AS BIGINT)
                               THEN rate_limits.tat_ms ELSE CAST($2 AS BIGINT) END) + CAST($3 AS BIGINT)
          WHERE rate_limits.tat_ms - CAST($4 AS BIGINT) <= CAST($2 AS BIGINT)
         RETURNING tat_ms",
        params![key, now, period, tolerance],
    )?;
    if taken.is_some() {
        return Ok(None);
    }
    let tat = db
        .query_opt(
            "SELECT tat_ms FROM rate_limits WHERE key = $1",
            params![key],
        )?
        .map(|r| r.int(0))
        .transpose()?
        .unwrap_or(now);
    Ok(Some(from_millis((tat - tolerance).max(now))?))
}

pub fn prune_tokens(db: &mut dyn Db, now: Timestamp) -> Result<u64> {
    db.execute(
        "DELETE FROM rate_limits WHERE tat_ms <= CAST($1 AS BIGINT)",
        params![millis(now)],
    )
}

pub fn take_lease(
    db: &mut dyn Db,
    name: &str,
    holder: &str,
    ttl_ms: i64,
    now: Timestamp,
) -> Result<bool> {
    let now = millis(now);
    Ok(db
        .query_opt(
            "INSERT INTO leases (name, holder, expires_ms) VALUES ($1, $2, CAST($3 AS BIGINT))
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms
              WHERE leases.holder = excluded.holder OR leases.expires_ms <= CAST($4 AS BIGINT)
             RETURNING holder",
            params![name, holder, now + ttl_ms.max(1), now],
        )?
        .is_some())
}

pub fn release_lease(db: &mut dyn Db, name: &str, holder: &str) -> Result<()> {
    db.execute(
        "DELETE FROM leases WHERE name = $1 AND holder = $2",
        params![name, holder],
    )?;
    Ok(())
}

pub fn report_dashboards(
    db: &mut dyn Db,
    instance: &str,
    counts: &[(ShopId, i64)],
    now: Timestamp,
    stale_before: Timestamp,
) -> Result<()> {
    db.execute(
        "DELETE FROM dashboard_presence WHERE instance = $1 OR seen_ms < CAST($2 AS BIGINT)",
        params![instance, millis(stale_before)],
    )?;
    for (shop, n) in counts.iter().filter(|(_, n)| *n > 0) {
        // A shop deleted meanwhile is skipped rather than failing the report.
        db.execute(
            "INSERT INTO dashboard_presence (instance, shop_id, dashboards, seen_ms)
             SELECT $1, id, CAST($3 AS BIGINT), CAST($4 AS BIGINT) FROM shops WHERE id = $2",
            params![instance, shop.as_str(), *n, millis(now)],
        )?;
    }
    Ok(())
}

pub fn dashboards_elsewhere(
    db: &mut dyn Db,
    shop: &ShopId,
    instance: &str,
    since: Timestamp,
) -> Result<i64> {
    db.query_one(
        "SELECT CAST(COALESCE(SUM(dashboards), 0) AS BIGINT) FROM dashboard_presence
          WHERE shop_id = $1 AND instance <> $2 AND seen_ms >= CAST($3 AS BIGINT)",
        params![shop.as_str(), instance, millis(since)],
    )?
    .int(0)
}
