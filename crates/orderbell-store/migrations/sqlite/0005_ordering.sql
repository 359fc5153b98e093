-- How guests may order, SQLite: a shop's offered fulfilment types and minimum order
-- (JSON, `orderbell_core::shop::OrderingOptions`; NULL: the defaults, everything offered, no
-- minimum). Kept parallel to migrations/postgres/0005_ordering.sql.
ALTER TABLE shops ADD COLUMN ordering TEXT;
-- The shop's own lines on its tickets (JSON, `orderbell_core::shop::ReceiptText`; NULL: none).
ALTER TABLE shops ADD COLUMN receipt TEXT;
-- A menu item hidden from guests (off the guest page, not orderable by guests), kept for later.
ALTER TABLE menu_items ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
