-- Gate file schema version 1: the event, its public key, its tickets and a scan log.
-- Never edit once released.
CREATE TABLE gate (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    event_id       INTEGER NOT NULL,
    event_title    TEXT    NOT NULL,
    event_status   TEXT    NOT NULL,
    timezone       TEXT    NOT NULL,
    verify_key     BLOB    NOT NULL CHECK (length(verify_key) = 32),
    exported_at    INTEGER NOT NULL,
    file_id        TEXT    NOT NULL
) STRICT;
CREATE TABLE gate_tiers (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    requires_approval  INTEGER NOT NULL
) STRICT;
CREATE TABLE gate_tickets (
    uuid               TEXT    PRIMARY KEY,
    ticket_id          INTEGER,
    tier_id            INTEGER NOT NULL,
    secret_version     INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    approved           INTEGER NOT NULL,
    attendee_name      TEXT,
    checked_in_at      INTEGER,
    checked_in_gate    TEXT,
    sold_after_export  INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE TABLE scans (
    id              INTEGER PRIMARY KEY,
    scan_uuid       TEXT    NOT NULL UNIQUE,
    event_id        INTEGER,
    ticket_id       INTEGER,
    ticket_uuid     TEXT,
    secret_version  INTEGER,
    scanned_at      INTEGER NOT NULL,
    gate            TEXT,
    device          TEXT    NOT NULL,
    actor_email     TEXT,
    result          TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    offline         INTEGER NOT NULL DEFAULT 1,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    merged_at       INTEGER
) STRICT;
