//! The outbox checks of [`crate::audit::AuditStore`], as queries.

use crate::Result;
use crate::audit::Finding;
use crate::db::Db;
use crate::notifications::{AccountMailPayload, Payload};

/// Rows that break an invariant the SQL can see, with what is wrong.
const BROKEN: &str = "
    SELECT n.id, 'failed without an error code' FROM notifications n
     WHERE n.status = 'failed' AND n.error_code IS NULL
    UNION ALL
    SELECT n.id, 'being sent without a claim' FROM notifications n
     WHERE n.status = 'sending' AND n.claim IS NULL
    UNION ALL
    SELECT n.id, 'account mail that is not an e-mail to one account (or one invitation of a shop)'
      FROM notifications n
     WHERE n.recipient = 'account'
       AND (n.channel <> 'email' OR n.order_id IS NOT NULL
            OR (n.event <> 'invitation' AND (n.user_id IS NULL OR n.shop_id IS NOT NULL))
            OR (n.event = 'invitation' AND (n.user_id IS NOT NULL OR n.shop_id IS NULL)))
    UNION ALL
    SELECT n.id, 'a shop notification without its shop' FROM notifications n
     WHERE n.recipient <> 'account' AND n.shop_id IS NULL
    UNION ALL
    SELECT n.id, 'about an order of another shop' FROM notifications n
      JOIN orders o ON o.id = n.order_id
     WHERE o.shop_id <> n.shop_id
    UNION ALL
    SELECT n.id, 'waiting for a member recipient who is not a member of the shop'
      FROM notifications n
     WHERE n.recipient = 'member' AND n.user_id IS NOT NULL
       AND n.status IN ('queued', 'sending')
       AND NOT EXISTS (SELECT 1 FROM memberships m
                        WHERE m.shop_id = n.shop_id AND m.user_id = n.user_id)
    ORDER BY 1";

/// Every finding: the SQL checks, then each payload read back as the sender reads it.
pub fn outbox(db: &mut dyn Db) -> Result<Vec<Finding>> {
    let mut findings = db
        .query(BROKEN, &[])?
        .iter()
        .map(|r| {
            Ok(Finding {
                notification_id: r.int(0)?,
                problem: r.text(1)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    for r in db.query(
        "SELECT id, payload, recipient FROM notifications ORDER BY id",
        &[],
    )? {
        let payload = r.text(1)?;
        let read = if r.text(2)? == "account" {
            AccountMailPayload::parse(&payload).map(|_| ())
        } else {
            Payload::parse(&payload).map(|_| ())
        };
        if let Err(e) = read {
            findings.push(Finding {
                notification_id: r.int(0)?,
                problem: format!("a payload the sender cannot read: {e}"),
            });
        }
    }
    Ok(findings)
}
