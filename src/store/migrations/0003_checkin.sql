-- tix schema version 3: check-in. Never edit once released.

-- Where a ticket was first admitted (its time is tickets.checked_in_at).
ALTER TABLE tickets ADD COLUMN checked_in_gate TEXT;

-- Every scan, accepted or refused, online or merged back from a gate file.
CREATE TABLE scans (
    id              INTEGER PRIMARY KEY,
    scan_uuid       TEXT    NOT NULL UNIQUE,   -- unique across devices: merging is idempotent
    event_id        INTEGER,                   -- null when the code named no event we know
    ticket_id       INTEGER REFERENCES tickets (id),
    ticket_uuid     TEXT,
    secret_version  INTEGER,                   -- the version the presented code carried
    scanned_at      INTEGER NOT NULL,
    gate            TEXT,
    device          TEXT    NOT NULL,
    actor_email     TEXT,
    result          TEXT    NOT NULL CHECK (result IN ('accepted', 'rejected')),
    reason          TEXT    NOT NULL,
    offline         INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
    dry_run         INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1)),
    merged_at       INTEGER
) STRICT;

CREATE INDEX scans_by_event ON scans (event_id, scanned_at);
CREATE INDEX scans_by_ticket ON scans (ticket_id, scanned_at);
CREATE INDEX tickets_by_event_checkin ON tickets (event_id, checked_in_at);
