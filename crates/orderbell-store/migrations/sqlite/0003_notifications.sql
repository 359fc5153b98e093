-- Notifications, SQLite. Times are INTEGER Unix milliseconds; booleans are 0/1.
-- Kept parallel to migrations/postgres/0003_notifications.sql: same tables, same columns.

-- Where a person hears from us: a Telegram chat, a WhatsApp number, a Web Push subscription or an
-- FCM token. A member's link has user_id (and shop_id when it is for one shop only); a customer's
-- link has order_id (and the order's shop_id).
CREATE TABLE channel_links (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL CHECK (channel IN ('telegram', 'whatsapp', 'webpush', 'fcm')),
    address         TEXT NOT NULL,
    keys            TEXT,
    user_id         TEXT REFERENCES users(id) ON DELETE CASCADE,
    shop_id         TEXT REFERENCES shops(id) ON DELETE CASCADE,
    order_id        TEXT REFERENCES orders(id) ON DELETE CASCADE,
    locale          TEXT,
    label           TEXT,
    status          TEXT NOT NULL CHECK (status IN ('active', 'dead', 'unlinked')),
    status_reason   TEXT,
    last_inbound_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    CHECK ((user_id IS NULL) <> (order_id IS NULL))
);
CREATE UNIQUE INDEX channel_links_member ON channel_links(user_id, COALESCE(shop_id, ''), channel, address)
    WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX channel_links_customer ON channel_links(order_id, channel, address)
    WHERE order_id IS NOT NULL;
CREATE INDEX channel_links_address ON channel_links(channel, address);
CREATE INDEX channel_links_shop ON channel_links(shop_id);

-- One-time linking codes for members (t.me/<bot>?start=<code>, WhatsApp "link <code>"), hashed.
CREATE TABLE link_codes (
    code_hash  TEXT PRIMARY KEY,
    channel    TEXT,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX link_codes_expiry ON link_codes(expires_at);

-- Which order events reach members on which channel, per shop (JSON); defaults when absent.
CREATE TABLE notification_settings (
    shop_id    TEXT PRIMARY KEY REFERENCES shops(id) ON DELETE CASCADE,
    members    TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The outbox and delivery log: one row per message to one destination. Written in the same
-- transaction as the order change; claimed with a lease (locked_until, claim) by a dispatcher;
-- run_at is the not-before time (retries, rate limits, later escalation timers).
CREATE TABLE notifications (
    id                  INTEGER PRIMARY KEY,
    shop_id             TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    order_id            TEXT REFERENCES orders(id) ON DELETE CASCADE,
    link_id             INTEGER REFERENCES channel_links(id) ON DELETE SET NULL,
    channel             TEXT NOT NULL,
    destination         TEXT NOT NULL,
    recipient           TEXT NOT NULL CHECK (recipient IN ('member', 'customer')),
    user_id             TEXT,
    event               TEXT NOT NULL,
    locale              TEXT NOT NULL,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'cancelled')),
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
CREATE INDEX notifications_due ON notifications(run_at) WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_order ON notifications(order_id, id);
CREATE INDEX notifications_provider_message ON notifications(channel, provider_message_id);
CREATE INDEX notifications_link ON notifications(link_id);

-- Provider webhooks as received (after their signature or secret was checked), kept for a while.
CREATE TABLE webhook_log (
    id          INTEGER PRIMARY KEY,
    provider    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    outcome     TEXT,
    received_at INTEGER NOT NULL
);
CREATE INDEX webhook_log_received ON webhook_log(received_at);
