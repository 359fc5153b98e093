-- Accounts by e-mail, SQLite: verified addresses, single-use links (verification, password
-- reset) stored as SHA-256 hashes, and account mail in the notification outbox (no shop; the
-- recipient is the account). Kept parallel to migrations/postgres/0008_account_mail.sql.
ALTER TABLE users ADD COLUMN email_verified_at INTEGER;
-- Accounts made before verification existed keep working as they did.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX account_tokens_user ON account_tokens(user_id, purpose);

-- SQLite cannot relax a column or a CHECK in place: the outbox is copied into its new shape.
CREATE TABLE notifications_new (
    id                  INTEGER PRIMARY KEY,
    shop_id             TEXT REFERENCES shops(id) ON DELETE CASCADE,
    order_id            TEXT REFERENCES orders(id) ON DELETE CASCADE,
    link_id             INTEGER REFERENCES channel_links(id) ON DELETE SET NULL,
    channel             TEXT NOT NULL,
    destination         TEXT NOT NULL,
    recipient           TEXT NOT NULL CHECK (recipient IN ('member', 'customer', 'account')),
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
INSERT INTO notifications_new SELECT * FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_due ON notifications(run_at) WHERE status IN ('queued', 'sending');
CREATE INDEX notifications_order ON notifications(order_id, id);
CREATE INDEX notifications_provider_message ON notifications(channel, provider_message_id);
CREATE INDEX notifications_link ON notifications(link_id);

-- A second factor: a TOTP secret (RFC 6238), confirmed once a code from it was shown, with the
-- last time step used (a code works once), and ten single-use recovery codes (SHA-256).
CREATE TABLE totp_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- Sessions a person can see and end: the browser that signed in, from where, and when it was
-- last used (recorded at most every few minutes).
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER;

-- A shop can require two-step sign-in of its owners.
ALTER TABLE shops ADD COLUMN require_mfa_for_owners INTEGER NOT NULL DEFAULT 0;
