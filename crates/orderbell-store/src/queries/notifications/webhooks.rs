//! The provider webhook log: written as webhooks arrive, read newest first, purged by age and
//! count.

use orderbell_core::Timestamp;

use crate::db::Db;
use crate::notifications::WebhookEntry;
use crate::{Result, params};

pub fn log_webhook(
    db: &mut dyn Db,
    provider: &str,
    kind: &str,
    body: &str,
    outcome: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    let body: String = body.chars().take(16 * 1024).collect();
    db.execute(
        "INSERT INTO webhook_log (provider, kind, body, outcome, received_at) VALUES ($1, $2, $3, $4, $5)",
        params![provider, kind, body, outcome, now],
    )?;
    Ok(())
}

pub fn webhook_log(db: &mut dyn Db, provider: &str, limit: i64) -> Result<Vec<WebhookEntry>> {
    db.query(
        "SELECT id, provider, kind, body, outcome, received_at FROM webhook_log WHERE provider = $1 ORDER BY id DESC LIMIT $2",
        params![provider, limit.clamp(1, 1000)],
    )?
    .iter()
    .map(|r| {
        Ok(WebhookEntry {
            id: r.int(0)?,
            provider: r.text(1)?,
            kind: r.text(2)?,
            body: r.text(3)?,
            outcome: r.opt_text(4)?,
            received_at: r.time(5)?,
        })
    })
    .collect()
}

/// Deletes entries received before `before`, then all but the `keep` newest.
pub fn purge(db: &mut dyn Db, before: Timestamp, keep: i64) -> Result<u64> {
    let mut n = db.execute(
        "DELETE FROM webhook_log WHERE received_at < $1",
        params![before],
    )?;
    let newest = db
        .query_one("SELECT COALESCE(MAX(id), 0) FROM webhook_log", &[])?
        .int(0)?;
    n += db.execute(
        "DELETE FROM webhook_log WHERE id <= $1",
        params![newest - keep.max(0)],
    )?;
    Ok(n)
}
