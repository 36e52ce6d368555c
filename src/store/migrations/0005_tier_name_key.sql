-- tix schema version 5: the database itself keeps tier names unique in an event, case
-- folded by Unicode's rules (SQLite's NOCASE folds only ASCII). Never edit once released.
-- tix_fold() is tix's own SQL function: the name in lower case, as Rust's to_lowercase.
ALTER TABLE tiers ADD COLUMN name_key TEXT;
UPDATE tiers SET name_key = tix_fold(name);
CREATE UNIQUE INDEX tiers_by_name_key ON tiers (event_id, name_key);
