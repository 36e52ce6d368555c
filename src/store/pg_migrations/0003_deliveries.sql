-- tix schema version 3 on PostgreSQL: what `ticket send` prepared for whom, so that
-- running it again writes only what changed. Never edit once released.
CREATE TABLE deliveries (
    key          TEXT    PRIMARY KEY,
    event_id     BIGINT  NOT NULL REFERENCES events (id),
    recipient    TEXT    NOT NULL,
    codes        TEXT    NOT NULL,
    version      BIGINT  NOT NULL CHECK (version >= 1),
    file         TEXT    NOT NULL,
    prepared_at  BIGINT  NOT NULL
);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
