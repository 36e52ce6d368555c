-- Gate file schema version 2: a door list for staff, and the evidence of every scan.
-- Never edit once released.

-- The holder's name for the door list. E-mail addresses are not stored: only a salted
-- SHA-256 of each (lower-cased), so staff can find a ticket by an address the person
-- at the door gives, but the file does not hand out a list of addresses.
ALTER TABLE gate ADD COLUMN email_salt BLOB;
ALTER TABLE gate_tickets ADD COLUMN holder_name TEXT;
ALTER TABLE gate_tickets ADD COLUMN holder_email_hash BLOB;
ALTER TABLE gate_tickets ADD COLUMN attendee_email_hash BLOB;

-- How the ticket was named (code, typed UUID, manual admission from the door list) and
-- the code as presented: merge re-checks it against the main database.
ALTER TABLE scans ADD COLUMN method TEXT NOT NULL DEFAULT 'code';
ALTER TABLE scans ADD COLUMN code TEXT;
CREATE INDEX gate_tickets_by_ticket_id ON gate_tickets (ticket_id);
ALTER TABLE scans ADD COLUMN conflict TEXT;
