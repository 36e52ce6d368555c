-- tix schema version 9: waitlists for sold-out tiers. A tier counts the seats held for
-- offers to the waitlist (`held`: never sold to anyone else while held) and how long an
-- offer holds them (`waitlist_hold`, seconds). One row per person in line; an offer is
-- that row in status 'offered' until it is claimed, declined or expires. Never edit
-- once released.
ALTER TABLE tiers ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tiers ADD COLUMN waitlist_hold INTEGER NOT NULL DEFAULT 86400;
CREATE TABLE waitlist (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    INTEGER NOT NULL REFERENCES events (id),
    tier_id     INTEGER NOT NULL REFERENCES tiers (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    quantity    INTEGER NOT NULL CHECK (quantity >= 1),
    status      TEXT    NOT NULL CHECK (status IN ('waiting', 'offered', 'claimed', 'declined',
                                                   'expired', 'left', 'removed', 'cleared')),
    joined_at   INTEGER NOT NULL,
    offered_at  INTEGER,
    expires_at  INTEGER,
    ended_at    INTEGER,
    order_id    INTEGER REFERENCES orders (id)
) STRICT;
-- One place in line per person and tier: the database refuses a second.
CREATE UNIQUE INDEX waitlist_one_place ON waitlist (tier_id, user_id)
    WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_line ON waitlist (tier_id, status, id);
CREATE INDEX waitlist_by_user ON waitlist (user_id, id);
CREATE INDEX waitlist_by_event ON waitlist (event_id, status);
