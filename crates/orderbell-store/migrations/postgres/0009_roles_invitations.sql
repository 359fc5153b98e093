-- Roles and invitations, PostgreSQL: a `manager` role between staff and owner, invitations to
-- a shop (single-use links stored as SHA-256 hashes, 7 days), and the devices an account signed
-- in from (a mail on a sign-in from a new one). Kept parallel to
-- migrations/sqlite/0009_roles_invitations.sql.

ALTER TABLE memberships DROP CONSTRAINT memberships_role_check;
ALTER TABLE memberships ADD CONSTRAINT memberships_role_check
    CHECK (role IN ('owner', 'manager', 'staff'));

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    email       TEXT,
    invited_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    accepted_at TIMESTAMPTZ,
    accepted_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX invitations_shop ON invitations(shop_id, created_at);

-- Whether a sign-in from a device the account has not used before sends a mail (on unless
-- turned off), and the devices seen: a SHA-256 of the browser's User-Agent with its version
-- numbers left out, so an update of the browser is no new device.
ALTER TABLE users ADD COLUMN sign_in_mail BOOLEAN NOT NULL DEFAULT TRUE;
CREATE TABLE sign_in_devices (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device        TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, device)
);
