-- Never miss an order, PostgreSQL. Times are TIMESTAMPTZ.
-- Kept parallel to migrations/sqlite/0004_escalation.sql: same tables, same columns.

-- A shop's alert policy (JSON, `orderbell_core::alerts::AlertPolicy`; NULL: the defaults), opening
-- hours (JSON, `orderbell_core::hours::OpeningHours`; NULL: always open), a pause, the ETA a phone
-- keypad accepts with, and how many orders in a row went unanswered (auto-pause).
ALTER TABLE shops ADD COLUMN alerts TEXT;
ALTER TABLE shops ADD COLUMN opening_hours TEXT;
ALTER TABLE shops ADD COLUMN paused_until TIMESTAMPTZ;
ALTER TABLE shops ADD COLUMN default_eta_minutes INTEGER NOT NULL DEFAULT 15;
ALTER TABLE shops ADD COLUMN missed_in_row INTEGER NOT NULL DEFAULT 0;

-- A member's phone, for escalation calls (E.164).
ALTER TABLE users ADD COLUMN phone TEXT;

-- The escalation timer of an unanswered order: one row per order, its next step and when it is
-- due. Written in the order's transaction, moved on (or ended) in the same transaction as the
-- step's effects, ended in the acknowledging transaction. Never an in-memory timer.
CREATE TABLE order_alerts (
    order_id   TEXT PRIMARY KEY REFERENCES orders(id) ON DELETE CASCADE,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    status     TEXT NOT NULL CHECK (status IN ('active', 'answered', 'missed', 'ended')),
    next_step  TEXT NOT NULL CHECK (next_step IN ('repeat', 'call', 'miss')),
    due_at     TIMESTAMPTZ NOT NULL,
    repeats    INTEGER NOT NULL DEFAULT 0,
    called     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_alerts_due ON order_alerts(due_at) WHERE status = 'active';
CREATE INDEX order_alerts_shop ON order_alerts(shop_id) WHERE status = 'active';
