-- Passkeys (WebAuthn credentials), PostgreSQL: an account's public keys for signing in without a
-- password, and the single-use challenges of registering and signing in (stored as SHA-256
-- hashes, 5 minutes). Kept parallel to migrations/sqlite/0010_passkeys.sql.

CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The credential id, base64url without padding (what the browser calls `id`).
    credential_id TEXT NOT NULL UNIQUE,
    -- The COSE_Key from the attested credential data, as the authenticator sent it.
    public_key    BYTEA NOT NULL,
    -- The COSE algorithm: -7 (ES256) or -257 (RS256).
    alg           INTEGER NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0,
    name          TEXT NOT NULL,
    -- The transports the browser reported, comma-separated (hints only).
    transports    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX passkeys_user ON passkeys(user_id, created_at);

CREATE TABLE webauthn_challenges (
    hash       TEXT PRIMARY KEY,
    -- Registration challenges belong to the account that asked; sign-in ones to nobody yet.
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('register', 'sign_in')),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges(expires_at);
