//! The outbox: claiming due rows with a lease, and recording each outcome under the claim.

use orderbell_core::{OrderId, ShopId, Timestamp, UserId};

use super::bad;
use super::links::mark_link_dead;
use crate::db::{Db, Row, Value};
use crate::notifications::{Finish, Notification, Outcome};
use crate::{Result, params};

/// The columns [`notification_from`] reads, from `notifications n LEFT JOIN channel_links l`.
pub(super) const N_COLUMNS: &str = "n.id, n.shop_id, n.order_id, n.link_id, n.channel, n.destination, n.recipient, n.user_id, \
     n.event, n.locale, n.payload, n.status, n.attempts, n.run_at, n.locked_until, n.claim, n.provider_message_id, \
     n.provider_status, n.error_code, n.last_error, n.created_at, n.updated_at, n.sent_at, l.keys, l.last_inbound_at";

pub(super) fn notification_from(r: &Row) -> Result<Notification> {
    Ok(Notification {
        id: r.int(0)?,
        shop_id: r.opt_text(1)?.map(ShopId::from_stored),
        order_id: r.opt_text(2)?.map(OrderId::from_stored),
        link_id: r.opt_int(3)?,
        channel: r.text(4)?.parse().map_err(|e| bad("channel", e))?,
        destination: r.text(5)?,
        recipient: r.text(6)?.parse()?,
        user_id: r.opt_text(7)?.map(UserId::from_stored),
        event: r.text(8)?.parse().map_err(|e| bad("event", e))?,
        locale: r.text(9)?,
        payload: r.text(10)?,
        status: r.text(11)?.parse()?,
        attempts: r.int(12)?,
        run_at: r.time(13)?,
        locked_until: r.opt_time(14)?,
        claim: r.opt_text(15)?,
        provider_message_id: r.opt_text(16)?,
        provider_status: r.opt_text(17)?,
        error_code: r.opt_text(18)?,
        last_error: r.opt_text(19)?,
        created_at: r.time(20)?,
        updated_at: r.time(21)?,
        sent_at: r.opt_time(22)?,
        link_keys: r.opt_text(23)?,
        link_last_inbound_at: r.opt_time(24)?,
    })
}

/// Claims due rows with a lease. No `SKIP LOCKED`: the outer `WHERE` re-checks the lease, so on
/// PostgreSQL a concurrent claimer that lost the race for a row (READ COMMITTED re-evaluates
/// it after the winner commits) simply does not get it; SQLite has one writer anyway.
pub fn claim(
    db: &mut dyn Db,
    now: Timestamp,
    lease_until: Timestamp,
    claim: &str,
    limit: i64,
) -> Result<Vec<Notification>> {
    let ids = db.query(
        "UPDATE notifications SET status = 'sending', locked_until = $1, claim = $2, attempts = attempts + 1, updated_at = $3
         WHERE id IN (SELECT id FROM notifications
                      WHERE status IN ('queued', 'sending') AND run_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
                      ORDER BY run_at, id LIMIT $4)
           AND status IN ('queued', 'sending') AND (locked_until IS NULL OR locked_until < $3)
         RETURNING id",
        params![lease_until, claim, now, limit],
    )?;
    if ids.is_empty() {
        return Ok(vec![]);
    }
    // Read the claimed rows back by primary key (a lookup by `claim` would scan the table).
    let mut claimed = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() + 1);
        values.push(claim.into());
        let mut marks = Vec::with_capacity(chunk.len());
        for row in chunk {
            values.push(row.int(0)?.into());
            marks.push(format!("${}", values.len()));
        }
        let sql = format!(
            "SELECT {N_COLUMNS} FROM notifications n LEFT JOIN channel_links l ON l.id = n.link_id
             WHERE n.claim = $1 AND n.status = 'sending' AND n.id IN ({})",
            marks.join(", ")
        );
        for r in db.query(&sql, &values)? {
            claimed.push(notification_from(&r)?);
        }
    }
    claimed.sort_by_key(|n| (n.run_at, n.id));
    Ok(claimed)
}

fn snip(s: &str) -> String {
    s.chars().take(500).collect()
}

pub fn finish(db: &mut dyn Db, f: &Finish) -> Result<u64> {
    let n = match &f.outcome {
        Outcome::Sent {
            provider_message_id,
            provider_status,
        } => db.execute(
            "UPDATE notifications SET status = 'sent', locked_until = NULL, claim = NULL, provider_message_id = $1,
             provider_status = $2, error_code = NULL, updated_at = $3, sent_at = $3
             WHERE id = $4 AND claim = $5 AND status = 'sending'",
            params![provider_message_id.clone(), provider_status.clone(), f.now, f.id, &f.claim],
        )?,
        Outcome::Retry { run_at, code, error } => db.execute(
            "UPDATE notifications SET status = 'queued', locked_until = NULL, claim = NULL, run_at = $1, error_code = $2,
             last_error = $3, updated_at = $4
             WHERE id = $5 AND claim = $6 AND status = 'sending'",
            params![*run_at, code.clone(), snip(error), f.now, f.id, &f.claim],
        )?,
        Outcome::Defer { run_at } => db.execute(
            "UPDATE notifications SET status = 'queued', locked_until = NULL, claim = NULL, run_at = $1,
             attempts = attempts - 1, updated_at = $2
             WHERE id = $3 AND claim = $4 AND status = 'sending'",
            params![*run_at, f.now, f.id, &f.claim],
        )?,
        Outcome::Cancelled => db.execute(
            "UPDATE notifications SET status = 'cancelled', locked_until = NULL, claim = NULL, updated_at = $1
             WHERE id = $2 AND claim = $3 AND status = 'sending'",
            params![f.now, f.id, &f.claim],
        )?,
        Outcome::Failed {
            code,
            error,
            dead_link,
        } => {
            let n = db.execute(
                "UPDATE notifications SET status = 'failed', locked_until = NULL, claim = NULL, error_code = $1,
                 last_error = $2, updated_at = $3
                 WHERE id = $4 AND claim = $5 AND status = 'sending'",
                params![code.clone(), snip(error), f.now, f.id, &f.claim],
            )?;
            if n > 0 && *dead_link {
                if let Some(link) = db
                    .query_opt("SELECT link_id FROM notifications WHERE id = $1", params![f.id])?
                    .and_then(|r| r.opt_int(0).ok().flatten())
                {
                    mark_link_dead(db, link, &snip(error), f.now)?;
                }
            }
            n
        }
    };
    Ok(n)
}

pub fn next_run_at(db: &mut dyn Db) -> Result<Option<Timestamp>> {
    // Leased rows become due again when their lease runs out.
    let r = db.query_one(
        "SELECT MIN(CASE WHEN locked_until IS NOT NULL AND locked_until > run_at THEN locked_until ELSE run_at END)
         FROM notifications WHERE status IN ('queued', 'sending')",
        &[],
    )?;
    r.opt_time(0)
}
