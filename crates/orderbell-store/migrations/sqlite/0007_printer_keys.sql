-- The API key that added a printer, SQLite: revoking the key revokes the printers it
-- added (their tokens received every ticket the key itself may no longer read). NULL: added by
-- a member. Kept parallel to migrations/postgres/0007_printer_keys.sql.
ALTER TABLE printers ADD COLUMN api_key_id TEXT;
