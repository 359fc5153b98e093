-- Accounts by e-mail, PostgreSQL: verified addresses, single-use links (verification,
-- password reset) stored as SHA-256 hashes, and account mail in the notification outbox (no
-- shop; the recipient is the account). Kept parallel to migrations/sqlite/0008_account_mail.sql.
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMPTZ;
-- Accounts made before verification existed keep working as they did.
UPDATE users SET email_verified_at = created_at;

CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX account_tokens_user ON account_tokens(user_id, purpose);

ALTER TABLE notifications ALTER COLUMN shop_id DROP NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_recipient_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_recipient_check
    CHECK (recipient IN ('member', 'customer', 'account'));

-- A second factor: a TOTP secret (RFC 6238), confirmed once a code from it was shown, with the
-- last time step used (a code works once), and ten single-use recovery codes (SHA-256).
CREATE TABLE totp_factors (
    user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    confirmed_at TIMESTAMPTZ,
    last_step    BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    used_at   TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- Sessions a person can see and end: the browser that signed in, from where, and when it was
-- last used (recorded at most every few minutes).
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;

-- A shop can require two-step sign-in of its owners.
ALTER TABLE shops ADD COLUMN require_mfa_for_owners BOOLEAN NOT NULL DEFAULT FALSE;
