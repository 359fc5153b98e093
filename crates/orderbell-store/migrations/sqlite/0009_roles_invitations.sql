-- Roles and invitations, SQLite: a `manager` role between staff and owner, invitations to a
-- shop (single-use links stored as SHA-256 hashes, 7 days), and the devices an account signed
-- in from (a mail on a sign-in from a new one). Kept parallel to
-- migrations/postgres/0009_roles_invitations.sql.

-- SQLite cannot change a CHECK in place: memberships are copied into their new shape.
CREATE TABLE memberships_new (
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, user_id)
);
INSERT INTO memberships_new SELECT shop_id, user_id, role, created_at FROM memberships;
DROP TABLE memberships;
ALTER TABLE memberships_new RENAME TO memberships;
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    email       TEXT,
    invited_by  TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER,
    accepted_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    revoked_at  INTEGER
);
CREATE INDEX invitations_shop ON invitations(shop_id, created_at);

-- Whether a sign-in from a device the account has not used before sends a mail (on unless
-- turned off), and the devices seen: a SHA-256 of the browser's User-Agent with its version
-- numbers left out, so an update of the browser is no new device.
ALTER TABLE users ADD COLUMN sign_in_mail INTEGER NOT NULL DEFAULT 1;
CREATE TABLE sign_in_devices (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device        TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, device)
);
