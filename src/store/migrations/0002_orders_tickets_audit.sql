-- tix schema version 2: orders, tickets and the audit log.
-- Never edit this file once released; add a new numbered migration instead.

CREATE TABLE orders (
    id           INTEGER PRIMARY KEY,
    event_id     INTEGER NOT NULL REFERENCES events (id),
    tier_id      INTEGER NOT NULL REFERENCES tiers (id),
    buyer_id     INTEGER NOT NULL REFERENCES users (id),
    quantity     INTEGER NOT NULL CHECK (quantity >= 1),
    status       TEXT    NOT NULL CHECK (status IN ('pending_approval', 'completed', 'cancelled', 'refunded')),
    is_comp      INTEGER NOT NULL CHECK (is_comp IN (0, 1)),
    unit_minor   INTEGER NOT NULL CHECK (unit_minor >= 0),
    total_minor  INTEGER NOT NULL CHECK (total_minor >= 0),
    currency     TEXT    NOT NULL CHECK (length(currency) = 3),
    created_by   INTEGER NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX orders_by_event ON orders (event_id, id);
CREATE INDEX orders_by_buyer ON orders (buyer_id, id);
CREATE INDEX orders_by_tier ON orders (tier_id);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    uuid            TEXT    NOT NULL UNIQUE CHECK (length(uuid) = 36),
    order_id        INTEGER NOT NULL REFERENCES orders (id),
    event_id        INTEGER NOT NULL REFERENCES events (id),
    tier_id         INTEGER NOT NULL REFERENCES tiers (id),
    owner_id        INTEGER NOT NULL REFERENCES users (id),
    attendee_name   TEXT,
    attendee_email  TEXT,
    attendee_phone  TEXT,
    status          TEXT    NOT NULL CHECK (status IN ('valid', 'used', 'cancelled', 'refunded')),
    -- Bumped whenever the ticket is re-issued (transfer): codes of older versions are dead.
    secret_version  INTEGER NOT NULL DEFAULT 1 CHECK (secret_version >= 1),
    checked_in_at   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX tickets_by_order ON tickets (order_id);
CREATE INDEX tickets_by_owner ON tickets (owner_id, id);
CREATE INDEX tickets_by_event ON tickets (event_id, status, id);
CREATE INDEX tickets_by_tier ON tickets (tier_id, status);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor_email  TEXT,
    action       TEXT    NOT NULL,
    object_type  TEXT    NOT NULL,
    object_id    TEXT    NOT NULL,
    event_id     INTEGER,
    ticket_id    INTEGER,
    details      TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX audit_by_event ON audit_log (event_id, id);
CREATE INDEX audit_by_ticket ON audit_log (ticket_id, id);
