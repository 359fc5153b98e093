-- Orderbell schema, PostgreSQL. Times are TIMESTAMPTZ (UTC, millisecond precision from the
-- application); ids are 32 hex characters; token hashes are hex SHA-256.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_method TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE shops (
    id                TEXT PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    currency          TEXT NOT NULL,
    time_zone         TEXT NOT NULL,
    locale            TEXT NOT NULL,
    phone             TEXT,
    accepting_orders  BOOLEAN NOT NULL DEFAULT TRUE,
    next_order_number BIGINT NOT NULL DEFAULT 1001,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    shop_id      TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_shop ON api_keys(shop_id);

CREATE TABLE menu_categories (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    position   BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX menu_categories_shop ON menu_categories(shop_id, position);

CREATE TABLE menu_items (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    category_id TEXT NOT NULL REFERENCES menu_categories(id),
    name        TEXT NOT NULL,
    description TEXT,
    price       BIGINT NOT NULL CHECK (price >= 0),
    sold_out    BOOLEAN NOT NULL DEFAULT FALSE,
    position    BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX menu_items_shop ON menu_items(shop_id, position);
CREATE INDEX menu_items_category ON menu_items(category_id);

CREATE TABLE option_groups (
    id          TEXT PRIMARY KEY,
    shop_id     TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    item_id     TEXT NOT NULL REFERENCES menu_items(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    min_choices BIGINT NOT NULL,
    max_choices BIGINT NOT NULL,
    position    BIGINT NOT NULL,
    CHECK (min_choices >= 0 AND max_choices >= 1 AND min_choices <= max_choices)
);
CREATE INDEX option_groups_shop ON option_groups(shop_id);
CREATE INDEX option_groups_item ON option_groups(item_id);

CREATE TABLE options (
    id       TEXT PRIMARY KEY,
    shop_id  TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES option_groups(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    price    BIGINT NOT NULL CHECK (price >= 0),
    sold_out BOOLEAN NOT NULL DEFAULT FALSE,
    position BIGINT NOT NULL
);
CREATE INDEX options_shop ON options(shop_id);
CREATE INDEX options_group ON options(group_id);

CREATE TABLE customers (
    id         TEXT PRIMARY KEY,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    name       TEXT,
    phone      TEXT,
    email      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX customers_phone ON customers(shop_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX customers_email ON customers(shop_id, email) WHERE phone IS NULL AND email IS NOT NULL;

CREATE TABLE orders (
    id                 TEXT PRIMARY KEY,
    shop_id            TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    number             BIGINT NOT NULL,
    status             TEXT NOT NULL,
    currency           TEXT NOT NULL,
    subtotal           BIGINT NOT NULL,
    total              BIGINT NOT NULL,
    items              TEXT NOT NULL,
    customer_id        TEXT REFERENCES customers(id) ON DELETE SET NULL,
    customer_name      TEXT,
    customer_phone     TEXT,
    customer_email     TEXT,
    fulfillment_type   TEXT NOT NULL,
    fulfillment_detail TEXT,
    note               TEXT,
    source             TEXT NOT NULL,
    eta_minutes        BIGINT,
    reason             TEXT,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    acknowledged_at    TIMESTAMPTZ,
    accepted_at        TIMESTAMPTZ,
    ready_at           TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    UNIQUE (shop_id, number)
);
CREATE INDEX orders_shop_status ON orders(shop_id, status, number);
CREATE INDEX orders_shop_created ON orders(shop_id, created_at);

CREATE TABLE order_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    at         TIMESTAMPTZ NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT,
    actor_name TEXT,
    detail     TEXT
);
CREATE INDEX order_events_order ON order_events(order_id, id);

CREATE TABLE idempotency_keys (
    shop_id      TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     TEXT NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
