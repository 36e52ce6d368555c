-- Schema version 5: SQLite's migration 10. A ticket's code is signed once and its
-- signature kept (standard base64, 88 characters); see the SQLite migration for why.
ALTER TABLE tickets ADD COLUMN signature TEXT CHECK (signature IS NULL OR length(signature) = 88);
CREATE INDEX tickets_unsigned ON tickets (event_id, order_id) WHERE signature IS NULL;
