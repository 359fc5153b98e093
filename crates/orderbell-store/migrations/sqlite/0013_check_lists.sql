-- SQLite only: the CHECKs of the tables every order writes, as comparisons instead of IN lists.
-- SQLite evaluates an IN list of three or more values through a temporary b-tree that it builds
-- again for every row written (an order's escalation timer cost two of them, about a tenth of
-- the order's instructions; docs/benchmarks.md, "SQLite intake against /healthz"). The rules are
-- the same; PostgreSQL checks an IN list directly and keeps its tables as they are.
-- SQLite cannot change a CHECK in place: each table is copied into its new shape. Nothing
-- references these tables, so dropping the old ones touches no other row.

CREATE TABLE order_alerts_new (
    order_id   TEXT PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status = 'active' OR status = 'answered' OR status = 'missed' OR status = 'ended'),
    next_step  TEXT NOT NULL CHECK (next_step = 'repeat' OR next_step = 'call' OR next_step = 'miss'),
    due_at     INTEGER NOT NULL,
    repeats    INTEGER NOT NULL DEFAULT 0,
    called     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO order_alerts_new SELECT * FROM order_alerts;
DROP TABLE order_alerts;
ALTER TABLE order_alerts_new RENAME TO order_alerts;
CREATE INDEX order_alerts_due ON order_alerts(due_at) WHERE status = 'active';
CREATE INDEX order_alerts_shop ON order_alerts(shop_id) WHERE status = 'active';

CREATE TABLE print_jobs_new (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    printer_id TEXT NOT NULL REFERENCES printers(id) ON DELETE CASCADE,
    order_id   TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    copy       INTEGER NOT NULL,
    copies     INTEGER NOT NULL,
    reprint    INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status = 'queued' OR status = 'delivered' OR status = 'printed'
                                    OR status = 'failed' OR status = 'unconfirmed' OR status = 'expired'),
    attempts   INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
INSERT INTO print_jobs_new SELECT * FROM print_jobs;
DROP TABLE print_jobs;
ALTER TABLE print_jobs_new RENAME TO print_jobs;
CREATE INDEX print_jobs_owed ON print_jobs(printer_id, status, created_at);
CREATE INDEX print_jobs_order ON print_jobs(order_id);
CREATE INDEX print_jobs_open ON print_jobs(status, created_at);

CREATE TABLE notifications_new (
    id                  INTEGER PRIMARY KEY,
    shop_id             TEXT REFERENCES shops(id) ON DELETE CASCADE,
    order_id            TEXT REFERENCES orders(id) ON DELETE CASCADE,
    link_id             INTEGER REFERENCES channel_links(id) ON DELETE SET NULL,
    channel             TEXT NOT NULL,
    destination         TEXT NOT NULL,
    recipient           TEXT NOT NULL CHECK (recipient = 'member' OR recipient = 'customer' OR recipient = 'account'),
    user_id             TEXT,
    event               TEXT NOT NULL,
    locale              TEXT NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status = 'queued' OR status = 'sending' OR status = 'sent'
                                             OR status = 'delivered' OR status = 'read' OR status = 'failed'
                                             OR status = 'cancelled'),
    attempts            INTEGER NOT NULL DEFAULT 0,
    run_at              INTEGER NOT NULL,
    locked_until        INTEGER,
    claim               TEXT,
    provider_message_id TEXT,
    provider_status     TEXT,
    error_code          TEXT,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    sent_at             INTEGER
);
INSERT INTO notifications_new SELECT * FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due ON notifications(run_at) WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_order ON notifications(order_id, id);
CREATE INDEX notifications_provider_message ON notifications(channel, provider_message_id);
CREATE INDEX notifications_link ON notifications(link_id);
