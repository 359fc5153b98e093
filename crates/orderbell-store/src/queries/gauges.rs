//! What the metrics endpoint samples at each scrape (docs/operations.md, "Metrics"). Each
//! query reads waiting rows through an index (`notifications_due`, `print_jobs_open`), so a
//! scrape costs the same on a year of orders as on a day.

use orderbell_core::Timestamp;

use crate::Result;
use crate::db::Db;
use crate::params;
use crate::records::Gauges;

pub fn read(db: &mut dyn Db, now: Timestamp) -> Result<Gauges> {
    let outbox = db.query_one(
        "SELECT COUNT(*), MIN(run_at) FROM notifications WHERE status IN ('queued', 'sending')",
        &[],
    )?;
    let oldest_due_ms = match outbox.opt_time(1)? {
        Some(due) if due <= now => now.as_millisecond() - due.as_millisecond(),
        _ => 0,
    };
    let open_print_jobs = db
        .query(
            "SELECT status, COUNT(*) FROM print_jobs WHERE status IN ('queued', 'delivered') \
             GROUP BY status ORDER BY status",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.text(0)?, r.int(1)?)))
        .collect::<Result<Vec<_>>>()?;
    let paper_out = db.query_one(
        "SELECT COUNT(*) FROM printers WHERE revoked_at IS NULL AND paper = $1",
        params!["paper_out"],
    )?;
    Ok(Gauges {
        outbox_waiting: outbox.int(0)?,
        outbox_oldest_due_ms: oldest_due_ms,
        open_print_jobs,
        printers_paper_out: paper_out.int(0)?,
    })
}
