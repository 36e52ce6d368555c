-- tix schema version 1: people, events, gate staff and ticket tiers.
-- Never edit this file once released; add a new numbered migration instead.
-- Times are INTEGER seconds since the Unix epoch (UTC); money is INTEGER minor units.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    email       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('user', 'promoter', 'staff', 'admin')),
    verified    INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    title        TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('draft', 'published', 'cancelled', 'completed')),
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER CHECK (ends_at IS NULL OR ends_at > starts_at),
    venue        TEXT,
    timezone     TEXT    NOT NULL,
    currency     TEXT    NOT NULL CHECK (length(currency) = 3),
    owner_id     INTEGER NOT NULL REFERENCES users (id),
    -- Ed25519 key pair for signing ticket codes. The private seed never leaves this database.
    signing_key  BLOB    NOT NULL CHECK (length(signing_key) = 32),
    verify_key   BLOB    NOT NULL CHECK (length(verify_key) = 32),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX events_by_owner ON events (owner_id, starts_at);
CREATE INDEX events_by_status ON events (status, starts_at);

CREATE TABLE event_staff (
    event_id    INTEGER NOT NULL REFERENCES events (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (event_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX event_staff_by_user ON event_staff (user_id);

-- AUTOINCREMENT: a deleted tier's id is never given to a new tier, so audit entries
-- and scripts that name it never point at the wrong one.
CREATE TABLE tiers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id           INTEGER NOT NULL REFERENCES events (id),
    name               TEXT    NOT NULL COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 200),
    description        TEXT,
    price_minor        INTEGER NOT NULL CHECK (price_minor >= 0),
    quantity           INTEGER NOT NULL CHECK (quantity >= 1),
    -- Seats taken by orders that hold them (completed or awaiting approval), kept in
    -- step with those orders inside the same transaction.
    sold               INTEGER NOT NULL DEFAULT 0 CHECK (sold BETWEEN 0 AND quantity),
    min_purchase       INTEGER NOT NULL CHECK (min_purchase >= 1),
    max_purchase       INTEGER NOT NULL CHECK (max_purchase >= min_purchase),
    sale_start         INTEGER,
    sale_end           INTEGER CHECK (sale_end IS NULL OR sale_start IS NULL OR sale_end > sale_start),
    requires_approval  INTEGER NOT NULL CHECK (requires_approval IN (0, 1)),
    transferable       INTEGER NOT NULL CHECK (transferable IN (0, 1)),
    is_active          INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    position           INTEGER NOT NULL CHECK (position >= 0),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (event_id, name)
) STRICT;

CREATE INDEX tiers_by_event_position ON tiers (event_id, position, id);
