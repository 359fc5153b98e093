-- Sign-in with OpenID Connect, PostgreSQL: identities at providers linked to accounts (one account
-- per issuer and subject), and the sign-ins under way (keyed by the SHA-256 of their `state`,
-- single use, 10 minutes). Kept parallel to migrations/sqlite/0011_oidc.sql.

CREATE TABLE external_identities (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider     TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX external_identities_user ON external_identities(user_id);

CREATE TABLE oidc_flows (
    state_hash    TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next          TEXT NOT NULL,
    link_user_id  TEXT REFERENCES users(id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
