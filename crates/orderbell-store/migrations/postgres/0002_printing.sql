-- Receipt printers (devices) and their print jobs. Print jobs are written in the same
-- transaction as the order change that causes them (transactional outbox).

CREATE TABLE printers (
    id             TEXT PRIMARY KEY,
    shop_id        TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    token_prefix   TEXT NOT NULL,
    auto_print     TEXT NOT NULL CHECK (auto_print IN ('on_create', 'on_accept', 'manual')),
    copies         BIGINT NOT NULL CHECK (copies BETWEEN 1 AND 5),
    -- JSON array of menu category ids this printer prints, or NULL for every item.
    category_ids   TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    revoked_at     TIMESTAMPTZ,
    -- What the device last told us (the hello frame, status frames, connection changes).
    connected      BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at   TIMESTAMPTZ,
    client_version TEXT,
    paper          TEXT,
    text_mode      TEXT,
    state          TEXT,
    state_detail   TEXT,
    state_at       TIMESTAMPTZ
);
CREATE INDEX printers_shop ON printers(shop_id);

CREATE TABLE print_jobs (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    printer_id TEXT NOT NULL REFERENCES printers(id) ON DELETE CASCADE,
    order_id   TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    copy       BIGINT NOT NULL,
    copies     BIGINT NOT NULL,
    reprint    BOOLEAN NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('queued', 'delivered', 'printed', 'failed', 'unconfirmed', 'expired')),
    attempts   BIGINT NOT NULL DEFAULT 0,
    error      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX print_jobs_owed ON print_jobs(printer_id, status, created_at);
CREATE INDEX print_jobs_order ON print_jobs(order_id);
CREATE INDEX print_jobs_open ON print_jobs(status, created_at);
