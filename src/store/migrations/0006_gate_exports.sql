-- tix schema version 6: the main database remembers every gate file it exported, so a
-- merge can check a file's admissions against what it knew when it was made, without
-- believing times or versions written in the file. Never edit once released.
CREATE TABLE gate_exports (
    file_id      TEXT    PRIMARY KEY,          -- gate.file_id of the exported file
    event_id     INTEGER NOT NULL REFERENCES events (id),
    exported_at  INTEGER NOT NULL,
    exported_by  TEXT,
    -- the file's own random salt: a file is the recorded export only if its id, time
    -- and salt all match, so an edited file cannot pass for a later export by its id
    salt         BLOB    NOT NULL,
    -- the last audit entry the export's snapshot saw: a transfer logged after it (a
    -- higher id; writers are serialised) is one the file cannot know of, even when its
    -- clock time is the same second or earlier
    audit_mark   INTEGER NOT NULL
) STRICT;
CREATE INDEX gate_exports_by_event ON gate_exports (event_id);
CREATE INDEX audit_by_action_ticket ON audit_log (action, ticket_id, id);
