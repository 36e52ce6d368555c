-- tix schema version 8: what `ticket send` prepared for whom, so that running it again
-- writes only what changed. One row per recipient of an order's tickets: the codes
-- (ticket UUID and secret version) the last message carried, empty once a notice told
-- the recipient those codes no longer get in. Never edit once released.
CREATE TABLE deliveries (
    key          TEXT    PRIMARY KEY,             -- 'order:ORDER:holder:USER'
    event_id     INTEGER NOT NULL REFERENCES events (id),
    recipient    TEXT    NOT NULL,                -- the e-mail it went to
    codes        TEXT    NOT NULL,                -- 'uuid:version' sorted, comma-separated
    version      INTEGER NOT NULL CHECK (version >= 1),
    file         TEXT    NOT NULL,                -- the outbox file last written
    prepared_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX deliveries_by_event ON deliveries (event_id);
