-- Several instances on one database: what they must agree on. Kept parallel between the two
-- backends (times are milliseconds since the epoch, so the same statements run on both).
--
-- rate_limits: one GCRA bucket per key ("theoretical arrival time"); keys are SHA-256 hashes of
-- what is limited (an address, an account), never the address or e-mail itself.
-- leases: background work one instance at a time (print-job expiry, clean-ups, the watchdog);
-- another instance takes a lease over once it has expired.
-- dashboard_presence: dashboards with their sound on, per instance and shop, refreshed by each
-- instance, so the readiness watchdog (run by one instance) counts those on the others.

CREATE TABLE rate_limits (
    key    TEXT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits(tat_ms);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);

CREATE TABLE dashboard_presence (
    instance   TEXT NOT NULL,
    shop_id    TEXT NOT NULL REFERENCES shops(id) ON DELETE CASCADE,
    dashboards BIGINT NOT NULL,
    seen_ms    BIGINT NOT NULL,
    PRIMARY KEY (instance, shop_id)
);
