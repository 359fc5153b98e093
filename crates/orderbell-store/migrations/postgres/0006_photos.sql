-- Menu item photos, PostgreSQL. The photo itself (already resized and re-encoded by the
-- server) lives in menu_photos, one per item; menu_items.photo holds the digest of the current
-- one, so reading the menu needs no join and a new photo gets a new address.
-- Kept parallel to migrations/sqlite/0006_photos.sql.
ALTER TABLE menu_items ADD COLUMN photo TEXT;
CREATE TABLE menu_photos (
    item_id      TEXT PRIMARY KEY REFERENCES menu_items(id) ON DELETE CASCADE,
    shop_id      TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    digest       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        BYTEA NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
